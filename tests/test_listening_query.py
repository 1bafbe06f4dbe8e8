"""Listening queries: the parser (every construct, precedence, positioned errors, limits) and the matcher,
which must agree with a plain reference evaluator on generated queries and posts."""

from __future__ import annotations

import itertools
import random
import re
import time
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialdesk.kit.errors import InvalidInput
from socialdesk.listening.matcher import Matcher
from socialdesk.listening.mention import Mention
from socialdesk.listening.query import (
    MAX_DEPTH,
    MAX_QUERY_CHARS,
    MAX_TERMS,
    And,
    Field,
    Near,
    Not,
    Or,
    Phrase,
    QuerySyntaxError,
    Term,
    caret,
    normalize,
    parse,
)


def t(word, prefix=False):
    return Term(word, prefix)


# -- parser: constructs ----------------------------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    ("acme", t("acme")),
    ("ACME", t("acme")),
    ("Café", t("cafe")),
    ("Straße", t("strasse")),
    ("ＡＢＣ", t("abc")),
    ("acme globex", And((t("acme"), t("globex")))),
    ("acme AND globex", And((t("acme"), t("globex")))),
    ("acme OR globex", Or((t("acme"), t("globex")))),
    ("acme and globex", And((t("acme"), t("and"), t("globex")))),  # lower-case operators are words
    ("NOT acme", Not(t("acme"))),
    ("acme NOT job", And((t("acme"), Not(t("job"))))),
    ("acme AND NOT job", And((t("acme"), Not(t("job"))))),
    ('"battery fire"', Phrase((t("battery"), t("fire")))),
    ('"say \\"hi\\" now"', Phrase((t("say"), t("hi"), t("now")))),
    ('"single"', t("single")),
    ('"battery fire"~5', Near((t("battery"), t("fire")), 5)),
    ('"a b c"~2', Near((t("a"), t("b"), t("c")), 2)),
    ("battery NEAR/5 fire", Near((t("battery"), t("fire")), 5)),
    ("launch* NEAR/0 event", Near((t("launch", True), t("event")), 0)),
    ("launch*", t("launch", True)),
    ("Lau*", t("lau", True)),
    ('"launch* event"', Phrase((t("launch", True), t("event")))),
    ("e-bike", Phrase((t("e"), t("bike")))),
    ("e-bike*", Phrase((t("e"), t("bike", True)))),
    ("#acme", t("acme")),
    ("lang:EN", Field("lang", "en")),
    ("lang:pt-BR", Field("lang", "pt-br")),
    ("author:@Acme", Field("author", "acme")),
    ('author:"Acme.bsky.social"', Field("author", "acme.bsky.social")),
    ("source:Mastodon", Field("source", "mastodon")),
    ("hashtag:#Launch", Field("hashtag", "launch")),
    ("mention:acme@mastodon.social", Field("mention", "acme@mastodon.social")),
    ("LANG:fr", Field("lang", "fr")),
    ("(acme)", t("acme")),
    ("((acme OR globex))", Or((t("acme"), t("globex")))),
])
def test_each_construct_parses_to_its_tree(query, expected):
    assert parse(query) == expected


def test_precedence_is_not_then_near_then_and_then_or():
    assert parse("acme OR globex launch") == Or((t("acme"), And((t("globex"), t("launch")))))
    assert parse("a AND b OR c AND d") == Or((And((t("a"), t("b"))), And((t("c"), t("d")))))
    assert parse("NOT a b") == And((Not(t("a")), t("b")))
    assert parse("NOT acme NEAR/3 fire") == Not(Near((t("acme"), t("fire")), 3))
    assert parse("(a OR b) c") == And((Or((t("a"), t("b"))), t("c")))
    assert parse("NOT NOT a") == Not(Not(t("a")))
    assert parse("a OR b OR (c OR d)") == Or((t("a"), t("b"), t("c"), t("d")))


def test_printed_tree_parses_back_to_the_same_tree():
    for query in ['(acme OR "acme corp" OR @acme) NOT (job* OR hiring) lang:en', 'NOT (a OR b) c NEAR/4 dee*',
                  '"a b c"~3 OR source:"we\\"ird" mention:x.bsky.social', "hashtag:x AND (NOT a OR b)"]:
        tree = parse(query)
        assert parse(str(tree)) == tree


# -- parser: errors with their positions ---------------------------------------------------------

