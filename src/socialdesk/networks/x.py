"""X (Twitter) through API v2 with OAuth 2.0 user-context tokens (Authorization Code with PKCE).

X has no idempotency key and no field that could carry our marker, so an attempt whose outcome is
unknown (a timeout or a 5xx on POST /2/tweets) is settled by :meth:`XAdapter.find`: the account's
posts since the first attempt, compared by text as X stores it (every URL shortened to a t.co link,
media as trailing t.co links). X refusing "duplicate content" is read the same way: an earlier
attempt got through. Media go up first; X drops unused uploads, so an orphan after a crash is
harmless. The token needs the scopes tweet.read, tweet.write, users.read and media.write (and
offline.access for a refresh token).
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import os
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from socialdesk.networks import entities
from socialdesk.networks.base import (
    TIMEOUT_SECONDS,
    AccountInfo,
    AccountMetrics,
    Author,
    InboxEntry,
    InboxPage,
    MediaItem,
    NetworkError,
    OutgoingPost,
    PostMetrics,
    Published,
    TokenRefresh,
    count,
    scrub,
)

MAX_CHARACTERS = 280  # weighted, as networks/text.py counts (X Premium's longer posts are not assumed)
CHUNK_BYTES = 4 * 1024 * 1024  # X takes at most 5 MB per APPEND
PROCESSING_TIMEOUT = 120.0  # seconds to wait for X to process a video before giving up on this attempt
TIMELINE_PAGES = 3  # find() reads at most this many pages of 100 posts
MAX_INBOX_ENTRIES = 1_000  # fetch_inbox returns at most this many per call (the next call continues)
MENTION_PAGES = 20  # X serves the 800 most recent mentions; this bounds a misbehaving next_token
MENTION_PARAMS = {
    "expansions": "author_id,referenced_tweets.id",
    "user.fields": "username,name,public_metrics",
    "tweet.fields": "created_at,conversation_id,in_reply_to_user_id,referenced_tweets,lang",
}
DM_PAGES = 20  # X keeps 30 days of direct messages; this bounds a misbehaving next_token
DM_PARAMS = {  # GET /2/dm_events: every conversation's messages, newest first
    "event_types": "MessageCreate",
    "dm_event.fields": "id,text,event_type,created_at,dm_conversation_id,sender_id,participant_ids,referenced_tweets",
    "expansions": "sender_id",
    "user.fields": "username,name,public_metrics",
}
DEFAULT_RETRY_AFTER = 60
PENDING = frozenset({"pending", "in_progress"})
SIMPLE_IMAGES = frozenset({"image/jpeg", "image/png", "image/webp", "image/bmp", "image/tiff"})

_TCO = re.compile(r"https?://t\.co/[A-Za-z0-9]+")
_LEADING_MENTIONS = re.compile(r"^(?:@\w{1,15}\s+)+")
_URL_MARK = "\x00"  # stands for one URL while texts are compared


class XAdapter:
    network = "x"

    def __init__(
        self,
        timeout: float = TIMEOUT_SECONDS,
        *,
        chunk_bytes: int = CHUNK_BYTES,
        processing_timeout: float = PROCESSING_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ):
        self.timeout = timeout
        self.chunk_bytes = chunk_bytes
        self.processing_timeout = processing_timeout
        self.sleep = sleep
        self.clock = clock
        # Who each token belongs to (keyed by a digest, never the token): publish needs the username
        # for the post's URL and find the user id, and GET /2/users/me has its own rate limit.
        self._accounts: dict[str, AccountInfo] = {}
        self._lock = threading.Lock()

    # -- plumbing --------------------------------------------------------------------------------

    @contextmanager
    def _calls(self, base_url: str, credentials: dict[str, str], *, sending: bool = False,
               bearer: bool = True) -> Iterator[httpx.Client]:
        """A client whose failures come out as NetworkError. ``sending``: the call creates the post,
        so a timeout or an answer we cannot read leaves the outcome unknown."""
        headers = {"Authorization": f"Bearer {credentials.get('access_token', '')}"} if bearer else {}
        try:
            with httpx.Client(base_url=base_url, timeout=self.timeout, headers=headers) as http:
                yield http
        except httpx.HTTPError as exc:
            raise NetworkError(scrub(f"could not reach {base_url}: {_describe(exc)}", credentials), status=None,
                               unknown_outcome=sending) from None
        except (ValueError, KeyError, TypeError) as exc:
            raise NetworkError(scrub(f"unexpected answer from {base_url}: {_describe(exc)}", credentials),
                               status=None, unknown_outcome=sending) from None

    def _answer(self, response: httpx.Response, credentials: dict[str, str], *, sending: bool = False) -> dict:
        """The JSON of a successful answer; any other answer raises the NetworkError it means."""
        if response.is_success:
            return response.json() if response.content else {}
        raise self._error(response, credentials, sending=sending)

    def _error(self, response: httpx.Response, credentials: dict[str, str], *, sending: bool) -> NetworkError:
        status, said = response.status_code, _said(response)
        if status == 429:
            wait = self._retry_after(response.headers)
            return NetworkError(f"429 Too Many Requests: X is rate limiting this account; try again in {wait} s",
                                status=429, retry_after=wait)
        if status == 401:
            return NetworkError(
                scrub(f"401 {said or 'Unauthorized'}: the token expired or was revoked; reconnect the channel", credentials),
                status=401)
        message = scrub(f"{status} {said or response.reason_phrase}", credentials)
        if status >= 500:
            return NetworkError(message, status=status, unknown_outcome=sending)
        return NetworkError(message, status=status, permanent=status in (400, 403, 404, 413, 415, 422))

    def _retry_after(self, headers: httpx.Headers) -> int:
        """Seconds until the spent limit resets: a 24-hour posting cap when one is spent, else the
        15-minute window (``x-rate-limit-reset``, epoch seconds), else ``retry-after``."""
        resets = [headers.get(f"x-{scope}-24hour-reset") for scope in ("user-limit", "app-limit")
                  if headers.get(f"x-{scope}-24hour-remaining") == "0"]
        resets = [float(r) for r in (*resets, headers.get("x-rate-limit-reset")) if _is_number(r)]
        if resets:
            return max(1, int(max(resets) - self.clock()))
        if _is_number(headers.get("retry-after")):
            return max(1, int(float(headers["retry-after"])))
        return DEFAULT_RETRY_AFTER

    @staticmethod
    def _key(base_url: str, credentials: dict[str, str]) -> str:
        return hashlib.sha256(f"{base_url}\n{credentials.get('access_token', '')}".encode()).hexdigest()

    def _remember(self, base_url: str, credentials: dict[str, str], info: AccountInfo) -> None:
        with self._lock:
            if len(self._accounts) > 10_000:
                self._accounts.clear()
            self._accounts[self._key(base_url, credentials)] = info

    def _me(self, http: httpx.Client, base_url: str, credentials: dict[str, str]) -> AccountInfo:
        """The account of the token: from the cache, else GET /2/users/me."""
        with self._lock:
            known = self._accounts.get(self._key(base_url, credentials))
        if known is not None:
            return known
        me = self._answer(http.get("/2/users/me"), credentials)["data"]
        info = AccountInfo(account_id=str(me["id"]), handle=str(me["username"]), display_name=str(me.get("name") or ""),
                           max_characters=MAX_CHARACTERS)
        self._remember(base_url, credentials, info)
        return info

    # -- the protocol ----------------------------------------------------------------------------

    def verify(self, *, base_url: str, credentials: dict[str, str]) -> AccountInfo:
        """GET /2/users/me, always (a cached answer would not prove the token still works)."""
        with self._lock:
            self._accounts.pop(self._key(base_url, credentials), None)
        with self._calls(base_url, credentials) as http:
            return self._me(http, base_url, credentials)

    def publish(self, *, base_url: str, credentials: dict[str, str], post: OutgoingPost) -> Published:
        with self._calls(base_url, credentials) as http:
            me = self._me(http, base_url, credentials)
            media_ids = [self._upload(http, credentials, item) for item in post.media]
        body: dict[str, Any] = {"text": post.text}
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        if post.reply_to:
            body["reply"] = {"in_reply_to_tweet_id": str(post.reply_to)}
        with self._calls(base_url, credentials, sending=True) as http:
            response = http.post("/2/tweets", json=body)
            duplicate = response.status_code == 403 and "duplicate" in _said(response).lower()
            if not duplicate:
                return _published(me.handle, self._answer(response, credentials, sending=True)["data"]["id"])
        return self._earlier(base_url=base_url, credentials=credentials, post=post)

    def _earlier(self, *, base_url: str, credentials: dict[str, str], post: OutgoingPost) -> Published:
        """X refused the post as duplicate content: an earlier attempt got through (find it), or the
        account posted the same text before this post was first sent (nothing to retry)."""
        try:
            found = self.find(base_url=base_url, credentials=credentials, post=post)
        except NetworkError as exc:
            exc.unknown_outcome = True  # X says the post may exist: look again before sending
            raise
        if found is not None:
            return found
        raise NetworkError("403 X refuses duplicate content: this account already posted the same text before; "
                           "change the text to post it again", status=403, permanent=True)

    def find(self, *, base_url: str, credentials: dict[str, str], post: OutgoingPost) -> Published | None:
        """The newest of the account's posts since ``post.not_before`` (GET /2/users/:id/tweets) that
        answers the same post and whose text is ``post.text`` as X stores it: NFC, each URL a t.co
        link (compared with the URLs set aside, and with ``entities.urls[].expanded_url`` when X
        gives it), media as trailing t.co links (dropped), whitespace collapsed."""
        wanted = _sent_form(post.text)
        params: dict[str, Any] = {"start_time": _rfc3339(post.not_before), "max_results": 100,
                                  "tweet.fields": "created_at,text,entities,referenced_tweets"}
        with self._calls(base_url, credentials) as http:
            me = self._me(http, base_url, credentials)
            for _ in range(TIMELINE_PAGES):
                page = self._answer(http.get(f"/2/users/{quote(me.account_id, safe='')}/tweets", params=params),
                                    credentials)
                for tweet in page.get("data") or []:
                    if _replied_to(tweet) == (str(post.reply_to) if post.reply_to else None) and \
                            _matches(tweet, wanted, reply=bool(post.reply_to)):
                        return _published(me.handle, tweet["id"])
                next_token = (page.get("meta") or {}).get("next_token")
                if not next_token:
                    break
                params["pagination_token"] = next_token
        return None

    def delete(self, *, base_url: str, credentials: dict[str, str], remote_id: str) -> None:
        try:
            with self._calls(base_url, credentials) as http:
                self._answer(http.delete(f"/2/tweets/{quote(str(remote_id), safe='')}"), credentials)
        except NetworkError as exc:
            if exc.status != 404:
                raise

    def fetch_metrics(self, *, base_url: str, credentials: dict[str, str],
                      remote_ids: list[str]) -> dict[str, PostMetrics]:
        """Counts of these posts (GET /2/tweets?ids=, 100 a request): ``public_metrics`` (likes,
        reposts, replies, quotes, impressions) and, where X gives them to the author (posts of the last
        30 days), ``non_public_metrics`` (impressions, link clicks). A post X reports as not found was
        deleted (``gone``); other errors about one post leave it out."""
        out: dict[str, PostMetrics] = {}
        wanted = [r for r in dict.fromkeys(str(r) for r in remote_ids)]
        bad = [r for r in wanted if not r.isdigit()]
        if bad:
            raise NetworkError(f"{bad[0]!r} is not an X post id", permanent=True)
        with self._calls(base_url, credentials) as http:
            for start in range(0, len(wanted), METRICS_BATCH):
                chunk = wanted[start:start + METRICS_BATCH]
                page = self._answer(http.get("/2/tweets", params={"ids": ",".join(chunk), **METRICS_PARAMS}),
                                    credentials)
                for tweet in _listed(page):
                    if isinstance(tweet, dict) and str(tweet.get("id")) in chunk:
                        out[str(tweet["id"])] = _post_metrics(tweet)
                for error in page.get("errors") or []:
                    if not isinstance(error, dict):
                        continue
                    gone_id = str(error.get("resource_id") or error.get("value") or "")
                    if gone_id in chunk and gone_id not in out and str(error.get("type", "")).endswith(
                            "/resource-not-found"):
                        out[gone_id] = PostMetrics(remote_id=gone_id, gone=True)
        return out

    def fetch_account(self, *, base_url: str, credentials: dict[str, str]) -> AccountMetrics:
        """Followers, following and posts of the token's account (GET /2/users/me, ``public_metrics``)."""
        with self._calls(base_url, credentials) as http:
            data = self._answer(http.get("/2/users/me", params={"user.fields": "public_metrics"}), credentials)
        metrics = (data.get("data") or {}).get("public_metrics") or {}
        extra = {k: v for k, v in ((k, count(metrics.get(k))) for k in ("listed_count", "like_count")) if v is not None}
        return AccountMetrics(followers=count(metrics.get("followers_count")),
                              following=count(metrics.get("following_count")),
                              posts=count(metrics.get("tweet_count")), extra=extra)

    def refresh(self, *, base_url: str, credentials: dict[str, str]) -> TokenRefresh | None:
        """POST /2/oauth2/token with the refresh token (X access tokens last two hours). Public clients
        send their client_id; confidential ones also authenticate with HTTP Basic (client_secret).
        X rotates refresh tokens: the new one replaces the old, which stops working."""
        refresh_token, client_id = credentials.get("refresh_token"), credentials.get("client_id")
        if not refresh_token or not client_id:
            return None
        secret = credentials.get("client_secret")
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
        with self._calls(base_url, credentials, bearer=False) as http:
            token = self._answer(http.post("/2/oauth2/token", data=form,
                                           auth=httpx.BasicAuth(client_id, secret) if secret else None), credentials)
            fresh = {**credentials, "access_token": str(token["access_token"])}
            if token.get("refresh_token"):
                fresh["refresh_token"] = str(token["refresh_token"])
            if token.get("expires_in") is not None:
                expires = datetime.fromtimestamp(self.clock(), UTC) + timedelta(seconds=int(token["expires_in"]))
                fresh["expires_at"] = expires.isoformat(timespec="seconds")
        with self._lock:
            known = self._accounts.get(self._key(base_url, credentials))
        if known is not None:
            self._remember(base_url, fresh, known)
        return TokenRefresh(credentials=fresh)

    def fetch_inbox(self, *, base_url: str, credentials: dict[str, str], cursor: str | None,
                    limit: int = 100) -> InboxPage:
        """Mentions of the account (GET /2/users/:id/mentions) newer than ``cursor`` (a post id, given
        as ``since_id``), oldest first. X lists newest first and pages back with ``next_token``: all
        pages down to the cursor are read, and when more than MAX_INBOX_ENTRIES are new the oldest of
        them are returned with the last one's id as the cursor (the next call continues from there).
        Without a cursor (the first sync): the newest ``limit``.

        Direct messages (GET /2/dm_events, see :meth:`_direct_messages`) come in the same page; once
        one was seen the cursor is JSON ``{"mentions": id, "dm_events": id}`` (a plain post id is the
        mentions part). X refusing direct messages (a token without ``dm.read``, a spent DM limit)
        keeps their cursor and is said in ``InboxPage.notes``; mentions still come. A post or message
        that cannot be read (no id, an unreadable date) is skipped and named in ``InboxPage.skipped``."""
        try:
            parts = _cursor_parts(cursor)
        except ValueError as exc:
            raise NetworkError(str(exc), permanent=True) from None
        cursor = parts.get("mentions")
        skipped: list[str] = []
        if cursor is not None and not _is_id(cursor):
            raise NetworkError(f"{cursor!r} is not an X post id (the inbox cursor)", permanent=True)
        size = max(5, min(int(limit), 100))  # X takes max_results 5..100
        wanted = max(1, min(int(limit), MAX_INBOX_ENTRIES)) if cursor is None else MAX_INBOX_ENTRIES
        params: dict[str, Any] = {**MENTION_PARAMS, "max_results": size}
        if cursor is not None:
            params["since_id"] = str(cursor)
        tweets: dict[str, dict] = {}
        users: dict[str, dict] = {}
        newest: str | None = None
        with self._calls(base_url, credentials) as http:
            me = self._me(http, base_url, credentials)
            path = f"/2/users/{quote(me.account_id, safe='')}/mentions"
            for _ in range(MENTION_PAGES):
                page = self._answer(http.get(path, params=params), credentials)
                meta = page.get("meta") or {}
                for user in (page.get("includes") or {}).get("users") or []:
                    if isinstance(user, dict) and user.get("id") is not None:
                        users.setdefault(str(user["id"]), user)
                for position, tweet in enumerate(_listed(page)):
                    if not (isinstance(tweet, dict) and _is_id(tweet.get("id"))):
                        skipped.append(f"mention {position + 1} of a page: no id")
                    elif cursor is None or int(tweet["id"]) > int(cursor):
                        tweets.setdefault(str(tweet["id"]), tweet)
                if newest is None and _is_id(meta.get("newest_id")):
                    newest = str(meta["newest_id"])
                next_token = meta.get("next_token")
                if not next_token or (cursor is None and len(tweets) >= wanted):
                    break
                params["pagination_token"] = next_token
            dms, dm_cursor, notes = self._direct_messages(http, credentials, me, parts.get("dm_events"), limit,
                                                          skipped)
        ordered = sorted(tweets.values(), key=lambda t: int(t["id"]))
        chosen = ordered[-wanted:] if cursor is None else ordered[:wanted]
        seen = [str(i) for i in (newest, *(t["id"] for t in chosen)) if i is not None]
        if cursor is not None and len(ordered) > wanted:
            new_cursor: str | None = str(chosen[-1]["id"])  # more are waiting: continue after the last returned
        elif cursor is None:
            new_cursor = max(seen, key=int) if seen else None
        else:
            later = [i for i in seen if int(i) > int(cursor)]
            new_cursor = max(later, key=int) if later else cursor
        mentions = [e for e in (_readable_post(t, users, skipped) for t in chosen) if e is not None]
        entries = tuple(sorted([*mentions, *dms], key=lambda e: (e.created_at, int(e.remote_id))))
        parts = {"mentions": new_cursor, "dm_events": dm_cursor}
        return InboxPage(entries=entries, cursor=_cursor_text(parts), skipped=tuple(skipped), notes=tuple(notes))

    def later_cursor(self, old: str, new: str) -> str:
        """The later of two inbox cursors, part by part (raises ValueError when one is not ours)."""
        a, b = _cursor_parts(old), _cursor_parts(new)
        later = {k: max((v for v in (a.get(k), b.get(k)) if _is_id(v)), key=int, default=None) for k in CURSOR_PARTS}
        return _cursor_text(later) or new

    def _direct_messages(self, http: httpx.Client, credentials: dict[str, str], me: AccountInfo, after: str | None,
                         limit: int, skipped: list[str]) -> tuple[list[InboxEntry], str | None, list[str]]:
        """Messages sent to the account after ``after`` (a DM event id), oldest first, the cursor to
        keep, and what to say. X lists DM events newest first with no ``since_id``: pages are read
        back (``pagination_token``) until an event at or before the cursor, at most
        MAX_INBOX_ENTRIES returned (the oldest; the cursor is the last of them). Without a cursor:
        the newest ``limit``. The account's own messages are not inbox items."""
        wanted = max(1, min(int(limit), MAX_INBOX_ENTRIES)) if after is None else MAX_INBOX_ENTRIES
        params: dict[str, Any] = {**DM_PARAMS, "max_results": max(1, min(int(limit), 100)) if after is None else 100}
        events: dict[str, dict] = {}
        users: dict[str, dict] = {}
        newest = after
        try:
            for _ in range(DM_PAGES):
                page = self._answer(http.get("/2/dm_events", params=params), credentials)
                for user in (page.get("includes") or {}).get("users") or []:
                    if isinstance(user, dict) and user.get("id") is not None:
                        users.setdefault(str(user["id"]), user)
                reached = False
                for position, event in enumerate(_listed(page)):
                    if not (isinstance(event, dict) and _is_id(event.get("id"))):
                        skipped.append(f"direct message {position + 1} of a page: no id")
                        continue
                    event_id = str(event["id"])
                    newest = event_id if newest is None or int(event_id) > int(newest) else newest
                    if after is not None and int(event_id) <= int(after):
                        reached = True  # newest first: the rest was seen before
                    elif event.get("event_type", "MessageCreate") == "MessageCreate" and \
                            str(event.get("sender_id") or "") != me.account_id:
                        events.setdefault(event_id, event)
                next_token = (page.get("meta") or {}).get("next_token")
                if reached or not next_token or (after is None and len(events) >= wanted):
                    break
                params["pagination_token"] = next_token
        except NetworkError as exc:
            why = ("give the app the dm.read scope and reconnect the channel to read them" if exc.status == 403
                   else "they come with a later sync")
            return [], after, [f"X did not give the direct messages ({exc.message}); {why}"]
        ordered = sorted(events.values(), key=lambda e: int(e["id"]))
        chosen = ordered[-wanted:] if after is None else ordered[:wanted]
        cursor = str(chosen[-1]["id"]) if after is not None and len(ordered) > wanted else newest
        entries = [e for e in (_readable_dm(event, users, skipped) for event in chosen) if e is not None]
        return entries, cursor, []

    # -- media -----------------------------------------------------------------------------------

    def _upload(self, http: httpx.Client, credentials: dict[str, str], item: MediaItem) -> str:
        """One file's media id: still images in one request, GIFs and videos in chunks; then its alt text
        (POST /2/media/metadata)."""
        if item.mime_type in SIMPLE_IMAGES:
            with open(item.path, "rb") as fh:
                answer = self._answer(http.post(
                    "/2/media/upload", data={"media_category": "tweet_image", "media_type": item.mime_type},
                    files={"media": (Path(item.path).name, fh, item.mime_type)}), credentials)
            media_id = str(answer["data"]["id"])
        else:
            media_id = self._upload_chunked(http, credentials, item)
        if item.alt_text:
            self._answer(http.post("/2/media/metadata",
                                   json={"id": media_id, "metadata": {"alt_text": {"text": item.alt_text}}}), credentials)
        return media_id

    def _upload_chunked(self, http: httpx.Client, credentials: dict[str, str], item: MediaItem) -> str:
        """GIFs and videos: INIT, APPEND (``chunk_bytes`` a segment), FINALIZE, then STATUS while X processes.

        API v2 names these steps POST /2/media/upload/initialize (JSON: media_type, total_bytes,
        media_category), POST /2/media/upload/{id}/append (multipart: media, segment_index) and
        POST /2/media/upload/{id}/finalize; STATUS is GET /2/media/upload?command=STATUS&media_id={id}.
        (The first v2 form, ``command=INIT|APPEND|FINALIZE`` on /2/media/upload, is deprecated.) While
        ``processing_info.state`` is pending or in_progress we wait the ``check_after_secs`` X names,
        for at most ``processing_timeout`` seconds in all.
        """
        category = "tweet_gif" if item.mime_type == "image/gif" else "tweet_video"
        init = self._answer(http.post("/2/media/upload/initialize", json={
            "media_type": item.mime_type, "total_bytes": os.path.getsize(item.path), "media_category": category,
        }), credentials)
        media_id = str(init["data"]["id"])
        with open(item.path, "rb") as fh:
            for index in itertools.count():
                chunk = fh.read(self.chunk_bytes)
                if not chunk:
                    break
                self._answer(http.post(f"/2/media/upload/{media_id}/append", data={"segment_index": str(index)},
                                       files={"media": ("blob", chunk, "application/octet-stream")}), credentials)
        done = self._answer(http.post(f"/2/media/upload/{media_id}/finalize"), credentials)
        info, waited = done["data"].get("processing_info"), 0.0
        while info and info.get("state") in PENDING:
            wait = max(1.0, float(info.get("check_after_secs") or 1))
            if waited + wait > self.processing_timeout:
                raise NetworkError(f"X is still processing {Path(item.path).name} after {int(waited)} s; "
                                   "the post will be tried again later", status=None)
            self.sleep(wait)
            waited += wait
            status = self._answer(http.get("/2/media/upload", params={"command": "STATUS", "media_id": media_id}),
                                  credentials)
            info = status["data"].get("processing_info")
        if info and info.get("state") == "failed":
            error = info.get("error") or {}
            reason = error.get("message") or error.get("name") or "processing failed"
            raise NetworkError(f"X could not process {Path(item.path).name}: {reason}", permanent=True)
        return media_id


