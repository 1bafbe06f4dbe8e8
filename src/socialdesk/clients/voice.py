"""The brand voice check: a text against a client's voice (words to avoid, emoji and hashtag policy,
tone). A plain function, so the inbox reply form and the composer use the same one.

Findings carry code point offsets (``start``, ``end``) into the text as given. Only a word to avoid
used exactly (any case) is ``blocking``: the sender must confirm "send anyway". Everything else
is a warning.

Decisions, so nobody has to guess:

- Words to avoid match case-insensitively on word boundaries: "cheap" finds "Cheap" and "CHEAP!",
  never "cheapskate" or "bcheap". A phrase ("low cost") matches with any whitespace between its words.
- Regular inflections ("cheaper", "cheapest", "cheaply", "cheaps", "cheaped", "cheaping"; for a
  word ending in "e": "hated", "hater", "hating") are found too, but as a warning, not blocking:
  suffix matching also hits unrelated words ("cat" / "cater"), so a person decides. Doubled
  consonants ("big" / "bigger") and irregular forms are not derived: list them as words of their own.
- Emoji: policy ``none`` warns on each; ``sparingly`` warns beyond SPARING_EMOJI; ``freely`` never.
- Hashtags (as X / twitter-text finds them) beyond ``max_hashtags`` warn, each extra one located.
- Shouting: SHOUT_RUN or more consecutive all-caps words (two letters or more), or a text whose
  letters are all capitals (at least SHOUT_LETTERS of them). A word listed in words to use, in any
  case, is never shouting (a brand name such as "IKEA").
- Exclamation marks: against a calm tone (a tone word in CALM_TONES) more than one "!" warns, and
  so does any "!!"; whatever the tone, a run of three or more warns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import regex

from socialdesk.networks import entities

SPARING_EMOJI = 2
SHOUT_RUN = 3
SHOUT_LETTERS = 12
CALM_TONES = frozenset({
    "calm", "unhurried", "measured", "serene", "gentle", "understated", "quiet", "relaxed", "composed",
    "reassuring", "soothing", "thoughtful", "formal", "professional", "restrained", "sober", "peaceful",
    "mellow", "tranquil", "soft-spoken",
})
INFLECTIONS = ("s", "es", "ed", "er", "ers", "est", "ly", "ing", "ings")
_WORD = regex.compile(r"[\p{L}\p{M}\p{Nd}'’]+")
_CAPS_WORD = regex.compile(r"(?<![\p{L}\p{Nd}])\p{Lu}[\p{Lu}\p{Nd}'’]+(?![\p{L}\p{Nd}])")
_BANGS = regex.compile(r"!+")


@dataclass(frozen=True)
class Finding:
    kind: str  # avoid | avoid_form | emoji | hashtags | shouting | exclamation
    message: str
    start: int
    end: int
    blocking: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Voice:
    """The parts of a brand profile the check reads (``Voice.of(client)`` for a Client row)."""

    words_to_avoid: tuple[str, ...] = ()
    words_to_use: tuple[str, ...] = ()
    tone_words: tuple[str, ...] = ()
    emoji_policy: str = "sparingly"
    max_hashtags: int | None = None

    @classmethod
    def of(cls, client) -> Voice:
        return cls(words_to_avoid=tuple(client.words_to_avoid or ()), words_to_use=tuple(client.words_to_use or ()),
                   tone_words=tuple(client.tone_words or ()), emoji_policy=str(client.emoji_policy or "sparingly"),
                   max_hashtags=client.max_hashtags)


def _phrase(word: str) -> str:
    return r"\s+".join(regex.escape(part) for part in word.split())


def _avoid_pattern(word: str) -> regex.Pattern | None:
    """Exact form in group ``exact``, a regular inflection in group ``form``."""
    word = " ".join(word.split())
    if not word:
        return None
    stems = [_phrase(word)]
    if word.lower().endswith("e") and len(word) > 2:  # hate -> hating, hated, hater
        stems.append(_phrase(word[:-1]))
    suffixes = "|".join(sorted(INFLECTIONS, key=len, reverse=True))
    body = rf"(?P<exact>{_phrase(word)})|(?P<form>(?:{'|'.join(stems)})(?:{suffixes}))"
    return regex.compile(rf"(?<![\p{{L}}\p{{M}}\p{{Nd}}_])(?:{body})(?![\p{{L}}\p{{M}}\p{{Nd}}_])",
                         regex.IGNORECASE | regex.V1)


def _avoided(text: str, words: Iterable[str]) -> list[Finding]:
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []
    # Longer entries first, so "low cost" wins over "cost" for the same words.
    for word in sorted({w.strip() for w in words if w and w.strip()}, key=len, reverse=True):
        pattern = _avoid_pattern(word)
        for m in pattern.finditer(text) if pattern else ():
            start, end = m.span()
            if any(start < b and a < end for a, b in taken):
                continue
            taken.append((start, end))
            used = m.group()
            if m.group("exact") is not None:
                found.append(Finding("avoid", f'uses "{used}", a word to avoid', start, end, blocking=True))
            else:
                found.append(Finding("avoid_form", f'uses "{used}", a form of "{word}" (a word to avoid)',
                                     start, end))
    return found


def _emoji(text: str, policy: str) -> list[Finding]:
    spans = entities.emoji_spans(text)
    if policy == "none":
        return [Finding("emoji", f'uses the emoji "{text[s:e]}"; the brand uses no emoji', s, e) for s, e in spans]
    if policy == "sparingly" and len(spans) > SPARING_EMOJI:
        s, e = spans[SPARING_EMOJI][0], spans[-1][1]
        return [Finding("emoji", f"{len(spans)} emoji; the brand uses them sparingly (at most {SPARING_EMOJI})",
                        s, e)]
    return []


def _hashtags(text: str, limit: int | None) -> list[Finding]:
    if limit is None:
        return []
    urls = [tuple(u["indices"]) for u in entities.extract_urls(text)]
    tags = [m for m in entities.X_HASHTAG.finditer(text)
            if not any(a <= m.start() < b for a, b in urls)]
    if len(tags) <= limit:
        return []
    allowed = "no hashtags" if limit == 0 else f"at most {limit} hashtag{'s' if limit != 1 else ''}"
    return [Finding("hashtags", f"{len(tags)} hashtags; the brand uses {allowed} (remove {m.group()})",
                    *m.span()) for m in tags[limit:]]


def _shouting(text: str, words_to_use: Sequence[str]) -> list[Finding]:
    exempt = {w.strip().lower() for w in words_to_use}
    caps = [m for m in _CAPS_WORD.finditer(text) if m.group().lower() not in exempt]
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= SHOUT_LETTERS and all(c.isupper() for c in letters if c.lower() != c.upper()) and \
            " ".join(text.split()).lower() not in exempt:
        return [Finding("shouting", "the whole text is in capitals (shouting); write it in sentence case",
                        0, len(text))]
    found, run = [], []
    for m in caps:
        # Consecutive: only spaces and punctuation between this word and the previous one.
        if run and regex.search(r"[\p{L}\p{Nd}]", text[run[-1].end():m.start()]):
            run = []
        run.append(m)
        if len(run) == SHOUT_RUN:
            found.append([run[0].start(), m.end()])
        elif len(run) > SHOUT_RUN:
            found[-1][1] = m.end()
    return [Finding("shouting", f'"{text[s:e]}" is in capitals (shouting); write it in sentence case', s, e)
            for s, e in found]


def _exclamations(text: str, tone_words: Sequence[str]) -> list[Finding]:
    calm = sorted({t.strip().lower() for t in tone_words} & CALM_TONES)
    bangs = list(_BANGS.finditer(text))
    if calm:
        total = sum(len(m.group()) for m in bangs)
        if total > 1:
            s, e = bangs[0].start(), bangs[-1].end()
            return [Finding("exclamation", f'{total} exclamation marks; the tone is {", ".join(calm)} '
                            "(one at most)", s, e)]
        return []
    return [Finding("exclamation", f'"{m.group()}": {len(m.group())} exclamation marks in a row', *m.span())
            for m in bangs if len(m.group()) >= 3]


def check(text: str, voice: Voice) -> list[Finding]:
    """Every way ``text`` departs from ``voice``, in the order they appear."""
    findings = [
        *_avoided(text, voice.words_to_avoid),
        *_emoji(text, voice.emoji_policy),
        *_hashtags(text, voice.max_hashtags),
        *_shouting(text, voice.words_to_use),
        *_exclamations(text, voice.tone_words),
    ]
    return sorted(findings, key=lambda f: (f.start, f.end, f.kind))


def check_client(client, text: str) -> list[Finding]:
    """``text`` against the brand profile of ``client`` (a Client row)."""
    return check(text, Voice.of(client))


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.blocking]
