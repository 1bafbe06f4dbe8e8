"""VADER's compound score (vaderSentiment 3.3.2), rule for rule, with the work done once per text.

Same lexicon files (read from the installed package, parsed the way it parses them), same word lists
and constants (imported from it), same rules in the same order of float operations, so the compound
equals ``SentimentIntensityAnalyzer().polarity_scores(text)["compound"]`` exactly. What differs is
only cost: the text is split once, each token's stripped lower-case word comes from a bounded memo,
only the lexicon words (found at C speed) go through the rules, which look their neighbours up in
precomputed sets, and the emoji are found by one regex instead of a character loop.
"""

from __future__ import annotations

import math
import re
import string
from itertools import compress
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
# Words that change the valence of a lexicon word up to three places after them (the idioms aside):
# boosters, negations, "no", "never so/this", "without doubt", the "so"/"this" of the third place, "least".
_MODIFIERS = frozenset(_BOOSTERS) | _NEGATIONS | {"no", "never", "without", "so", "this", "least"}


class _LowerWords(dict):
    """Token -> VADER's word for it, lower-cased; filled on first sight so map() can fetch words at C speed.

    VADER strips leading and trailing punctuation unless that leaves two characters or fewer (an emoticon
    like ":)" or a short word like "ok." stays whole). Bounded: social text keeps minting new tokens (links,
    numbers, handles), so the memo starts over past _MAX_TOKENS.
    """

    def __missing__(self, token: str) -> str:
        stripped = token.strip(_PUNCTUATION)
        lower = (stripped if len(stripped) > 2 else token).lower()
        if len(self) >= _MAX_TOKENS:
            self.clear()
        self[token] = lower
        return lower


_MAX_TOKENS = 50_000
_WORDS = _LowerWords()


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


def _phrases(table: dict[str, float]) -> tuple[dict, dict]:
    # Word pairs and triples as nested dicts: VADER joins tokens (which never hold whitespace) with single
    # spaces and looks the string up, so only keys of two or three space-separated words can ever match.
    pairs: dict[str, dict[str, float]] = {}
    triples: dict[str, dict[str, dict[str, float]]] = {}
    for phrase, value in table.items():
        parts = phrase.split(" ")
        if any(not p or p != p.strip() or len(p.split()) != 1 for p in parts):
            continue
        if len(parts) == 2:
            pairs.setdefault(parts[0], {})[parts[1]] = value
        elif len(parts) == 3:
            triples.setdefault(parts[0], {}).setdefault(parts[1], {})[parts[2]] = value
    return pairs, triples


_SPECIAL2, _SPECIAL3 = _phrases(_SPECIAL)
_BOOSTER2, _BOOSTER3 = _phrases(_BOOSTERS)
_MISSING = object()


def _pair(table: dict, a: str, b: str):
    inner = table.get(a)
    return _MISSING if inner is None else inner.get(b, _MISSING)


def _triple(table: dict, a: str, b: str, c: str):
    inner = table.get(a)
    if inner is None:
        return _MISSING
    inner = inner.get(b)
    return _MISSING if inner is None else inner.get(c, _MISSING)


def _idioms(valence: float, lowers: list[str], i: int, n: int) -> float:
    """VADER's _special_idioms_check: the first special phrase ending at the word, then those it starts."""
    w0, p1, p2, p3 = lowers[i], lowers[i - 1], lowers[i - 2], lowers[i - 3]
    for found in (_pair(_SPECIAL2, p1, w0), _triple(_SPECIAL3, p2, p1, w0), _pair(_SPECIAL2, p2, p1),
                  _triple(_SPECIAL3, p3, p2, p1), _pair(_SPECIAL2, p3, p2)):
        if found is not _MISSING:
            valence = found
            break
    if n - 1 > i:
        found = _pair(_SPECIAL2, w0, lowers[i + 1])
        if found is not _MISSING:
            valence = found
    if n - 1 > i + 1:
        found = _triple(_SPECIAL3, w0, lowers[i + 1], lowers[i + 2])
        if found is not _MISSING:
            valence = found
    for found in (_triple(_BOOSTER3, p3, p2, p1), _pair(_BOOSTER2, p3, p2), _pair(_BOOSTER2, p2, p1)):
        if found is not _MISSING:
            valence = valence + found
    return valence


