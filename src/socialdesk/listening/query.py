"""Listening queries: a small boolean language, parsed into an AST; errors point at a position.

Grammar, from loosest to tightest binding (operators are written in capitals; ``and``, ``or``,
``not`` and ``near`` in lower case are ordinary words)::

    query   = or EOF
    or      = and { "OR" and }
    and     = unary { ["AND"] unary }       adjacent terms are joined by an implicit AND
    unary   = "NOT" unary | near
    near    = primary [ "NEAR/" N primary ] both sides single words or wildcards, order-free
    primary = "(" or ")" | field ":" value | '"' phrase '"' [ "~" N ] | word

So ``acme OR globex launch`` is ``acme OR (globex AND launch)``, and ``NOT acme NEAR/3 fire`` is
``NOT (acme NEAR/3 fire)``.

Matching is on words: runs of Unicode letters, digits and ``_`` (Python's ``\\w``), compared after
normalization: Unicode casefold, NFKD, combining marks dropped (``Café`` = ``cafe``, ``Straße`` =
``strasse``, full-width ``ＡＢＣ`` = ``abc``). Everything else (punctuation, ``#``, ``@``,
emoji, control characters) only separates words, so ``acme`` matches ``#acme`` and ``@acme`` in the
text, and a bare ``e-bike`` is the phrase ``"e bike"``.

- ``"exact phrase"``: the words in order, adjacent. ``\\"`` and ``\\\\`` escape inside quotes.
- ``launch*``: any word starting with ``launch``. The ``*`` may only end a word (also inside a
  phrase: ``"launch* event"``), after at least 3 letters or digits, so a prefix stays selective.
- ``"battery fire"~5`` and ``battery NEAR/5 fire``: every word present, in any order, with at most
  N other words between the first and the last (N from 0 to 50; each word at its own position).
- Fields: ``lang:en`` (also matches ``en-GB``; ``lang:en-gb`` only that), ``author:acme`` and
  ``mention:acme`` (a handle: ``acme``, ``@acme``, ``acme@mastodon.social`` or ``acme.bsky.social``
  all match ``acme``; a full handle only itself), ``source:mastodon``, ``hashtag:launch``. Values
  are bare or quoted, normalized like words, with no wildcards. Other ``name:`` prefixes are
  errors: quote text that contains a colon (``"10:30"``).
- Limits: 4,000 characters, 32 levels of parentheses or NOT, 256 terms, 12 words per phrase.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import regex

from socialdesk.kit.errors import FieldError, InvalidInput

MAX_QUERY_CHARS = 4000
MAX_DEPTH = 32
MAX_TERMS = 256
MAX_PHRASE_WORDS = 12
MAX_DISTANCE = 50
MIN_PREFIX = 3
FIELDS = ("lang", "author", "source", "hashtag", "mention")

WORD = re.compile(r"\w+")
_MARKS = regex.compile(r"\p{Mn}+")
# Control and format characters (NUL, escapes, zero-width and bidi marks) only separate words.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]+")
_LANG = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*")
_HANDLE = re.compile(r"[\w.\-]+(?:@[\w.\-]+)?")
_BARE_END = frozenset(' \t\r\n\f\v()"')


def normalize(text: str) -> str:
    """Text as matching sees it: casefolded, accents and compatibility forms folded, controls as spaces."""
    if not text.isprintable():
        text = _CONTROL.sub(" ", text)
    if text.isascii():
        return text.lower()
    # No recomposition (NFC) afterwards: queries and posts go through the same steps, so they agree.
    return _MARKS.sub("", unicodedata.normalize("NFKD", text.casefold()))


def words(text: str) -> list[str]:
    """The normalized words of a text, in order."""
    return WORD.findall(normalize(text))


# -- the AST ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Term:
    """One normalized word; ``prefix`` for ``launch*``."""

    word: str
    prefix: bool = False

    def __str__(self) -> str:
        return self.word + ("*" if self.prefix else "")


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words in order, adjacent."""

    words: tuple[Term, ...]

    def __str__(self) -> str:
        return '"' + " ".join(map(str, self.words)) + '"'


