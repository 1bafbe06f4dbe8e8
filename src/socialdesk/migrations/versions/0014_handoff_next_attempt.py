"""inbox handoffs: when the next delivery attempt is due, so one whose queued task was lost is tried again

A pending handoff waits for a task in the queue (its first try, or a retry after a back-off). A worker that
dies holding the task, or a queue that is emptied, left it pending for good. ``next_attempt_at`` says when
the task was due; a periodic sweep queues again the pending ones long overdue (inbox.handoff.requeue_stalled).
Pending handoffs from before get their creation time.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa

import socialdesk.db


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inbox_handoffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', socialdesk.db.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE inbox_handoffs SET next_attempt_at = created_at WHERE status = 'pending'")


def downgrade() -> None:
    with op.batch_alter_table('inbox_handoffs', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')
