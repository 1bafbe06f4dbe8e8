"""Bluesky (any PDS) through the atproto SDK: sign in with an app password, publish, find and delete posts.

A post's record key is its ``marker`` (a TID chosen before the first attempt), so a retry can never make
a second post: the repeat is refused and the adapter returns the record the first attempt made.
Sessions are cached per (PDS, handle) because the PDS rate-limits sign-ins (30 per 5 minutes per handle).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
from atproto import Client, models
from atproto_client.exceptions import InvokeTimeoutError, RateLimitExceededError, RequestErrorBase
from atproto_client.models.common import XrpcError
from atproto_client.models.utils import get_model_as_dict
from atproto_client.request import Request
from atproto_core.exceptions import AtProtocolError
from atproto_core.uri import AtUri
from pydantic import ValidationError

from socialdesk.networks.base import (
    TIMEOUT_SECONDS,
    AccountInfo,
    AccountMetrics,
    Author,
    InboxEntry,
    InboxPage,
    NetworkError,
    OutgoingPost,
    PostMetrics,
    Published,
    count,
    scrub,
)
from socialdesk.networks.entities import bluesky_facets

POST = "app.bsky.feed.post"
PROFILE = "app.bsky.actor.profile"
MAX_CHARACTERS = 300  # graphemes (app.bsky.feed.post text)
MAX_IMAGES = 4
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
TID = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")
# Errors that mean "this session no longer works" rather than "these credentials are wrong".
SESSION_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthMissing", "AuthRequired"})
NOT_FOUND = frozenset({"RecordNotFound", "NotFound"})
INBOX_REASONS = {"mention": "mention", "reply": "reply", "quote": "quote"}  # notification reason -> entry kind
MAX_INBOX_ENTRIES = 1_000  # fetch_inbox returns at most this many per call (the next call continues)
METRICS_BATCH = 25  # uris per app.bsky.feed.getPosts (its maximum)
NOTIFICATION_PAGE = 100  # notifications per listNotifications request (its maximum)
MAX_NOTIFICATION_PAGES = 100  # how far back fetch_inbox looks for its cursor

T = TypeVar("T")


@dataclass(frozen=True)
class _Session:
    """A signed-in client for one account; ``secret`` is a digest of the app password it was made with."""

    client: Client
    did: str
    handle: str
    secret: str


def _digest(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def _xrpc(exc: RequestErrorBase) -> tuple[str, str]:
    """The XRPC error name and message of a refused request ("" when the body was not XRPC)."""
    content = exc.response.content if exc.response is not None else None
    if isinstance(content, XrpcError):
        return content.error or "", content.message or ""
    return "", ""


def _created_at() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class BlueskyAdapter:
    network = "bluesky"

    def __init__(self, timeout: float = TIMEOUT_SECONDS):
        self.timeout = timeout
        self._sessions: dict[tuple[str, str], _Session] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()  # guards the two dicts; each account's sign-in has its own lock

    # --- the NetworkAdapter protocol ---------------------------------------------------------

    def verify(self, *, base_url: str, credentials: dict[str, str]) -> AccountInfo:
        """Sign in (always afresh: this is the check of the credentials) and read the profile's name."""
        session = self._guard(base_url, credentials, lambda: self._session(base_url, credentials, fresh=True))
        display_name = self._display_name(session)
        return AccountInfo(account_id=session.did, handle=session.handle, display_name=display_name,
                           max_characters=MAX_CHARACTERS)

    def publish(self, *, base_url: str, credentials: dict[str, str], post: OutgoingPost) -> Published:
        rkey = post.marker
        if not TID.fullmatch(rkey):
            raise NetworkError(f"the post's marker {rkey!r} is not a record key (TID); nothing was sent",
                               permanent=True)
        return self._with_session(base_url, credentials, lambda s: self._create(s, post, rkey), sending=True)

    def find(self, *, base_url: str, credentials: dict[str, str], post: OutgoingPost) -> Published | None:
        if not TID.fullmatch(post.marker):
            return None  # publish refuses such a marker before sending anything
        return self._with_session(base_url, credentials, lambda s: self._get_post(s, post.marker))

    def delete(self, *, base_url: str, credentials: dict[str, str], remote_id: str) -> None:
        uri = self._parse_uri(remote_id)

        def delete(s: _Session) -> None:
            data = models.ComAtprotoRepoDeleteRecord.Data(repo=s.did, collection=uri.collection, rkey=uri.rkey)
            try:
                s.client.com.atproto.repo.delete_record(data)
            except RequestErrorBase as exc:
                if _xrpc(exc)[0] not in NOT_FOUND:  # the PDS answers 200 for a gone record; some say so
                    raise

        self._with_session(base_url, credentials, delete)

    def refresh(self, *, base_url: str, credentials: dict[str, str]) -> None:
        """App passwords do not expire; an expired session is replaced by signing in again."""
        return None

    def fetch_inbox(self, *, base_url: str, credentials: dict[str, str], cursor: str | None,
                    limit: int = 100) -> InboxPage:
        """Mentions, replies and quotes (app.bsky.notification.listNotifications, served by the AppView
        through the PDS) newer than ``cursor``, oldest first. The cursor is ``"{indexedAt}|{uri}"`` of
        the newest entry returned; the listing is newest first and is paged back until it reaches
        entries at or before the cursor (or, without a cursor, until ``limit`` entries were found).
        When more than MAX_INBOX_ENTRIES are new, the oldest of them are returned and the cursor is
        the last of those (the next call continues)."""
        after = _inbox_key(cursor) if cursor else None
        if cursor and after is None:
            raise NetworkError(f"{cursor!r} is not a Bluesky inbox cursor (indexedAt|uri)", permanent=True)
        wanted = max(1, min(int(limit), MAX_INBOX_ENTRIES)) if after is None else MAX_INBOX_ENTRIES

        def read(s: _Session) -> list[tuple[tuple[datetime, str], Any]]:
            found: dict[str, tuple[tuple[datetime, str], Any]] = {}
            page_cursor = None
            for _ in range(MAX_NOTIFICATION_PAGES):
                params = models.AppBskyNotificationListNotifications.Params(
                    limit=NOTIFICATION_PAGE, cursor=page_cursor, reasons=list(INBOX_REASONS))
                answer = s.client.app.bsky.notification.list_notifications(params)
                reached = False
                for n in answer.notifications:
                    key = (_parse_time(n.indexed_at), n.uri)
                    if after is not None and key <= after:
                        reached = True  # newest first: the rest was seen before
                        continue
                    if n.reason in INBOX_REASONS and n.author.did != s.did:
                        found.setdefault(n.uri, (key, n))
                page_cursor = answer.cursor
                if reached or not page_cursor or not answer.notifications:
                    break
                if after is None and len(found) >= wanted:
                    break
            return sorted(found.values(), key=lambda item: item[0])

        ordered = self._with_session(base_url, credentials, read)
        chosen = ordered[-wanted:] if after is None else ordered[:wanted]
        entries = tuple(_inbox_entry(n) for _, n in chosen)
        if not chosen:
            return InboxPage(entries=(), cursor=cursor)
        last_key, last = chosen[-1]
        return InboxPage(entries=entries, cursor=f"{last.indexed_at}|{last_key[1]}")

    def fetch_metrics(self, *, base_url: str, credentials: dict[str, str],
                      remote_ids: list[str]) -> dict[str, PostMetrics]:
        """Likes, reposts, replies and quotes of these posts (app.bsky.feed.getPosts, 25 a request,
        served by the AppView through the PDS). A post the AppView leaves out is looked up in its
        repository: a record that is not there was deleted (``gone``); one still there is left out
        (the AppView has not indexed it or hides it). Bluesky counts no impressions or clicks."""
        wanted = list(dict.fromkeys(str(r) for r in remote_ids))
        for uri in wanted:
            self._parse_uri(uri)

        def read(s: _Session) -> dict[str, PostMetrics]:
            out: dict[str, PostMetrics] = {}
            for start in range(0, len(wanted), METRICS_BATCH):
                chunk = wanted[start:start + METRICS_BATCH]
                answer = s.client.app.bsky.feed.get_posts(models.AppBskyFeedGetPosts.Params(uris=chunk))
                for view in answer.posts:
                    if view.uri in chunk:
                        out[view.uri] = PostMetrics(remote_id=view.uri, likes=count(view.like_count),
                                                    reposts=count(view.repost_count),
                                                    replies=count(view.reply_count), quotes=count(view.quote_count))
                for uri in (u for u in chunk if u not in out):
                    if self._record_gone(s, uri):
                        out[uri] = PostMetrics(remote_id=uri, gone=True)
            return out

        return self._with_session(base_url, credentials, read)

    def fetch_account(self, *, base_url: str, credentials: dict[str, str]) -> AccountMetrics:
        """Followers, follows and posts of the account (app.bsky.actor.getProfile, from the AppView)."""

        def read(s: _Session) -> AccountMetrics:
            profile = s.client.app.bsky.actor.get_profile(models.AppBskyActorGetProfile.Params(actor=s.did))
            return AccountMetrics(followers=count(profile.followers_count), following=count(profile.follows_count),
                                  posts=count(profile.posts_count))

        return self._with_session(base_url, credentials, read)

    def _record_gone(self, s: _Session, uri: str) -> bool:
        at = self._parse_uri(uri)
        params = models.ComAtprotoRepoGetRecord.Params(repo=at.hostname, collection=at.collection, rkey=at.rkey)
        try:
            s.client.com.atproto.repo.get_record(params)
        except RequestErrorBase as exc:
            status = exc.response.status_code if exc.response is not None else None
            if _xrpc(exc)[0] in NOT_FOUND or status == 404:
                return True
            raise
        return False

    # --- sessions ----------------------------------------------------------------------------

    def _key(self, base_url: str, credentials: dict[str, str]) -> tuple[str, str]:
        return base_url.rstrip("/"), credentials.get("handle", "").strip().removeprefix("@").lower()

    def _session(self, base_url: str, credentials: dict[str, str], *, fresh: bool = False,
                 stale: _Session | None = None) -> _Session:
        """The cached session of this account; signs in when there is none, it was made with another
        password, it is ``stale`` (the one that just failed: another thread may have replaced it
        already), or ``fresh`` is asked for."""
        key = self._key(base_url, credentials)
        password = credentials.get("app_password", "")
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            cached = self._sessions.get(key)
            if cached and not fresh and cached is not stale and cached.secret == _digest(password):
                return cached
            client = Client(base_url=key[0], request=Request(timeout=self.timeout))
            # No profile fetch: it is served by the AppView, which publishing does not need.
            client.login(key[1], password, fetch_bsky_profile=False)
            me = client._session  # the SDK keeps the session's DID and handle here
            session = _Session(client=client, did=me.did, handle=me.handle, secret=_digest(password))
            self._sessions[key] = session
            return session

    def _with_session(self, base_url: str, credentials: dict[str, str], action: Callable[[_Session], T], *,
                      sending: bool = False) -> T:
        """Run ``action`` with the account's session; sign in again once if the PDS no longer accepts it."""

        def run() -> T:
            session = self._session(base_url, credentials)
            try:
                return action(session)
            except RequestErrorBase as exc:
                if not self._session_expired(exc):
                    raise
            return action(self._session(base_url, credentials, stale=session))

        return self._guard(base_url, credentials, run, sending=sending)

    @staticmethod
    def _session_expired(exc: RequestErrorBase) -> bool:
        status = exc.response.status_code if exc.response is not None else None
        return status == 401 or _xrpc(exc)[0] in SESSION_ERRORS

    def _guard(self, base_url: str, credentials: dict[str, str], call: Callable[[], T], *,
               sending: bool = False) -> T:
        """``call()``, with every failure turned into a NetworkError whose message holds no credential."""
        try:
            return call()
        except NetworkError as exc:
            exc.message = scrub(exc.message, credentials)
            exc.args = (exc.message,)
            raise
        except (AtProtocolError, httpx.HTTPError, ValidationError, ValueError, KeyError, AttributeError) as exc:
            err = self._network_error(exc, base_url, sending=sending)
        err.message = scrub(err.message, credentials)
        err.args = (err.message,)
        raise err from None

    def _network_error(self, exc: Exception, base_url: str, *, sending: bool) -> NetworkError:
        """What went wrong, as the caller decides on it: retry, wait, ask for a new app password, give up."""
        if isinstance(exc, InvokeTimeoutError | httpx.TimeoutException):
            return NetworkError(f"{base_url} did not answer within {self.timeout:g} s", unknown_outcome=sending)
        response = getattr(exc, "response", None)
        if isinstance(exc, RequestErrorBase | httpx.HTTPError) and response is None:
            cause = exc.__cause__ or exc
            return NetworkError(f"could not reach {base_url}: {_first_line(cause)}", unknown_outcome=sending)
        if not isinstance(exc, RequestErrorBase) or response is None:
            return NetworkError(f"unexpected answer from {base_url}: {_first_line(exc)}", unknown_outcome=sending)
        status = response.status_code
        name, text = _xrpc(exc)
        said = f"{status} {name}: {text}" if name else str(status)
        if status == 429:
            wait = _retry_after(exc)
            return NetworkError(f"429 {name or 'RateLimitExceeded'}: the PDS is rate limiting; try again in {wait} s",
                                status=429, retry_after=wait)
        if status == 401 or name in SESSION_ERRORS or name == "AuthenticationRequired":
            return NetworkError(f"{said}; check the handle and the app password", status=401)
        if status == 403:
            return NetworkError(f"{said}; the account may not post (suspended, taken down or deactivated)", status=403)
        if status >= 500:
            return NetworkError(said, status=status, unknown_outcome=sending)
        # 400 InvalidRequest, 413 too large ...: the PDS refuses this content; the same again will not pass.
        return NetworkError(said, status=status, permanent=sending and status in (400, 413))

    # --- publishing --------------------------------------------------------------------------

    def _create(self, s: _Session, post: OutgoingPost, rkey: str) -> Published:
        record = self._record(s, post)
        data = models.ComAtprotoRepoCreateRecord.Data(repo=s.did, collection=POST, rkey=rkey, record=record)
        try:
            created = s.client.com.atproto.repo.create_record(data)
        except RequestErrorBase as exc:
            if self._session_expired(exc) or isinstance(exc, RateLimitExceededError):
                raise
            # A record already under this key means an earlier attempt succeeded; the reference PDS
            # answers that repeat with a 500, others may say 400 or 409.
            try:
                existing = self._get_post(s, rkey)
            except (AtProtocolError, httpx.HTTPError):
                existing = None
            if existing:
                return existing
            raise
        return self._published(s, created.uri, created.cid)

    def _record(self, s: _Session, post: OutgoingPost) -> dict[str, Any]:
        """The app.bsky.feed.post record: text, facets (resolved mentions only), embed, reply, langs."""
        resolved: dict[str, str | None] = {}

        def resolve(handle: str) -> str | None:
            if handle.lower() not in resolved:
                resolved[handle.lower()] = self._resolve_handle(s, handle)
            return resolved[handle.lower()]

        facets, _unresolved = bluesky_facets(post.text, resolve)
        record: dict[str, Any] = {"$type": POST, "text": post.text, "createdAt": _created_at()}
        if facets:
            record["facets"] = facets
        langs = list(post.langs)[:3]
        if langs:
            record["langs"] = langs
        embed = self._embed(s, post)
        if embed:
            record["embed"] = embed
        if post.reply_to:
            record["reply"] = _known_reply_ref(post) or self._reply_ref(s, post.reply_to, post.reply_root)
        return record

    def _resolve_handle(self, s: _Session, handle: str) -> str | None:
        """The DID of a handle; None when it does not resolve (the mention then stays plain text)."""
        try:
            params = models.ComAtprotoIdentityResolveHandle.Params(handle=handle)
            return s.client.com.atproto.identity.resolve_handle(params).did
        except RequestErrorBase as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status == 400 or status == 404:
                return None
            raise
        except (ValidationError, ValueError):
            return None  # not a handle by atproto's syntax

    def _embed(self, s: _Session, post: OutgoingPost) -> dict[str, Any] | None:
        images = [m for m in post.media if m.mime_type in IMAGE_TYPES]
        videos = [m for m in post.media if m.mime_type == "video/mp4"]
        others = [m.mime_type for m in post.media if m not in images and m not in videos]
        if others:
            raise NetworkError(f"Bluesky cannot attach {', '.join(sorted(set(others)))}; "
                               "use JPEG, PNG, GIF or WebP images or one MP4 video", permanent=True)
        if videos and (images or len(videos) > 1):
            raise NetworkError("Bluesky takes either up to 4 images or one video per post, not both or more",
                               permanent=True)
        if len(images) > MAX_IMAGES:
            raise NetworkError(f"Bluesky takes at most {MAX_IMAGES} images per post ({len(images)} given)",
                               permanent=True)
        if videos:
            video = videos[0]
            embed = {"$type": "app.bsky.embed.video", "video": self._upload(s, video.path, video.mime_type)}
            if video.alt_text:
                embed["alt"] = video.alt_text
            return {**embed, **_aspect_ratio(video)}
        if images:
            return {"$type": "app.bsky.embed.images", "images": [
                {"image": self._upload(s, m.path, m.mime_type), "alt": m.alt_text or "", **_aspect_ratio(m)}
                for m in images
            ]}
        if post.link:
            # A card without fetching the page: the link is its own title.
            return {"$type": "app.bsky.embed.external",
                    "external": {"uri": post.link, "title": post.link, "description": ""}}
        return None

    def _upload(self, s: _Session, path: str, mime_type: str) -> dict[str, Any]:
        try:
            content = Path(path).read_bytes()
        except OSError as exc:
            raise NetworkError(f"cannot read the media file {path}: {exc.strerror or exc}", permanent=True) from None
        answer = s.client.com.atproto.repo.upload_blob(content, headers={"Content-Type": mime_type})
        return get_model_as_dict(answer.blob)

    def _reply_ref(self, s: _Session, reply_to: str, reply_root: str | None) -> dict[str, Any]:
        """Parent and root as strong refs; the root is the parent's own root when not given."""
        parent, parent_value = self._strong_ref(s, reply_to)
        if reply_root and reply_root != reply_to:
            root, _ = self._strong_ref(s, reply_root)
        elif reply_root:
            root = parent
        else:
            own_root = (parent_value.get("reply") or {}).get("root")
            root = {"uri": own_root["uri"], "cid": own_root["cid"]} if own_root else parent
        return {"root": root, "parent": parent}

    def _strong_ref(self, s: _Session, uri: str) -> tuple[dict[str, str], dict[str, Any]]:
        at = self._parse_uri(uri)
        params = models.ComAtprotoRepoGetRecord.Params(repo=at.hostname, collection=at.collection, rkey=at.rkey)
        try:
            answer = s.client.com.atproto.repo.get_record(params)
        except RequestErrorBase as exc:
            if _xrpc(exc)[0] in NOT_FOUND:
                raise NetworkError(f"the post to reply to is gone ({uri})", status=400, permanent=True) from None
            raise
        value = answer.value if isinstance(answer.value, dict) else get_model_as_dict(answer.value)
        return {"uri": answer.uri, "cid": answer.cid}, value

    def _get_post(self, s: _Session, rkey: str) -> Published | None:
        params = models.ComAtprotoRepoGetRecord.Params(repo=s.did, collection=POST, rkey=rkey)
        try:
            answer = s.client.com.atproto.repo.get_record(params)
        except RequestErrorBase as exc:
            status = exc.response.status_code if exc.response is not None else None
            if _xrpc(exc)[0] in NOT_FOUND or status == 404:
                return None
            raise
        return self._published(s, answer.uri, answer.cid)

    def _published(self, s: _Session, uri: str, cid: str | None) -> Published:
        rkey = AtUri.from_str(uri).rkey
        return Published(remote_id=uri, url=f"https://bsky.app/profile/{s.handle}/post/{rkey}",
                         extra={"cid": cid or ""})

    def _display_name(self, s: _Session) -> str:
        """The profile record's display name, read from the PDS (no AppView needed); "" when there is none."""
        params = models.ComAtprotoRepoGetRecord.Params(repo=s.did, collection=PROFILE, rkey="self")
        try:
            value = s.client.com.atproto.repo.get_record(params).value
        except (AtProtocolError, httpx.HTTPError, ValidationError):
            return ""
        value = value if isinstance(value, dict) else get_model_as_dict(value)
        return str(value.get("displayName") or "")

    @staticmethod
    def _parse_uri(uri: str) -> AtUri:
        try:
            at = AtUri.from_str(uri)
        except (AtProtocolError, ValueError):
            at = None
        if not at or not at.collection or not at.rkey:
            raise NetworkError(f"{uri!r} is not the at:// URI of a post", permanent=True)
        return at


