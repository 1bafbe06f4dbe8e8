"""Near duplicates: retweets, reposts and copies of one text count once in lists, with how many copies.

Two posts are near duplicates when their *core* is the same: the text without leading ``RT @x:`` /
``QT @x:`` / ``MT @x:`` prefixes, without links, a trailing ``via @x``, case, accents, punctuation and
emoji (words as the query language sees them). The group key is a 64-bit hash of that core. A core of
fewer than ``MIN_WORDS`` words ("love it") says too little to tell a copy from a coincidence, so short
texts group only with copies of the same author's post (the retweeted handle, else the author).
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from socialdesk.listening.mention import handle_variants
from socialdesk.listening.query import WORD, normalize

WINDOW = timedelta(days=7)  # a copy this long after the group's first mention starts a group of its own
MIN_WORDS = 4

_PREFIX = re.compile(r"^\s*(?:rt|qt|mt|repost(?:ed)?)\s*:?\s*@([\w.\-]+(?:@[\w.\-]+)?)\s*:?\s*", re.IGNORECASE)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_VIA = re.compile(r"[\s(\[]*(?:via|h/t|cc)\s*:?\s*@[\w.\-]+(?:@[\w.\-]+)?[\s)\]]*$", re.IGNORECASE)


def core_words(text: str, author: str = "") -> tuple[list[str], str]:
    """The words that decide a group, and whose post it is (the retweeted handle, else ``author``)."""
    origin = author
    rest = text
    for _ in range(5):  # "RT @a: RT @b: ..." nests a few levels at most
        found = _PREFIX.match(rest)
        if found is None:
            break
        origin, rest = found.group(1), rest[found.end():]
    rest = _URL.sub(" ", rest)
    rest = _VIA.sub("", rest)
    return WORD.findall(normalize(rest)), origin


def dup_key(text: str, author: str = "") -> int | None:
    """The near-duplicate group of a post (a signed 64-bit integer), or None when it cannot have one."""
    words, origin = core_words(text, author)
    if not words:
        return None
    if len(words) < MIN_WORDS:
        handle = handle_variants(origin)
        if not handle:
            return None
        words = [handle[-1], "\x00", *words]
    digest = hashlib.blake2b("\x1f".join(words).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
