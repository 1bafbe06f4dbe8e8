"""Mastodon (any instance) through Mastodon.py: verify a token, read the instance's limits, publish.

Publishing sends the post's marker as ``Idempotency-Key``: the instance answers a repeated request
with the status it already made (for an hour), and :meth:`MastodonAdapter.find` looks through the
account's recent statuses for anything older.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from mastodon import Mastodon, MastodonAPIError, MastodonError, MastodonNetworkError, MastodonRatelimitError
from mastodon import MastodonNotFoundError

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
    TokenRefresh,
    count,
    scrub,
)
from socialdesk.networks.text import limits_from_instance


def _api_error(exc: MastodonAPIError) -> NetworkError:
    # Mastodon.py raises with args (message, status, reason, error text from the instance).
    args = list(exc.args) + [None] * 4
    status = args[1] if isinstance(args[1], int) else None
    text = args[3] or args[2] or "the instance refused the request"
    return NetworkError(f"{status} {text}" if status else str(text), status=status, retry_after=300 if status == 429 else None)


MAX_FIND_PAGES = 50  # 2,000 statuses back at most
MAX_INBOX_ENTRIES = 1_000  # fetch_inbox returns at most this many per call (the next call continues)
MAX_PAGE = 40  # Mastodon answers at most 40 notifications per request


# A reply is never more public than what it answers (Mastodon's own apps do the same).
REPLY_VISIBILITY = frozenset({"direct", "private", "unlisted"})


class MastodonAdapter:
    network = "mastodon"
    private_replies = True  # an answer to a direct message can stay direct
    mention_in_replies = True  # only those @-mentioned are notified, so a reply names its author

    def __init__(self, timeout: float = TIMEOUT_SECONDS):
        self.timeout = timeout
        self._local = threading.local()

    def _client(self, base_url: str, token: str) -> Mastodon:
        """A client per (instance, token) and thread, kept so its HTTP connection is reused."""
        cache = getattr(self._local, "clients", None)
        if cache is None:
            cache = self._local.clients = {}
        key = (base_url, hashlib.sha256(token.encode()).hexdigest())
        api = cache.get(key)
        if api is None:
            if len(cache) >= 64:
                cache.clear()
            http = requests.Session()
            http.hooks["response"].append(self._note_retry_after)
            api = cache[key] = Mastodon(
                access_token=token,
                api_base_url=base_url,
                request_timeout=self.timeout,
                version_check_mode="none",  # no extra call to learn the version
                ratelimit_method="throw",
                session=http,
            )
        return api

    def _note_retry_after(self, response, *args, **kwargs):
        """Keep a 429's ``Retry-After`` (Mastodon.py reads only X-RateLimit-Reset)."""
        if response.status_code == 429:
            self._local.retry_after = response.headers.get("Retry-After")
        return response

    def _wait_seconds(self, api) -> int:
        """How long a 429 asked us to wait: Retry-After, else X-RateLimit-Reset, else a minute."""
        noted, self._local.retry_after = getattr(self._local, "retry_after", None), None
        try:
            if noted is not None:
                return max(1, int(float(noted)))
        except ValueError:
            try:
                return max(1, int(parsedate_to_datetime(noted).timestamp() - time.time()))
            except (TypeError, ValueError):
                pass
        reset = getattr(api, "ratelimit_reset", None)
        if isinstance(reset, int | float) and reset > time.time():
            return max(1, int(reset - time.time()))
        return 60

    @contextmanager
    def _calls(self, base_url: str, credentials: dict[str, str], *, sending: bool = False) -> Iterator[Mastodon]:
        """A client whose errors come out as NetworkError. ``sending``: the call creates something,
        so a timeout or a server error leaves the outcome unknown."""
        api = None
        try:
            api = self._client(base_url, credentials.get("access_token", ""))
            yield api
        except MastodonNetworkError as exc:
            raise NetworkError(scrub(f"could not reach {base_url}: {_first_line(exc)}", credentials), status=None,
                               unknown_outcome=sending) from None
        except MastodonRatelimitError:
            wait = self._wait_seconds(api)
            raise NetworkError(f"429 Too many requests: the instance is rate limiting; try again in {wait} s",
                               status=429, retry_after=wait) from None
        except MastodonAPIError as exc:
            err = _api_error(exc)
            err.message = scrub(err.message, credentials)
            err.args = (err.message,)
            if err.status is not None and err.status >= 500:
                err.unknown_outcome = sending
            elif err.status in (400, 404, 413, 415, 422):
                err.permanent = True
            raise err from None
        except (MastodonError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise NetworkError(scrub(f"unexpected answer from {base_url}: {_first_line(exc)}", credentials),
                               status=None, unknown_outcome=sending) from None

    def verify(self, *, base_url: str, credentials: dict[str, str]) -> AccountInfo:
        with self._calls(base_url, credentials) as api:
            account: Any = api.account_verify_credentials()
            handle = str(account.get("acct") or account.get("username") or "")
            info = dict(account_id=str(account["id"]), handle=handle, display_name=str(account.get("display_name") or ""))
        return AccountInfo(**info, max_characters=self._max_characters(api))

    def publish(self, *, base_url: str, credentials: dict[str, str], post: OutgoingPost) -> Published:
        media_ids = []
        with self._calls(base_url, credentials) as api:
            for item in post.media:  # an orphan upload after a crash is harmless: the instance drops it
                attachment = api.media_post(item.path, mime_type=item.mime_type, description=item.alt_text or None,
                                            synchronous=True)
                media_ids.append(attachment["id"])
        with self._calls(base_url, credentials, sending=True) as api:
            visibility = post.reply_extra.get("visibility") if post.reply_to else None
            status = api.status_post(post.text, in_reply_to_id=post.reply_to, media_ids=media_ids or None,
                                     idempotency_key=post.marker,
                                     visibility=visibility if visibility in REPLY_VISIBILITY else None)
        return _published(status)

    def find(self, *, base_url: str, credentials: dict[str, str], post: OutgoingPost) -> Published | None:
        """The account's status with this text made since ``post.not_before``, if any (newest first,
        page by page, until the statuses are older than that)."""
        wanted = _plain(post.text)
        with self._calls(base_url, credentials) as api:
            me = api.account_verify_credentials()
            page = api.account_statuses(me["id"], limit=40)
            for _ in range(MAX_FIND_PAGES):
                if not page:
                    break
                for status in page:
                    created = status.get("created_at")
                    if isinstance(created, datetime):
                        created = created if created.tzinfo else created.replace(tzinfo=UTC)
                        if created < post.not_before:
                            return None  # newest first: nothing older can be ours
                    same_reply = str(status.get("in_reply_to_id") or "") == str(post.reply_to or "")
                    if same_reply and _plain(_text_of(status.get("content") or "")) == wanted:
                        return _published(status)
                page = api.fetch_next(page)
        return None

    def delete(self, *, base_url: str, credentials: dict[str, str], remote_id: str) -> None:
        try:
            with self._calls(base_url, credentials) as api:
                api.status_delete(remote_id)
        except NetworkError as exc:
            if exc.status != 404:
                raise

    def refresh(self, *, base_url: str, credentials: dict[str, str]) -> TokenRefresh | None:
        return None  # Mastodon access tokens do not expire; a revoked one needs the user

    def fetch_inbox(self, *, base_url: str, credentials: dict[str, str], cursor: str | None,
                    limit: int = 100) -> InboxPage:
        """Mentions (GET /api/v1/notifications?types[]=mention, direct messages to the account among
        them) and direct-message conversations (GET /api/v1/conversations) newer than ``cursor``,
        oldest first, each status once.

        The cursor is JSON ``{"notifications": id, "conversations": id}``: the newest notification
        read, and the newest conversation's last status (conversations are paged by it). A plain id
        (the cursor before conversations were read) is the notifications part. Notifications page
        upwards with ``min_id`` (each page is the notifications right above the last one seen, so none
        is skipped) until there is nothing newer or MAX_INBOX_ENTRIES were read; without a cursor
        (the first sync) they are the newest ``limit``. Conversations are read the same way, but the
        first sync only notes where they stand: the direct messages it brings are those among the
        mentions (the conversations list adds the ones the instance's notification filters held back,
        and only a conversation's last status: earlier ones arrive as mentions). What cannot be read
        (no id, an unreadable date) is skipped and named in ``InboxPage.skipped``."""
        try:
            parts = _cursor_parts(cursor)
        except ValueError as exc:
            raise NetworkError(str(exc), permanent=True) from None
        skipped: list[str] = []
        with self._calls(base_url, credentials) as api:
            notifications = self._mentions(api, parts.get("notifications"), limit, skipped)
            conversations, conversations_cursor = self._conversations(api, parts.get("conversations"), skipped)
            found: dict[str, InboxEntry] = {}
            for notification in notifications:
                entry = _readable(lambda n=notification: _inbox_entry(n), f"notification {notification['id']}", skipped)
                if entry is not None:
                    found[entry.remote_id] = entry
            for conversation in conversations:
                entry = _readable(lambda c=conversation: _conversation_entry(c), f"conversation {conversation['id']}",
                                  skipped)
                if entry is not None:  # the same status as a mention: one entry, with the conversation's id
                    known = found.get(entry.remote_id)
                    found[entry.remote_id] = replace(known or entry, extra={**(known.extra if known else {}),
                                                                            **entry.extra})
        if notifications:
            parts["notifications"] = str(notifications[-1]["id"])
        elif not parts.get("notifications"):
            parts["notifications"] = "0"  # none yet: every later one is new
        if conversations_cursor:
            parts["conversations"] = conversations_cursor
        entries = sorted(found.values(), key=lambda e: (e.created_at, _id_key(e.remote_id)))
        return InboxPage(entries=tuple(entries), cursor=_cursor_text(parts), skipped=tuple(skipped))

    def later_cursor(self, old: str, new: str) -> str:
        """The later of two inbox cursors, part by part (raises ValueError when one is not ours)."""
        a, b = _cursor_parts(old), _cursor_parts(new)
        keys = [k for k in CURSOR_PARTS if a.get(k) or b.get(k)]
        return _cursor_text({k: max((v for v in (a.get(k), b.get(k)) if v), key=_id_key) for k in keys}) or new

    def _mentions(self, api: Mastodon, after: str | None, limit: int, skipped: list[str]) -> list[Any]:
        """Mention notifications after ``after`` (oldest first, each once; see fetch_inbox)."""
        size = max(1, min(int(limit), MAX_PAGE))
        read: list[Any] = []  # notifications, oldest first
        if after is None:
            wanted = max(1, min(int(limit), MAX_INBOX_ENTRIES))
            page = _with_ids(api.notifications(types=["mention"], limit=min(size, wanted)), "notification", skipped)
            newest_first: list[Any] = []
            while page:
                newest_first.extend(page)
                if len(newest_first) >= wanted or len(page) < min(size, wanted):
                    break
                page = _with_ids(api.notifications(types=["mention"], max_id=_oldest_id(page),
                                                   limit=min(size, wanted - len(newest_first))),
                                 "notification", skipped)
            return _by_id(newest_first)[-wanted:]
        while len(read) < MAX_INBOX_ENTRIES:
            ask = min(size, MAX_INBOX_ENTRIES - len(read))
            page = _by_id(_with_ids(api.notifications(types=["mention"], min_id=after, limit=ask), "notification",
                                    skipped))
            page = [n for n in page if _id_key(n["id"]) > _id_key(after)]  # never the cursor's own
            if not page:
                break
            read.extend(page)
            after = str(page[-1]["id"])
            if len(page) < ask:
                break
        return read

    def _conversations(self, api: Mastodon, after: str | None, skipped: list[str]) -> tuple[list[Any], str | None]:
        """Direct-message conversations whose last status is after ``after``, oldest first, and the
        newest last status id read; without ``after`` none, and the newest's (where the cursor starts)."""
        if after is None:
            newest = _by_last_status(_with_ids(api.conversations(limit=1), "conversation", skipped))
            return [], (_last_status_id(newest[-1]) if newest else "0")  # none yet: every later one is new
        read: list[Any] = []
        while len(read) < MAX_INBOX_ENTRIES:
            ask = min(MAX_PAGE, MAX_INBOX_ENTRIES - len(read))
            page = _by_last_status(_with_ids(api.conversations(min_id=after, limit=ask), "conversation", skipped))
            page = [c for c in page if _id_key(_last_status_id(c)) > _id_key(after)]
            if not page:
                break
            read.extend(page)
            after = _last_status_id(page[-1])
            if len(page) < ask:
                break
        return read, (_last_status_id(read[-1]) if read else None)

    def fetch_metrics(self, *, base_url: str, credentials: dict[str, str],
                      remote_ids: list[str]) -> dict[str, PostMetrics]:
        """Favourites, boosts, replies (and quotes, from Mastodon 4.5) of these statuses: GET
        /api/v1/statuses?id[]= in batches of 20, and GET /api/v1/statuses/:id for each one the batch
        left out (a 404 there: the status was deleted). An instance older than 4.3 (no batch
        endpoint) is asked one status at a time. Mastodon counts no impressions or clicks."""
        out: dict[str, PostMetrics] = {}
        wanted = list(dict.fromkeys(str(r) for r in remote_ids))
        with self._calls(base_url, credentials) as api:
            batched = True
            for start in range(0, len(wanted), METRICS_BATCH):
                chunk = wanted[start:start + METRICS_BATCH]
                if batched:
                    try:
                        statuses = api.statuses(chunk)
                    except MastodonAPIError as exc:
                        if _api_error(exc).status not in (404, 405):
                            raise
                        batched = False  # an instance before 4.3
                    else:
                        for status in statuses or []:
                            if isinstance(status, dict) and str(status.get("id")) in chunk:
                                out[str(status["id"])] = _post_metrics(status)
                for remote_id in (r for r in chunk if r not in out):
                    try:
                        out[remote_id] = _post_metrics(api.status(remote_id))
                    except MastodonNotFoundError:
                        out[remote_id] = PostMetrics(remote_id=remote_id, gone=True)
        return out

    def fetch_account(self, *, base_url: str, credentials: dict[str, str]) -> AccountMetrics:
        """Followers, following and statuses of the token's account (GET /api/v1/accounts/verify_credentials)."""
        with self._calls(base_url, credentials) as api:
            account: Any = api.account_verify_credentials()
            return AccountMetrics(followers=count(account.get("followers_count")),
                                  following=count(account.get("following_count")),
                                  posts=count(account.get("statuses_count")))

    @staticmethod
    def _max_characters(api: Mastodon) -> int | None:
        """The instance's post limit from GET /api/v2/instance; None when it does not say (the token still works)."""
        try:
            return limits_from_instance(_as_dict(api.instance_v2())).max_characters
        except (MastodonError, ValueError, TypeError, KeyError, AttributeError):
            return None


_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>", re.I)
_TAG = re.compile(r"<[^>]+>")


def _text_of(content: str) -> str:
    """A status's HTML content as the plain text that was posted (line breaks as spaces)."""
    return html.unescape(_TAG.sub("", _BREAK.sub(" ", content)))


def _plain(text: str) -> str:
    return " ".join(text.split())


METRICS_BATCH = 20  # ids per GET /api/v1/statuses (Mastodon's limit)


def _post_metrics(status: Any) -> PostMetrics:
    return PostMetrics(remote_id=str(status["id"]), likes=count(status.get("favourites_count")),
                       reposts=count(status.get("reblogs_count")), replies=count(status.get("replies_count")),
                       quotes=count(status.get("quotes_count")))


def _published(status: Any) -> Published:
    return Published(remote_id=str(status["id"]), url=str(status.get("url") or status.get("uri") or ""))


def _id_key(value: Any) -> tuple[int, str]:
    """Orders Mastodon ids (numeric strings of any length) as numbers."""
    text = str(value)
    return (len(text.lstrip("0")), text.lstrip("0")) if text.isdigit() else (len(text), text)


def _by_id(notifications: Any) -> list[Any]:
    """Notifications oldest first, each id once."""
    seen: dict[str, Any] = {}
    for n in notifications or []:
        seen.setdefault(str(n["id"]), n)
    return sorted(seen.values(), key=lambda n: _id_key(n["id"]))


def _oldest_id(notifications: Any) -> str:
    return str(min((n["id"] for n in notifications), key=_id_key))


def _inbox_entry(notification: Any) -> InboxEntry | None:
    """A mention notification as an inbox entry (None when its status is gone)."""
    status = notification.get("status")
    if not status:
        return None
    account = status.get("account") or notification.get("account") or {}
    followers = account.get("followers_count")
    author = Author(
        remote_id=str(account.get("id") or ""),
        handle=str(account.get("acct") or account.get("username") or ""),
        display_name=str(account.get("display_name") or ""),
        url=str(account.get("url") or ""),
        followers=int(followers) if isinstance(followers, int) and not isinstance(followers, bool) else None,
    )
    if status.get("id") in (None, ""):  # Mastodon.py fills a missing field with None
        raise KeyError("id")
    status_id = str(status["id"])
    in_reply_to = str(status["in_reply_to_id"]) if status.get("in_reply_to_id") else None
    if status.get("visibility") == "direct":
        kind = "dm"
    elif in_reply_to:
        kind = "reply"
    else:
        kind = "mention"
    created = status.get("created_at") or notification.get("created_at")
    if isinstance(created, str):
        created = datetime.fromisoformat(created.replace("Z", "+00:00"))
    if not isinstance(created, datetime):  # Mastodon.py turns an unreadable date into None
        raise ValueError("no readable date")
    created = created.replace(tzinfo=UTC) if created.tzinfo is None else created.astimezone(UTC)
    return InboxEntry(
        remote_id=status_id,
        kind=kind,
        author=author,
        text=_text_of(str(status.get("content") or "")).strip(),
        created_at=created,
        url=str(status.get("url") or status.get("uri") or ""),
        in_reply_to=in_reply_to,
        thread_root=_dm_root(status) if kind == "dm" else in_reply_to or status_id,
        lang=str(status["language"]) if status.get("language") else None,
        extra={"visibility": str(status.get("visibility") or "public")},
    )


# -- direct messages, reading defensively, the cursor --------------------------------------------

CURSOR_PARTS = ("notifications", "conversations")


def _cursor_parts(cursor: str | None) -> dict[str, str]:
    """The inbox cursor's parts; a plain id (the form before conversations were read) is the
    notifications part. ValueError when it is neither."""
    text = (cursor or "").strip()
    if not text:
        return {}
    if not text.startswith("{"):
        return {"notifications": text}
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not all(k in CURSOR_PARTS and isinstance(v, str) and v for k, v in data.items()):
        raise ValueError(f"{text[:120]!r} is not a Mastodon inbox cursor "
                         '({"notifications": id, "conversations": id} or a notification id)')
    return dict(data)


def _cursor_text(parts: dict[str, str]) -> str | None:
    known = {k: parts[k] for k in CURSOR_PARTS if parts.get(k)}
    return json.dumps(known, separators=(",", ":")) if known else None


def _with_ids(items: Any, what: str, skipped: list[str]) -> list[Any]:
    """The items that have an id; the others are named in ``skipped``. Not a list at all: ValueError
    (a wholly bad page is an error, one bad item is not)."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValueError(f"the {what}s are not a list")
    good = []
    for position, item in enumerate(items):
        value = item.get("id") if isinstance(item, dict) else None
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            good.append(item)
        else:
            skipped.append(f"{what} {position + 1} of a page: no id")
    return good


def _last_status_id(conversation: Any) -> str:
    return str(conversation["last_status"]["id"])


def _by_last_status(conversations: list[Any]) -> list[Any]:
    """Conversations with a last status, oldest last status first (each once)."""
    found: dict[str, Any] = {}
    for c in conversations:
        last = c.get("last_status")
        if isinstance(last, dict) and last.get("id") is not None:
            found.setdefault(str(c["id"]), c)
    return sorted(found.values(), key=lambda c: _id_key(_last_status_id(c)))


def _conversation_entry(conversation: Any) -> InboxEntry | None:
    """A conversation's last status as a direct message (None when the account wrote it itself)."""
    last = conversation.get("last_status")
    others = {str(a.get("id")) for a in conversation.get("accounts") or [] if isinstance(a, dict)}
    if str((last.get("account") or {}).get("id") or "") not in others:
        return None  # ours: the conversation lists the other participants only
    entry = _inbox_entry({"status": last})
    if entry is None:
        return None
    return replace(entry, kind="dm", thread_root=_dm_root(last),
                   extra={**entry.extra, "conversation_id": str(conversation["id"])})


def _dm_root(status: Any) -> str:
    """A direct message's conversation key: its participants (author and those mentioned). The same
    from a mention notification as from the conversations list, and stable while Mastodon's
    conversation id may change as messages come."""
    ids = {str((status.get("account") or {}).get("id") or "")}
    ids |= {str(m.get("id")) for m in status.get("mentions") or [] if isinstance(m, dict) and m.get("id") is not None}
    key = "dm:" + ",".join(sorted(ids - {""}, key=_id_key))
    return key if len(key) <= 200 else "dm:" + hashlib.sha256(key.encode()).hexdigest()


def _readable(make, label: str, skipped: list[str]) -> InboxEntry | None:
    """``make()``, or None with the reason in ``skipped`` when the payload cannot be read."""
    try:
        return make()
    except KeyError as exc:
        skipped.append(f"{label}: no {exc.args[0] if exc.args else 'field'}")
    except (TypeError, ValueError, AttributeError) as exc:
        skipped.append(f"{label}: unreadable ({_first_line(exc)[:100]})")
    return None


def _first_line(exc: Exception) -> str:
    text = " ".join(str(a) for a in exc.args) if exc.args else type(exc).__name__
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _as_dict(value: Any) -> dict:
    """Mastodon.py's AttribAccessDict (or a plain dict) as plain nested dicts."""
    if isinstance(value, dict):
        return {k: _as_dict(v) for k, v in value.items()}
    return value
