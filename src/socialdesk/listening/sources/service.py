"""Adding, listing and removing listening sources, per client or agency-wide.

Addresses are checked when a source is added (http(s) or ws(s), a public host unless private addresses
are allowed) and again at every fetch, since what a name resolves to can change.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from socialdesk.config import Settings
from socialdesk.kit.errors import Conflict, InvalidInput, NotFound
from socialdesk.listening.models import ListeningSource
from socialdesk.listening.sources import feeds, jetstream, mastodon_timeline
from socialdesk.listening.sources.runner import schedule, user_config
from socialdesk.listening.sources.schemas import SourceIn, SourceKind, SourceOut

_FIELDS = {SourceKind.RSS: {"url"}, SourceKind.MASTODON: {"instance", "public", "local", "tags"},
           SourceKind.BLUESKY: {"url"}}
_OPTIONAL = {"kind", "name", "every_minutes", "enabled"}


def _config(data: SourceIn, *, allow_private: bool) -> dict:
    given = data.model_dump(exclude_unset=True)
    for name in sorted(set(given) - _FIELDS[data.kind] - _OPTIONAL):
        raise InvalidInput.on(name, f"does not apply to a {data.kind} source; leave it out")
    if data.kind is SourceKind.RSS:
        if not data.url:
            raise InvalidInput.on("url", "give the feed's address, such as https://example.com/feed.xml")
        config = feeds.validate({"url": data.url}, allow_private=allow_private)
    elif data.kind is SourceKind.MASTODON:
        if not data.instance:
            raise InvalidInput.on("instance", "give the instance's address, such as https://mastodon.social")
        raw = {"instance": data.instance, "tags": data.tags, "local": data.local}
        if data.public is not None:
            raw["public"] = data.public
        config = mastodon_timeline.validate(raw, allow_private=allow_private)
    else:
        config = jetstream.validate({"url": data.url} if data.url else {}, allow_private=allow_private)
    if data.every_minutes is not None:
        config["every_minutes"] = data.every_minutes
    return config


def _default_name(kind: SourceKind, config: dict, client_id: int | None) -> str:
    target = config.get("url") or config.get("instance") or ""
    if kind is SourceKind.MASTODON:
        target += " " + " ".join((["public"] if config.get("public") else []) + [f"#{t}" for t in config["tags"]])
    scope = f" (client {client_id})" if client_id else ""
    return f"{kind} {target.strip()}"[: 200 - len(scope)] + scope


def create_source(*, session: Session, settings: Settings, client_id: int | None, data: SourceIn) -> ListeningSource:
    """Add a source for ``client_id`` (None: agency-wide). The Bluesky firehose is agency-wide only."""
    if data.kind is SourceKind.BLUESKY and client_id is not None:
        raise InvalidInput.on("kind", "the Bluesky firehose is read once for the whole agency (every client's "
                                      "queries match it); a director adds it at POST /api/listening/sources")
    config = _config(data, allow_private=settings.allow_private_urls)
    name = data.name or _default_name(data.kind, config, client_id)
    clash = session.scalar(select(ListeningSource.id).where(func.lower(ListeningSource.name) == name.lower()))
    if clash is not None:
        raise Conflict(f"name: a listening source named {name!r} exists already; choose another name", field="name")
    row = ListeningSource(name=name, kind=str(data.kind), client_id=client_id, config=config, enabled=data.enabled,
                          last_error="", last_report="", mentions_total=0)
    session.add(row)
    session.flush()
    return row


def list_sources(*, session: Session, client_id: int | None) -> list[ListeningSource]:
    """The client's sources, or the agency-wide ones when ``client_id`` is None."""
    condition = ListeningSource.client_id.is_(None) if client_id is None else ListeningSource.client_id == client_id
    return list(session.scalars(select(ListeningSource).where(condition).order_by(ListeningSource.id)))


def get_source(*, session: Session, client_id: int | None, source_id: int) -> ListeningSource:
    row = session.get(ListeningSource, source_id) if 1 <= source_id < 2**31 else None
    if row is None or row.client_id != client_id:
        where = f"client {client_id}" if client_id is not None else "the agency"
        raise NotFound(f"listening source {source_id} not found for {where}")
    return row


def delete_source(*, session: Session, client_id: int | None, source_id: int) -> None:
    """Stop listening to the source (the mentions it brought stay)."""
    session.delete(get_source(session=session, client_id=client_id, source_id=source_id))
    session.flush()


def to_out(row: ListeningSource) -> SourceOut:
    next_at, failures = schedule(row)
    return SourceOut(id=row.id, name=row.name, kind=row.kind, client_id=row.client_id, config=user_config(row.config),
                     enabled=row.enabled, cursor=row.cursor, last_run_at=row.last_run_at, last_error=row.last_error,
                     last_error_at=row.last_error_at, last_report=row.last_report, mentions_total=row.mentions_total,
                     next_attempt_at=next_at, failures=failures, created_at=row.created_at)
