"""analytics: daily account and post metric snapshots, tracked posts, the metrics sync state per
channel, paid results and each client's reporting currency

Counts are nullable (None: the network did not say). Snapshots are unique per (channel, day) and per
(client, network, remote post, day), and indexed by (client, day) for aggregation.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import socialdesk.db


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analytics_settings',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('updated_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_analytics_settings_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_analytics_settings'))
    )
    op.create_table('account_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('followers', sa.BigInteger(), nullable=True),
    sa.Column('following', sa.BigInteger(), nullable=True),
    sa.Column('posts', sa.BigInteger(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('decreased', sa.JSON(), nullable=False),
    sa.Column('collected_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_account_snapshots_channel_id_channels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_account_snapshots_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_snapshots')),
    sa.UniqueConstraint('channel_id', 'day', name=op.f('uq_account_snapshots_channel_id'))
    )
    op.create_index('ix_account_snapshots_client_day', 'account_snapshots', ['client_id', 'day'], unique=False)
    op.create_table('metrics_sync_states',
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('last_run_at', socialdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', socialdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_day', sa.Date(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('stopped', sa.JSON(), nullable=False),
    sa.Column('report', sa.Text(), nullable=False),
    sa.Column('posts_read', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_metrics_sync_states_channel_id_channels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_metrics_sync_states_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('channel_id', name=op.f('pk_metrics_sync_states'))
    )
    op.create_index(op.f('ix_metrics_sync_states_client_id'), 'metrics_sync_states', ['client_id'], unique=False)
    op.create_table('paid_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('ad', sa.String(length=200), nullable=False),
    sa.Column('row_key', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('spend', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('impressions', sa.BigInteger(), nullable=True),
    sa.Column('clicks', sa.BigInteger(), nullable=True),
    sa.Column('conversions', sa.BigInteger(), nullable=True),
    sa.Column('imported_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_paid_results_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_paid_results_channel_id_channels'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_paid_results_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paid_results')),
    sa.UniqueConstraint('client_id', 'day', 'row_key', name=op.f('uq_paid_results_client_id'))
    )
    op.create_index(op.f('ix_paid_results_campaign_id'), 'paid_results', ['campaign_id'], unique=False)
    op.create_index('ix_paid_results_client_day', 'paid_results', ['client_id', 'day'], unique=False)
    op.create_table('post_metric_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('post_target_id', sa.Integer(), nullable=True),
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('remote_id', sa.String(length=300), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('likes', sa.BigInteger(), nullable=True),
    sa.Column('reposts', sa.BigInteger(), nullable=True),
    sa.Column('replies', sa.BigInteger(), nullable=True),
    sa.Column('quotes', sa.BigInteger(), nullable=True),
    sa.Column('impressions', sa.BigInteger(), nullable=True),
    sa.Column('views', sa.BigInteger(), nullable=True),
    sa.Column('link_clicks', sa.BigInteger(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('gone', sa.Boolean(), nullable=False),
    sa.Column('decreased', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('collected_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_post_metric_snapshots_channel_id_channels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_post_metric_snapshots_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_target_id'], ['post_targets.id'], name=op.f('fk_post_metric_snapshots_post_target_id_post_targets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_metric_snapshots')),
    sa.UniqueConstraint('client_id', 'network', 'remote_id', 'day', name=op.f('uq_post_metric_snapshots_client_id'))
    )
    op.create_index('ix_post_metric_snapshots_channel_day', 'post_metric_snapshots', ['channel_id', 'day'], unique=False)
    op.create_index('ix_post_metric_snapshots_client_day', 'post_metric_snapshots', ['client_id', 'day'], unique=False)
    op.create_index('ix_post_metric_snapshots_target_day', 'post_metric_snapshots', ['post_target_id', 'day'], unique=False)
    op.create_table('tracked_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('post_target_id', sa.Integer(), nullable=True),
    sa.Column('remote_id', sa.String(length=300), nullable=False),
    sa.Column('published_at', socialdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('track_until', sa.Date(), nullable=True),
    sa.Column('gone_on', sa.Date(), nullable=True),
    sa.Column('created_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_tracked_posts_channel_id_channels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_tracked_posts_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_target_id'], ['post_targets.id'], name=op.f('fk_tracked_posts_post_target_id_post_targets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracked_posts')),
    sa.UniqueConstraint('channel_id', 'remote_id', name=op.f('uq_tracked_posts_channel_id'))
    )
    op.create_index(op.f('ix_tracked_posts_client_id'), 'tracked_posts', ['client_id'], unique=False)


def downgrade() -> None:
    op.drop_table('tracked_posts')
    op.drop_table('post_metric_snapshots')
    op.drop_table('paid_results')
    op.drop_table('metrics_sync_states')
    op.drop_table('account_snapshots')
    op.drop_table('analytics_settings')
