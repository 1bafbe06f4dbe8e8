"""Match many stored listening queries against a stream of posts, touching only the likely ones.

Each query is reduced to its *anchors*: a set of keys (words, ``launch*`` prefixes, field values)
of which a matching post must contain at least one; an AND keeps its rarest child's anchors, an OR
the union of its children's. Queries are indexed by their anchors. A post is analysed once (its
words, the prefixes of them that some query uses, its field keys); the index gives the candidate
queries, and each candidate's compiled predicate decides. Queries without anchors (``NOT spam``
alone) are checked on every post. Phrases and proximity are checked on word positions.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import replace
from typing import Callable

from socialdesk.listening.mention import MAX_TEXT_CHARS, Mention, field_key, field_keys, lang_keys
from socialdesk.listening.query import (
    WORD,
    And,
    Field,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    normalize,
    parse,
)

QueryId = Hashable
Predicate = Callable[[set, "Document"], bool]

# Without observed frequencies, anchors are chosen by these guesses (share of posts holding the key).
_COMMON = frozenset(
    "a an and are as at be but by for from has have i in is it its my no not of on or our so that the their "
    "this to was we were what when will with you your".split()
)
_FIELD_GUESS = {"lang": 0.5, "source": 0.3}


def _prefix_key(prefix: str) -> str:
    return "\x01" + prefix


def term_key(term: Term) -> str:
    """The key of a word or a prefix in a post's key set."""
    return _prefix_key(term.word) if term.prefix else term.word


class Document:
    """A post analysed once: its words in order and the set of keys (words, prefixes, fields) it holds."""

    __slots__ = ("words", "keys", "_positions")

    def __init__(self, words: list[str], keys: set[str]):
        self.words, self.keys = words, keys
        self._positions: dict[str, list[int]] | None = None

    def positions(self, term: Term) -> list[int]:
        """Sorted word positions where ``term`` occurs."""
        if self._positions is None:
            table: dict[str, list[int]] = {}
            for i, word in enumerate(self.words):
                table.setdefault(word, []).append(i)
            self._positions = table
        table = self._positions
        key = term_key(term)
        found = table.get(key)
        if found is None and term.prefix:
            found = sorted(i for word, ps in list(table.items())
                           if word[:1] != "\x01" and word.startswith(term.word) for i in ps)
            table[key] = found
        return found or []

    def phrase(self, terms: tuple[Term, ...]) -> bool:
        rest = [set(self.positions(t)) for t in terms[1:]]
        return any(all(p + i in s for i, s in enumerate(rest, 1)) for p in self.positions(terms[0]))

    def near(self, terms: tuple[Term, ...], distance: int) -> bool:
        if len(terms) == 2:
            return self._near_pair(self.positions(terms[0]), self.positions(terms[1]), distance + 1)
        return self._near_many(terms, distance + len(terms))

    @staticmethod
    def _near_pair(a: list[int], b: list[int], gap: int) -> bool:
        if len(a) > len(b):
            a, b = b, a
        for p in a:
            j = bisect_left(b, p - gap)
            while j < len(b) and b[j] <= p + gap:
                if b[j] != p:
                    return True
                j += 1
        return False

    def _near_many(self, terms: tuple[Term, ...], width: int) -> bool:
        """Some window of ``width`` words gives every term its own position (a small bipartite matching)."""
        k = len(terms)
        masks: dict[int, int] = {}
        for bit, term in enumerate(terms):
            for p in self.positions(term):
                masks[p] = masks.get(p, 0) | (1 << bit)
        points = sorted(masks)
        counts = [0] * k
        end = 0
        for start, first in enumerate(points):
            while end < len(points) and points[end] < first + width:
                for bit in range(k):
                    counts[bit] += masks[points[end]] >> bit & 1
                end += 1
            if all(counts) and _assign(k, [masks[p] for p in points[start:end]]):
                return True
            for bit in range(k):
                counts[bit] -= masks[first] >> bit & 1
        return False


def _assign(k: int, slots: list[int]) -> bool:
    """Whether each of ``k`` terms can take a distinct slot whose mask holds its bit (Kuhn's algorithm)."""
    owner = [-1] * len(slots)

    def place(bit: int, seen: list[bool]) -> bool:
        for s, mask in enumerate(slots):
            if mask >> bit & 1 and not seen[s]:
                seen[s] = True
                if owner[s] == -1 or place(owner[s], seen):
                    owner[s] = bit
                    return True
        return False

    return all(place(bit, [False] * len(slots)) for bit in range(k))


