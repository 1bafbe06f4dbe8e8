"""Entity detection shared by the checkers: emoji, URLs, X mentions/hashtags/cashtags, Bluesky facets.

Regexes are compiled once at import; URL extraction is twitter-text's (PyPI twitter-text-parser).
"""

from __future__ import annotations

from collections.abc import Callable

import regex
from twitter_text import extract_urls_with_indices
from twitter_text.regexp.valid_cctld import valid_cctld
from twitter_text.regexp.valid_gtld import valid_gtld

Span = tuple[int, int]
ResolveHandle = Callable[[str], "str | None"]

# UTS #51 emoji sequences: flags, keycaps, and pictographs with variation/skin tone/tags, joined by ZWJ.
_EMOJI_ELEMENT = (
    r"(?:\p{Emoji_Modifier_Base}\p{Emoji_Modifier}|(?:\p{Extended_Pictographic}|\p{Emoji}(?=\uFE0F))\uFE0F?)"
    r"(?:[\U000E0020-\U000E007E]+\U000E007F)?"
)
EMOJI = regex.compile(rf"\p{{RI}}\p{{RI}}|[#*0-9]\uFE0F?\u20E3|{_EMOJI_ELEMENT}(?:\u200D{_EMOJI_ELEMENT})*")
GRAPHEME = regex.compile(r"\X")

# twitter-text (validMentionOrList, validHashtag, validCashtag), restricted to 15-character screen names.
_LATIN_ACCENTS = r"\xC0-\xD6\xD8-\xF6\xF8-\xFF\u0100-\u024F\u0253\u0254\u0256\u0257\u0259\u025B\u0263\u0268\u026F\u0272\u0289\u028B\u02BB\u0300-\u036F\u1E00-\u1EFF"
X_MENTION = regex.compile(
    rf"(?<![a-zA-Z0-9_!#$%&*@＠])[@＠]([a-zA-Z0-9_]{{1,15}})(?![a-zA-Z0-9_@＠{_LATIN_ACCENTS}]|://)"
)
_HASHTAG_ALNUM = r"\p{L}\p{M}\p{Nd}_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c\u30a0\u30fb\u3003\u0f0b\u0f0c\u00b7"
X_HASHTAG = regex.compile(
    rf"(?<![&{_HASHTAG_ALNUM}])[#＃](?!\uFE0F|\u20E3)([{_HASHTAG_ALNUM}]*[\p{{L}}\p{{M}}][{_HASHTAG_ALNUM}]*)(?![#＃]|://)"
)
X_CASHTAG = regex.compile(
    r"(?:^|(?<=\s))\$([a-z]{1,6}(?:[._][a-z]{1,2})?)(?=$|\s|[!'#%&()*+,\\\-./:;<=>?@\[\]^_{|}~$\"])",
    regex.IGNORECASE,
)
X_ENTITY_PATTERNS = (("mentions", "screen_name", X_MENTION), ("hashtags", "hashtag", X_HASHTAG), ("cashtags", "cashtag", X_CASHTAG))
INSTAGRAM_MENTION = regex.compile(r"(?<![\w.@])@([A-Za-z0-9._]{1,30})")

# Mastodon's countableText: a remote mention @user@domain counts as @user.
MASTODON_REMOTE_MENTION = regex.compile(r"(?<![/\w])@([a-z0-9_]+)@[a-z0-9.-]+[a-z0-9]+", regex.IGNORECASE)

# bluesky-social/atproto packages/api/src/rich-text/detection.ts
_INVISIBLE = r"\u00AD\u2060\u200A\u200B\u200C\u200D\u20e2"
BSKY_MENTION = regex.compile(r"(?:^|(?<=[\s(]))@([a-zA-Z0-9.-]+)\b", regex.MULTILINE)
BSKY_URL = regex.compile(
    r"(?:^|(?<=[\s(]))(?:https?://\S+|(?P<domain>[a-z][a-z0-9]*(?:\.[a-z0-9]+)+)\S*)",
    regex.IGNORECASE | regex.MULTILINE,
)
BSKY_TAG = regex.compile(
    rf"(?:^|(?<=\s))[#＃]((?!\uFE0F)[^\s{_INVISIBLE}]*[^\d\s\p{{P}}{_INVISIBLE}]+[^\s{_INVISIBLE}]*)?",
    regex.MULTILINE,
)
TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")
BSKY_TAG_MAX_GRAPHEMES = 64