# -- comparing a sent text with a post as X stores it ---------------------------------------------


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _sent_form(text: str) -> tuple[str, list[str]]:
    """The text to send with each URL (as twitter-text finds them, so as X shortens them) set aside."""
    nfc = unicodedata.normalize("NFC", text)
    pieces, urls, cursor = [], [], 0
    for url in sorted(entities.extract_urls(nfc), key=lambda u: u["indices"][0]):
        start, end = url["indices"]
        pieces += [nfc[cursor:start], f" {_URL_MARK} "]
        urls.append(url["url"])
        cursor = end
    pieces.append(nfc[cursor:])
    return _collapse("".join(pieces)), urls


def _posted_form(tweet: dict) -> tuple[str, list[str | None]]:
    """A post's text with its t.co links set aside (their expanded URL when X says it) and media links dropped."""
    text = unicodedata.normalize("NFC", html.unescape(str(tweet.get("text") or "")))  # v2 escapes & < >
    known = {u.get("url"): u for u in ((tweet.get("entities") or {}).get("urls") or []) if isinstance(u, dict)}
    pieces, urls, cursor = [], [], 0
    for link in _TCO.finditer(text):
        entity = known.get(link.group())
        pieces.append(text[cursor:link.start()])
        cursor = link.end()
        if entity is not None and _is_media(entity):
            continue
        pieces.append(f" {_URL_MARK} ")
        urls.append(entity.get("expanded_url") if entity else None)
    pieces.append(text[cursor:])
    return _collapse("".join(pieces)), urls