@pytest.mark.parametrize("query, position, words", [
    ("", 0, "empty"),
    ("   ", 0, "empty"),
    ("(acme OR globex", 0, "never closed"),
    ("acme (globex (x)", 5, "never closed"),
    ("acme)", 4, "no opening parenthesis"),
    ("acme OR globex) x", 14, "no opening parenthesis"),
    ("()", 0, "empty parentheses"),
    ('acme "battery fire', 5, "quote is never closed"),
    ('"a \\" b', 0, "quote is never closed"),
    ("acme AND", 5, "AND needs a term after it"),
    ("acme OR", 5, "OR needs a term after it"),
    ("acme AND OR x", 5, "AND needs a term after it"),
    ("(acme OR) x", 6, "OR needs a term after it"),
    ("OR acme", 0, "OR needs a term before it"),
    ("AND acme", 0, "AND needs a term before it"),
    ("acme NOT", 5, "NOT needs a term after it"),
    ("NEAR/3 fire", 0, "NEAR needs a term before it"),
    ("battery NEAR/3", 8, "NEAR needs a term after it"),
    ("battery NEAR fire", 8, "NEAR needs a distance"),
    ("battery NEAR/ fire", 8, "NEAR needs a distance"),
    ("battery NEAR/x fire", 8, "NEAR needs a distance"),
    ("battery NEAR/51 fire", 13, "at most 50"),
    ('x NEAR/2 "a b"', 2, "joins two single words"),
    ("a NEAR/2 b NEAR/2 c", 11, "joins two words"),
    ('"battery fire"~', 14, "~ needs a number"),
    ('"battery fire"~x', 14, "~ needs a number"),
    ('"battery fire"~99', 15, "at most 50"),
    ("acme~2", 4, "~N only follows a quoted phrase"),
    ("color:red", 0, "unknown field color:"),
    ("acme https://x.com", 5, "unknown field https:"),
    ("lang:", 0, "lang: needs a value"),
    ("x author: y", 2, "author: needs a value"),
    ("lang:english!", 5, "lang: takes a value like lang:en"),
    ("hashtag:two words", 8, None),  # "two" is a fine hashtag; "words" is a term: no error
    ('hashtag:"two words"', 9, "hashtag: takes a value"),
    ("author:acme*", 11, "no wildcard"),
    ("la*", 2, "at least 3"),
    ("*", 0, "at least 3"),
    ("launch**", 6, "may only end a word"),
    ("la*unch", 2, "may only end a word"),
    ('"fire la* now"', 8, "at least 3"),
    ('"fire \\"x\\" a*b"', 13, "may only end a word"),
    ("acme-*", 5, "right before *"),
    ("!!!", 0, "no letters or digits"),
    ('""', 0, "phrase has no words"),
])
def test_errors_point_at_the_position(query, position, words):
    if words is None:
        parse(query)
        return
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query)
    err = caught.value
    assert words in err.reason
    assert err.position == position, (query, err.position, err.reason)
    assert isinstance(err, InvalidInput) and err.errors[0].field == "query"
    assert f"at position {position}" in str(err)


def test_caret_points_under_the_problem_even_on_a_later_line():
    with pytest.raises(QuerySyntaxError) as caught:
        parse("acme OR\n(globex AND")
    err = caught.value
    assert err.position == 16
    assert err.caret() == "(globex AND\n        ^\nAND needs a term after it"
    assert caret("a\tb)", 3) == "a b)\n   ^"


