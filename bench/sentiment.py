"""Sentiment scoring cost and accuracy: stock vaderSentiment vs socialdesk.inbox.vader_fast on the same posts.

Corpus (seeded): short social posts (brand comments of 5-30 words built from the hand-labelled set's
sentences, lexicon words, boosters, negations, "but", emoji, mentions, hashtags, URLs, caps and !!!/???)
and long ones (reviews and threads of 1,000-6,000 characters, clipped to MAX_SCORED as score() does).
Each side scores every post; the best of ``--rounds`` CPU times (time.process_time, so the shared machine's
load moves it less) gives µs/post and posts/s. Every post's two compounds are compared bit for bit.

Then: score() with an LRU cache on a stream where a share of posts are exact repeats (retweets, copied
complaints), and VADER's accuracy on tests/data/sentiment_labelled.csv (accuracy, per-class precision and
recall, macro-F1). Exits non-zero if any score differs.

Run: .venv/bin/python bench/sentiment.py [--short 5000] [--long 300] [--rounds 3] [--repeats 0.2]
"""

from __future__ import annotations

import argparse
import csv
import functools
import os
import random
import sys
import time
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from socialdesk.inbox import sentiment, vader_fast
from socialdesk.inbox.vader_fast import LEXICON, compound

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "data" / "sentiment_labelled.csv"

BRANDS = ["@northwind", "@acme", "@acmehelp", "@Contoso", "#fail", "#LoveIt", "#CustomerService", "#ad"]
FILLER = ("the a to and of is in it you that for on this my was be just are at have with order store app "
          "delivery team support service price today week update account parcel refund staff").split()
MODIFIERS = ["very", "really", "so", "extremely", "kinda", "kind of", "not", "never", "no", "isn't", "don't",
             "ain't", "but", "least", "at least", "hardly", "totally", "VERY", "NOT"]
EMOJI = ["😡", "😂", "😍", "🙌", "👍", "👎", "🔥", "😭", "❤️", "🙃", "🤢", "✨", "😩", "🎉", "🫠"]
TAILS = ["", "", "", "!", "!!!", "?", "??", "???", "...", " :)", " :(", " smh", " lol", " tbh"]
URLS = ["https://northwind.example/orders/48213", "http://acme.example/help?id=7", "www.contoso.example"]


def read_labelled() -> list[tuple[str, str]]:
    with LABELLED.open(encoding="utf-8", newline="") as f:
        return [(r["text"], r["label"]) for r in csv.DictReader(line for line in f if not line.startswith("#"))]


def short_post(rng: random.Random, sentences: list[str], lexicon: list[str]) -> str:
    words = rng.choice(sentences).split()
    for _ in range(rng.randint(0, 8)):
        pool = rng.choices([lexicon, FILLER, MODIFIERS, EMOJI, BRANDS], weights=[4, 5, 3, 1, 1])[0]
        words.insert(rng.randint(0, len(words)), rng.choice(pool))
    if rng.random() < 0.15:
        words.insert(rng.randint(0, len(words)), rng.choice(URLS))
    if rng.random() < 0.1:
        i = rng.randrange(len(words))
        words[i] = words[i].upper()
    return " ".join(words[:30]) + rng.choice(TAILS)


