"""Mastodon public and hashtag timelines of one instance, read through Mastodon.py with ``min_id`` paging.

The cursor is JSON ``{"public": id, "#tag": id, ...}``: per timeline, the newest status id read. Each poll
pages upwards from it (every page the statuses right above the last one seen, so none is skipped) until
nothing is newer or MAX_PER_TIMELINE were read (the next poll goes on from there). A timeline without a
cursor starts with its newest page. Statuses are identified by their ``uri``, the same on every instance,
so a post seen on two timelines or two instances is one mention.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from mastodon import Mastodon, MastodonAPIError, MastodonError, MastodonNetworkError, MastodonRatelimitError

from socialdesk.kit.errors import InvalidInput
from socialdesk.kit.netguard import guard_session, refusal
from socialdesk.listening.mention import MAX_TEXT_CHARS
from socialdesk.listening.sources import (
    Batch,
    IncomingMention,
    SourceError,
    SourceState,
    clean_line,
    clean_text,
    html_to_text,
)
from socialdesk.listening.sources.feeds import check_url

KIND = "mastodon"
PAGE = 40  # Mastodon answers at most 40 statuses per request
MAX_PER_TIMELINE = 400  # per poll
MAX_TAGS = 8  # the cursor (500 characters) holds one id per timeline
TIMEOUT_SECONDS = 10.0
_TAG = re.compile(r"\w{1,30}")


def validate(config: dict, *, allow_private: bool) -> dict:
    """The timeline config to store: ``{"instance": url, "public": bool, "local": bool, "tags": [...]}``."""
    instance = check_url(str(config.get("instance") or ""), field="instance", allow_private=allow_private)
    parts = urlsplit(instance)
    instance = f"{parts.scheme}://{parts.netloc}"  # the API lives at the root
    raw = config.get("tags") or []
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list):
        raise InvalidInput.on("tags", "give a list of hashtags such as [\"coffee\", \"latteart\"]")
    tags: list[str] = []
    for item in raw:
        tag = str(item).strip().lstrip("#").lower()
        if not tag:
            continue
        if not _TAG.fullmatch(tag):
            raise InvalidInput.on("tags", f"{str(item)[:40]!r} is not a hashtag: letters, digits and _ only, "
                                          "at most 30 characters")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise InvalidInput.on("tags", f"at most {MAX_TAGS} hashtags per source; add another source for more")
    public, local = bool(config.get("public", not tags)), bool(config.get("local", False))
    if not public and not tags:
        raise InvalidInput.on("tags", "name at least one hashtag, or set public: true to read the public timeline")
    return {"instance": instance, "public": public, "local": local, "tags": tags}


def timelines(config: dict) -> list[str]:
    """The timeline keys of a config, as used in the cursor: ``public`` and ``#tag``."""
    return (["public"] if config.get("public") else []) + [f"#{t}" for t in config.get("tags") or ()]


def poll(config: dict, state: SourceState, *, allow_private: bool) -> Batch:
    """New statuses of each configured timeline since the cursor, oldest first, each once."""
    instance = config.get("instance") or ""
    _guard(instance, allow_private=allow_private)
    cursor = _cursor_parts(state.cursor)
    refused: list[str] = []
    api = _client(instance, allow_private=allow_private, refused=refused)
    found: dict[str, IncomingMention] = {}
    skipped: list[str] = []
    notes: list[str] = []
    try:
        for key in timelines(config):
            statuses, newest = _read(api, key, cursor.get(key), local=bool(config.get("local")))
            if newest:
                cursor[key] = newest
            if len(statuses) >= MAX_PER_TIMELINE:
                notes.append(f"{key}: {len(statuses)} statuses read; the rest come with the next poll")
            for status in statuses:
                try:
                    mention = _mention(status, instance=instance)
                except (TypeError, ValueError, KeyError, AttributeError) as exc:
                    skipped.append(f"status {str(_get(status, 'id'))[:40]}: {str(exc)[:200]}")
                    continue
                if mention is not None:
                    found.setdefault(mention.remote_id, mention)
    except MastodonNetworkError as exc:
        if refused:
            raise SourceError(refused[0], permanent=True) from None
        if reason := refusal(exc):  # the name now resolves elsewhere than when it was checked
            raise SourceError(f"refused {instance}: {reason}", permanent=True) from None
        raise SourceError(f"could not reach {instance}: {_first_line(exc)}") from None
    except MastodonRatelimitError:
        raise SourceError(f"{instance} is rate limiting; trying again later", retry_after=300) from None
    except MastodonAPIError as exc:
        raise SourceError(f"{instance} refused: {_api_message(exc)}") from None
    except (MastodonError, ValueError, TypeError) as exc:
        raise SourceError(f"unexpected answer from {instance}: {_first_line(exc)}") from None
    posts = sorted(found.values(), key=lambda m: m.created_at)
    text = json.dumps({k: cursor[k] for k in timelines(config) if k in cursor}, separators=(",", ":"))
    return Batch(posts=tuple(posts), state=SourceState(cursor=text[:500]), skipped=tuple(skipped),
                 notes=tuple(notes))


