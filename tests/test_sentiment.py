"""Sentiment: inbox.vader_fast returns exactly vaderSentiment's compound; score() clips and labels it.

Every comparison is against the installed vaderSentiment's own SentimentIntensityAnalyzer, bit for bit
(float.hex), on VADER's example sentences, every lexicon word and emoji, thousands of seeded texts built to
hit each rule, a hypothesis property and long texts. Any single difference fails with the texts shown.
"""

from __future__ import annotations

import ast
import csv
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vaderSentiment import vaderSentiment as vs

from socialdesk.inbox import sentiment, vader_fast
from socialdesk.inbox.vader_fast import EMOJIS, LEXICON, compound

STOCK = vs.SentimentIntensityAnalyzer()
LABELLED = Path(__file__).parent / "data" / "sentiment_labelled.csv"


def stock(text: str) -> float:
    return STOCK.polarity_scores(text)["compound"]


def mismatches(texts) -> list[tuple[str, float, float]]:
    """Texts whose compound differs from stock VADER's in any bit (sign of zero included)."""
    out = []
    for text in texts:
        ours, theirs = compound(text), stock(text)
        if not isinstance(ours, float) or ours.hex() != float(theirs).hex():
            out.append((text, ours, theirs))
    return out


def assert_identical(texts) -> int:
    texts = list(texts)
    bad = mismatches(texts)
    assert not bad, f"{len(bad)} of {len(texts)} texts differ from vaderSentiment, first: {bad[:5]}"
    return len(texts)


# ---- VADER's own examples -------------------------------------------------------------------------