def corpus(seed: int, shorts: int, longs: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    sentences = [t for t, _ in read_labelled()]
    lexicon = [w for w in LEXICON if w.isalpha()]
    short = [short_post(rng, sentences, lexicon) for _ in range(shorts)]
    long = []
    for _ in range(longs):
        target = rng.randint(1_000, 6_000)
        parts: list[str] = []
        while sum(map(len, parts)) < target:
            parts.append(short_post(rng, sentences, lexicon))
        long.append(" ".join(parts))
    return short, long


def best_cpu(fn, texts: list[str], rounds: int) -> float:
    """Best CPU seconds of ``rounds`` passes of ``fn`` over ``texts``."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for text in texts:
            fn(text)
        best = min(best, time.process_time() - start)
    return best


def compare_speed(name: str, texts: list[str], rounds: int, stock, fast) -> None:
    clipped = [t[: sentiment.MAX_SCORED] for t in texts]
    words = sum(len(t.split()) for t in clipped) / len(clipped)
    t_stock = best_cpu(stock, clipped, rounds)
    vader_fast._WORDS.clear()
    t_cold = best_cpu(fast, clipped, 1)  # first sight of every token: the memo fills as it goes
    t_fast = best_cpu(fast, clipped, rounds)
    t_score = best_cpu(sentiment.score, texts, rounds)
    n = len(texts)
    print(f"\n{name}: {n:,} posts, {words:.1f} words on average (after the {sentiment.MAX_SCORED:,}-character clip)")
    print(f"  {'':<28}{'µs/post':>10}{'posts/s':>12}")
    print(f"  {'stock polarity_scores':<28}{t_stock / n * 1e6:>10.1f}{n / t_stock:>12,.0f}")
    print(f"  {'vader_fast, cold token memo':<28}{t_cold / n * 1e6:>10.1f}{n / t_cold:>12,.0f}   {t_stock / t_cold:.1f}x faster")
    print(f"  {'vader_fast.compound':<28}{t_fast / n * 1e6:>10.1f}{n / t_fast:>12,.0f}   {t_stock / t_fast:.1f}x faster")
    print(f"  {'sentiment.score (clip+label)':<28}{t_score / n * 1e6:>10.1f}{n / t_score:>12,.0f}")


def identity(texts: list[str], stock) -> int:
    differ = [t for t in texts if compound(t[: sentiment.MAX_SCORED]).hex()
              != float(stock(t[: sentiment.MAX_SCORED])).hex()]
    print(f"\nidentity: {len(texts) - len(differ):,} of {len(texts):,} compounds equal bit for bit")
    for text in differ[:5]:
        print(f"  DIFFERS: {text[:120]!r}")
    return len(differ)


def cache_stream(seed: int, posts: list[str], repeats: float, size: int) -> list[str]:
    """A stream of ``size`` posts where a share ``repeats`` copies one of the last 2,000 seen."""
    rng = random.Random(seed)
    stream: list[str] = []
    fresh = iter(posts * (size // len(posts) + 1))
    for _ in range(size):
        if stream and rng.random() < repeats:
            # a repeat arrives as a new string object, as it would from a parsed network page
            stream.append("".join(list(rng.choice(stream[-2_000:]))))
        else:
            stream.append(next(fresh) + f" {len(stream)}")  # each fresh post unique
    return stream


def compare_cache(seed: int, posts: list[str], rounds: int, repeats: float) -> None:
    print("\nscore() with functools.lru_cache(maxsize=4096), plain and cached passes alternated, best of each:")
    for share in sorted({0.0, repeats, 0.5}):
        stream = cache_stream(seed, posts, share, len(posts))
        plain = cached_best = float("inf")
        for _ in range(max(rounds, 5)):
            plain = min(plain, best_cpu(sentiment.score, stream, 1))
            cached = functools.lru_cache(maxsize=4096)(sentiment.score)  # fresh cache each pass
            cached_best = min(cached_best, best_cpu(cached, stream, 1))
        hits = cached.cache_info().hits
        n = len(stream)
        print(f"  {share:>4.0%} repeats: plain {plain / n * 1e6:6.1f} µs/post, cached {cached_best / n * 1e6:6.1f}"
              f" µs/post (hit rate {hits / n:.0%})")


def accuracy() -> None:
    rows = read_labelled()
    labels = sentiment.LABELS
    predicted = [sentiment.score(text)[1] for text, _ in rows]
    truth = [label for _, label in rows]
    n = len(rows)
    correct = sum(p == t for p, t in zip(predicted, truth, strict=True))
    print(f"\nVADER on {LABELLED.relative_to(LABELLED.parent.parent.parent)} ({n} posts: "
          + ", ".join(f"{sum(t == lab for t in truth)} {lab}" for lab in labels) + ")")
    print(f"  accuracy {correct / n:.1%}")
    print(f"  {'':<10}{'precision':>10}{'recall':>8}{'F1':>7}")
    f1s = []
    for lab in labels:
        tp = sum(p == lab and t == lab for p, t in zip(predicted, truth, strict=True))
        pp = sum(p == lab for p in predicted)
        tt = sum(t == lab for t in truth)
        precision = tp / pp if pp else 0.0
        recall = tp / tt if tt else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        f1s.append(f1)
        print(f"  {lab:<10}{precision:>10.1%}{recall:>8.1%}{f1:>7.3f}")
    print(f"  macro-F1 {sum(f1s) / len(f1s):.3f}")
    print("  confusion (rows: label, columns: VADER): " + " ".join(f"{lab[:3]:>5}" for lab in labels))
    for lab in labels:
        cells = [sum(t == lab and p == q for p, t in zip(predicted, truth, strict=True)) for q in labels]
        print(f"  {'':<40}{lab:<9}" + " ".join(f"{c:>5}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=int, default=5_000, help="short posts (default 5000)")
    parser.add_argument("--long", type=int, default=300, help="long posts (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="passes per side; the best CPU time counts")
    parser.add_argument("--repeats", type=float, default=0.2, help="share of exact repeats in the cache stream")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    analyzer = SentimentIntensityAnalyzer()

    def stock(text: str) -> float:
        return analyzer.polarity_scores(text)["compound"]

    print(f"load average {os.getloadavg()[0]:.1f} at start (2 cores shared: compare the columns, not runs)")
    short, long = corpus(args.seed, args.short, args.long)
    compare_speed("short posts", short, args.rounds, stock, compound)
    compare_speed("long posts", long, args.rounds, stock, compound)
    differ = identity(short + long, stock)
    compare_cache(args.seed, short, args.rounds, args.repeats)
    accuracy()
    print(f"\nload average {os.getloadavg()[0]:.1f} at end")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