def test_size_limits_give_clear_errors():
    with pytest.raises(QuerySyntaxError, match="at most 4000 characters") as caught:
        parse("a " * (MAX_QUERY_CHARS // 2 + 1))
    assert caught.value.position == MAX_QUERY_CHARS
    deep = "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(QuerySyntaxError, match="levels") as caught:
        parse(deep)
    assert caught.value.position == MAX_DEPTH
    parse("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH)
    with pytest.raises(QuerySyntaxError, match="levels"):
        parse("NOT " * (MAX_DEPTH + 1) + "a")
    many = " OR ".join(f"w{i}" for i in range(MAX_TERMS + 1))
    with pytest.raises(QuerySyntaxError, match="at most 256 terms") as caught:
        parse(many)
    assert caught.value.position == many.index(f"w{MAX_TERMS}")
    with pytest.raises(QuerySyntaxError, match="at most 12 words"):
        parse('"' + " ".join("abcdefghijklm") + '"')


def test_control_characters_in_a_query_separate_words():
    assert parse("acme\x00fire") == Phrase((t("acme"), t("fire")))
    assert parse('"acme\u200bfire\x1b"') == Phrase((t("acme"), t("fire")))
    with pytest.raises(QuerySyntaxError) as caught:
        parse("acme\x07 AND")
    assert caught.value.position == 6 and "\x07" not in caught.value.caret()


# -- matching: hand-picked cases ---------------------------------------------------------------------

def matches(query: str, post: Mention | str) -> bool:
    post = Mention(post) if isinstance(post, str) else post
    return Matcher([(1, query)]).match(post) == [1]


@pytest.mark.parametrize("query, text, expected", [
    ("acme", "I love ACME!", True),
    ("acme", "acmes are fine", False),
    ("acme", "#Acme launch", True),
    ("cafe", "Le CAFÉ est ouvert", True),
    ("café", "the cafe", True),
    ("strasse", "Hauptstraße 5", False),  # a word, not a substring
    ("hauptstrasse", "HAUPTSTRASSE 5", True),
    ('"battery fire"', "a battery, fire!", True),
    ('"battery fire"', "fire battery", False),
    ('"battery fire"~0', "fire battery", True),
    ('"battery fire"~1', "battery the fire", True),
    ('"battery fire"~1', "battery of the fire", False),
    ("battery NEAR/2 fire", "fire in a battery", True),
    ("battery NEAR/2 fire", "fire in a big battery", False),
    ('"fire fire"~1', "fire alarm", False),
    ('"fire fire"~1', "fire alarm fire", True),
    ('"a b c"~1', "c x a b", True),
    ('"a b c"~1', "c x y a b", False),
    ("launch*", "Launches today", True),
    ("launch*", "launch", True),
    ("launch*", "relaunch", False),
    ('"new launch*"', "the new launcher", True),
    ("e-bike", "E bike recall", True),
    ("acme NOT job*", "acme jobs", False),
    ("acme NOT job*", "acme news", True),
    ("NOT spam", "hello", True),
    ("NOT spam", "spam", False),
])
def test_words_phrases_wildcards_proximity(query, text, expected):
    assert matches(query, text) is expected


def test_field_filters():
    post = Mention("Big day!", lang="en-GB", author="@Acme.bsky.social", source="Bluesky",
                   hashtags=("#Launch",), mentions=("globex@mastodon.social",))
    for query, expected in [("lang:en", True), ("lang:en-gb", True), ("lang:en-us", False), ("lang:fr", False),
                            ("author:acme", True), ("author:acme.bsky.social", True), ("author:acme.social", False),
                            ("source:bluesky", True), ("source:x", False), ("hashtag:launch", True),
                            ("hashtag:day", False), ("mention:globex", True),
                            ("mention:globex@mastodon.social", True), ("mention:acme", False),
                            ("big lang:en NOT author:globex", True)]:
        assert matches(query, post) is expected, query
    in_text = Mention("Thanks @Bob! #SpringMenu #Café", lang="fr")
    assert matches("mention:bob hashtag:springmenu hashtag:cafe lang:fr", in_text)
    assert matches("springmenu", in_text)  # a hashtag is also a word of the text


def test_add_replace_remove_and_rebuild():
    m = Matcher()
    m.add("a", "acme")
    m.add("b", "globex OR acme*")
    m.add("c", "NOT acme")
    post = Mention("acme corp")
    assert m.match(post) == ["a", "b"]
    m.add("a", "globex")  # replacing keeps one query under the id
    assert m.match(post) == ["b"] and len(m) == 3
    m.remove("b")
    m.remove("missing")
    assert m.match(post) == [] and m.match(Mention("hello")) == ["c"]
    assert "b" not in m and m.stats()["always"] == 1
    for i in range(200):
        m.add(i, f"w{i} OR launch*")
    for i in range(190):
        m.remove(i)
    assert m.match(Mention("w195 and w3 launcher")) == ["c", *range(190, 200)]
    assert m.match(Mention("w195")) == ["c", 195]


def test_learned_frequencies_anchor_queries_on_rare_words():
    m = Matcher([(1, "the AND zyxwv"), (2, "fire NEAR/3 quokka")])
    m.learn([Mention("the fire is out"), Mention("the fire again"), Mention("a quokka")] * 10)
    assert m._anchor[0] == frozenset({"zyxwv"}) and m._anchor[1] == frozenset({"quokka"})
    assert m.match(Mention("The big quokka fire, zyxwv the")) == [1, 2]


def test_invalid_query_text_is_refused_when_added():
    m = Matcher()
    with pytest.raises(QuerySyntaxError) as caught:
        m.add(1, "acme AND (globex")
    assert caught.value.position == 9 and len(m) == 0


def test_control_characters_and_huge_bodies_are_handled_in_bounded_time():
    m = Matcher([(1, '"acme fire"'), (2, "acme NEAR/50 fire"), (3, '"fire fire fire"~0'), (4, '"x y z"~50'),
                 (5, "fir* NEAR/50 fire*"), (6, "NOT acme"), (7, "hashtag:acme"), (8, '"a b c d e f g h"~50')])
    # fir* and fire* need two words: one "fire" is not enough for query 5.
    assert m.match(Mention("ACME\x00fire\x1b[31m\u202e\ufeff")) == [1, 2]
    assert m.match(Mention("\x00" * 1000 + "#acme")) == [7]
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(500)] + ["fire", "x", "y", "a", "b", "c", "d", "e", "f", "g"]
    body = " ".join(rng.choice(vocab) for _ in range(12_000))[:49_990] + " acme fire"
    assert len(body) == 50_000
    start = time.perf_counter()
    found = m.match(Mention(body))
    assert time.perf_counter() - start < 3
    assert {1, 2, 5}.issubset(found) and 6 not in found
    start = time.perf_counter()
    assert m.match(Mention("fire " * 10_000)) == [3, 5, 6]
    assert m.match(Mention("a b c d e f g " * 5000 + "h")) == [6, 8]
    assert time.perf_counter() - start < 3
    assert m.match(Mention("fire " * 50_000)) == [3, 5, 6]  # cut at 100,000 characters, still quick


# -- matching agrees with a reference evaluator --------------------------------------------------------

def _word_ok(term: Term, word: str) -> bool:
    return word.startswith(term.word) if term.prefix else word == term.word


def _handles(raw: str) -> set[str]:
    h = normalize(raw).strip().lstrip("@").rstrip(".-")
    cuts = [i for i in (h.find("@"), h.find(".")) if i > 0]
    return {h, h[:min(cuts)]} if cuts else ({h} if h else set())


def reference(node, post: Mention) -> bool:
    """Brute force straight from the language's definition."""
    text = normalize(post.text)
    ws = re.findall(r"\w+", text)
    if isinstance(node, Term):
        return any(_word_ok(node, w) for w in ws)
    if isinstance(node, Phrase):
        k = len(node.words)
        return any(all(_word_ok(term, ws[i + j]) for j, term in enumerate(node.words)) for i in range(len(ws) - k + 1))
    if isinstance(node, Near):
        spots = [[i for i, w in enumerate(ws) if _word_ok(term, w)] for term in node.words]
        return any(len(set(c)) == len(c) and max(c) - min(c) + 1 - len(c) <= node.distance
                   for c in itertools.product(*spots))
    if isinstance(node, Not):
        return not reference(node.child, post)
    if isinstance(node, And):
        return all(reference(c, post) for c in node.children)
    if isinstance(node, Or):
        return any(reference(c, post) for c in node.children)
    value = node.value
    if node.name == "lang":
        lang = normalize(post.lang).strip().replace("_", "-")
        return bool(lang) and value in (lang, lang.split("-")[0])
    if node.name == "source":
        return value == normalize(post.source).strip()
    if node.name == "author":
        return value in _handles(post.author)
    if node.name == "hashtag":
        tags = set(re.findall(r"(?<!\w)#(\w+)", text)) | {normalize(h).strip().lstrip("#") for h in post.hashtags}
        return value in tags
    handles = set().union(*(_handles(h) for h in
                            [*re.findall(r"(?<![\w@])@([\w.\-]+(?:@[\w.\-]+)?)", text), *post.mentions]))
    return value in handles


VOCAB = ["acme", "globex", "fire", "battery", "launch", "launches", "launcher", "cafe", "e", "bike", "x"]
SHOWN = ["acme", "ACME", "Globex", "fire", "FIRE", "battery", "launch", "Launches", "launcher", "Café", "cafe",
         "e", "bike", "x", "#acme", "@acme", "#launch", "@bob.bsky.social", "naïve", "Straße"]
SEPARATORS = [" ", " ", " ", ", ", "-", "\x00", "\u200b", "\n", "! "]

words_ = st.sampled_from(VOCAB + ["strasse", "naive"]).map(Term)
prefixes_ = st.sampled_from(["lau", "launch", "bat", "glo", "fir", "acm"]).map(lambda w: Term(w, True))
terms = st.one_of(words_, words_, prefixes_)
fields = st.one_of(
    st.sampled_from(["en", "fr", "en-gb"]).map(lambda v: Field("lang", v)),
    st.sampled_from(["bob", "bob.bsky.social", "ann"]).map(lambda v: Field("author", v)),
    st.sampled_from(["mastodon", "x"]).map(lambda v: Field("source", v)),
    st.sampled_from(["acme", "launch", "cafe"]).map(lambda v: Field("hashtag", v)),
    st.sampled_from(["acme", "bob", "bob.bsky.social"]).map(lambda v: Field("mention", v)),
)
leaves = st.one_of(
    terms, terms, fields,
    st.lists(terms, min_size=2, max_size=3).map(lambda ws: Phrase(tuple(ws))),
    st.tuples(st.lists(terms, min_size=2, max_size=3), st.integers(0, 4)).map(lambda p: Near(tuple(p[0]), p[1])),
)
trees = st.recursive(leaves, lambda inner: st.one_of(
    inner.map(Not),
    st.lists(inner, min_size=2, max_size=3).map(lambda cs: And(tuple(cs))),
    st.lists(inner, min_size=2, max_size=3).map(lambda cs: Or(tuple(cs))),
), max_leaves=8)
posts = st.builds(
    Mention,
    text=st.lists(st.tuples(st.sampled_from(SHOWN), st.sampled_from(SEPARATORS)), max_size=14)
    .map(lambda parts: "".join(w + s for w, s in parts)),
    lang=st.sampled_from(["", "en", "EN-gb", "fr", "en_US"]),
    author=st.sampled_from(["", "bob", "@Bob.bsky.social", "ann@mastodon.social"]),
    source=st.sampled_from(["", "mastodon", "X"]),
    hashtags=st.lists(st.sampled_from(["cafe", "#Launch"]), max_size=2).map(tuple),
    mentions=st.lists(st.sampled_from(["bob", "acme@mastodon.social"]), max_size=2).map(tuple),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(trees, min_size=1, max_size=12), st.lists(posts, min_size=1, max_size=8))
def test_matcher_agrees_with_the_reference(queries, stream):
    parsed = [parse(str(q)) for q in queries]
    assert [parse(str(p)) for p in parsed] == parsed
    matcher = Matcher(enumerate(parsed))
    expected = [[i for i, q in enumerate(parsed) if reference(q, post)] for post in stream]
    assert [matcher.match(post) for post in stream] == expected
    matcher.learn(stream)  # other anchors, same answers
    assert [matcher.match(post) for post in stream] == expected


LANGS = ["", "en", "fr", "en-gb", "de", "pt"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(trees, min_size=1, max_size=12), st.lists(posts, min_size=1, max_size=8), st.sampled_from(LANGS),
       st.booleans())
def test_a_language_is_detected_only_when_an_answer_depends_on_it(queries, stream, detected, learned):
    """A post without a language: when ``detect`` is not called, the matches are those of the post in any
    language; when it is, they are those of the post in the language it returns."""
    parsed = [parse(str(q)) for q in queries]
    matcher = Matcher(enumerate(parsed))
    if learned:
        matcher.learn(stream)  # anchors on rare keys, lang: ones among them
    for post in map(lambda p: replace(p, lang=""), stream):
        calls = []
        got, lang = matcher.match_detecting(post, lambda: calls.append(1) or detected or None)
        answers = {other: [i for i, q in enumerate(parsed) if reference(q, replace(post, lang=other))]
                   for other in LANGS}
        if calls:
            assert len(calls) == 1 and (got, lang) == (answers[detected], detected)
        else:
            assert lang == "" and all(got == answer for answer in answers.values()), (got, answers)


def test_a_post_needs_its_language_only_for_the_queries_it_could_match():
    matcher = Matcher([(1, "acme AND lang:fr"), (2, "globex NOT lang:en"), (3, "initech")])
    calls = []

    def detect():
        calls.append(1)
        return "fr"

    assert matcher.match_detecting(Mention("initech is hiring"), detect) == ([3], "")
    assert calls == []  # no query with a lang: filter could match
    assert matcher.match_detecting(Mention("acme opens in Lyon"), detect) == ([1], "fr")
    assert matcher.match_detecting(Mention("globex et acme"), detect) == ([1, 2], "fr") and len(calls) == 2
    assert matcher.match_detecting(Mention("acme", lang="en"), detect) == ([], "en") and len(calls) == 2