def vader_examples() -> list[str]:
    """The example sentences of vaderSentiment's demo (its __main__ block, as installed), read from its source."""
    tree = ast.parse(Path(vs.__file__).read_text(encoding="utf-8"))
    wanted = {"sentences", "tricky_sentences", "nonEnglish_sentences", "conceptList", "paragraph"}
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) in wanted for t in node.targets):
            found += [c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
    return found


def test_vader_demo_sentences_score_identically():
    examples = vader_examples()
    assert len(examples) >= 45 and "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!" in examples
    paragraph = next(e for e in examples if e.startswith("It was one of the worst movies"))
    sentences = examples + [s.strip() + "." for s in paragraph.split(".") if s.strip()]
    assert_identical(sentences)
    # The published figures of VADER's README, as a check that both sides really run VADER.
    assert compound("VADER is smart, handsome, and funny.") == 0.8316
    assert compound("VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!") == 0.9469
    assert compound("The plot was good, but the characters are uncompelling and the dialog is not great.") == -0.7042
    assert compound("Today SUX!") == -0.5461


def test_each_rule_on_hand_written_cases():
    cases = [
        "The food is good", "The food is not good", "The food isn't good", "The food ain't good",
        "The food is never so good", "The food has never been this good!", "Without a doubt, excellent idea.",
        "Without doubt excellent", "no good", "no no good", "not good nor bad", "no bad or good", "no bad nor good",
        "no sugar nor love", "no, no, or nor love", "No FUN nor GREAT",
        "no", "no.", "No way", "It is not bad at all", "at least it's not horrible", "the least good thing",
        "least good", "very least good", "kind of good", "kind of", "it was sort of ok", "just enough good",
        "kinda sux", "VERY good", "very GOOD", "VERY GOOD", "GOOD", "GOOD good", "The bomb", "this is the bomb",
        "the shit", "kiss of death for the launch", "yeah right, great job", "cut the mustard", "bad ass",
        "a badass update", "to die for", "beating heart", "bus stop is nice", "good but bad", "bad but good",
        "good good but bad bad", "great! great! but great", "But", "but but good", "BUT good", "good BUT",
        "love love love love", "love!!!!!!", "love???", "love??", "love?", "hate!?!?!?", "?!", "!!!!!",
        ":) :( :D :P <3 </3", "(-: ;) xD", "👍", "👎👎", "😡😡😡", "I ❤ it", "a😂b", "😂 😂", " 😂", "💩!!",
        "don't like it", "doesn't work", "can't stand it", "I cant even", "dont love it", "uh-uh, good",
        "rarely good", "seldom bad", "despite good reviews", "nothing good", "nope, great",
        "it's not the least bit fun", "NOT BAD", "Not bad", "not BAD", "No GOOD", "FRIGGIN awesome",
        "fricking awful", "hella good", "extremely bad", "barely ok", "EXTREMELY bad", "extremely BAD",
        "so so good", "so this good", "never this so good", "never so bad", "this good",
        "it is so bad", "the bus stop sucks",
    ]
    assert_identical(cases)


def test_every_lexicon_word_in_context():
    rng = random.Random(7)
    lead = ["", "not ", "very ", "no ", "never so ", "kind of ", "the ", "least ", "at least ", "VERY ",
            "isn't ", "but ", "extremely hardly "]
    tail = ["", "!", "!!!", "??", " but ok", " thing", " or nor", " :)"]
    texts = []
    for word in LEXICON:
        for shape in (word, word.upper()):
            texts.append(f"{rng.choice(lead)}{shape}{rng.choice(tail)}")
    assert assert_identical(texts) == 2 * len(LEXICON)


def test_every_emoji_alone_and_in_text():
    texts = []
    for emoji in EMOJIS:  # multi-code-point ones too: VADER only describes single code points
        texts += [emoji, f"so {emoji}", f"good{emoji}!", f"{emoji}{emoji} not", f"a {emoji}b"]
    assert_identical(texts)


# ---- seeded generated texts -----------------------------------------------------------------------

WORDS = list(LEXICON)
FILLER = ("the a to and of is in it you that for on this my was be just are at have with order store "
          "app delivery team support service price today week update account").split()
BOOSTERS = list(vs.BOOSTER_DICT)
NEGATIONS = list(vs.NEGATE) + ["no", "nor", "or", "n't", "never so", "never this", "without doubt",
                                "without a doubt", "at least", "very least", "least"]
IDIOMS = list(vs.SPECIAL_CASES) + list(vs.SENTIMENT_LADEN_IDIOMS) + ["kind of", "sort of", "just enough"]
CONTRACTIONS = ["don't", "isn't", "ain't", "can't", "won't", "wouldn't", "doesn't", "hadn't", "I'm", "it's",
                "y'all", "shouldn't've"]
PUNCTUATION = ["!", "!!", "!!!", "!!!!!!", "?", "??", "???", "????", "?!?!", "...", ",", ".", ";", "—", "(", ")",
               "\"", "'", "*", ":", "-", "#", "@"]
EMOJI_ONE = [e for e in EMOJIS if len(e) == 1]
EMOJI_MULTI = [e for e in EMOJIS if len(e) > 1]
UNKNOWN_EMOJI = ["🫠", "🪿", "🫶", "🥲", "🧋", "⛳️", "\u2200", "\u2190", "\u2b00", "\u3031", "\U0001f6fa", "\U0001f90f"]
ENTITIES = ["https://acme.example/p/42?ref=good!", "http://x.co/abc.", "www.acme.example", "@acme", "@Acme_Help:",
            "#fail", "#LoveIt", "#not", "4521", "3.5", "$19.99", "10%", "24/7", "2nd", "#1", "1,000,000"]
UNICODE = ["café", "naïve", "Straße", "STRASSE", "ΟΔΟΣ", "ΟΔΟΣ.", "Σ", "Привет", "ПЛОХО", "日本語です", "最高！",
           "مرحبا", "שלום", "İstanbul", "ǅemal", "ﬁne", "Ⅻ", "e\u0301", "\u0130", "ᾼ", "𝐠𝐨𝐨𝐝", "ＧＯＯＤ"]
CONTROL = ["\x00", "\x07", "\x1b", "\x7f", "\t", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\u00a0",
           "\u200b", "\u2028", "\u3000", "\ufeff", "\ud800"]
SEPARATORS = [" "] * 12 + ["", "  ", "\n", "\t", "\u00a0", "\u3000", "\x1c"]


def _word(rng: random.Random) -> str:
    pool = rng.choices(
        [WORDS, FILLER, BOOSTERS, NEGATIONS, IDIOMS, CONTRACTIONS, PUNCTUATION, EMOJI_ONE, EMOJI_MULTI,
         UNKNOWN_EMOJI, ENTITIES, UNICODE, CONTROL, ["but", "BUT", "But", "but,"], ["kind", "of", "so", "this", "no", "or", "nor", "least", "at", "very"]],
        weights=[30, 25, 8, 8, 4, 4, 6, 4, 1, 1, 3, 2, 1, 3, 5])[0]
    word = rng.choice(pool)
    shape = rng.random()
    if shape < 0.12:
        word = word.upper()
    elif shape < 0.17:
        word = word.title()
    elif shape < 0.20:
        word = word.lower()
    if rng.random() < 0.15:
        word = rng.choice(PUNCTUATION) + word if rng.random() < 0.4 else word + rng.choice(PUNCTUATION)
    return word


def generated(seed: int, count: int, max_words: int = 30) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(0, max_words)):
            parts += [_word(rng), rng.choice(SEPARATORS)]
        text = "".join(parts)
        if rng.random() < 0.05:
            text = text.upper()
        texts.append(text)
    return texts


