"""RSS and Atom feeds (news, blogs, review sites) read with a conditional GET and feedparser.

Every request is guarded: only http(s), only public addresses unless allowed (checked at each redirect
hop and at every poll, and each connection goes to an address checked as it is made, so a name that
resolves elsewhere between the check and the request gains nothing), at most MAX_FEED_BYTES of body (refused as soon as
the stream passes it, nothing more is read), a timeout per read and for the whole download. Entry HTML
is reduced to plain text: nothing from a feed is ever kept as markup.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import feedparser
import httpx

from socialdesk.kit.errors import InvalidInput
from socialdesk.kit.netguard import check_public_url, guarded_transport, refusal
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

KIND = "rss"  # RSS and Atom alike; the mentions' source
MAX_FEED_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
MAX_ENTRIES = 500  # per poll; a feed is its newest entries, so the rest are older ones
MAX_URL_CHARS = 1000
MAX_TAGS = 20
READ_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
TOTAL_SECONDS = 30.0  # a server trickling one byte at a time never trips the read timeout
USER_AGENT = "socialdesk-listening/1 (+feed reader)"
ACCEPT = "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"


def validate(config: dict, *, allow_private: bool) -> dict:
    """The feed config to store: ``{"url": ...}`` with an http(s) URL of a public host."""
    url = check_url(str(config.get("url") or ""), field="url", allow_private=allow_private)
    return {"url": url}


def check_url(url: str, *, field: str, allow_private: bool) -> str:
    """``url`` stripped, or InvalidInput on ``field``: not http(s), no host, too long, not public."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput.on(field, "give a web address starting with http:// or https://, such as "
                                     "https://example.com/feed.xml")
    if len(url) > MAX_URL_CHARS:
        raise InvalidInput.on(field, f"is longer than {MAX_URL_CHARS} characters")
    if parts.username or parts.password:
        raise InvalidInput.on(field, "must not hold a user name or password")
    check_public_url(url, field=field, allow_private=allow_private)
    return url


@dataclass(frozen=True)
class Fetched:
    status: int  # 200, or 304 (not modified: no body)
    url: str  # after redirects
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None


def fetch(url: str, *, etag: str | None = None, last_modified: str | None = None, allow_private: bool,
          transport: httpx.BaseTransport | None = None) -> Fetched:
    """GET ``url`` with the validators, following redirects only to allowed addresses (SourceError otherwise)."""
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = time.monotonic() + TOTAL_SECONDS
    transport = transport or guarded_transport(allow_private=allow_private)
    with httpx.Client(timeout=READ_TIMEOUT, follow_redirects=False, transport=transport, headers=headers) as http:
        for _hop in range(MAX_REDIRECTS + 1):
            _guard(url, allow_private=allow_private)
            try:
                with http.stream("GET", url) as response:
                    if response.status_code in (301, 302, 303, 307, 308):
                        location = response.headers.get("location", "")
                        if not location:
                            raise SourceError(f"{url} answered {response.status_code} without saying where to go")
                        url = urljoin(url, location)
                        continue
                    return _read(url, response, deadline)
            except httpx.TimeoutException:
                raise SourceError(f"{url} did not answer in time (timeout {READ_TIMEOUT.read:g} s)") from None
            except httpx.HTTPError as exc:
                if reason := refusal(exc):  # the name now resolves elsewhere than when it was checked
                    raise SourceError(f"refused {url}: {reason}", permanent=True) from None
                raise SourceError(f"could not reach {urlsplit(url).hostname}: {_first_line(exc)}") from None
    raise SourceError(f"more than {MAX_REDIRECTS} redirects; the last pointed at {url}", permanent=True)


def _guard(url: str, *, allow_private: bool) -> None:
    try:
        check_url(url, field="url", allow_private=allow_private)
    except InvalidInput as exc:
        raise SourceError(f"refused {url}: {exc.errors[0].message}", permanent=True) from None


def _read(url: str, response: httpx.Response, deadline: float) -> Fetched:
    etag = response.headers.get("etag") or None
    modified = response.headers.get("last-modified") or None
    if response.status_code == 304:
        return Fetched(304, url, b"", "", etag, modified)
    if response.status_code == 429 or response.status_code >= 400:
        retry = _retry_after(response.headers.get("retry-after"))
        raise SourceError(f"{url} answered {response.status_code} {response.reason_phrase}".rstrip(),
                          retry_after=retry, permanent=response.status_code in (404, 410))
    if response.status_code != 200:
        raise SourceError(f"{url} answered {response.status_code} {response.reason_phrase}; expected a feed")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FEED_BYTES:
        raise SourceError(_too_big(url, int(declared)))
    body = bytearray()
    for chunk in response.iter_bytes():  # decoded: a small gzip bomb is counted at its real size
        body += chunk
        if len(body) > MAX_FEED_BYTES:
            raise SourceError(_too_big(url, None))
        if time.monotonic() > deadline:
            raise SourceError(f"{url} took longer than {TOTAL_SECONDS:g} s to send the feed")
    return Fetched(200, url, bytes(body), response.headers.get("content-type", ""), etag, modified)