def _is_media(entity: dict) -> bool:
    display = str(entity.get("display_url") or "")
    return bool(entity.get("media_key")) or display.startswith(("pic.x.com/", "pic.twitter.com/"))


def _matches(tweet: dict, wanted: tuple[str, list[str]], *, reply: bool) -> bool:
    sent_text, sent_urls = wanted
    text, urls = _posted_form(tweet)
    while len(urls) > len(sent_urls) and urls[-1] is None and text.endswith(_URL_MARK):
        text, urls = text[: -len(_URL_MARK)].rstrip(), urls[:-1]  # a media link X did not describe
    candidates = {text}
    if reply:  # X may prefix a reply with the @names of the conversation
        candidates.add(_LEADING_MENTIONS.sub("", text))
    if sent_text not in candidates or len(urls) != len(sent_urls):
        return False
    return all(posted is None or _same_url(posted, sent) for posted, sent in zip(urls, sent_urls, strict=True))


def _same_url(expanded: str, sent: str) -> bool:
    """Whether X's expanded_url is the URL we sent (X adds http:// to a bare domain)."""
    def plain(url: str) -> str:
        url = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip(), flags=re.I)
        return url.removeprefix("www.").rstrip("/").lower()
    return plain(expanded) == plain(sent)


def _replied_to(tweet: dict) -> str | None:
    for ref in tweet.get("referenced_tweets") or []:
        if isinstance(ref, dict) and ref.get("type") == "replied_to":
            return str(ref.get("id"))
    return None


