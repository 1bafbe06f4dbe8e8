"""listening: queries per client, mentions that matched them, the matches, ingestion sources

Mentions are unique per (source, remote id); matches carry client, topic and time for the dashboards'
indexes; ``listening_state`` holds the one row whose version tells every process its compiled matcher
is stale.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import socialdesk.db


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('listening_mentions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('remote_id', sa.String(length=300), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('author_handle', sa.String(length=320), nullable=False),
    sa.Column('author_name', sa.String(length=300), nullable=False),
    sa.Column('author_followers', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('text_length', sa.Integer(), nullable=False),
    sa.Column('clipped', sa.Boolean(), nullable=False),
    sa.Column('lang', sa.String(length=20), nullable=True),
    sa.Column('lang_detected', sa.Boolean(), nullable=False),
    sa.Column('sentiment_score', sa.Float(), nullable=False),
    sa.Column('sentiment', sa.String(length=10), nullable=False),
    sa.Column('hashtags', sa.JSON(), nullable=False),
    sa.Column('mentions', sa.JSON(), nullable=False),
    sa.Column('dup_key', sa.BigInteger(), nullable=True),
    sa.Column('created_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ingested_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listening_mentions')),
    sa.UniqueConstraint('source', 'remote_id', name=op.f('uq_listening_mentions_source'))
    )
    op.create_index('ix_listening_mentions_dup_key', 'listening_mentions', ['dup_key', 'created_at'], unique=False)
    state = op.create_table('listening_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('queries_version', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listening_state'))
    )
    op.bulk_insert(state, [{'id': 1, 'queries_version': 'initial'}])
    op.create_table('listening_queries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('topic', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_listening_queries_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_listening_queries_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listening_queries')),
    sa.UniqueConstraint('client_id', 'name', name=op.f('uq_listening_queries_client_id'))
    )
    op.create_index(op.f('ix_listening_queries_client_id'), 'listening_queries', ['client_id'], unique=False)
    op.create_table('listening_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('cursor', sa.String(length=500), nullable=True),
    sa.Column('etag', sa.String(length=300), nullable=True),
    sa.Column('last_modified', sa.String(length=100), nullable=True),
    sa.Column('last_run_at', socialdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('last_error_at', socialdesk.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_report', sa.Text(), nullable=False),
    sa.Column('mentions_total', sa.Integer(), nullable=False),
    sa.Column('created_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_listening_sources_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listening_sources')),
    sa.UniqueConstraint('name', name=op.f('uq_listening_sources_name'))
    )
    op.create_index(op.f('ix_listening_sources_client_id'), 'listening_sources', ['client_id'], unique=False)
    op.create_table('listening_matches',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('mention_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('query_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=20), nullable=False),
    sa.Column('created_at', socialdesk.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('duplicate', sa.Boolean(), nullable=False),
    sa.Column('dup_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_listening_matches_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mention_id'], ['listening_mentions.id'], name=op.f('fk_listening_matches_mention_id_listening_mentions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['query_id'], ['listening_queries.id'], name=op.f('fk_listening_matches_query_id_listening_queries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listening_matches')),
    sa.UniqueConstraint('mention_id', 'query_id', name=op.f('uq_listening_matches_mention_id'))
    )
    op.create_index('ix_listening_matches_client_created', 'listening_matches', ['client_id', 'created_at', 'mention_id', 'duplicate', 'topic'], unique=False)
    op.create_index('ix_listening_matches_query_created', 'listening_matches', ['query_id', 'created_at', 'mention_id', 'duplicate'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_listening_matches_query_created', table_name='listening_matches')
    op.drop_index('ix_listening_matches_client_created', table_name='listening_matches')
    op.drop_table('listening_matches')
    op.drop_index(op.f('ix_listening_sources_client_id'), table_name='listening_sources')
    op.drop_table('listening_sources')
    op.drop_index(op.f('ix_listening_queries_client_id'), table_name='listening_queries')
    op.drop_table('listening_queries')
    op.drop_table('listening_state')
    op.drop_index('ix_listening_mentions_dup_key', table_name='listening_mentions')
    op.drop_table('listening_mentions')