def test_generated_texts_score_identically():
    texts = generated(seed=2024, count=6000)
    assert sum("but" in t.lower() for t in texts) > 500  # the generator does reach the rules
    assert sum(any(e in t for e in EMOJI_ONE[:300]) for t in texts) > 100
    assert assert_identical(texts) == 6000


def test_short_and_degenerate_texts():
    texts = ["", " ", "\n\t ", "\x00", "!", "?", "??", "!?", ".", ":)", "a", "no", "but", "kind of", "least",
             "never", "so", "GOOD", "good" * 50, "😂" * 40, "!" * 500, "? " * 300, "\u00a0good\u00a0",
             "\u3000bad\u3000", "\x1cgood\x1d", "good\x00bad", "ŉ", "ß", "ΣΑΣ ΟΔΟΣ ΣΑΣ!"]
    assert_identical(texts)


def test_long_texts_score_identically():
    # Stock VADER is quadratic in words (each rule lower-cases the whole text again), so long texts stay few.
    rng = random.Random(99)
    long_texts = ["".join(generated(seed=s, count=40, max_words=25)) for s in range(3)]
    long_texts += [" ".join(rng.choice(WORDS + FILLER + ["but"]) for _ in range(400)) for _ in range(2)]
    assert min(len(t) for t in long_texts) > 2000
    assert_identical(long_texts)


def test_token_memo_is_bounded_and_changes_no_score(monkeypatch):
    texts = generated(seed=31, count=400)
    warm = [compound(t) for t in texts]
    vader_fast._WORDS.clear()
    assert [compound(t) for t in texts] == warm  # cold memo, same scores
    monkeypatch.setattr(vader_fast, "_MAX_TOKENS", 50)
    vader_fast._WORDS.clear()
    assert [compound(t) for t in texts] == warm  # memo starting over many times mid-text
    assert len(vader_fast._WORDS) <= 50
    assert_identical(texts)


# ---- hypothesis -----------------------------------------------------------------------------------

_token = st.one_of(
    st.sampled_from(WORDS), st.sampled_from(FILLER), st.sampled_from(BOOSTERS), st.sampled_from(NEGATIONS),
    st.sampled_from(IDIOMS), st.sampled_from(PUNCTUATION), st.sampled_from(EMOJI_ONE),
    st.sampled_from(["but", "BUT", "kind", "of", "so", "this", "no", "least", "at", "very"]),
    st.text(max_size=6),
).flatmap(lambda w: st.sampled_from([w, w.upper(), w.title(), w + "!", "(" + w + ")"]))