def _guard(url: str, *, allow_private: bool) -> None:
    try:
        check_url(url, field="instance", allow_private=allow_private)
    except InvalidInput as exc:
        raise SourceError(f"refused {url}: {exc.errors[0].message}", permanent=True) from None


def _client(instance: str, *, allow_private: bool, refused: list[str]) -> Mastodon:
    http = guard_session(requests.Session(), allow_private=allow_private)  # connects to checked addresses only

    def check_redirect(response, *args, **kwargs):
        # Runs on every response before requests follows a redirect: each hop must be allowed too.
        if response.is_redirect:
            target = requests.compat.urljoin(response.url, response.headers.get("location", ""))
            try:
                check_url(target, field="instance", allow_private=allow_private)
            except InvalidInput as exc:
                refused.append(f"refused the redirect to {target}: {exc.errors[0].message}")
                raise
        return response

    http.hooks["response"].append(check_redirect)
    http.max_redirects = 5
    return Mastodon(api_base_url=instance, request_timeout=TIMEOUT_SECONDS, version_check_mode="none",
                    ratelimit_method="throw", session=http)


def _read(api: Mastodon, key: str, after: str | None, *, local: bool) -> tuple[list[Any], str | None]:
    """Statuses of one timeline newer than ``after`` (oldest first) and the newest id read."""
    def page(**kw):
        if key == "public":
            return api.timeline_public(local=local, limit=PAGE, **kw)
        return api.timeline_hashtag(key[1:], local=local, limit=PAGE, **kw)

    if after is None:
        statuses = _by_id(page())
        return statuses, (str(statuses[-1]["id"]) if statuses else "0")  # none yet: every later one is new
    read: list[Any] = []
    while len(read) < MAX_PER_TIMELINE:
        got = [s for s in _by_id(page(min_id=after)) if _id_key(s["id"]) > _id_key(after)]
        if not got:
            break
        read.extend(got)
        after = str(got[-1]["id"])
        if len(got) < PAGE:
            break
    return read, (str(read[-1]["id"]) if read else None)


def _mention(status: Any, *, instance: str) -> IncomingMention | None:
    if _get(status, "reblog"):
        return None  # a boost: the original is what was said
    uri = clean_line(_get(status, "uri") or _get(status, "url") or "", limit=300)
    if not uri:
        raise ValueError("no uri")
    account = _get(status, "account") or {}
    acct = clean_line(_get(account, "acct") or _get(account, "username") or "", limit=300)
    if acct and "@" not in acct:
        acct = f"{acct}@{urlsplit(instance).hostname}"  # a local account: qualify it like every other
    body = html_to_text(str(_get(status, "content") or ""), limit=MAX_TEXT_CHARS)
    warning = html_to_text(str(_get(status, "spoiler_text") or ""), limit=500)
    url = str(_get(status, "url") or "")
    followers = _get(account, "followers_count")
    created = _get(status, "created_at")
    if isinstance(created, str):
        created = datetime.fromisoformat(created.replace("Z", "+00:00"))
    if not isinstance(created, datetime):
        raise ValueError("no created_at")
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return IncomingMention(
        source=KIND,
        remote_id=uri,
        url=url if urlsplit(url).scheme in ("http", "https") and len(url) <= 1000 else "",
        author_handle=acct,
        author_name=clean_line(_get(account, "display_name") or "", limit=300),
        author_followers=followers if isinstance(followers, int) and followers >= 0 else None,
        text=clean_text("\n\n".join(p for p in (warning, body) if p), limit=MAX_TEXT_CHARS),
        lang=clean_line(_get(status, "language") or "", limit=20) or None,
        hashtags=tuple(dict.fromkeys(clean_line(_get(t, "name"), limit=100) for t in _get(status, "tags") or ()
                                     if _get(t, "name")))[:20],
        mentions=tuple(dict.fromkeys(clean_line(_get(m, "acct"), limit=300) for m in _get(status, "mentions") or ()
                                     if _get(m, "acct")))[:50],
        created_at=min(created.astimezone(UTC), datetime.now(UTC)),
    )


def _cursor_parts(cursor: str | None) -> dict[str, str]:
    """The stored cursor as {timeline: id}; an unreadable one starts over (de-duplication absorbs it)."""
    if not cursor:
        return {}
    try:
        parts = json.loads(cursor)
    except ValueError:
        return {}
    if not isinstance(parts, dict):
        return {}
    return {str(k): str(v) for k, v in parts.items() if str(v).isdigit()}


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if hasattr(obj, "get") else None


def _id_key(value: Any) -> tuple[int, str]:
    text = str(value)
    return (len(text), text) if text.isdigit() else (-1, text)  # numeric ids of any length, as numbers


def _by_id(statuses: Any) -> list[Any]:
    return sorted((s for s in statuses or () if _get(s, "id") is not None), key=lambda s: _id_key(s["id"]))


def _api_message(exc: MastodonAPIError) -> str:
    args = list(exc.args) + [None] * 4
    status = args[1] if isinstance(args[1], int) else None
    text = str(args[3] or args[2] or "the instance refused the request")[:300]
    return f"{status} {text}" if status else text


def _first_line(exc: object) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
