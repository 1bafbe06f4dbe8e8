"""inbox: listing indexes (newest activity first, per client, per assignee) and each conversation's newest item

The listing filters (status, assignee, tags, sentiment, urgency, age, channel) are trailing columns of
the ordered indexes, so a filtered page is read from the index alone until it has enough rows; a
channel has its own ordered index (one channel among hundreds is too sparse to find by scanning).
A person's items on a client are found by (client, author) for their history.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

FILTERS = ['status', 'assignee_id', 'tag_mask', 'sentiment', 'urgent', 'first_item_at']


def upgrade() -> None:
    with op.batch_alter_table('inbox_conversations', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_conversations_client_activity')
        batch_op.create_index('ix_inbox_conversations_activity',
                              ['last_activity_at', 'id', 'client_id', 'channel_id', *FILTERS], unique=False)
        batch_op.create_index('ix_inbox_conversations_client_activity',
                              ['client_id', 'last_activity_at', 'id', 'channel_id', *FILTERS], unique=False)
        batch_op.create_index('ix_inbox_conversations_assignee_activity',
                              ['assignee_id', 'last_activity_at', 'id', 'client_id', 'channel_id', *FILTERS[:1],
                               *FILTERS[2:]], unique=False)
        batch_op.create_index('ix_inbox_conversations_channel_activity',
                              ['channel_id', 'last_activity_at', 'id', 'client_id', *FILTERS], unique=False)
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_items_conversation_latest', ['conversation_id', 'id'], unique=False)
        batch_op.create_index('ix_inbox_items_author', ['client_id', 'author_remote_id', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_items_author')
        batch_op.drop_index('ix_inbox_items_conversation_latest')
    with op.batch_alter_table('inbox_conversations', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_conversations_channel_activity')
        batch_op.drop_index('ix_inbox_conversations_assignee_activity')
        batch_op.drop_index('ix_inbox_conversations_client_activity')
        batch_op.drop_index('ix_inbox_conversations_activity')
        batch_op.create_index('ix_inbox_conversations_client_activity', ['client_id', 'last_activity_at'], unique=False)