@settings(max_examples=1500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_token, st.sampled_from(SEPARATORS)), max_size=25))
def test_property_same_compound_as_vader(parts):
    text = "".join(t + s for t, s in parts)
    ours, theirs = compound(text), stock(text)
    assert ours.hex() == float(theirs).hex(), (text, ours, theirs)


@settings(max_examples=500, deadline=None, database=None)
@given(st.text(max_size=80))
def test_property_any_unicode_text(text):
    assert compound(text).hex() == float(stock(text)).hex(), text


# ---- score(): clipping, labels, empties -----------------------------------------------------------


def test_score_clips_long_text_and_labels_by_vader_cutoffs():
    rng = random.Random(5)
    huge = " ".join(rng.choice(WORDS[:3000] + FILLER + ["but", "not", "!!!", "😂"]) for _ in range(12_000))
    huge = huge[:50_000]
    assert len(huge) == 50_000
    value, label = sentiment.score(huge)
    assert value == stock(huge[: sentiment.MAX_SCORED])
    assert label == sentiment.label_for(value)
    # what lies past the clip does not count
    assert sentiment.score(huge[: sentiment.MAX_SCORED] + " terrible awful hate" * 500)[0] == value


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\u00a0\u3000"])
def test_empty_text_is_neutral(text):
    assert sentiment.score(text) == (0.0, sentiment.NEUTRAL)


def test_labels_follow_the_cutoffs():
    assert [sentiment.label_for(v) for v in (0.05, 0.0499, 0.0, -0.0499, -0.05, 1.0, -1.0)] == [
        "positive", "neutral", "neutral", "neutral", "negative", "positive", "negative"]
    assert sentiment.score("I love this, thank you!") == (stock("I love this, thank you!"), "positive")
    assert sentiment.score("Worst support ever, still broken")[1] == "negative"
    assert sentiment.score("The store opens at 9 on Monday")[1] == "neutral"


# ---- the labelled set -----------------------------------------------------------------------------


def read_labelled() -> list[tuple[str, str]]:
    with LABELLED.open(encoding="utf-8", newline="") as f:
        rows = [line for line in f if not line.startswith("#")]
    return [(r["text"], r["label"]) for r in csv.DictReader(rows)]


def test_labelled_set_is_well_formed_and_scores_identically():
    rows = read_labelled()
    assert len(rows) >= 300
    assert {label for _, label in rows} == set(sentiment.LABELS)
    assert len({text for text, _ in rows}) == len(rows), "duplicate texts"
    counts = {label: sum(1 for _, lab in rows if lab == label) for label in sentiment.LABELS}
    assert min(counts.values()) >= 60, counts
    assert_identical(text for text, _ in rows)


def test_labels_reach_the_accuracy_floor_on_the_labelled_set():
    """Guards the quality of the product's sentiment labels (socialdesk.inbox.sentiment.score), not only their
    identity with VADER: on the hand-labelled brand comments accuracy stays >= 0.65 and macro-F1 >= 0.64
    (bench/README.md measured 67.8% and 0.673). A change of cut-offs, clipping or labelling that makes the
    labels worse fails here with the figures shown."""
    rows = read_labelled()
    predicted = [sentiment.score(text)[1] for text, _ in rows]
    truth = [label for _, label in rows]
    accuracy = sum(p == t for p, t in zip(predicted, truth)) / len(rows)
    per_class = {}
    for label in sentiment.LABELS:
        tp = sum(p == label and t == label for p, t in zip(predicted, truth))
        said = sum(p == label for p in predicted)
        actual = sum(t == label for t in truth)
        precision = tp / said if said else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = (precision, recall, f1)
    macro_f1 = sum(f1 for _, _, f1 in per_class.values()) / len(per_class)
    figures = (f"accuracy {accuracy:.1%}, macro-F1 {macro_f1:.3f} on {len(rows)} texts; "
               + ", ".join(f"{label} P {p:.0%} / R {r:.0%} / F1 {f:.3f}" for label, (p, r, f) in per_class.items()))
    print(figures)
    assert accuracy >= 0.65 and macro_f1 >= 0.64, figures