def _too_big(url: str, size: int | None) -> str:
    told = f" ({size:,} bytes)" if size else ""
    return f"{url} is larger than {MAX_FEED_BYTES // (1024 * 1024)} MB{told}; not read further (a feed is its newest entries)"


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def poll(config: dict, state: SourceState, *, allow_private: bool,
         transport: httpx.BaseTransport | None = None) -> Batch:
    """Fetch the feed (conditionally) and read its entries; a 304 gives an empty batch and the same state."""
    url = config.get("url") or ""
    got = fetch(url, etag=state.etag, last_modified=state.last_modified, allow_private=allow_private,
                transport=transport)
    if got.status == 304:
        return Batch(posts=(), state=state, notes=("not modified since the last poll",))
    # Keep the old validators when the server sends none this time (some only send Last-Modified).
    new_state = SourceState(cursor=state.cursor, etag=got.etag[:300] if got.etag else None,
                            last_modified=got.last_modified[:100] if got.last_modified else None)
    posts, skipped, notes = parse(got.body, url=got.url, content_type=got.content_type)
    return Batch(posts=posts, state=new_state, skipped=skipped, notes=notes)


def parse(body: bytes, *, url: str, content_type: str = "") -> tuple[tuple[IncomingMention, ...], tuple[str, ...],
                                                                   tuple[str, ...]]:
    """The entries of a feed document as mentions (oldest first), the entries skipped, and notes.

    SourceError when the document is not a feed at all.
    """
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # A stream, never bytes or str: feedparser opens a str that looks like a URL, and a path as a file.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=True)
    problem = parsed.get("bozo_exception")
    if not parsed.get("version") and not parsed.entries:
        why = f": {_first_line(problem)}" if problem else ""
        raise SourceError(f"{url} is not an RSS or Atom feed{why}", permanent=True)
    notes = []
    if parsed.get("bozo") and problem is not None:
        notes.append(f"the feed is not well-formed ({_first_line(problem)}); read what could be read")
    feed = parsed.get("feed", {})
    feed_lang = str(feed.get("language") or "")
    feed_title = html_to_text(str(feed.get("title") or ""), limit=300)
    posts: dict[str, IncomingMention] = {}
    links: set[str] = set()
    skipped: list[str] = []
    for index, entry in enumerate(parsed.entries[:MAX_ENTRIES]):
        try:
            mention = _mention(entry, feed_url=url, feed_title=feed_title, feed_lang=feed_lang)
        except (TypeError, ValueError, OverflowError) as exc:
            skipped.append(f"entry {index + 1}: {_first_line(exc)}")
            continue
        if mention is None:
            skipped.append(f"entry {index + 1}: no id, link, title or text")
            continue
        # The same entry twice in one document (by id, or by link under another id): keep the first.
        if mention.remote_id in posts or (mention.url and mention.url in links):
            continue
        posts[mention.remote_id] = mention
        if mention.url:
            links.add(mention.url)
    if len(parsed.entries) > MAX_ENTRIES:
        notes.append(f"only the first {MAX_ENTRIES} of {len(parsed.entries)} entries were read")
    ordered = sorted(posts.values(), key=lambda m: m.created_at)
    return tuple(ordered), tuple(skipped), tuple(notes)


def _mention(entry, *, feed_url: str, feed_title: str, feed_lang: str) -> IncomingMention | None:
    link = _web_link(entry.get("link"), base=feed_url)
    title = html_to_text(str(entry.get("title") or ""), limit=1000)
    body = _body(entry)
    text = clean_text("\n\n".join(p for p in (title, body) if p), limit=MAX_TEXT_CHARS)
    key = str(entry.get("id") or "").strip() or link
    if not key:
        if not text:
            return None
        key = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    author = html_to_text(str(entry.get("author") or ""), limit=300) or feed_title
    tags = []
    for tag in entry.get("tags") or ():
        term = clean_line(tag.get("term") if hasattr(tag, "get") else "", limit=100)
        if term and term not in tags:
            tags.append(term)
    lang = ""
    for detail in (entry.get("content") or [{}])[:1] + [entry.get("summary_detail") or {}]:
        lang = lang or str(detail.get("language") or "")
    return IncomingMention(
        source=KIND,
        remote_id=_remote_id(key, feed_url),
        url=link,
        author_handle=clean_line(urlsplit(link or feed_url).hostname or "", limit=320),
        author_name=author,
        author_followers=None,
        text=text,
        lang=clean_line(lang or feed_lang, limit=20) or None,
        hashtags=tuple(tags[:MAX_TAGS]),
        mentions=(),
        created_at=_when(entry),
    )


def _body(entry) -> str:
    """The longest of the entry's content and summary, as text."""
    candidates = [str(c.get("value") or "") for c in entry.get("content") or () if hasattr(c, "get")]
    candidates.append(str(entry.get("summary") or ""))
    best = max(candidates, key=len)
    return html_to_text(best, limit=MAX_TEXT_CHARS)


def _remote_id(key: str, feed_url: str) -> str:
    """Unique across feeds: a URL or URN id is global already; a bare id ("42") is qualified by the feed."""
    key = clean_line(key, limit=2000)
    if ":" not in key:
        key = f"{feed_url}#{key}"
    return key if len(key) <= 300 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _web_link(value, *, base: str) -> str:
    """An http(s) link or nothing (a javascript: or data: link is never kept)."""
    link = urljoin(base, clean_line(value or "", limit=MAX_URL_CHARS))
    return link if urlsplit(link).scheme in ("http", "https") and len(link) <= MAX_URL_CHARS else ""


def _when(entry) -> datetime:
    """When the entry says it was published (or updated); now when it does not, or claims the future."""
    now = datetime.now(UTC)
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                when = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            except (OverflowError, ValueError, OSError):
                continue
            return min(when, now)
    return now


def _first_line(exc: object) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
