"""channels: a client's connected network accounts (credentials stay in stored_secrets)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 22:08:02.814117
"""

from alembic import op
import sqlalchemy as sa
import socialdesk.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('handle', sa.String(length=320), nullable=False),
    sa.Column('base_url', sa.String(length=500), nullable=False),
    sa.Column('account_id', sa.String(length=200), nullable=True),
    sa.Column('max_characters', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('last_checked_at', socialdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_channels_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels'))
    )
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channels_client_id'), ['client_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channels_client_id'))

    op.drop_table('channels')
