"""The iCalendar feed of a client's posts (RFC 5545), for Google Calendar, Outlook, Apple Calendar.

The feed lives at ``/feeds/{token}.ics``: the token (``PublishingSettings.feed_token``) is the only
secret, 192 random bits, so anyone holding the URL may read the client's scheduled and published
posts. Rotating the token ends every existing subscription.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.clients import service as clients_service
from socialdesk.clients.models import Client
from socialdesk.kit.errors import NotFound
from socialdesk.publishing import service
from socialdesk.publishing.models import Post, PublishingSettings
from socialdesk.publishing.schemas import PostStatus

IN_FEED = (PostStatus.SCHEDULED, PostStatus.PUBLISHING, PostStatus.PUBLISHED, PostStatus.PARTLY_PUBLISHED)
EVENT_LENGTH = timedelta(minutes=15)
MAX_EVENTS = 5000


def feed_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/feeds/{token}.ics"


def rotate_token(*, session: Session, client_id: int) -> str:
    """A new feed token for the client; the old URL stops working at once."""
    row = service.settings_for(session=session, client_id=client_id)
    row.feed_token = secrets.token_urlsafe(24)
    session.flush()
    return row.feed_token


def client_for_token(*, session: Session, token: str) -> Client:
    """The client whose feed ``token`` opens, or NotFound (the same answer for any wrong token)."""
    if not token or len(token) > 64:
        raise NotFound("no such calendar feed")
    row = session.scalar(select(PublishingSettings).where(PublishingSettings.feed_token == token))
    if row is None or not secrets.compare_digest(row.feed_token, token):
        raise NotFound("no such calendar feed")
    return clients_service.get(session=session, client_id=row.client_id)


def _start(post: Post) -> datetime | None:
    if post.scheduled_at is not None:
        return post.scheduled_at
    published = [t.published_at for t in post.targets if t.published_at is not None]
    return min(published) if published else None


def calendar_for(*, session: Session, client: Client, base_url: str, now: datetime | None = None) -> bytes:
    """The client's scheduled and published posts as an iCalendar file."""
    host = urlsplit(base_url).hostname or "socialdesk"
    base = base_url.rstrip("/")
    cal = Calendar()
    cal.add("prodid", "-//socialdesk//publishing calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{client.name} · posts")
    cal.add("x-wr-timezone", client.timezone)
    stamp = now or datetime.now(UTC)
    posts = session.scalars(select(Post).where(Post.client_id == client.id, Post.status.in_([s.value for s in IN_FEED]))
                            .order_by(Post.scheduled_at, Post.id).limit(MAX_EVENTS))
    for post in posts:
        start = _start(post)
        if start is None:
            continue
        start = start.astimezone(UTC)
        networks = sorted({t.network for t in post.targets})
        event = Event()
        event.add("uid", f"post-{post.id}@{host}")
        event.add("dtstamp", stamp.astimezone(UTC))
        event.add("last-modified", (post.updated_at or stamp).astimezone(UTC))
        event.add("dtstart", start)
        event.add("dtend", start + EVENT_LENGTH)
        event.add("summary", service.post_label(post) or f"Post {post.id}")
        event.add("description", post.text)
        event.add("url", f"{base}/clients/{client.id}/posts/{post.id}")
        event.add("status", "CONFIRMED")
        event.add("categories", [PostStatus(post.status).label, *networks])
        event.add("sequence", max(0, (post.version or 1) - 1))
        cal.add_component(event)
    return cal.to_ical()
