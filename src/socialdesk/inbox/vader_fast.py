"""VADER's compound score (vaderSentiment 3.3.2), rule for rule, with the work done once per text.

Same lexicon files (read from the installed package, parsed the way it parses them), same word lists
and constants (imported from it), same rules in the same order of float operations, so the compound
equals ``SentimentIntensityAnalyzer().polarity_scores(text)["compound"]`` exactly. What differs is
only cost: the text is tokenised and lower-cased once, the rules look words up in precomputed sets,
and words outside the lexicon (most of any post) cost one dict probe.
"""

from __future__ import annotations

import math
import re
import string
from pathlib import Path

from vaderSentiment import vaderSentiment as _vs

_PUNCTUATION = string.punctuation
_N_SCALAR = _vs.N_SCALAR
_C_INCR = _vs.C_INCR
_BOOSTERS: dict[str, float] = dict(_vs.BOOSTER_DICT)
_NEGATIONS = frozenset(_vs.NEGATE)
_SPECIAL: dict[str, float] = dict(_vs.SPECIAL_CASES)
# Words of the multi-word phrases the idiom rule looks for: a word outside this set ends the check early.
_IDIOM_WORDS = frozenset(w for phrase in (*_SPECIAL, *_BOOSTERS) if " " in phrase for w in phrase.split(" "))


def _read(name: str) -> str:
    # The package opens its files next to its module with codecs.open(encoding="utf-8"); so do we.
    return (Path(_vs.__file__).parent / name).read_text(encoding="utf-8")


def _lexicon() -> dict[str, float]:
    lexicon: dict[str, float] = {}
    for line in _read("vader_lexicon.txt").rstrip("\n").split("\n"):
        if not line:
            continue
        word, measure = line.strip().split("\t")[0:2]
        lexicon[word] = float(measure)
    return lexicon


def _emojis() -> dict[str, str]:
    emojis: dict[str, str] = {}
    for line in _read("emoji_utf8_lexicon.txt").rstrip("\n").split("\n"):
        emoji, description = line.strip().split("\t")[0:2]
        emojis[emoji] = description
    return emojis


LEXICON = _lexicon()
EMOJIS = _emojis()
# VADER replaces emoji character by character, so only one-code-point entries can ever match.
_EMOJI_CHARS = frozenset(e for e in EMOJIS if len(e) == 1)
_ASCII_EMOJI = any(e.isascii() for e in _EMOJI_CHARS)


def _emoji_spans(chars: frozenset[str]) -> re.Pattern[str]:
    # A character class of the emoji's code-point runs merged over gaps of up to 256 code points: a
    # regex of 1,200 single code points scans ten times slower than one of a few ranges, and the few
    # other characters the ranges let through are handed back unchanged by _describe_emoji.
    runs: list[list[int]] = []
    for point in sorted(map(ord, chars)):
        if runs and point - runs[-1][1] <= 256:
            runs[-1][1] = point
        else:
            runs.append([point, point])
    return re.compile("[" + "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "")
                                    for a, b in runs) + "]")


_EMOJI_RE = _emoji_spans(_EMOJI_CHARS)
# Lexicon words that score: a booster is skipped before the lexicon is consulted.
_SCORING = {w: v for w, v in LEXICON.items() if w not in _BOOSTERS}
_LEAST_NEGATES = "least" not in LEXICON


def _describe_emoji(match: re.Match[str]) -> str:
    # A description is preceded by a space unless the text starts there or already has a plain space.
    char = match.group()
    if char not in _EMOJI_CHARS:
        return char
    start = match.start()
    description = EMOJIS[char]
    if start == 0 or match.string[start - 1] == " ":
        return description
    return " " + description


def _negated(lower: str) -> bool:
    return lower in _NEGATIONS or "n't" in lower


def _scalar(word: str, lower: str, valence: float, cap_diff: bool) -> float:
    scalar = _BOOSTERS[lower]
    if valence < 0:
        scalar *= -1
    if cap_diff and word.isupper():
        if valence > 0:
            scalar += _C_INCR
        else:
            scalar -= _C_INCR
    return scalar


def _idioms(valence: float, lowers: list[str], i: int, n: int) -> float:
    w0, p1, p2, p3 = lowers[i], lowers[i - 1], lowers[i - 2], lowers[i - 3]
    special = _SPECIAL
    for seq in (f"{p1} {w0}", f"{p2} {p1} {w0}", f"{p2} {p1}", f"{p3} {p2} {p1}", f"{p3} {p2}"):
        if seq in special:
            valence = special[seq]
            break
    if n - 1 > i:
        zeroone = f"{w0} {lowers[i + 1]}"
        if zeroone in special:
            valence = special[zeroone]
    if n - 1 > i + 1:
        zeroonetwo = f"{w0} {lowers[i + 1]} {lowers[i + 2]}"
        if zeroonetwo in special:
            valence = special[zeroonetwo]
    for n_gram in (f"{p3} {p2} {p1}", f"{p3} {p2}", f"{p2} {p1}"):
        if n_gram in _BOOSTERS:
            valence = valence + _BOOSTERS[n_gram]
    return valence