# -- the inbox -------------------------------------------------------------------------------------


def _is_id(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool) and str(value).isdigit()


def _inbox_entry(tweet: dict, users: dict[str, dict]) -> InboxEntry:
    """A mention as an inbox entry; its author from ``includes.users``."""
    post_id = str(tweet["id"])
    user = users.get(str(tweet.get("author_id") or "")) or {}
    username = str(user.get("username") or "")
    followers = (user.get("public_metrics") or {}).get("followers_count")
    author = Author(
        remote_id=str(tweet.get("author_id") or user.get("id") or ""),
        handle=username,
        display_name=str(user.get("name") or ""),
        url=f"https://x.com/{username}" if username else "",
        followers=followers if isinstance(followers, int) and not isinstance(followers, bool) else None,
    )
    refs = {ref.get("type"): str(ref.get("id")) for ref in tweet.get("referenced_tweets") or []
            if isinstance(ref, dict) and ref.get("id") is not None}
    kind = "reply" if "replied_to" in refs else "quote" if "quoted" in refs else "mention"
    created = _parse_time(tweet.get("created_at"))
    return InboxEntry(
        remote_id=post_id,
        kind=kind,
        author=author,
        text=html.unescape(str(tweet.get("text") or "")),  # v2 escapes & < >
        created_at=created,
        url=f"https://x.com/{username or 'i/web'}/status/{post_id}",
        in_reply_to=refs.get("replied_to"),
        thread_root=str(tweet.get("conversation_id") or post_id),
        lang=str(tweet["lang"]) if tweet.get("lang") else None,
        # A reply needs only the post id (reply.in_reply_to_tweet_id); the thread is kept for the record.
        extra={"conversation_id": str(tweet.get("conversation_id") or post_id)},
    )