@dataclass(frozen=True, slots=True)
class Near:
    """Every word present in any order, at most ``distance`` other words between first and last."""

    words: tuple[Term, ...]
    distance: int

    def __str__(self) -> str:
        if len(self.words) == 2:
            return f"{self.words[0]} NEAR/{self.distance} {self.words[1]}"
        return '"' + " ".join(map(str, self.words)) + f'"~{self.distance}'


@dataclass(frozen=True, slots=True)
class Field:
    """A filter on the post's language, author, source, hashtags or mentioned handles."""

    name: str
    value: str

    def __str__(self) -> str:
        return f'{self.name}:"' + self.value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class Not:
    child: Node

    def __str__(self) -> str:
        return f"NOT {_wrap(self.child, (And, Or))}"


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]

    def __str__(self) -> str:
        return " AND ".join(_wrap(c, (Or,)) for c in self.children)


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]

    def __str__(self) -> str:
        return " OR ".join(map(str, self.children))


Node = Term | Phrase | Near | Field | Not | And | Or


def _wrap(node: Node, kinds: tuple[type, ...]) -> str:
    return f"({node})" if isinstance(node, kinds) else str(node)


# -- errors ----------------------------------------------------------------------------------------

class QuerySyntaxError(InvalidInput):
    """A query that cannot be parsed: ``message`` says why, ``position`` (0-based) where."""

    def __init__(self, message: str, position: int, query: str = ""):
        self.position = position
        self.query = query
        super().__init__(f"query: {message} (at position {position})",
                         errors=[FieldError("query", f"{message} (at position {position})")])
        self.reason = message

    def caret(self) -> str:
        """The query line with a ``^`` under the offending character, then the message."""
        return caret(self.query, self.position) + "\n" + self.reason


def caret(query: str, position: int) -> str:
    """Two lines: the line of ``query`` holding ``position``, and a caret under that column."""
    start = query.rfind("\n", 0, position) + 1
    end = query.find("\n", position)
    line = query[start:end if end != -1 else len(query)]
    column = position - start
    # Tabs and controls would shift the caret; show them as single spaces.
    shown = "".join(c if c.isprintable() else " " for c in line)
    return shown + "\n" + " " * column + "^"


# -- the tokenizer ---------------------------------------------------------------------------------

@dataclass(slots=True)
class _Tok:
    kind: str  # ( ) WORD PHRASE FIELD AND OR NOT NEAR EOF
    pos: int
    text: str = ""
    offsets: tuple[int, ...] = ()  # query position of each character of ``text`` (phrases: escapes)
    number: int | None = None  # NEAR/N, "..."~N
    field: str = ""


