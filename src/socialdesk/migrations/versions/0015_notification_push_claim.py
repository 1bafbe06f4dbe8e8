"""notifications: when a worker took the push, so a push whose task was lost is sent by a sweep

A notification for someone with push targets queues a task after its commit. A worker that died holding
the task, or a queue that was emptied, left the phone silent for good (a crisis alert among them).
``push_claimed_at`` is set by the worker that takes the push (two workers never push one notification at
once); a sweep each minute queues again the recent notifications that no worker took, or whose worker
stopped before recording every target (notify.service.lost_pushes). The index on ``created_at`` keeps
that sweep to the recent rows. Notifications from before count as taken.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa

import socialdesk.db


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('push_claimed_at', socialdesk.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_notifications_created_at'), ['created_at'], unique=False)
    op.execute("UPDATE notifications SET push_claimed_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_created_at'))
        batch_op.drop_column('push_claimed_at')