def _tlds(pattern: str) -> frozenset[str]:
    """The alternatives of twitter-text's generated TLD regexes (gTLDs and ccTLDs)."""
    body = pattern.split("(?:(?:", 1)[1].split(")(?=", 1)[0]
    return frozenset(tld.lower() for tld in body.replace("'", "").split("|"))


TLDS = _tlds(valid_gtld.pattern) | _tlds(valid_cctld.pattern)


def is_valid_domain(domain: str) -> bool:
    """True when the last label is a known TLD (as isValidDomain in atproto's detection)."""
    return "." in domain and domain.rsplit(".", 1)[1].lower() in TLDS


def extract_urls(text: str) -> list[dict]:
    """twitter-text URL extraction (with or without protocol); indices are code points."""
    return extract_urls_with_indices(text)


def emoji_spans(text: str) -> list[Span]:
    """Start and end (code points) of every emoji sequence."""
    return [m.span() for m in EMOJI.finditer(text)]


def _outside(spans: list[Span]) -> Callable[[int], bool]:
    return lambda position: not any(start <= position < end for start, end in spans)


def x_entities(text: str, urls: list[dict]) -> dict[str, list[dict]]:
    """URLs, mentions, hashtags and cashtags as twitter-text reports them (code point indices)."""
    url_spans = [tuple(url["indices"]) for url in urls]
    free = _outside(url_spans)
    found = {
        key: [{name: m.group(1), "indices": list(m.span())} for m in pattern.finditer(text) if free(m.start())]
        for key, name, pattern in X_ENTITY_PATTERNS
    }
    return {"urls": [{"url": u["url"], "indices": list(u["indices"])} for u in urls], **found}


def mastodon_countable(text: str, urls: list[dict], url_length: int) -> str:
    """Mastodon's countable text: each http(s) URL as url_length characters, remote mentions as @user."""
    pieces, cursor = [], 0
    for url in urls:
        start, end = url["indices"]
        if url["url"].lower().startswith(("http://", "https://")):
            pieces += [text[cursor:start], "x" * url_length]
            cursor = end
    pieces.append(text[cursor:])
    return MASTODON_REMOTE_MENTION.sub(r"@\1", "".join(pieces))


class _ByteIndex:
    """Code point offset -> UTF-8 byte offset, encoding only the stretch since the previous lookup."""

    def __init__(self, text: str):
        self.text, self.position, self.byte = text, 0, 0

    def __call__(self, position: int) -> int:
        if position < self.position:
            self.position, self.byte = 0, 0
        self.byte += len(self.text[self.position : position].encode())
        self.position = position
        return self.byte


def _facet(at: _ByteIndex, start: int, end: int, feature: dict) -> dict:
    return {"index": {"byteStart": at(start), "byteEnd": at(end)}, "features": [feature]}


def bluesky_facets(text: str, resolve_handle: ResolveHandle | None = None) -> tuple[list[dict], list[str]]:
    """atproto rich-text facets (mention/link/tag) and the handles that could not be resolved to a DID."""
    at, facets, unresolved = _ByteIndex(text), [], []
    for m in BSKY_MENTION.finditer(text):
        handle = m.group(1)
        if not (is_valid_domain(handle) or handle.endswith(".test")):
            continue
        did = resolve_handle(handle) if resolve_handle else None
        if did:
            facets.append(_facet(at, m.start(), m.end(), {"$type": "app.bsky.richtext.facet#mention", "did": did}))
        else:
            unresolved.append(handle)
    for m in BSKY_URL.finditer(text):
        uri, end = m.group(0), m.end()
        if not uri.lower().startswith("http"):
            if not is_valid_domain(m.group("domain")):
                continue
            uri = f"https://{uri}"
        if uri[-1] in ".,;:!?":
            uri, end = uri[:-1], end - 1
        if uri.endswith(")") and "(" not in uri:
            uri, end = uri[:-1], end - 1
        facets.append(_facet(at, m.start(), end, {"$type": "app.bsky.richtext.facet#link", "uri": uri}))
    for m in BSKY_TAG.finditer(text):
        tag = TRAILING_PUNCTUATION.sub("", (m.group(1) or "").strip())
        if tag and len(GRAPHEME.findall(tag)) <= BSKY_TAG_MAX_GRAPHEMES:
            start = m.start()
            facets.append(_facet(at, start, start + 1 + len(tag), {"$type": "app.bsky.richtext.facet#tag", "tag": tag}))
    facets.sort(key=lambda facet: facet["index"]["byteStart"])
    return facets, unresolved