def _parse_time(value: Any) -> datetime:
    """X's RFC 3339 ``created_at`` (UTC); now when it is missing or unreadable."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


CURSOR_PARTS = ("mentions", "dm_events")


def _cursor_parts(cursor: str | None) -> dict[str, str]:
    """The inbox cursor's parts; a plain value is the mentions part (checked by the caller)."""
    text = (cursor or "").strip()
    if not text:
        return {}
    if not text.startswith("{"):
        return {"mentions": text}
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not all(k in CURSOR_PARTS and _is_id(v) for k, v in data.items()):
        raise ValueError(f"{text[:120]!r} is not an X inbox cursor "
                         '({"mentions": post id, "dm_events": event id} or a post id)')
    return {k: str(v) for k, v in data.items()}


def _cursor_text(parts: dict[str, str | None]) -> str | None:
    """A plain post id while no direct message was seen (the cursor's first form), else JSON."""
    if parts.get("dm_events") is None:
        return parts.get("mentions")
    known = {k: parts[k] for k in CURSOR_PARTS if parts.get(k) is not None}
    return json.dumps(known, separators=(",", ":"))


def _listed(page: dict) -> list:
    """A page's ``data``: a list, or nothing; anything else is a broken page (ValueError, an error)."""
    data = page.get("data") if isinstance(page, dict) else None
    if data is None:
        return []
    if not isinstance(data, list):
        raise ValueError("the page's data is not a list")
    return data