def _tokenize(query: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif c in "()":
            toks.append(_Tok(c, i))
            i += 1
        elif c == '"':
            tok, i = _quoted(query, i)
            if i < n and query[i] == "~":
                tok.number, i = _number(query, i + 1, i, "~ needs a number of words after it, like \"a b\"~5")
            toks.append(tok)
        else:
            start = i
            while i < n and query[i] not in _BARE_END:
                i += 1
            toks.append(_bare(query, start, i))
            if toks[-1].kind == "FIELD" and not toks[-1].text:
                if i < n and query[i] == '"':
                    value, i = _quoted(query, i)
                    toks[-1].text, toks[-1].offsets = value.text, value.offsets
                    if i < n and query[i] == "~":
                        raise QuerySyntaxError("~N only follows a phrase, not a field value", i, query)
                else:
                    raise QuerySyntaxError(f"{toks[-1].field}: needs a value, like {_EXAMPLE[toks[-1].field]}",
                                           start, query)
    toks.append(_Tok("EOF", n))
    return toks


_EXAMPLE = {"lang": "lang:en", "author": "author:acme", "source": "source:mastodon",
            "hashtag": "hashtag:launch", "mention": "mention:acme"}


def _quoted(query: str, start: int) -> tuple[_Tok, int]:
    chars, offsets = [], []
    i, n = start + 1, len(query)
    while i < n:
        c = query[i]
        if c == "\\" and i + 1 < n:
            chars.append(query[i + 1])
            offsets.append(i + 1)
            i += 2
        elif c == '"':
            return _Tok("PHRASE", start, "".join(chars), tuple(offsets)), i + 1
        else:
            chars.append(c)
            offsets.append(i)
            i += 1
    raise QuerySyntaxError("this quote is never closed", start, query)


def _number(query: str, i: int, at: int, message: str) -> tuple[int, int]:
    j = i
    while j < len(query) and query[j].isdigit() and query[j].isascii():
        j += 1
    if j == i or (j < len(query) and query[j] not in _BARE_END):
        raise QuerySyntaxError(message, at, query)
    value = int(query[i:j])
    if value > MAX_DISTANCE:
        raise QuerySyntaxError(f"a distance is at most {MAX_DISTANCE} words", i, query)
    return value, j


def _bare(query: str, start: int, end: int) -> _Tok:
    text = query[start:end]
    if text in ("AND", "OR", "NOT"):
        return _Tok(text, start)
    if text.startswith("NEAR"):
        if text == "NEAR" or text[4] == "/":
            if not re.fullmatch(r"NEAR/[0-9]+", text):
                raise QuerySyntaxError("NEAR needs a distance in words, like NEAR/5", start, query)
            distance = int(text[5:])
            if distance > MAX_DISTANCE:
                raise QuerySyntaxError(f"a distance is at most {MAX_DISTANCE} words", start + 5, query)
            return _Tok("NEAR", start, number=distance)
    name, colon, value = text.partition(":")
    if colon and name and name.isascii() and name.isalpha():
        if name.lower() not in FIELDS:
            raise QuerySyntaxError(f"unknown field {name}:, use one of " + ", ".join(f + ":" for f in FIELDS)
                                   + ' (quote text that contains a colon)', start, query)
        at = start + len(name) + 1
        return _Tok("FIELD", start, value, tuple(range(at, at + len(value))), field=name.lower())
    if "~" in text:
        raise QuerySyntaxError('~N only follows a quoted phrase, like "a b"~5', start + text.index("~"), query)
    return _Tok("WORD", start, text, tuple(range(start, end)))


# -- the parser ------------------------------------------------------------------------------------

def parse(query: str) -> Node:
    """The AST of a listening query; raises QuerySyntaxError with the position of the problem."""
    if len(query) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"a query is at most {MAX_QUERY_CHARS} characters", MAX_QUERY_CHARS, query)
    if not query.strip():
        raise QuerySyntaxError("the query is empty", 0, query)
    return _Parser(query, _tokenize(query)).run()