def compound(text: str) -> float:
    """VADER's compound score of ``text`` (rounded to 4 places, as polarity_scores returns it)."""
    if not (text.isascii() and not _ASCII_EMOJI) and _EMOJI_RE.search(text):
        text = _EMOJI_RE.sub(_describe_emoji, text)
    # VADER strips the text before splitting; split() ignores outer whitespace and the strip keeps "!" and "?".
    tokens = text.split()
    lowers = list(map(_WORDS.__getitem__, tokens))
    scoring = _SCORING
    if scoring.keys().isdisjoint(lowers):
        return 0.0  # no lexicon word: every valence is zero
    n = len(tokens)
    # Stripping takes only ASCII punctuation, which has no case, so a token and its word agree on isupper().
    uppers = sum(map(str.isupper, tokens))
    cap_diff = 0 < n - uppers < n
    lexicon, boosters, negations, idiom_words = LEXICON, _BOOSTERS, _NEGATIONS, _IDIOM_WORDS
    n_scalar, c_incr, roles = _N_SCALAR, _C_INCR, _MODIFIERS
    apostrophe = "'" in text  # no other character lower-cases to one, so no word holds "n't" without it
    # Only non-zero valences matter: zeros change neither the sum nor the "but" rule below.
    positions: list[int] = []
    values: list[float] = []
    for i in compress(range(n), map(scoring.__contains__, lowers)):
        lower = lowers[i]
        if lower == "kind" and i < n - 1 and lowers[i + 1] == "of":
            continue
        base = valence = scoring[lower]
        if lower == "no" and i != n - 1 and lowers[i + 1] in lexicon:
            valence = 0.0
        if i > 2:
            p1, p2, p3 = lowers[i - 1], lowers[i - 2], lowers[i - 3]
            if (p1 not in roles and p2 not in roles and p3 not in roles
                    and not (apostrophe and ("n't" in p1 or "n't" in p2 or "n't" in p3))):
                # Most words follow three plain words: then only caps and the idioms can change them.
                if cap_diff and tokens[i].isupper():
                    if valence > 0:
                        valence += c_incr
                    else:
                        valence -= c_incr
                if p3 not in lexicon and (p2 in idiom_words or p1 in idiom_words or lower in idiom_words):
                    valence = _idioms(valence, lowers, i, n)
                if valence:
                    positions.append(i)
                    values.append(valence)
                continue
        if i > 0:
            p1 = lowers[i - 1]
            if p1 == "no" or (i > 1 and lowers[i - 2] == "no") or (
                    i > 2 and lowers[i - 3] == "no" and (p1 == "or" or p1 == "nor")):
                valence = base * n_scalar
        if cap_diff and tokens[i].isupper():
            if valence > 0:
                valence += c_incr
            else:
                valence -= c_incr
        if i > 0:
            if p1 not in lexicon:
                if p1 in boosters:
                    valence = valence + _scalar(tokens[i - 1], p1, valence, cap_diff)
                if p1 in negations or "n't" in p1:
                    valence = valence * n_scalar
            if i > 1:
                p2 = lowers[i - 2]
                if p2 not in lexicon:
                    if p2 in boosters:
                        valence = valence + _scalar(tokens[i - 2], p2, valence, cap_diff) * 0.95
                    if p2 == "never" and (p1 == "so" or p1 == "this"):
                        valence = valence * 1.25
                    elif p2 == "without" and p1 == "doubt":
                        pass
                    elif p2 in negations or "n't" in p2:
                        valence = valence * n_scalar
                if i > 2:
                    p3 = lowers[i - 3]
                    if p3 not in lexicon:
                        if p3 in boosters:
                            valence = valence + _scalar(tokens[i - 3], p3, valence, cap_diff) * 0.9
                        if (p3 == "never" and (p2 == "so" or p2 == "this")) or (p1 == "so" or p1 == "this"):
                            valence = valence * 1.25
                        elif p3 == "without" and (p2 == "doubt" or p1 == "doubt"):
                            pass
                        elif p3 in negations or "n't" in p3:
                            valence = valence * n_scalar
                        # every phrase the idiom rule tries contains p2, p1 or the word itself
                        if p2 in idiom_words or p1 in idiom_words or lower in idiom_words:
                            valence = _idioms(valence, lowers, i, n)
            if _LEAST_NEGATES and p1 == "least":
                if i > 1:
                    if p2 != "at" and p2 != "very":
                        valence = valence * n_scalar
                else:
                    valence = valence * n_scalar
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
