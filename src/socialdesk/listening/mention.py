"""What listening sees of a public post: its text and the few fields a query can filter on."""

from __future__ import annotations

import re
from dataclasses import dataclass

from socialdesk.listening.query import normalize

# Longer bodies are cut so one post can never stall the matcher (50,000 characters is about 10,000 words).
MAX_TEXT_CHARS = 100_000

_HASHTAG = re.compile(r"(?<!\w)#(\w+)")
_AT_HANDLE = re.compile(r"(?<![\w@])@([\w.\-]+(?:@[\w.\-]+)?)")


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


def field_keys(mention: Mention, text: str) -> set[str]:
    """Every field key of a post; ``text`` is its normalized text (hashtags and @handles are read from it)."""
    keys = set()
    lang = normalize(mention.lang).strip().replace("_", "-")
    if lang:
        keys.add(field_key("lang", lang))
        keys.add(field_key("lang", lang.partition("-")[0]))
    source = normalize(mention.source).strip()
    if source:
        keys.add(field_key("source", source))
    for variant in handle_variants(mention.author):
        keys.add(field_key("author", variant))
    if "#" in text or mention.hashtags:
        for tag in (*_HASHTAG.findall(text), *(normalize(t).strip().lstrip("#") for t in mention.hashtags)):
            if tag:
                keys.add(field_key("hashtag", tag))
    if "@" in text or mention.mentions:
        for handle in (*_AT_HANDLE.findall(text), *mention.mentions):
            for variant in handle_variants(handle):
                keys.add(field_key("mention", variant))
    return keys
