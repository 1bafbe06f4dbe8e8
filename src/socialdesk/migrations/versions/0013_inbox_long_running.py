"""inbox: conversations still active long after they began, for the "older than" filter

"Began more than 30 days ago, newest activity first" had to read every conversation active since: those
that began before are rare among them. ``long_running`` marks a conversation whose last activity is more
than 3 days after its first item (inbox.service.LONG_RUNNING); partial indexes hold only those, so the
filter reads them, the 3 days after the bound, and what went quiet before it (inbox.service).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

FILTERS = ['status', 'assignee_id', 'tag_mask', 'sentiment', 'urgent', 'first_item_at']


def upgrade() -> None:
    with op.batch_alter_table('inbox_conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('long_running', sa.Boolean(), server_default=sa.false(), nullable=False))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE inbox_conversations SET long_running = true "
                   "WHERE last_activity_at - first_item_at > interval '3 days'")
    else:
        op.execute("UPDATE inbox_conversations SET long_running = 1 "
                   "WHERE julianday(last_activity_at) - julianday(first_item_at) > 3")
    where = dict(sqlite_where=sa.text('long_running = 1'), postgresql_where=sa.text('long_running'))
    op.create_index('ix_inbox_conversations_long_activity', 'inbox_conversations',
                    ['last_activity_at', 'id', 'client_id', 'channel_id', *FILTERS], unique=False, **where)
    op.create_index('ix_inbox_conversations_long_client_activity', 'inbox_conversations',
                    ['client_id', 'last_activity_at', 'id', 'channel_id', *FILTERS], unique=False, **where)


def downgrade() -> None:
    op.drop_index('ix_inbox_conversations_long_client_activity', table_name='inbox_conversations')
    op.drop_index('ix_inbox_conversations_long_activity', table_name='inbox_conversations')
    with op.batch_alter_table('inbox_conversations', schema=None) as batch_op:
        batch_op.drop_column('long_running')
