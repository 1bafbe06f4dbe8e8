"""The Bluesky firehose, read from a Jetstream server (JSON events over a WebSocket).

A :class:`Consumer` runs until stopped: it subscribes to ``app.bsky.feed.post`` commits, turns each
created post into an IncomingMention, and hands batches to its ``store`` callback together with the
``time_us`` of the last event read (the cursor). When the connection drops it waits (exponential
back-off, capped) and resubscribes with ``?cursor=`` a few seconds before the stored cursor: no event is
lost, and those seen twice are dropped by de-duplication at ingest (a mention is unique per remote id).

Deleted posts are passed on to ``store`` as at:// URIs so listening forgets them (the author took them
back); other collections (likes, follows ...) and events that cannot be read are counted and skipped.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.exceptions import InvalidHandshake, InvalidURI, WebSocketException
from websockets.sync.client import connect

from socialdesk.kit.errors import InvalidInput
from socialdesk.kit.netguard import RefusedAddress, check_public_url, public_addresses
from socialdesk.listening.mention import MAX_TEXT_CHARS
from socialdesk.listening.sources import IncomingMention, SourceError, clean_line, clean_text, retry_delay

log = logging.getLogger("socialdesk.listening.jetstream")

KIND = "bluesky"
COLLECTION = "app.bsky.feed.post"
DEFAULT_URL = "wss://jetstream2.us-east.bsky.network/subscribe"
REWIND_US = 5_000_000  # resubscribe this far before the stored cursor (events near a drop may be unsent)
MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # a post record is far smaller; a larger frame closes the connection
_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]{1,2000}")
_RKEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}")


def validate(config: dict, *, allow_private: bool) -> dict:
    """The stream config to store: ``{"url": ws(s) URL of a Jetstream /subscribe endpoint}``."""
    url = str(config.get("url") or DEFAULT_URL).strip()
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise InvalidInput.on("url", f"give a WebSocket address starting with wss:// (or ws://), such as {DEFAULT_URL}")
    if len(url) > 1000:
        raise InvalidInput.on("url", "is longer than 1000 characters")
    check_public_url(url, field="url", allow_private=allow_private)
    return {"url": url}


def subscribe_url(base: str, cursor: int | None) -> str:
    """``base`` asking for posts only, from ``cursor`` (microseconds) if given."""
    parts = urlsplit(base)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("cursor", "wantedCollections")]
    query.append(("wantedCollections", COLLECTION))
    if cursor is not None:
        query.append(("cursor", str(max(0, cursor))))
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/subscribe", urlencode(query), ""))


# -- events ------------------------------------------------------------------------------------------

@dataclass
class Parsed:
    """What one event means for listening."""

    time_us: int | None = None
    post: IncomingMention | None = None
    deleted: str | None = None  # at:// URI of a deleted post
    skipped: str | None = None  # why an event about a post could not be read
    handle: tuple[str, str] | None = None  # (did, handle) from an identity event


def post_uri(did: str, rkey: str) -> str:
    return f"at://{did}/{COLLECTION}/{rkey}"


def parse_event(raw: str | bytes, *, handles: dict[str, str] | None = None) -> Parsed:
    """One Jetstream message; never raises (an unreadable event says why in ``skipped``)."""
    try:
        event = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return Parsed(skipped="not JSON")
    if not isinstance(event, dict):
        return Parsed(skipped="not a JSON object")
    time_us = event.get("time_us")
    time_us = time_us if isinstance(time_us, int) and not isinstance(time_us, bool) and time_us > 0 else None
    kind, did = event.get("kind"), event.get("did")
    if kind == "identity":
        identity = event.get("identity") if isinstance(event.get("identity"), dict) else {}
        handle = identity.get("handle")
        if isinstance(did, str) and _DID.fullmatch(did) and isinstance(handle, str) and handle:
            return Parsed(time_us=time_us, handle=(did, clean_line(handle, limit=253)))
        return Parsed(time_us=time_us)
    commit = event.get("commit")
    if kind != "commit" or not isinstance(commit, dict) or commit.get("collection") != COLLECTION:
        return Parsed(time_us=time_us)  # another kind or collection: nothing for listening
    rkey = commit.get("rkey")
    if not isinstance(did, str) or not _DID.fullmatch(did) or not isinstance(rkey, str) or not _RKEY.fullmatch(rkey):
        return Parsed(time_us=time_us, skipped="a post without a readable author DID or record key")
    operation = commit.get("operation")
    if operation == "delete":
        return Parsed(time_us=time_us, deleted=post_uri(did, rkey))
    if operation not in ("create", "update"):
        return Parsed(time_us=time_us, skipped=f"post {post_uri(did, rkey)}: unknown operation")
    record = commit.get("record")
    if not isinstance(record, dict) or not isinstance(record.get("text", ""), str):
        return Parsed(time_us=time_us, skipped=f"post {post_uri(did, rkey)}: no readable record")
    return Parsed(time_us=time_us, post=_mention(did, rkey, record, time_us, handles or {}))


def _mention(did: str, rkey: str, record: dict, time_us: int | None, handles: dict[str, str]) -> IncomingMention:
    tags: list[str] = []
    mentioned: list[str] = []
    for facet in record.get("facets") or ():
        features = facet.get("features") if isinstance(facet, dict) else None
        for feature in features if isinstance(features, list) else ():
            if not isinstance(feature, dict):
                continue
            kind = feature.get("$type")
            if kind == "app.bsky.richtext.facet#tag" and isinstance(feature.get("tag"), str):
                tags.append(clean_line(feature["tag"].lstrip("#"), limit=100))
            elif kind == "app.bsky.richtext.facet#mention" and isinstance(feature.get("did"), str):
                mentioned.append(handles.get(feature["did"]) or clean_line(feature["did"], limit=300))
    for tag in record.get("tags") if isinstance(record.get("tags"), list) else ():
        if isinstance(tag, str):
            tags.append(clean_line(tag.lstrip("#"), limit=100))
    langs = [x for x in record.get("langs") or () if isinstance(x, str)] if isinstance(record.get("langs"), list) else []
    return IncomingMention(
        source=KIND,
        remote_id=post_uri(did, rkey),
        url=f"https://bsky.app/profile/{did}/post/{rkey}",
        author_handle=handles.get(did) or did,
        author_name="",
        author_followers=None,
        text=clean_text(str(record.get("text") or ""), limit=MAX_TEXT_CHARS),
        lang=clean_line(langs[0], limit=20) or None if langs else None,
        hashtags=tuple(dict.fromkeys(t for t in tags if t))[:20],
        mentions=tuple(dict.fromkeys(m for m in mentioned if m))[:50],
        created_at=_created(record.get("createdAt"), time_us),
    )


def _created(value: object, time_us: int | None) -> datetime:
    """The record's createdAt (written by the author's app, so not trusted past now); else the event time."""
    now = datetime.now(UTC)
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return min(when if when.tzinfo else when.replace(tzinfo=UTC), now)
        except ValueError:
            pass
    if time_us:
        try:
            return min(datetime.fromtimestamp(time_us / 1e6, UTC), now)
        except (OverflowError, OSError, ValueError):
            pass
    return now


# -- the consumer ------------------------------------------------------------------------------------

@dataclass
class Progress:
    """What a consumer did since it started (the source's report)."""

    events: int = 0
    posts: int = 0
    deletes: int = 0
    skipped: int = 0
    connects: int = 0
    drops: int = 0
    last_error: str = ""
    recent_skips: list[str] = field(default_factory=list)


Store = Callable[[list[IncomingMention], list[str], int | None, Progress], None]


class Consumer:
    """Reads the stream at ``url`` until ``stop`` is set; ``load_cursor()`` gives the stored cursor (µs).

    ``store(posts, deleted_uris, cursor, progress)`` must save the batch and the cursor in one transaction:
    the cursor only moves once what came before it is kept.
    """

    def __init__(self, *, url: str, load_cursor: Callable[[], int | None], store: Store, allow_private: bool,
                 batch_size: int = 500, flush_seconds: float = 1.0, rewind_us: int = REWIND_US,
                 backoff_base: float = 1.0, backoff_cap: float = 120.0, open_timeout: float = 10.0,
                 idle_timeout: float = 60.0, on_error: Callable[[str], None] | None = None):
        self.url, self.load_cursor, self.store = url, load_cursor, store
        self.allow_private = allow_private
        self.batch_size, self.flush_seconds, self.rewind_us = batch_size, flush_seconds, rewind_us
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.open_timeout, self.idle_timeout = open_timeout, idle_timeout
        self.on_error = on_error
        self.progress = Progress()
        self._handles: OrderedDict[str, str] = OrderedDict()  # did -> handle, from identity events

    def run(self, stop: threading.Event) -> Progress:
        failures = 0
        while not stop.is_set():
            cursor = self.load_cursor()
            url = subscribe_url(self.url, cursor - self.rewind_us if cursor is not None else None)
            received = 0
            try:
                received = self._session(url, stop)
            except SourceError as exc:
                self._error(exc.message)
            except (OSError, TimeoutError, WebSocketException) as exc:
                self._error(_describe(exc, self.url))
            if stop.is_set():
                break
            self.progress.drops += 1
            failures = 1 if received else failures + 1  # a connection that delivered starts the back-off over
            stop.wait(retry_delay(failures, base=self.backoff_base, cap=self.backoff_cap))
        return self.progress

    def _error(self, message: str) -> None:
        self.progress.last_error = message
        log.warning("jetstream %s", message)
        if self.on_error is not None:
            self.on_error(message)

    def _session(self, url: str, stop: threading.Event) -> int:
        """One connection: read until it drops or ``stop``; returns the number of events read."""
        sock = open_socket(url, allow_private=self.allow_private, timeout=self.open_timeout)
        posts: OrderedDict[str, IncomingMention] = OrderedDict()
        deleted: list[str] = []
        cursor: int | None = None
        received = 0
        try:
            with connect(url, sock=sock, open_timeout=self.open_timeout, close_timeout=1, max_size=MAX_MESSAGE_BYTES,
                         proxy=None, compression=None, user_agent_header="socialdesk-listening/1") as ws:
                self.progress.connects += 1
                deadline = time.monotonic() + self.flush_seconds
                last_message = time.monotonic()
                while not stop.is_set():
                    try:
                        raw = ws.recv(timeout=max(0.0, deadline - time.monotonic()))
                    except TimeoutError:
                        raw = None
                        if time.monotonic() - last_message > self.idle_timeout:
                            raise SourceError(f"no event for {self.idle_timeout:g} s; reconnecting") from None
                    if raw is not None:
                        last_message = time.monotonic()
                        received += 1
                        cursor = self._take(raw, posts, deleted, cursor)
                    if len(posts) + len(deleted) >= self.batch_size or time.monotonic() >= deadline:
                        self._flush(posts, deleted, cursor)
                        deadline = time.monotonic() + self.flush_seconds
        finally:
            # What arrived before a drop is real: keep it (and its cursor) before reconnecting.
            self._flush(posts, deleted, cursor)
        return received

    def _take(self, raw, posts: OrderedDict, deleted: list[str], cursor: int | None) -> int | None:
        parsed = parse_event(raw, handles=self._handles)
        progress = self.progress
        progress.events += 1
        if parsed.handle is not None:
            did, handle = parsed.handle
            self._handles[did] = handle
            self._handles.move_to_end(did)
            if len(self._handles) > 100_000:
                self._handles.popitem(last=False)
        if parsed.post is not None:
            posts[parsed.post.remote_id] = parsed.post
            progress.posts += 1
        elif parsed.deleted is not None:
            posts.pop(parsed.deleted, None)  # created and deleted within one batch: never stored
            deleted.append(parsed.deleted)
            progress.deletes += 1
        elif parsed.skipped is not None:
            progress.skipped += 1
            progress.recent_skips = (progress.recent_skips + [parsed.skipped[:300]])[-10:]
        if parsed.time_us is not None and (cursor is None or parsed.time_us > cursor):
            return parsed.time_us
        return cursor

    def _flush(self, posts: OrderedDict, deleted: list[str], cursor: int | None) -> None:
        if not posts and not deleted and cursor is None:
            return
        self.store(list(posts.values()), list(deleted), cursor, self.progress)
        posts.clear()
        deleted.clear()


def open_socket(url: str, *, allow_private: bool, timeout: float) -> socket.socket:
    """A TCP connection to ``url``'s host, made to an address checked here (so DNS cannot change between
    the check and the connection); private and loopback addresses are refused unless allowed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    try:
        addresses = public_addresses(host, port, allow_private=allow_private)
    except RefusedAddress as exc:
        raise SourceError(f"refused {url}: {exc}", permanent=True) from None
    except OSError as exc:
        raise SourceError(f"cannot resolve {host}: {exc}") from None
    family, kind, proto, _, address = addresses[0]
    sock = socket.socket(family, kind, proto)
    sock.settimeout(timeout)
    try:
        sock.connect(address)
    except OSError:
        sock.close()
        raise
    return sock


def _describe(exc: Exception, url: str) -> str:
    host = urlsplit(url).hostname
    if isinstance(exc, InvalidURI):
        return f"{url} is not a WebSocket address"
    if isinstance(exc, InvalidHandshake):
        return f"{host} refused the subscription: {str(exc)[:200]}"
    if isinstance(exc, TimeoutError):
        return f"{host} did not answer in time"
    return f"connection to {host} lost: {str(exc)[:200] or type(exc).__name__}"