class _Parser:
    def __init__(self, query: str, toks: list[_Tok]):
        self.query, self.toks, self.i, self.terms = query, toks, 0, 0

    def fail(self, message: str, pos: int):
        raise QuerySyntaxError(message, pos, self.query)

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def run(self) -> Node:
        node = self.or_(0)
        if self.tok.kind == ")":
            self.fail("no opening parenthesis for this one", self.tok.pos)
        return node

    def or_(self, depth: int) -> Node:
        children = [self.and_(depth, None)]
        while self.tok.kind == "OR":
            op = self.tok
            self.i += 1
            children.append(self.and_(depth, op))
        return _flat(Or, children)

    def and_(self, depth: int, after: _Tok | None) -> Node:
        children = [self.unary(depth, after)]
        while self.tok.kind not in ("OR", ")", "EOF"):
            op = None
            if self.tok.kind == "AND":
                op = self.tok
                self.i += 1
            children.append(self.unary(depth, op))
        return _flat(And, children)

    def unary(self, depth: int, after: _Tok | None) -> Node:
        if self.tok.kind == "NOT":
            op = self.tok
            if depth >= MAX_DEPTH:
                self.fail(f"at most {MAX_DEPTH} levels of parentheses and NOT", op.pos)
            self.i += 1
            return Not(self.unary(depth + 1, op))
        left = self.primary(depth, after)
        if self.tok.kind != "NEAR":
            return left
        op = self.tok
        self.i += 1
        right = self.primary(depth, op)
        if not (isinstance(left, Term) and isinstance(right, Term)):
            self.fail(f"NEAR/{op.number} joins two single words or wildcards; "
                      'for more words write "a b c"~N', op.pos)
        if self.tok.kind == "NEAR":
            self.fail('NEAR/N joins two words; for more words write "a b c"~N', self.tok.pos)
        return Near((left, right), op.number)

    def primary(self, depth: int, after: _Tok | None) -> Node:
        tok = self.tok
        if tok.kind == "(":
            if depth >= MAX_DEPTH:
                self.fail(f"at most {MAX_DEPTH} levels of parentheses and NOT", tok.pos)
            self.i += 1
            if self.tok.kind == ")":
                self.fail("empty parentheses", tok.pos)
            if self.tok.kind == "EOF":
                self.fail("this parenthesis is never closed", tok.pos)
            node = self.or_(depth + 1)
            if self.tok.kind != ")":
                self.fail("this parenthesis is never closed", tok.pos)
            self.i += 1
            return node
        if tok.kind in ("WORD", "PHRASE", "FIELD"):
            self.i += 1
            return self.term(tok)
        if after is not None:
            name = "NEAR" if after.kind == "NEAR" else after.kind
            self.fail(f"{name} needs a term after it", after.pos)
        if tok.kind in ("AND", "OR", "NEAR"):
            self.fail(f"{'NEAR' if tok.kind == 'NEAR' else tok.kind} needs a term before it", tok.pos)
        if tok.kind == ")":
            self.fail("no opening parenthesis for this one", tok.pos)
        self.fail("a term is missing here", tok.pos)

    def count(self, n: int, pos: int):
        self.terms += n
        if self.terms > MAX_TERMS:
            self.fail(f"a query has at most {MAX_TERMS} terms", pos)

    def term(self, tok: _Tok) -> Node:
        if tok.kind == "FIELD":
            self.count(1, tok.pos)
            return Field(tok.field, self.field_value(tok))
        if tok.kind == "WORD":
            terms = self.word_terms(tok.text, tok.offsets, tok.pos)
        else:
            terms = []
            for m in re.finditer(r"\S+", tok.text):
                terms += self.word_terms(m.group(), tok.offsets[m.start():m.end()], tok.pos)
            if not terms:
                self.fail("this phrase has no words", tok.pos)
        if len(terms) > MAX_PHRASE_WORDS:
            self.fail(f"a phrase has at most {MAX_PHRASE_WORDS} words", tok.pos)
        self.count(len(terms), tok.pos)
        if len(terms) == 1:
            return terms[0]
        if tok.number is not None:
            return Near(tuple(terms), tok.number)
        return Phrase(tuple(terms))

    def word_terms(self, text: str, offsets: tuple[int, ...], pos: int) -> list[Term]:
        star = text.find("*")
        base = text
        if star != -1:
            if star != len(text) - 1:
                self.fail("a wildcard * may only end a word", offsets[star])
            base = text[:-1]
        found = WORD.findall(normalize(base))
        if not found:
            if star != -1:
                self.fail(f"a wildcard needs at least {MIN_PREFIX} letters or digits before *", offsets[star])
            self.fail(f"{text!r} has no letters or digits to match; quote it or remove it", offsets[0])
        terms = [Term(w) for w in found]
        if star != -1:
            if not WORD.fullmatch(normalize(base[-1])) or len(found[-1]) < MIN_PREFIX:
                self.fail(f"a wildcard needs at least {MIN_PREFIX} letters or digits right before *", offsets[star])
            terms[-1] = Term(found[-1], prefix=True)
        return terms

    def field_value(self, tok: _Tok) -> str:
        value = normalize(tok.text).strip()
        at = tok.offsets[0] if tok.offsets else tok.pos
        if "*" in value:
            self.fail("a field value takes no wildcard", tok.offsets[tok.text.index("*")])
        if tok.field in ("author", "mention", "hashtag"):
            value = value.lstrip("#") if tok.field == "hashtag" else value.lstrip("@").rstrip(".-")
        ok = {"lang": _LANG, "hashtag": WORD, "author": _HANDLE, "mention": _HANDLE}.get(tok.field)
        if not value or (ok is not None and not ok.fullmatch(value)):
            self.fail(f"{tok.field}: takes a value like {_EXAMPLE[tok.field]}", at)
        return value


def _flat(kind: type, children: list[Node]) -> Node:
    if len(children) == 1:
        return children[0]
    out: list[Node] = []
    for child in children:
        out.extend(child.children if isinstance(child, kind) else (child,))
    return kind(tuple(out))