def compound(text: str) -> float:
    """VADER's compound score of ``text`` (rounded to 4 places, as polarity_scores returns it)."""
    if not (text.isascii() and not _ASCII_EMOJI) and _EMOJI_RE.search(text):
        text = _EMOJI_RE.sub(_describe_emoji, text)
    # VADER strips the text before splitting; split() ignores outer whitespace and the strip keeps "!" and "?".
    words = [s if len(s := t.strip(_PUNCTUATION)) > 2 else t for t in text.split()]
    n = len(words)
    if not n:
        return 0.0
    lowers = list(map(str.lower, words))
    uppers = sum(map(str.isupper, words))
    cap_diff = 0 < n - uppers < n
    lexicon = _SCORING
    boosters = _BOOSTERS
    # Only non-zero valences matter: zeros change neither the sum nor the "but" rule below.
    positions: list[int] = []
    values: list[float] = []
    for i, lower in enumerate(lowers):
        base = lexicon.get(lower)
        if base is None:
            continue
        if lower == "kind" and i < n - 1 and lowers[i + 1] == "of":
            continue
        valence = base
        if lower == "no" and i != n - 1 and lowers[i + 1] in LEXICON:
            valence = 0.0
        if i > 0:
            p1 = lowers[i - 1]
            if p1 == "no" or (i > 1 and lowers[i - 2] == "no") or (
                    i > 2 and lowers[i - 3] == "no" and (p1 == "or" or p1 == "nor")):
                valence = base * _N_SCALAR
        if cap_diff and words[i].isupper():
            if valence > 0:
                valence += _C_INCR
            else:
                valence -= _C_INCR
        if i > 0:
            if p1 not in LEXICON:
                if p1 in boosters:
                    valence = valence + _scalar(words[i - 1], p1, valence, cap_diff)
                if p1 in _NEGATIONS or "n't" in p1:
                    valence = valence * _N_SCALAR
            if i > 1:
                p2 = lowers[i - 2]
                if p2 not in LEXICON:
                    if p2 in boosters:
                        valence = valence + _scalar(words[i - 2], p2, valence, cap_diff) * 0.95
                    if p2 == "never" and (p1 == "so" or p1 == "this"):
                        valence = valence * 1.25
                    elif p2 == "without" and p1 == "doubt":
                        pass
                    elif p2 in _NEGATIONS or "n't" in p2:
                        valence = valence * _N_SCALAR
                if i > 2:
                    p3 = lowers[i - 3]
                    if p3 not in LEXICON:
                        if p3 in boosters:
                            valence = valence + _scalar(words[i - 3], p3, valence, cap_diff) * 0.9
                        if (p3 == "never" and (p2 == "so" or p2 == "this")) or (p1 == "so" or p1 == "this"):
                            valence = valence * 1.25
                        elif p3 == "without" and (p2 == "doubt" or p1 == "doubt"):
                            pass
                        elif p3 in _NEGATIONS or "n't" in p3:
                            valence = valence * _N_SCALAR
                        # every phrase the idiom rule tries contains p2, p1 or the word itself
                        if p2 in _IDIOM_WORDS or p1 in _IDIOM_WORDS or lower in _IDIOM_WORDS:
                            valence = _idioms(valence, lowers, i, n)
            if _LEAST_NEGATES and p1 == "least":
                if i > 1:
                    if p2 != "at" and p2 != "very":
                        valence = valence * _N_SCALAR
                else:
                    valence = valence * _N_SCALAR
        if valence:
            positions.append(i)
            values.append(valence)
    if not values:
        return 0.0
    if "but" in lowers:
        but = lowers.index("but")
        # VADER finds each sentiment again with list.index (the first equal value, already scaled or
        # not) and scales that one; kept as is, since it changes scores whenever two values are equal.
        for k in range(len(values)):
            value = values[k]
            j = values.index(value)
            if positions[j] < but:
                values[j] = value * 0.5
            elif positions[j] > but:
                values[j] = value * 1.5
    total = float(sum(values))
    if total:
        exclamations = text.count("!")
        if exclamations > 4:
            exclamations = 4
        amplifier = exclamations * 0.292
        questions = text.count("?")
        if questions > 1:
            amplifier = amplifier + (questions * 0.18 if questions <= 3 else 0.96)
        if total > 0:
            total += amplifier
        else:
            total -= amplifier
    score = total / math.sqrt((total * total) + 15)
    if score < -1.0:
        score = -1.0
    elif score > 1.0:
        score = 1.0
    return round(score, 4)
