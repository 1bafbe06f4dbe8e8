"""Sentiment of what the public writes: VADER (lexicon and rules tuned for social media), offline.

The compound score is in [-1, 1]; the labels use VADER's own published cut-offs (>= 0.05 positive,
<= -0.05 negative). Scores come from inbox.vader_fast, which returns exactly vaderSentiment's compound
several times faster (tests/test_sentiment.py holds it to that; bench/sentiment.py measures it).
"""

from __future__ import annotations

from socialdesk.inbox.vader_fast import compound as _compound

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
LABELS = (POSITIVE, NEUTRAL, NEGATIVE)
MAX_SCORED = 2_000  # characters scored: a long text's opening carries its tone, and VADER is linear in length


def label_for(compound: float) -> str:
    if compound >= 0.05:
        return POSITIVE
    if compound <= -0.05:
        return NEGATIVE
    return NEUTRAL


def score(text: str) -> tuple[float, str]:
    """(compound score, label) of ``text``; an empty text is neutral."""
    if not text or not text.strip():
        return 0.0, NEUTRAL
    compound = _compound(text[:MAX_SCORED])
    return compound, label_for(compound)
