"""Listening storage: each client's queries, the public posts that matched at least one of them, which
queries they matched, and where each source's ingestion stands.

A mention is stored once per (source, remote id) whichever clients it matched; what a client sees are its
match rows (``listening_matches``), so a post matched only by client A's queries is invisible to B.
Mention text, names and links are untrusted: escaped wherever shown.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from socialdesk.db import Base, UTCDateTime, utcnow

# 64-bit ids (mentions arrive by the thousand per second); SQLite needs INTEGER for an auto-increment key.
BigId = BigInteger().with_variant(Integer, "sqlite")


class ListeningQuery(Base):
    """A boolean query (socialdesk.listening.query) a client listens with, under one of four topics."""

    __tablename__ = "listening_queries"
    __table_args__ = (UniqueConstraint("client_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(20))  # brand | competitor | campaign | industry
    text: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ListeningState(Base):
    """One row whose ``queries_version`` changes with every change to any query: each process compares it
    with the version its compiled matcher was built from (a new random value, so a re-created database
    never looks current)."""

    __tablename__ = "listening_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queries_version: Mapped[str] = mapped_column(String(32), default="")


class Mention(Base):
    """A public post that matched at least one client's query."""

    __tablename__ = "listening_mentions"
    __table_args__ = (
        UniqueConstraint("source", "remote_id"),
        Index("ix_listening_mentions_dup_key", "dup_key", "created_at"),  # near-duplicate look-up at ingest
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(40))  # bluesky | mastodon | rss | import ...
    remote_id: Mapped[str] = mapped_column(String(300))  # unique within the source
    url: Mapped[str] = mapped_column(String(1000), default="")
    author_handle: Mapped[str] = mapped_column(String(320), default="")
    author_name: Mapped[str] = mapped_column(String(300), default="")
    author_followers: Mapped[int | None] = mapped_column(Integer)  # reach, where the source tells it
    text: Mapped[str] = mapped_column(Text, default="")
    text_length: Mapped[int] = mapped_column(Integer, default=0)  # characters received, before clipping
    clipped: Mapped[bool] = mapped_column(Boolean, default=False)  # ``text`` holds only the first part
    lang: Mapped[str | None] = mapped_column(String(20))
    lang_detected: Mapped[bool] = mapped_column(Boolean, default=False)  # guessed here, not told by the source
    sentiment_score: Mapped[float] = mapped_column(Float, default=0.0)  # VADER compound, -1..1
    sentiment: Mapped[str] = mapped_column(String(10), default="neutral")  # positive | neutral | negative
    hashtags: Mapped[list] = mapped_column(JSON, default=list)
    mentions: Mapped[list] = mapped_column(JSON, default=list)  # handles the post names
    # Near-duplicate group: a hash of the text with retweet prefixes, links and punctuation taken away
    # (socialdesk.listening.dedup); None for a text too short to tell copies from coincidences.
    dup_key: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the source says it was written
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MentionMatch(Base):
    """A mention matched one query of one client; client, topic and time are copied here for dashboards.

    Duplicates are per client: the first mention of a near-duplicate group a client sees (within
    ``dedup.WINDOW``) leads it, later ones are ``duplicate`` and counted in the leader's ``dup_count``.
    """

    __tablename__ = "listening_matches"
    __table_args__ = (
        UniqueConstraint("mention_id", "query_id"),
        Index("ix_listening_matches_client_created", "client_id", "created_at", "mention_id", "duplicate", "topic"),
        Index("ix_listening_matches_query_created", "query_id", "created_at", "mention_id", "duplicate"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("listening_mentions.id", ondelete="CASCADE"))
    query_id: Mapped[int] = mapped_column(ForeignKey("listening_queries.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the mention's
    duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    dup_count: Mapped[int] = mapped_column(Integer, default=0)  # on the leader: copies seen after it


class ListeningSource(Base):
    """Where one ingester stands: its cursor (firehose, timeline) or validators (feeds), its last error
    and report. ``name`` is the ingester's own key; ``client_id`` says who asked for it, if anyone
    (matching always runs against every client's queries)."""

    __tablename__ = "listening_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # bluesky | mastodon | rss | ...
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    config: Mapped[dict] = mapped_column(JSON, default=dict)  # what the ingester needs: a URL, an instance
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    cursor: Mapped[str | None] = mapped_column(String(500))
    etag: Mapped[str | None] = mapped_column(String(300))  # HTTP validators of a feed
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_report: Mapped[str] = mapped_column(Text, default="")
    mentions_total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
