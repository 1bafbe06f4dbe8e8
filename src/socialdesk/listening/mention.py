"""What listening sees of a public post: its text and the few fields a query can filter on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from socialdesk.listening.query import normalize

# Longer bodies are cut so one post can never stall the matcher (50,000 characters is about 10,000 words).
MAX_TEXT_CHARS = 100_000

# The literal comes first so the scan jumps from one # or @ to the next (a leading look-behind is 6x slower).
_HASHTAG = re.compile(r"#(?<!\w#)(\w+)")
_AT_HANDLE = re.compile(r"@(?<![\w@]@)([\w.\-]+(?:@[\w.\-]+)?)")


@dataclass(frozen=True, slots=True)
class Mention:
    """A post from a network or the web. ``hashtags`` and ``mentions`` add to those found in the text."""

    text: str
    lang: str = ""
    author: str = ""
    source: str = ""
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()


def field_key(name: str, value: str) -> str:
    """The key a field filter and a post share (NUL-led, so it never equals a word)."""
    return f"\x00{name}:{value}"


def handle_variants(handle: str) -> tuple[str, ...]:
    """A normalized handle and its local part: ``acme@mastodon.social`` and ``acme.bsky.social`` give ``acme``."""
    handle = normalize(handle).strip().lstrip("@").rstrip(".-")
    cut = min((i for i in (handle.find("@"), handle.find(".")) if i > 0), default=-1)
    return (handle, handle[:cut]) if cut > 0 else ((handle,) if handle else ())


# Languages, sources and handles repeat from post to post: their keys are worked out once.
@lru_cache(maxsize=65_536)
def _keys_of(name: str, raw: str) -> tuple[str, ...]:
    if name in ("author", "mention"):
        return tuple(field_key(name, v) for v in handle_variants(raw))
    value = normalize(raw).strip()
    if name == "hashtag":
        value = value.lstrip("#")
    if not value:
        return ()
    if name == "lang":
        value = value.replace("_", "-")
        return field_key(name, value), field_key(name, value.partition("-")[0])
    return (field_key(name, value),)


def lang_keys(lang: str) -> tuple[str, ...]:
    """The keys a post in this language holds (``pt-br`` holds ``pt`` too)."""
    return _keys_of("lang", lang)


def field_keys(mention: Mention, text: str) -> set[str]:
    """Every field key of a post; ``text`` is its normalized text (hashtags and @handles are read from it)."""
    keys = {*_keys_of("lang", mention.lang), *_keys_of("source", mention.source), *_keys_of("author", mention.author)}
    if "#" in text or mention.hashtags:
        for tag in (*_HASHTAG.findall(text), *mention.hashtags):
            keys.update(_keys_of("hashtag", tag))
    if "@" in text or mention.mentions:
        for handle in (*_AT_HANDLE.findall(text), *mention.mentions):
            keys.update(_keys_of("mention", handle))
    return keys
