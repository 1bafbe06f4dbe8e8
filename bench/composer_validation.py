"""Time check_all on a realistic 2,000-character post over every network, against naive baselines.

Run: .venv/bin/python bench/composer_validation.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time

from twitter_text import parse_tweet

from socialdesk.networks.rules import RULES
from socialdesk.networks.text import check, check_all

PARAGRAPH = (
    "Bonjour à tous ! Our spring menu is live at https://harborandvine.example.com/menu?season=spring 🍷🌸 "
    "Thanks @chef_marta and @alice.bsky.social for the tasting, and to our café crew in Besançon 👩🏽‍🍳👨‍👩‍👧. "
    "Book via harborandvine.example.com/book (we open at 17:00). #WineLovers #SpringMenu #日本酒 $WINE "
    "Crème brûlée, déjà vu, naïve piñata: the usual suspects 😀🇫🇷 — see you soon! "
)
TEXT = (PARAGRAPH * 8)[:2000]


def timings(fn, rounds: int) -> list[float]:
    """Milliseconds of each call after a few warm-up calls."""
    for _ in range(5):
        fn()
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(samples: list[float]) -> str:
    samples = sorted(samples)
    return f"median {statistics.median(samples):7.3f} ms   p95 {samples[int(len(samples) * 0.95) - 1]:7.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    rounds = parser.parse_args().rounds
    resolve = {"alice.bsky.social": "did:plc:alice"}.get
    print(f"text: {len(TEXT)} characters, {len(TEXT.encode())} UTF-8 bytes; {rounds} rounds\n")

    shared = timings(lambda: check_all(TEXT, resolve_handle=resolve), rounds)
    naive = timings(lambda: [check(n, TEXT, resolve_handle=resolve) for n in RULES], rounds)
    print("all networks per call")
    print(f"  check_all (text analysed once)          {summary(shared)}")
    print(f"  check() per network (re-analysed each)  {summary(naive)}\n")

    print("per network, check()                      (median / p95)")
    for network in RULES:
        print(f"  {network.value:<10} {summary(timings(lambda: check(network, TEXT, resolve_handle=resolve), rounds))}")
    library = timings(lambda: parse_tweet(TEXT), max(30, rounds // 10))
    print(f"\nX with twitter-text-parser's parse_tweet alone {summary(library)}")
    verdicts = check_all(TEXT, resolve_handle=resolve)
    print("\nverdicts: " + ", ".join(f"{n.value}={v.length}/{v.limit}{'' if v.valid else ' (invalid)'}" for n, v in verdicts.items()))
    assert statistics.median(shared) < 5, "check_all must stay under 5 ms for 2,000 characters"


if __name__ == "__main__":
    main()
