"""Check a post's text against each network's rules; the composer and `socialdesk text check` share this.

`check_all` analyses the text once (NFC, graphemes, URLs, emoji) and reuses it for every network.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property
from math import floor
from typing import Any

from socialdesk.clients.schemas import Network
from socialdesk.networks import entities
from socialdesk.networks.rules import RULES, Rule

UNIT_NOUNS = {"weighted": "characters", "graphemes": "characters", "utf16": "characters", "bytes": "bytes",
              "threads": "characters"}
UNIT_NOTES = {"weighted": "weighted", "graphemes": "graphemes", "utf16": "UTF-16 units", "bytes": "UTF-8 bytes",
              "threads": "emoji count as their UTF-8 bytes"}

# twitter-text v3: scale 100, default weight 200, weight 100 in these code point ranges; invalid characters.
X_SCALE, X_DEFAULT_WEIGHT = 100, 200
X_LIGHT = entities.regex.compile(r"[\u0000-\u10FF\u2000-\u200D\u2010-\u201F\u2032-\u2037]")
X_INVALID = entities.regex.compile(r"[\uFFFE\uFEFF\uFFFF]")
LINE_ENDINGS = entities.regex.compile(r"\r\n|\r")
LITTLE_RESERVED = entities.regex.compile(r"([\\|{}@\[\]()<>#*_~])")


def escape_little_text(text: str) -> str:
    """Backslash-escape LinkedIn's "little" format reserved characters, so commentary is not cut."""
    return LITTLE_RESERVED.sub(r"\\\1", text)


@dataclass(frozen=True)
class MastodonLimits:
    """An instance's `configuration.statuses` from GET /api/v2/instance."""

    max_characters: int = 500
    characters_reserved_per_url: int = 23
    max_media_attachments: int = 4

    @classmethod
    def from_statuses(cls, statuses: Mapping[str, Any]) -> MastodonLimits:
        known = {name: int(statuses[name]) for name in cls.__dataclass_fields__ if statuses.get(name) is not None}
        return cls(**known)


def limits_from_instance(instance: Mapping[str, Any]) -> MastodonLimits:
    """Parse GET /api/v2/instance (or its `configuration.statuses` alone); missing values keep the defaults."""
    statuses = instance.get("configuration", {}).get("statuses") if "configuration" in instance else instance
    return MastodonLimits.from_statuses(statuses or {})


@dataclass(kw_only=True)
class Verdict:
    """The outcome of one network's check; `message` says what is wrong when `valid` is false."""

    network: str
    valid: bool
    length: int
    limit: int
    unit: str
    remaining: int
    over_by: int
    message: str | None = None
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(kw_only=True)
class XVerdict(Verdict):
    """twitter-text parse_tweet v3 results plus the extracted entities (code point indices of the NFC text)."""

    weighted_length: int
    permillage: int
    valid_range_start: int
    valid_range_end: int
    display_range_start: int
    display_range_end: int
    entities: dict[str, list[dict]]


@dataclass(kw_only=True)
class BlueskyVerdict(Verdict):
    """Grapheme and byte counts and the record's facets (byte offsets over UTF-8)."""

    graphemes: int
    bytes: int
    byte_limit: int
    facets: list[dict]
    unresolved_mentions: list[str]


@dataclass(kw_only=True)
class MastodonVerdict(Verdict):
    """Graphemes of content warning + countable text, with the instance's URL allowance."""

    graphemes: int
    characters_reserved_per_url: int


class Analysis:
    """Everything about one text that several networks need, each computed at most once."""

    def __init__(self, text: str):
        self.text = text

    @cached_property
    def nfc(self) -> str:
        return unicodedata.normalize("NFC", self.text)

    @cached_property
    def x_text(self) -> str:
        """NFC with line endings as \\n, as twitter-text-parser counts."""
        return LINE_ENDINGS.sub("\n", self.nfc)

    @cached_property
    def graphemes(self) -> int:
        return len(entities.GRAPHEME.findall(self.text))

    @cached_property
    def utf8(self) -> int:
        return len(self.text.encode())

    @cached_property
    def utf16(self) -> int:
        return _utf16_len(self.text)

    @cached_property
    def urls(self) -> list[dict]:
        return entities.extract_urls(self.x_text)

    @cached_property
    def emoji(self) -> list[tuple[int, int]]:
        return entities.emoji_spans(self.x_text)

    @cached_property
    def hashtags(self) -> int:
        return len(entities.X_HASHTAG.findall(self.nfc))

    @cached_property
    def threads_length(self) -> int:
        """Graphemes, except that each emoji counts as its UTF-8 bytes."""
        emoji = [self.x_text[start:end] for start, end in self.emoji]
        return self.graphemes - len(emoji) + sum(len(e.encode()) for e in emoji)