# -- compiling a query -----------------------------------------------------------------------------

def _simple_key(node: Node) -> str | None:
    if isinstance(node, Term):
        return term_key(node)
    if isinstance(node, Field):
        return field_key(node.name, node.value)
    return None


def compile_query(node: Node) -> Predicate:
    """A function ``(keys, document) -> bool`` equivalent to the query.

    The query becomes one Python expression (set tests on the post's keys, then position checks only
    where a phrase or proximity needs them), so a candidate costs one call, not one per node.
    """
    consts: list[object] = []
    source = _expression(node, consts)
    names = {f"_{i}": value for i, value in enumerate(consts)}
    return eval(f"lambda k, d: {source}", {"__builtins__": {}, **names})  # noqa: S307 - built from the AST only


def _const(value: object, consts: list[object]) -> str:
    consts.append(value)
    return f"_{len(consts) - 1}"


def _expression(node: Node, consts: list[object]) -> str:
    key = _simple_key(node)
    if key is not None:
        return f"{_const(key, consts)} in k"
    if isinstance(node, (Phrase, Near)):
        need = _const(frozenset(term_key(t) for t in node.words), consts)
        terms = _const(node.words, consts)
        check = f"d.phrase({terms})" if isinstance(node, Phrase) else f"d.near({terms}, {node.distance})"
        return f"({need} <= k and {check})"
    if isinstance(node, Not):
        key = _simple_key(node.child)
        return f"{_const(key, consts)} not in k" if key is not None else f"not ({_expression(node.child, consts)})"
    simple = frozenset(k for k in map(_simple_key, node.children) if k is not None)
    complex_ = [c for c in node.children if _simple_key(c) is None]
    if isinstance(node, And):
        banned = frozenset(_simple_key(c.child) for c in complex_
                           if isinstance(c, Not) and _simple_key(c.child) is not None)
        parts = [f"{_const(simple, consts)} <= k"] if simple else []
        parts += [f"{_const(banned, consts)}.isdisjoint(k)"] if banned else []
        parts += [_expression(c, consts) for c in complex_
                  if not (isinstance(c, Not) and _simple_key(c.child) is not None)]
        return "(" + " and ".join(parts) + ")"
    parts = [f"not {_const(simple, consts)}.isdisjoint(k)"] if simple else []
    parts += [_expression(c, consts) for c in complex_]
    return "(" + " or ".join(parts) + ")"


def field_values(node: Node, name: str) -> set[str]:
    """The values the query's ``name:`` filters name (``lang:fr OR lang:pt-br`` gives fr and pt-br)."""
    if isinstance(node, Field):
        return {node.value} if node.name == name else set()
    if isinstance(node, Not):
        return field_values(node.child, name)
    if isinstance(node, (And, Or)):
        return set().union(*(field_values(c, name) for c in node.children))
    return set()


def prefixes(node: Node) -> set[str]:
    """Every wildcard prefix the query uses (posts must be analysed for them)."""
    if isinstance(node, Term):
        return {node.word} if node.prefix else set()
    if isinstance(node, (Phrase, Near)):
        return {t.word for t in node.words if t.prefix}
    if isinstance(node, Not):
        return prefixes(node.child)
    if isinstance(node, (And, Or)):
        return set().union(*map(prefixes, node.children))
    return set()


def anchors(node: Node, share: Callable[[str], float]) -> tuple[float, frozenset[str]] | None:
    """Keys of which every matching post holds at least one, with their summed share of posts; None if none."""
    if isinstance(node, (Term, Field)):
        key = _simple_key(node)
        return share(key), frozenset((key,))
    if isinstance(node, (Phrase, Near)):
        return min(((share(k), frozenset((k,))) for k in map(term_key, node.words)), key=_by_cost)
    if isinstance(node, And):
        found = [a for a in (anchors(c, share) for c in node.children) if a is not None]
        return min(found, key=_by_cost) if found else None
    if isinstance(node, Or):
        found = [anchors(c, share) for c in node.children]
        if any(a is None for a in found):
            return None
        return sum(a[0] for a in found), frozenset().union(*(a[1] for a in found))
    return None  # NOT: a match may hold none of its words


def _by_cost(anchor: tuple[float, frozenset[str]]) -> tuple[float, int, tuple[str, ...]]:
    return anchor[0], len(anchor[1]), tuple(sorted(anchor[1]))  # ties broken the same way every build