def _time_or_none(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _readable_post(tweet: dict, users: dict[str, dict], skipped: list[str]) -> InboxEntry | None:
    if _time_or_none(tweet.get("created_at")) is None:
        skipped.append(f"post {tweet['id']}: no readable date")
        return None
    return _inbox_entry(tweet, users)


def _readable_dm(event: dict, users: dict[str, dict], skipped: list[str]) -> InboxEntry | None:
    """A direct message as an inbox entry, grouped by its ``dm_conversation_id``; None (and a line in
    ``skipped``) when it has no date or conversation."""
    event_id, created = str(event["id"]), _time_or_none(event.get("created_at"))
    conversation = str(event.get("dm_conversation_id") or "")
    if created is None or not conversation:
        skipped.append(f"direct message {event_id}: no readable {'date' if created is None else 'conversation'}")
        return None
    sender = str(event.get("sender_id") or "")
    user = users.get(sender) or {}
    username = str(user.get("username") or "")
    followers = (user.get("public_metrics") or {}).get("followers_count")
    return InboxEntry(
        remote_id=event_id,
        kind="dm",
        author=Author(remote_id=sender, handle=username, display_name=str(user.get("name") or ""),
                      url=f"https://x.com/{username}" if username else "",
                      followers=followers if isinstance(followers, int) and not isinstance(followers, bool) else None),
        text=str(event.get("text") or ""),  # DM text is not HTML-escaped (posts' is)
        created_at=created,
        url=f"https://x.com/messages/{conversation}",
        thread_root=f"dm:{conversation}",
        extra={"dm_conversation_id": conversation},  # a reply: POST /2/dm_conversations/{id}/messages
    )


# -- metrics ---------------------------------------------------------------------------------------

METRICS_BATCH = 100  # ids per GET /2/tweets (X's maximum)
METRICS_PARAMS = {"tweet.fields": "public_metrics,non_public_metrics"}


def _post_metrics(tweet: dict) -> PostMetrics:
    """A post's counts: ``non_public_metrics`` (the author's own, when X gives them) before the public ones."""
    public = tweet.get("public_metrics") if isinstance(tweet.get("public_metrics"), dict) else {}
    private = tweet.get("non_public_metrics") if isinstance(tweet.get("non_public_metrics"), dict) else {}
    impressions = count(private.get("impression_count"))
    extra = {k: v for k, v in (("bookmarks", count(public.get("bookmark_count"))),
                               ("profile_clicks", count(private.get("user_profile_clicks")))) if v is not None}
    return PostMetrics(
        remote_id=str(tweet["id"]), likes=count(public.get("like_count")), reposts=count(public.get("retweet_count")),
        replies=count(public.get("reply_count")), quotes=count(public.get("quote_count")),
        impressions=impressions if impressions is not None else count(public.get("impression_count")),
        link_clicks=count(private.get("url_link_clicks")), extra=extra)


# -- small helpers ---------------------------------------------------------------------------------


def _published(handle: str, post_id: Any) -> Published:
    return Published(remote_id=str(post_id), url=f"https://x.com/{handle}/status/{post_id}")


def _rfc3339(moment: datetime) -> str:
    """X's time parameters: UTC, whole seconds, a Z (a naive datetime is taken as UTC)."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _said(response: httpx.Response) -> str:
    """What X says went wrong: ``errors[].message``, else ``detail`` / ``title``, else OAuth's ``error_description``."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return "" if not text or "<" in text else text.splitlines()[0][:300]
    if not isinstance(body, dict):
        return ""
    messages = [str(e["message"]) for e in body.get("errors") or [] if isinstance(e, dict) and e.get("message")]
    said = "; ".join(messages) or body.get("detail") or body.get("title") or body.get("error_description") \
        or body.get("error") or ""
    return str(said)[:300]


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {text.splitlines()[0][:300]}" if text else name


def _is_number(value: str | None) -> bool:
    try:
        float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True