@dataclass(frozen=True)
class Options:
    """Per-call extras: Mastodon instance limits, content warning, Bluesky handle resolver, a title."""

    instance_limits: MastodonLimits | Mapping[str, Any] | None = None
    content_warning: str = ""
    resolve_handle: entities.ResolveHandle | None = None
    title: str | None = None

    @property
    def mastodon(self) -> MastodonLimits:
        limits = self.instance_limits
        if limits is None or isinstance(limits, MastodonLimits):
            return limits or MastodonLimits()
        return limits_from_instance(limits)


def _over(rule: Rule, length: int, limit: int) -> list[str]:
    if length <= limit:
        return []
    return [f"{rule.label}: {length - limit} {UNIT_NOUNS[rule.unit]} over the {limit} limit ({UNIT_NOTES[rule.unit]})"]


def _verdict(cls: type[Verdict], rule: Rule, length: int, limit: int, problems: list[str], **extra) -> Verdict:
    return cls(
        network=rule.network.value, valid=not problems, length=length, limit=limit, unit=rule.unit,
        remaining=limit - length, over_by=max(0, length - limit),
        message="; ".join(problems) or None, problems=problems, **extra,
    )


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _x_char_weight(char: str) -> int:
    return X_SCALE if X_LIGHT.match(char) else X_DEFAULT_WEIGHT


def _x_run_weight(run: str) -> int:
    return X_DEFAULT_WEIGHT * len(run) - (X_DEFAULT_WEIGHT - X_SCALE) * len(X_LIGHT.findall(run))


def _x_units(a: Analysis, url_weight: int) -> Iterable[tuple[int, int, int | None]]:
    """(start, end, weight) for each URL and emoji, and (start, end, None) for the plain runs between them."""
    spans = sorted([(*u["indices"], url_weight) for u in a.urls] + [(s, e, X_DEFAULT_WEIGHT) for s, e in a.emoji])
    cursor = 0
    for start, end, weight in spans:
        if start < cursor:
            continue  # an emoji inside a URL
        if cursor < start:
            yield cursor, start, None
        yield start, end, weight
        cursor = end
    if cursor < len(a.x_text):
        yield cursor, len(a.x_text), None


def _x_parse(a: Analysis, rule: Rule) -> tuple[int, int, bool]:
    """Weighted length (x100), the last code point index still valid, and whether no invalid character occurs."""
    text, max_weight = a.x_text, rule.limit * X_SCALE
    invalid = X_INVALID.search(text)
    bad = invalid.start() if invalid else len(text)
    total, last_ok, ok = 0, 0, True
    for start, end, weight in _x_units(a, rule.url_length * X_SCALE):
        run_weight = _x_run_weight(text[start:end]) if weight is None else weight
        if ok and (total + run_weight > max_weight or end > bad):
            running = total
            for i in range(start, end) if weight is None else (end - 1,):
                running += _x_char_weight(text[i]) if weight is None else weight
                if i >= bad or running > max_weight:
                    break
                last_ok = i
            ok = False
        elif ok:
            last_ok = end - 1
        total += run_weight
    return total, last_ok, invalid is None


def check_x(rule: Rule, a: Analysis, options: Options) -> Verdict:
    """twitter-text v3 parse_tweet: weighted length, validity, permillage, ranges, and the entities."""
    total, last_ok, clean = _x_parse(a, rule)
    length = total // X_SCALE
    problems = _over(rule, length, rule.limit)
    if not clean:
        problems.append(f"{rule.label}: contains an invalid character (U+FFFE, U+FEFF or U+FFFF)")
    if length == 0:
        problems.append(f"{rule.label}: the text is empty")
    offset = _utf16_len(a.text) - _utf16_len(a.x_text)
    return _verdict(
        XVerdict, rule, length, rule.limit, problems,
        weighted_length=length, permillage=floor(length / rule.limit * 1000),
        valid_range_start=0, valid_range_end=max(0, _utf16_len(a.x_text[: last_ok + 1]) - 1 + offset),
        display_range_start=0, display_range_end=max(0, _utf16_len(a.text) - 1),
        entities=entities.x_entities(a.x_text, a.urls),
    )


