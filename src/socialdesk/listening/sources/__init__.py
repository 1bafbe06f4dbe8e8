"""Where listening hears the public: each source turns what a network or feed publishes into batches of
IncomingMention plus where to continue from next time.

Polled sources (feeds, Mastodon timelines) are modules with ``KIND``, ``validate(config, *, allow_private)``
(the config to store, or InvalidInput naming the field) and ``poll(config, state, *, allow_private) ->
Batch``. The Bluesky firehose (jetstream.py) is a long-running consumer instead. Sources never touch the
database: listening/tasks.py stores the batch (listening.service.ingest) and the new state together.
"""

from __future__ import annotations

import html
import random
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import ModuleType

from socialdesk.listening.service import IncomingMention

__all__ = ["Batch", "IncomingMention", "SourceError", "SourceState", "clean_text", "html_to_text", "retry_delay"]


@dataclass(frozen=True)
class SourceState:
    """Where a source stands: a cursor (timeline ids, firehose time) and a feed's HTTP validators."""

    cursor: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Batch:
    """Posts read in one go, oldest first, and the state to continue from (stored with them)."""

    posts: tuple[IncomingMention, ...]
    state: SourceState
    skipped: tuple[str, ...] = ()  # entries that could not be read, one line each
    notes: tuple[str, ...] = field(default=())  # anything else the source's report should say


class SourceError(Exception):
    """A source could not be read: the message is shown on the source as its last error.

    ``retry_after``: seconds the server asked us to wait; ``permanent``: retrying the same config will not
    help (not a feed, a refused address) - the source still retries, at the longest back-off.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.permanent = permanent


# -- text from untrusted sources ---------------------------------------------------------------------

# C0 and C1 controls except tab and newline (NUL cannot even be stored in PostgreSQL), and the bidi
# overrides that make a post's text display in another order than it reads.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"[ \t]+")
_LINES = re.compile(r"\n\s*\n+")


def clean_text(text: str, *, limit: int | None = None) -> str:
    """Text without control characters or runs of blank space; cut at ``limit`` characters if given."""
    if limit is not None:
        text = text[: limit * 2]  # enough to still fill ``limit`` after collapsing spaces
    text = _CONTROLS.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _LINES.sub("\n\n", _SPACES.sub(" ", text))
    text = "\n".join(line.strip() for line in text.split("\n")).strip()
    return text[:limit] if limit is not None else text


def clean_line(text: object, *, limit: int) -> str:
    """One line of untrusted text (a name, a handle): controls and line breaks gone, cut at ``limit``."""
    return " ".join(clean_text(str(text or ""), limit=limit * 2).split())[:limit]


_BLOCKS = frozenset("address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
                    "header hr li main nav ol p pre section table td th tr ul".split())
_INVISIBLE = frozenset({"script", "style", "template", "noscript", "head", "title", "svg", "math", "iframe", "object"})


class _TextOf(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in _INVISIBLE:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _INVISIBLE:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def html_to_text(markup: str, *, limit: int | None = None) -> str:
    """What a reader sees of an HTML fragment, as plain text: tags gone, entities decoded, scripts and
    styles dropped. The result is text to escape when shown, never markup to render."""
    if limit is not None:
        markup = markup[: limit * 4]  # markup is mostly tags; enough of it to fill ``limit`` characters
    if "<" not in markup:
        return clean_text(html.unescape(markup), limit=limit)
    parser = _TextOf()
    try:
        parser.feed(markup)
        cut = parser.rawdata.find("<")  # an unfinished tag at the end is markup, not text
        if cut >= 0:
            parser.rawdata = parser.rawdata[:cut]
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup: keep what it read
        pass
    return clean_text(unicodedata.normalize("NFC", "".join(parser.parts)), limit=limit)


# -- back-off ----------------------------------------------------------------------------------------

def retry_delay(failures: int, *, base: float, cap: float, retry_after: float | None = None,
                rng: random.Random | None = None) -> float:
    """Seconds to wait after ``failures`` failures in a row: doubling from ``base``, capped at ``cap``,
    with up to 20% jitter (so sources failing together do not retry together); never less than what
    the server asked for."""
    rng = rng or random
    delay = min(cap, base * 2 ** max(0, failures - 1))
    delay *= 1 - 0.2 * rng.random()
    return max(delay, min(retry_after or 0.0, 24 * 3600.0))


def pollers() -> dict[str, ModuleType]:
    """The polled source modules by kind."""
    from socialdesk.listening.sources import feeds, mastodon_timeline

    return {feeds.KIND: feeds, mastodon_timeline.KIND: mastodon_timeline}
