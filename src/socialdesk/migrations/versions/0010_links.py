"""links: tracked short links, their clicks (no IP; a visitor hash only with the client's opt-in),
conversions (one per client and order_ref), each client's link settings and the daily visitor salts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import socialdesk.db


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('link_salts',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_link_salts'))
    )
    op.create_table('link_settings',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('hash_visitors', sa.Boolean(), nullable=False),
    sa.Column('dedup_seconds', sa.Integer(), nullable=False),
    sa.Column('attribution', sa.String(length=10), nullable=False),
    sa.Column('pixel_origins', sa.JSON(), nullable=False),
    sa.Column('secret_set_at', socialdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_link_settings_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_link_settings')),
    sa.UniqueConstraint('public_id', name=op.f('uq_link_settings_public_id'))
    )
    op.create_table('tracked_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('destination', sa.String(length=2048), nullable=False),
    sa.Column('utm_source', sa.String(length=100), nullable=False),
    sa.Column('utm_medium', sa.String(length=100), nullable=False),
    sa.Column('utm_campaign', sa.String(length=100), nullable=False),
    sa.Column('utm_term', sa.String(length=100), nullable=False),
    sa.Column('utm_content', sa.String(length=100), nullable=False),
    sa.Column('network', sa.String(length=20), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_tracked_links_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_tracked_links_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_tracked_links_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracked_links')),
    sa.UniqueConstraint('code', name=op.f('uq_tracked_links_code'))
    )
    op.create_index(op.f('ix_tracked_links_campaign_id'), 'tracked_links', ['campaign_id'], unique=False)
    op.create_index('ix_tracked_links_client_archived', 'tracked_links', ['client_id', 'archived'], unique=False)
    op.create_table('link_clicks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('network', sa.String(length=20), nullable=True),
    sa.Column('referrer_host', sa.String(length=255), nullable=True),
    sa.Column('is_preview', sa.Boolean(), nullable=False),
    sa.Column('visitor_hash', sa.String(length=32), nullable=True),
    sa.Column('dedup_key', sa.String(length=32), nullable=True),
    sa.Column('repeats', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=24), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_link_clicks_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['link_id'], ['tracked_links.id'], name=op.f('fk_link_clicks_link_id_tracked_links'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_clicks')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_link_clicks_dedup_key')),
    sa.UniqueConstraint('token', name=op.f('uq_link_clicks_token'))
    )
    op.create_index('ix_link_clicks_client_at', 'link_clicks', ['client_id', 'at'], unique=False)
    op.create_index(op.f('ix_link_clicks_link_id'), 'link_clicks', ['link_id'], unique=False)
    op.create_table('link_conversions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('click_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('network', sa.String(length=20), nullable=True),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('value', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('order_ref', sa.String(length=200), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['click_id'], ['link_clicks.id'], name=op.f('fk_link_conversions_click_id_link_clicks'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_link_conversions_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['link_id'], ['tracked_links.id'], name=op.f('fk_link_conversions_link_id_tracked_links'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_conversions')),
    sa.UniqueConstraint('client_id', 'order_ref', name=op.f('uq_link_conversions_client_id'))
    )
    op.create_index('ix_link_conversions_client_at', 'link_conversions', ['client_id', 'at'], unique=False)
    op.create_index(op.f('ix_link_conversions_link_id'), 'link_conversions', ['link_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_link_conversions_link_id'), table_name='link_conversions')
    op.drop_index('ix_link_conversions_client_at', table_name='link_conversions')
    op.drop_table('link_conversions')
    op.drop_index(op.f('ix_link_clicks_link_id'), table_name='link_clicks')
    op.drop_index('ix_link_clicks_client_at', table_name='link_clicks')
    op.drop_table('link_clicks')
    op.drop_index('ix_tracked_links_client_archived', table_name='tracked_links')
    op.drop_index(op.f('ix_tracked_links_campaign_id'), table_name='tracked_links')
    op.drop_table('tracked_links')
    op.drop_table('link_settings')
    op.drop_table('link_salts')
