"""crisis: detector state per client, topic and series; alerts; crisis rooms with their steps and timeline; playbooks

Alerts keep the sample mentions as plain ids (no foreign key to listening), so a crisis record stays
readable when mentions are pruned.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import socialdesk.db


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('crisis_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('fired_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('window_start', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('window_end', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('volume', sa.Integer(), nullable=False),
    sa.Column('expected', sa.Float(), nullable=False),
    sa.Column('negative', sa.Integer(), nullable=False),
    sa.Column('negative_share', sa.Float(), nullable=False),
    sa.Column('usual_negative_share', sa.Float(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('top_terms', sa.JSON(), nullable=False),
    sa.Column('sample_mention_ids', sa.JSON(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('ended_at', socialdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dismissed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_crisis_alerts_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dismissed_by_id'], ['users.id'], name=op.f('fk_crisis_alerts_dismissed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crisis_alerts'))
    )
    op.create_index('ix_crisis_alerts_client_fired', 'crisis_alerts', ['client_id', 'fired_at'], unique=False)
    op.create_table('crisis_detectors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=20), nullable=False),
    sa.Column('series', sa.String(length=10), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('last_bucket', sa.Integer(), nullable=True),
    sa.Column('updated_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_crisis_detectors_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crisis_detectors')),
    sa.UniqueConstraint('client_id', 'topic', 'series', name=op.f('uq_crisis_detectors_client_id'))
    )
    op.create_table('crisis_playbooks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('statements', sa.JSON(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_crisis_playbooks_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_crisis_playbooks_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crisis_playbooks')),
    sa.UniqueConstraint('client_id', 'type', name=op.f('uq_crisis_playbooks_client_id'))
    )
    op.create_table('crises',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('playbook_name', sa.String(length=200), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_from_alert_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('strategy', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', socialdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('closed_at', socialdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('postmortem', sa.JSON(), nullable=False),
    sa.Column('postmortem_text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_crises_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_crises_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_crises_closed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_crises_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_crises_opened_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['opened_from_alert_id'], ['crisis_alerts.id'], name=op.f('fk_crises_opened_from_alert_id_crisis_alerts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crises'))
    )
    op.create_index('ix_crises_client_status', 'crises', ['client_id', 'status', 'opened_at'], unique=False)
    op.create_table('crisis_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('crisis_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('ref', sa.JSON(), nullable=False),
    sa.Column('at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_crisis_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_crisis_events_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['crisis_id'], ['crises.id'], name=op.f('fk_crisis_events_crisis_id_crises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crisis_events'))
    )
    op.create_index(op.f('ix_crisis_events_crisis_id'), 'crisis_events', ['crisis_id'], unique=False)
    op.create_table('crisis_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('crisis_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('owner_role', sa.String(length=30), nullable=False),
    sa.Column('done_at', socialdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['crisis_id'], ['crises.id'], name=op.f('fk_crisis_steps_crisis_id_crises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_crisis_steps_done_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crisis_steps'))
    )
    op.create_index(op.f('ix_crisis_steps_crisis_id'), 'crisis_steps', ['crisis_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_crisis_steps_crisis_id'), table_name='crisis_steps')
    op.drop_table('crisis_steps')
    op.drop_index(op.f('ix_crisis_events_crisis_id'), table_name='crisis_events')
    op.drop_table('crisis_events')
    op.drop_index('ix_crises_client_status', table_name='crises')
    op.drop_table('crises')
    op.drop_table('crisis_playbooks')
    op.drop_table('crisis_detectors')
    op.drop_index('ix_crisis_alerts_client_fired', table_name='crisis_alerts')
    op.drop_table('crisis_alerts')
