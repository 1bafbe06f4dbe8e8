"""Listening match throughput: 10,000 stored queries against a stream of short posts on one core,
the indexed Matcher side by side with the plain approach (every query one Python regex, tried on
every post), with the memory of the compiled index and a check that both find the same matches.

Queries and posts are generated (seeded): a vocabulary with Zipf-distributed word frequencies, brand,
product and competitor names, campaign hashtags, handles, several languages and accents. Each of
1,000 clients has ten queries over the four topics (brand, competitor, campaign, industry): phrases,
wildcards, NEAR/N and "a b"~N, NOT clauses, field filters, and a few NOT-only queries.

Run: .venv/bin/python bench/listening_match.py [--queries 10000] [--posts 200000] [--sample 300]
Targets (issue): at least 20,000 posts/s through matching; under 500 MB for 10,000 queries.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import re
import sys
import time
import tracemalloc

from socialdesk.listening.matcher import Matcher
from socialdesk.listening.mention import MAX_TEXT_CHARS, Mention, field_keys
from socialdesk.listening.query import And, Field, Near, Node, Not, Phrase, Term, normalize, parse

# -- generated world -------------------------------------------------------------------------------

COMMON = ("the a to and of is in it you that for on this i with my was so be just are at have but not "
          "what all can out like we get your they me if no about one new now up more its from how today "
          "good great love time really day people got still think know back best make need even").split()
ACCENTED = ["café", "naïve", "crème", "déjà", "jalapeño", "straße", "müller", "façade", "señor", "über"]
LANGS = ["en"] * 55 + ["es"] * 10 + ["fr"] * 10 + ["de"] * 8 + ["pt-BR"] * 7 + ["ja"] * 5 + [""] * 5
SOURCES = ["mastodon"] * 3 + ["bluesky"] * 3 + ["x"] * 4 + ["news", "reddit", "blog"]


def pseudo_words(rng: random.Random, n: int, syllables=(1, 4)) -> list[str]:
    onsets = "b c d f g h j k l m n p r s t v w z br cl dr fl gr pl st tr ch sh th".split()
    vowels = "a e i o u ai ea io ou".split()
    seen, out = set(), []
    while len(out) < n:
        w = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(*syllables)))
        w += rng.choice(["", "", "n", "r", "s", "x", "t"])
        if w not in seen and len(w) >= 3:
            seen.add(w)
            out.append(w)
    return out


class World:
    def __init__(self, seed: int):
        rng = self.rng = random.Random(seed)
        self.vocab = COMMON + ACCENTED + pseudo_words(rng, 30_000)
        self.cum = list(itertools.accumulate(1 / (r + 1) ** 1.07 for r in range(len(self.vocab))))
        self.brands = pseudo_words(rng, 2_500, (2, 3))
        self.brand_cum = list(itertools.accumulate(1 / (r + 1) ** 0.8 for r in range(len(self.brands))))
        self.products = pseudo_words(rng, 400, (1, 2))
        self.tags = pseudo_words(rng, 3_000, (2, 3))
        self.handles = [f"{w}{rng.randint(0, 99)}" for w in pseudo_words(rng, 20_000, (1, 3))]
        self.mid = self.vocab[150:4000]  # industry words: common enough to be talked about, not stop words

    def words(self, k: int) -> list[str]:
        return self.rng.choices(self.vocab, cum_weights=self.cum, k=k)

    def brand(self) -> str:
        return self.rng.choices(self.brands, cum_weights=self.brand_cum)[0]


def queries(world: World, count: int) -> list[tuple[str, str]]:
    """(topic, query text) for ``count`` queries: ten per client over brand, competitor, campaign, industry."""
    rng, out = world.rng, []
    for client in itertools.count():
        if len(out) >= count:
            break
        # Each client its own brand; competitors are drawn by popularity, so big names recur.
        brand, rival, other = world.brands[client % len(world.brands)], world.brand(), world.brand()
        product, tag = rng.choice(world.products), rng.choice(world.tags)
        w = lambda: rng.choice(world.mid)  # noqa: E731
        lang = rng.choice(["en", "en", "fr", "es", "de"])
        mine = [
            ("brand", f'{brand} OR "{brand} {product}" OR @{brand} OR hashtag:{brand}'),
            ("brand", f"({brand} OR {brand}*) NOT (job* OR hiring OR {w()})"),
            ("brand", f'"{brand} {product}" OR "{product} {w()}"~3 lang:{lang}'),
            ("competitor", f"{rival} ({w()}* OR {w()} OR \"{w()} {w()}\")"),
            ("competitor", f"{rival} NEAR/5 {w()} OR {other} NEAR/3 {w()}*"),
            ("campaign", f'hashtag:{tag} OR "{tag} {w()}" OR mention:{brand}'),
            ("campaign", f"{tag}* AND (lang:{lang} OR source:{rng.choice(SOURCES)}) NOT author:{rng.choice(world.handles)}"),
            ("industry", f'"{w()} {w()}"~5 AND ({w()} OR {w()}) NOT source:reddit'),
            ("industry", f"{w()} NEAR/4 {w()}* AND lang:{lang}"),
            ("industry", f'author:{rng.choice(world.handles)} OR ("{w()} {w()}" {brand})'),
        ]
        if rng.random() < 0.02:
            mine[-1] = ("brand", f"NOT ({brand} OR spam) lang:{lang} source:news")  # anchored on fields only
        if rng.random() < 0.003:
            mine[-2] = ("industry", f"NOT {w()}")  # no anchor at all: checked on every post
        out.extend(mine)
    return out[:count]


def posts(world: World, count: int) -> list[Mention]:
    rng, out = world.rng, []
    for _ in range(count):
        words = world.words(rng.randint(6, 40))
        for _ in range(rng.choices([0, 1, 2], [55, 35, 10])[0]):
            name = world.brand()
            words.insert(rng.randrange(len(words) + 1), rng.choice([name, name.capitalize(), f"@{name}", f"#{name}",
                                                                    f"{name} {rng.choice(world.products)}"]))
        if rng.random() < 0.3:
            words.append("#" + rng.choice(world.tags))
        if rng.random() < 0.2:
            words.insert(0, "@" + rng.choice(world.handles))
        text = " ".join(w.upper() if rng.random() < 0.03 else w.capitalize() if rng.random() < 0.1 else w
                        for w in words)
        out.append(Mention(text=text + rng.choice([".", "!", "", " 🎉", "?"]), lang=rng.choice(LANGS),
                           author=rng.choice(world.handles), source=rng.choice(SOURCES)))
    return out


# -- the plain approach: one regex per query -------------------------------------------------------

_GAP = r"[^\w\x00]+"


def _word(term: Term) -> str:
    return re.escape(term.word) + (r"\w*" if term.prefix else r"\b")


def _assertion(node: Node) -> str:
    """A zero-width pattern that holds at the start of the document exactly when the query matches."""
    if isinstance(node, (Term, Phrase)):
        terms = (node,) if isinstance(node, Term) else node.words
        return r"(?=[^\x00]*?\b" + _GAP.join(map(_word, terms)) + ")"
    if isinstance(node, Near):
        if len(node.words) != 2:
            raise NotImplementedError("the plain approach handles proximity of two words")
        a, b = map(_word, node.words)
        between = rf"(?:{_GAP}\w+){{0,{node.distance}}}{_GAP}"
        return rf"(?=[^\x00]*?(?:\b{a}{between}{b}|\b{b}{between}{a}))"
    if isinstance(node, Field):
        return "(?=.*?" + re.escape(f"\x00{node.name}:{node.value}\x00") + ")"
    if isinstance(node, Not):
        return "(?!" + _assertion(node.child) + ")"
    if isinstance(node, And):
        return "".join(map(_assertion, node.children))
    return "(?:" + "|".join(map(_assertion, node.children)) + ")"


def plain_document(post: Mention) -> str:
    """Normalized text, then every field key (each NUL-led), then a closing NUL."""
    text = normalize(post.text[:MAX_TEXT_CHARS])
    return text + "".join(sorted(field_keys(post, text))) + "\x00"


def plain_match(compiled: list[tuple[str, re.Pattern]], post: Mention) -> list[str]:
    doc = plain_document(post)
    return [qid for qid, pattern in compiled if pattern.match(doc)]


# -- measuring -------------------------------------------------------------------------------------

def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def throughput(matcher: Matcher, stream: list[Mention]) -> tuple[float, float, int]:
    """Posts per second of wall-clock time and of this process's CPU time (the machine may be shared)."""
    start, cpu = time.perf_counter(), time.process_time()
    hits = 0
    for post in stream:
        hits += len(matcher.match(post))
    return len(stream) / (time.perf_counter() - start), len(stream) / (time.process_time() - cpu), hits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--sample", type=int, default=300, help="posts run through the plain approach")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the ingester would have
    world = World(args.seed)
    texts = queries(world, args.queries)
    topics = {t: sum(1 for topic, _ in texts if topic == t) for t in ("brand", "competitor", "campaign", "industry")}
    print(f"{len(texts):,} queries ({', '.join(f'{n:,} {t}' for t, n in topics.items())}); "
          f"one core (pid {os.getpid()})\n")

    ids = [f"q{i}" for i in range(len(texts))]
    start = time.perf_counter()
    trees = [parse(q) for _, q in texts]
    parse_s = time.perf_counter() - start
    rss_before = rss_mb()
    start = time.perf_counter()
    matcher = Matcher(zip(ids, trees))
    build_s = time.perf_counter() - start
    rss_after = rss_mb()
    tracemalloc.start()
    Matcher(zip(ids, (parse(q) for _, q in texts)))
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()

    warmup = posts(world, 5_000)
    start = time.perf_counter()
    matcher.learn(warmup)
    learn_s = time.perf_counter() - start
    start = time.perf_counter()
    matcher.rebuild()
    rebuild_s = time.perf_counter() - start
    stats = matcher.stats()
    print(f"parse {len(texts):,} queries      {parse_s:6.2f} s")
    print(f"build the index (compile)  {build_s:6.2f} s")
    print(f"learn on 5,000 posts        {learn_s:6.2f} s   (word shares, then re-anchor)")
    print(f"rebuild (re-anchor only)    {rebuild_s:6.2f} s")
    print(f"memory: parse + index peak {traced_peak:6.1f} MB (tracemalloc), RSS +{rss_after - rss_before:.1f} MB "
          f"for the index, process RSS {rss_mb():.0f} MB")
    print(f"index: {stats['keys']:,} keys, {stats['anchors_per_query']:.2f} anchors per query, "
          f"{stats['always']} queries checked on every post\n")

    start = time.perf_counter()
    stream = posts(world, args.posts)
    print(f"{len(stream):,} posts generated in {time.perf_counter() - start:.1f} s "
          f"(mean {sum(len(p.text) for p in stream) / len(stream):.0f} characters)")

    sample = stream[: args.sample]
    docs = [matcher.document(p) for p in sample]
    candidates = sum(len(matcher.candidates(d)) for d in docs) / len(docs)

    rate, rate_cpu, hits = throughput(matcher, stream)
    guessed = Matcher(zip(ids, trees))
    part = stream[: max(len(stream) // 4, 1)]
    guessed_rate, guessed_cpu, _ = throughput(guessed, part)

    compiled = [(qid, re.compile(_assertion(tree), re.DOTALL)) for qid, tree in zip(ids, trees)]
    start, cpu = time.perf_counter(), time.process_time()
    plain = [plain_match(compiled, p) for p in sample]
    plain_rate = len(sample) / (time.perf_counter() - start)
    plain_cpu = len(sample) / (time.process_time() - cpu)
    indexed = [matcher.match(p) for p in sample]
    mismatched = sum(1 for a, b in zip(plain, indexed) if a != b)

    print(f"matches: {hits / len(stream):.2f} per post; {candidates:.1f} candidate queries checked per post\n")
    print(f"{'approach':<54}{'posts/s wall':>13}{'per CPU-s':>11}")
    print(f"{'indexed Matcher, anchors from learned word shares':<54}{rate:>13,.0f}{rate_cpu:>11,.0f}"
          f"   ({len(stream):,} posts)")
    print(f"{'indexed Matcher, anchors from built-in guesses':<54}{guessed_rate:>13,.0f}{guessed_cpu:>11,.0f}"
          f"   ({len(part):,} posts)")
    print(f"{'plain: one regex per query, each tried on every post':<54}{plain_rate:>13,.1f}{plain_cpu:>11,.1f}"
          f"   ({len(sample):,} posts, measured, not extrapolated)")
    print(f"\nratio indexed / plain: {rate / plain_rate:,.0f}x wall, {rate_cpu / plain_cpu:,.0f}x CPU"
          f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"same matches on the {len(sample):,}-post sample: {'yes' if not mismatched else f'NO, {mismatched} differ'}"
          f" ({sum(map(len, plain)):,} matches)")

    failed = []
    if mismatched:
        failed.append("the two approaches disagree")
    if args.queries >= 10_000 and rate_cpu < 20_000:
        failed.append(f"{rate_cpu:,.0f} posts per CPU-second is under 20,000")
    if traced_peak >= 500:
        failed.append(f"{traced_peak:.0f} MB is not under 500 MB")
    for reason in failed:
        print("FAIL:", reason)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