def _parse_time(value: Any) -> datetime:
    """An atproto datetime (ISO 8601) as an aware UTC datetime; the epoch when it cannot be read."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.fromtimestamp(0, UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _inbox_key(cursor: str) -> tuple[datetime, str] | None:
    """Our inbox cursor ``"{indexedAt}|{uri}"`` as the (time, uri) it orders notifications by."""
    stamp, sep, uri = cursor.partition("|")
    if not sep or not uri.startswith("at://"):
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)), uri


def _inbox_entry(n: Any) -> InboxEntry:
    """A mention / reply / quote notification as an inbox entry (text and thread from its record)."""
    record = n.record if isinstance(n.record, dict) else get_model_as_dict(n.record)
    author = n.author
    followers = getattr(author, "followers_count", None)
    handle = str(author.handle or "")
    reply = record.get("reply") or {}
    parent = (reply.get("parent") or {}).get("uri")
    root = (reply.get("root") or {}).get("uri") or parent
    # A reply to this entry needs its strong ref and its thread root's (the entry itself when it starts one).
    root_ref = reply.get("root") if (reply.get("root") or {}).get("cid") else {"uri": n.uri, "cid": n.cid}
    extra = {"cid": str(n.cid or ""), "root_uri": str(root_ref["uri"]), "root_cid": str(root_ref["cid"] or "")}
    langs = record.get("langs") or []
    rkey = n.uri.rsplit("/", 1)[-1]
    return InboxEntry(
        remote_id=n.uri,
        kind=INBOX_REASONS[n.reason],
        author=Author(remote_id=author.did, handle=handle, display_name=str(author.display_name or ""),
                      url=f"https://bsky.app/profile/{handle or author.did}",
                      followers=followers if isinstance(followers, int) else None),
        text=str(record.get("text") or ""),
        created_at=_parse_time(record.get("createdAt") or n.indexed_at),
        url=f"https://bsky.app/profile/{handle or author.did}/post/{rkey}",
        in_reply_to=str(parent) if parent else None,
        thread_root=str(root) if root else n.uri,
        lang=str(langs[0]) if langs else None,
        extra=extra,
    )


def _known_reply_ref(post: OutgoingPost) -> dict[str, Any] | None:
    """The reply's parent and root from what the inbox stored (``reply_extra``), None when incomplete."""
    known = post.reply_extra
    if not (known.get("cid") and known.get("root_uri") and known.get("root_cid")):
        return None
    return {"root": {"uri": known["root_uri"], "cid": known["root_cid"]},
            "parent": {"uri": post.reply_to, "cid": known["cid"]}}


def _aspect_ratio(media) -> dict[str, Any]:
    if media.width and media.height and media.width > 0 and media.height > 0:
        return {"aspectRatio": {"width": int(media.width), "height": int(media.height)}}
    return {}


def _retry_after(exc: RequestErrorBase) -> int:
    """Seconds to wait: ``ratelimit-reset`` (epoch seconds) or ``retry-after``; 60 when neither is there."""
    headers = exc.response.headers if exc.response is not None else {}
    try:
        reset = int(headers.get("ratelimit-reset", ""))
        return max(1, reset - int(time.time()))
    except ValueError:
        pass
    try:
        return max(1, int(float(headers.get("retry-after", ""))))
    except ValueError:
        return 60


def _first_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:300]

