"""inbox: drop the single-column indexes that the listing and history indexes already begin with

``inbox_conversations`` (client_id), (channel_id), (assignee_id) are the first column of the client,
channel and assignee listing indexes; ``inbox_items`` (client_id) begins the author history index and
(conversation_id) the newest-item index. Each one was one more index to write for every item ingested
and every conversation it changed (bench/inbox_ingest.py), for no query the others do not answer.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

DROPPED = {
    'inbox_conversations': ['client_id', 'channel_id', 'assignee_id'],
    'inbox_items': ['client_id', 'conversation_id'],
}


def upgrade() -> None:
    for table, columns in DROPPED.items():
        for column in columns:
            op.drop_index(f'ix_{table}_{column}', table_name=table)


def downgrade() -> None:
    for table, columns in DROPPED.items():
        for column in columns:
            op.create_index(f'ix_{table}_{column}', table, [column], unique=False)
