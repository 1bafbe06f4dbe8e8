"""reports: report definitions, deliveries (one per definition and period), share links (token digests
only), the agency's branding and client logos

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import socialdesk.db


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agency_branding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('color', sa.String(length=7), nullable=False),
    sa.Column('logo', sa.String(length=200), nullable=True),
    sa.Column('updated_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_branding'))
    )
    op.create_table('client_logos',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('logo', sa.String(length=200), nullable=False),
    sa.Column('updated_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_client_logos_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_client_logos'))
    )
    op.create_table('report_definitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('period_kind', sa.String(length=10), nullable=False),
    sa.Column('custom_start', sa.Date(), nullable=True),
    sa.Column('custom_end', sa.Date(), nullable=True),
    sa.Column('comparison', sa.String(length=10), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('schedule', sa.String(length=10), nullable=False),
    sa.Column('next_steps', sa.Text(), nullable=False),
    sa.Column('last_sent_at', socialdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_report_definitions_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_report_definitions_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_definitions'))
    )
    with op.batch_alter_table('report_definitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_definitions_client_id'), ['client_id'], unique=False)

    op.create_table('report_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', socialdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_report_deliveries_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['definition_id'], ['report_definitions.id'], name=op.f('fk_report_deliveries_definition_id_report_definitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_deliveries')),
    sa.UniqueConstraint('definition_id', 'period', name=op.f('uq_report_deliveries_definition_id'))
    )
    with op.batch_alter_table('report_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_deliveries_client_id'), ['client_id'], unique=False)

    op.create_table('report_shares',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=30), nullable=False),
    sa.Column('comparison', sa.String(length=10), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('expires_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', socialdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_report_shares_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_report_shares_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['definition_id'], ['report_definitions.id'], name=op.f('fk_report_shares_definition_id_report_definitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_shares')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_report_shares_token_hash'))
    )
    with op.batch_alter_table('report_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_shares_client_id'), ['client_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('report_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_shares_client_id'))

    op.drop_table('report_shares')
    with op.batch_alter_table('report_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_deliveries_client_id'))

    op.drop_table('report_deliveries')
    with op.batch_alter_table('report_definitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_definitions_client_id'))

    op.drop_table('report_definitions')
    op.drop_table('client_logos')
    op.drop_table('agency_branding')