def check_bluesky(rule: Rule, a: Analysis, options: Options) -> Verdict:
    """300 graphemes and 3000 UTF-8 bytes; facets for links, tags and resolvable mentions."""
    facets, unresolved = entities.bluesky_facets(a.text, options.resolve_handle)
    problems = _over(rule, a.graphemes, rule.limit)
    if a.utf8 > rule.byte_limit:
        problems.append(f"{rule.label}: {a.utf8 - rule.byte_limit} bytes over the {rule.byte_limit} limit (UTF-8 bytes)")
    return _verdict(
        BlueskyVerdict, rule, a.graphemes, rule.limit, problems, graphemes=a.graphemes, bytes=a.utf8,
        byte_limit=rule.byte_limit, facets=facets, unresolved_mentions=unresolved,
    )


def check_mastodon(rule: Rule, a: Analysis, options: Options) -> Verdict:
    """Graphemes of content warning + text, URLs as the instance's reserved length, @user@domain as @user."""
    limits = options.mastodon
    countable = entities.mastodon_countable(a.x_text, a.urls, limits.characters_reserved_per_url)
    length = len(entities.GRAPHEME.findall(options.content_warning + countable))
    return _verdict(
        MastodonVerdict, rule, length, limits.max_characters, _over(rule, length, limits.max_characters),
        graphemes=length, characters_reserved_per_url=limits.characters_reserved_per_url,
    )


LENGTHS: dict[str, Callable[[Analysis], int]] = {
    "graphemes": lambda a: a.graphemes,
    "utf16": lambda a: a.utf16,
    "bytes": lambda a: a.utf8,
    "threads": lambda a: a.threads_length,
}

# (count name, the rule's maximum, how to count it in the text)
COUNTED: tuple[tuple[str, str, Callable[[Analysis], int]], ...] = (
    ("hashtags", "max_hashtags", lambda a: a.hashtags),
    ("mentions", "max_mentions", lambda a: len(entities.INSTAGRAM_MENTION.findall(a.nfc))),
    ("links", "max_links", lambda a: len(a.urls)),
)


def check_generic(rule: Rule, a: Analysis, options: Options) -> Verdict:
    """A length in the rule's unit, the counted entities, forbidden characters and the optional title."""
    length = LENGTHS[rule.unit](a)
    problems, counts = _over(rule, length, rule.limit), {}
    for name, attribute, count in COUNTED:
        maximum = getattr(rule, attribute)
        if maximum is not None:
            counts[name] = count(a)
            if counts[name] > maximum:
                problems.append(f"{rule.label}: {counts[name]} {name}, at most {maximum} allowed")
    problems += _title_problems(rule, options.title, counts)
    if rule.forbidden and any(char in a.text for char in rule.forbidden):
        problems.append(f"{rule.label}: the text may not contain {' or '.join(rule.forbidden)}")
    return _verdict(Verdict, rule, length, rule.limit, problems, counts=counts)


def _title_problems(rule: Rule, title: str | None, counts: dict[str, int]) -> list[str]:
    if title is None or rule.title_limit is None:
        return []
    counts["title_length"] = _utf16_len(title)
    problems = []
    if counts["title_length"] > rule.title_limit:
        problems.append(f"{rule.label}: title {counts['title_length'] - rule.title_limit} characters over the {rule.title_limit} limit")
    if rule.forbidden and any(char in title for char in rule.forbidden):
        problems.append(f"{rule.label}: the title may not contain {' or '.join(rule.forbidden)}")
    return problems


CHECKERS: dict[Network, Callable[[Rule, Analysis, Options], Verdict]] = {
    Network.X: check_x,
    Network.BLUESKY: check_bluesky,
    Network.MASTODON: check_mastodon,
}


def network_of(name: Network | str) -> Network:
    """The Network for a name, or ValueError listing the networks that have text rules."""
    try:
        network = Network(name)
    except ValueError:
        network = None
    if network not in RULES:
        raise ValueError(f"unknown network {name!r}; choose one of: {', '.join(n.value for n in RULES)}")
    return network


def _check(network: Network | str, analysis: Analysis, options: Options) -> Verdict:
    rule = RULES[network_of(network)]
    return CHECKERS.get(rule.network, check_generic)(rule, analysis, options)


def check(network: Network | str, text: str, *, instance_limits=None, **options) -> Verdict:
    """Check `text` for one network; options: content_warning, resolve_handle (Bluesky), title."""
    return _check(network, Analysis(text), Options(instance_limits=instance_limits, **options))


def check_all(text: str, networks: Iterable[Network | str] | None = None, *, instance_limits=None,
              **options) -> dict[Network, Verdict]:
    """Check `text` for several networks (default all), analysing it once."""
    analysis, opts = Analysis(text), Options(instance_limits=instance_limits, **options)
    return {network_of(n): _check(n, analysis, opts) for n in (networks or RULES)}