def guess_share(key: str) -> float:
    """A rough share of posts holding ``key`` when no frequencies were observed."""
    if key.startswith("\x00"):
        return _FIELD_GUESS.get(key[1:].partition(":")[0], 0.001)
    if key.startswith("\x01"):
        return 0.5 / len(key)
    if key in _COMMON:
        return 0.2
    return 0.05 / max(len(key), 1)


# -- the matcher -----------------------------------------------------------------------------------

class Matcher:
    """All stored queries of all clients, matched together: ``add``, ``remove``, ``match``.

    ``learn(posts)`` measures how common each word is in a sample of recent posts and re-anchors every
    query on its rarest words (a rebuild of the index only; nothing is parsed again).
    """

    def __init__(self, queries: Iterable[tuple[QueryId, str | Node]] = (), *,
                 frequencies: Mapping[str, float] | None = None):
        self._slot: dict[QueryId, int] = {}
        self._ids: list[QueryId | None] = []
        self._asts: list[Node | None] = []
        self._preds: list[Predicate | None] = []
        self._anchor: list[frozenset[str] | None] = []
        # Per slot, the keys a post holds in each language the query's lang: filters name (empty: none).
        self._langs: list[tuple[tuple[str, ...], ...]] = []
        self._lang_anchored: set[int] | None = None  # slots anchored on a lang: key (None: to work out)
        self._index: dict[str, set[int]] = {}
        self._always: set[int] = set()
        self._prefix_uses: Counter[str] = Counter()
        self._prefix_lengths: tuple[int, ...] = ()
        self._prefix_cache: dict[str, list[str]] = {}  # word -> keys of the used prefixes it starts with
        self._seen_words: set[str] = set()
        self._frequencies = dict(frequencies) if frequencies is not None else None
        for query_id, query in queries:
            self.add(query_id, query)

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, query_id: QueryId) -> bool:
        return query_id in self._slot

    def share(self, key: str) -> float:
        if self._frequencies is None:
            return guess_share(key)
        # A key never seen in the sample is rare, but still order unseen keys by the guess.
        return self._frequencies.get(key, guess_share(key) * 1e-3)

    def add(self, query_id: QueryId, query: str | Node) -> Node:
        """Store (or replace) a query; text is parsed (QuerySyntaxError points at the problem)."""
        node = parse(query) if isinstance(query, str) else query
        pred = compile_query(node)
        if query_id in self._slot:
            self.remove(query_id)
        slot = len(self._ids)
        self._slot[query_id] = slot
        self._ids.append(query_id)
        self._asts.append(node)
        self._preds.append(pred)
        self._anchor.append(None)
        self._langs.append(tuple(lang_keys(v) for v in sorted(field_values(node, "lang"))))
        self._use_prefixes(prefixes(node), +1)
        self._place(slot)
        self._lang_anchored = None
        return node

    def remove(self, query_id: QueryId) -> None:
        """Forget a query; unknown ids are ignored."""
        slot = self._slot.pop(query_id, None)
        if slot is None:
            return
        self._unplace(slot)
        self._use_prefixes(prefixes(self._asts[slot]), -1)
        self._ids[slot] = self._asts[slot] = self._preds[slot] = None
        self._langs[slot] = ()
        self._lang_anchored = None
        if len(self._ids) > 64 and len(self._slot) < len(self._ids) // 2:
            self._compact()

    def learn(self, posts: Iterable[Mention]) -> None:
        """Observe how common each key is in these posts and re-anchor every query accordingly."""
        counts: Counter[str] = Counter()
        n = 0
        for post in posts:
            counts.update(self.document(post).keys)
            n += 1
        self._frequencies = {k: c / n for k, c in counts.items()} if n else None
        self.rebuild()

    def rebuild(self) -> None:
        """Recompute every query's anchors and the index (after the frequencies changed)."""
        self._index.clear()
        self._always.clear()
        self._lang_anchored = None
        for slot in self._slot.values():
            self._anchor[slot] = None
            self._place(slot)

    def document(self, post: Mention) -> Document:
        """Analyse a post once: words, the used prefixes they start with, field keys."""
        text = normalize(post.text[:MAX_TEXT_CHARS])
        found = WORD.findall(text)
        keys = set(found)
        if self._prefix_lengths:
            # Set operations keep the per-word work in C: only words never seen before are looked at.
            cache, seen = self._prefix_cache, self._seen_words
            new = keys - seen
            if new:
                if len(seen) > 200_000:  # bounded: the vocabulary of a real stream never stops growing
                    seen.clear()
                    cache.clear()
                    new = keys
                uses, lengths = self._prefix_uses, self._prefix_lengths
                for word in new:
                    got = [_prefix_key(word[:n]) for n in lengths[:bisect_right(lengths, len(word))]
                           if word[:n] in uses]
                    if got:
                        cache[word] = got
                seen |= new
            hit = cache.keys() & keys
            if hit:
                keys.update(*map(cache.__getitem__, hit))
        keys |= field_keys(post, text)
        return Document(found, keys)

    def match(self, post: Mention | Document) -> list[QueryId]:
        """Ids of the stored queries this post matches, in the order they were added."""
        doc = post if isinstance(post, Document) else self.document(post)
        keys = doc.keys
        preds, index = self._preds, self._index
        candidates = self._always.union(*[index[key] for key in index.keys() & keys])
        hits = [slot for slot in candidates if preds[slot](keys, doc)]
        hits.sort()
        ids = self._ids
        return [ids[slot] for slot in hits]

    def anchored_on(self, prefix: str) -> set[int]:
        """Slots of the queries anchored on a key starting with ``prefix`` (``field_key("lang", "")``)."""
        return set().union(*[slots for key, slots in self._index.items() if key.startswith(prefix)])

    def match_detecting(self, post: Mention, detect: Callable[[], str | None]) -> tuple[list[QueryId], str]:
        """``match`` for a post that may lack a language: ``detect()`` is called only when a candidate query's
        answer depends on it, i.e. differs between the languages its lang: filters name and none of them.
        Returns the ids and the language matched with ("" when unknown)."""
        doc = self.document(post)
        if post.lang:
            return self.match(doc), post.lang
        if self._lang_anchored is None:
            self._lang_anchored = self.anchored_on(field_key("lang", ""))
        keys, preds, langs = doc.keys, self._preds, self._langs
        for slot in self.candidates(doc) | self._lang_anchored:
            if langs[slot]:
                first = preds[slot](keys, doc)
                if any(preds[slot](keys.union(held), doc) != first for held in langs[slot]):
                    lang = detect() or ""
                    return self.match(self.document(replace(post, lang=lang)) if lang else doc), lang
        return self.match(doc), ""

    def candidates(self, doc: Document) -> set[int]:
        """Slots of the queries worth checking on this post: those anchored on its keys, and the unanchored."""
        index = self._index
        return self._always.union(*[index[key] for key in index.keys() & doc.keys])

    def stats(self) -> dict[str, float]:
        """Size of the index: queries, keys, queries checked on every post, mean anchors per query."""
        anchored = [a for s, a in enumerate(self._anchor) if a is not None and self._ids[s] is not None]
        return {"queries": len(self._slot), "keys": len(self._index), "always": len(self._always),
                "anchors_per_query": sum(map(len, anchored)) / max(len(anchored), 1)}

    # -- internals --

    def _place(self, slot: int) -> None:
        found = anchors(self._asts[slot], self.share)
        if found is None:
            self._always.add(slot)
            return
        self._anchor[slot] = found[1]
        for key in found[1]:
            self._index.setdefault(key, set()).add(slot)

    def _unplace(self, slot: int) -> None:
        self._always.discard(slot)
        for key in self._anchor[slot] or ():
            bucket = self._index.get(key)
            if bucket is not None:
                bucket.discard(slot)
                if not bucket:
                    del self._index[key]
        self._anchor[slot] = None

    def _use_prefixes(self, found: set[str], step: int) -> None:
        if not found:
            return
        for prefix in found:
            self._prefix_uses[prefix] += step
            if self._prefix_uses[prefix] <= 0:
                del self._prefix_uses[prefix]
        self._prefix_lengths = tuple(sorted({len(p) for p in self._prefix_uses}))
        self._prefix_cache.clear()
        self._seen_words.clear()

    def _compact(self) -> None:
        live = [(self._ids[s], self._asts[s], self._preds[s], self._langs[s]) for s in sorted(self._slot.values())]
        self._slot, self._ids, self._asts, self._preds, self._anchor, self._langs = {}, [], [], [], [], []
        for slot, (query_id, node, pred, langs) in enumerate(live):
            self._slot[query_id] = slot
            self._ids.append(query_id)
            self._asts.append(node)
            self._preds.append(pred)
            self._anchor.append(None)
            self._langs.append(langs)
        self.rebuild()
