"""The search box's syntax: from the user's text to a tree of words and operators, and back.

What a reader types (README, "Search syntax"; the site's search help):

- words separated by spaces must all be on the page (AND); tokens written without a space
  between them (a Tibetan or Chinese word, a Mongolian word and its suffix after U+202F) stay
  one word, matched as a phrase;
- ``"..."`` is a phrase across spaces;
- ``a OR b`` (OR binds tighter than the spaces: ``乾隆 五月 OR 六月`` is 乾隆 and either month);
  ``AND`` may be written out;
- ``-word`` or ``NOT word`` excludes pages with the word;
- ``a NEAR/n b``: both within n tokens of each other, in either order;
- ``word*``: words beginning so (expanded against the index, a bounded number of them);
- ``title:``, ``collection:``, ``script:``, ``language:``, ``item:``, ``work:`` filter (quotes
  allowed in the value: ``title:"Geser khan"``).

This module only reads the text (no index, no Whoosh): ``parse`` returns a ``Parsed`` tree,
with the problems found; ``strict=True`` raises the first as ``QuerySyntaxError`` (a 400 on
the web, an error line in the CLI). A best-effort reading keeps what makes sense and says what
it dropped. ``describe`` writes a tree back as text, for "understood".
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Optional, Union

from library.errors import BadRequestError

__all__ = ["Understood", "Word", "All", "Any", "Not", "Near", "Node", "Parsed", "QuerySyntaxError",
           "FILTER_FIELDS", "MAX_NEAR", "MAX_PREFIXES", "parse", "describe", "is_space"]

# Field filters a query may carry; all but title are the index's facet or item fields.
FILTER_FIELDS = ("title", "collection", "script", "language", "item", "work")
# NEAR/n beyond this is not "near": a page is rarely longer than a few thousand tokens.
MAX_NEAR = 100
# Each prefix reads part of the index's vocabulary before the search starts: a query may
# have this many (the others are read as whole words).
MAX_PREFIXES = 8


class QuerySyntaxError(BadRequestError):
    """The query cannot be read as the search syntax (unbalanced quote, dangling OR, ...)."""

    hint = ('write words separated by spaces, "a phrase" in quotes, a OR b, -word, '
            'a NEAR/5 b, prefix*, or title:/collection:/script:/language:/item:/work: filters')


@dataclass
class Understood:
    """The query as understood: how the user's text was read and searched (catalog.querying
    fills the words' part, catalog.query_tree the operators, filters and prefixes)."""

    text: str  # as searched: capped, Menksoft converted, NFC
    scripts: list[str] = field(default_factory=list)  # of the query's words
    # how the Latin words were read: "wylie", "pinyin", "latin", "cyrillic", or None
    transliteration: Optional[str] = None
    converted: dict[str, str] = field(default_factory=dict)  # e.g. {"wylie": "བཀའ་འགྱུར"}
    aliases: list[str] = field(default_factory=list)  # the other spellings searched
    phrase: bool = False  # several tokens, matched as a phrase
    exact: bool = False
    truncated: bool = False
    sound: bool = False  # Chinese searched by sound too (the user's sound: prefix)
    # the query's operators written out ("乾隆 AND 五月"), when it has any
    reading: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)  # title:, item:, ... as read
    expanded: dict[str, int] = field(default_factory=dict)  # prefix* -> index terms searched
    capped: list[str] = field(default_factory=list)  # prefixes with more terms than searched
    problems: list[str] = field(default_factory=list)  # what could not be read, and was left

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Word:
    """Text searched as one unit: a phrase of its tokens (``quoted``: typed in quotes;
    ``prefix``: its last token is a prefix)."""

    text: str
    quoted: bool = False
    prefix: bool = False
    # written after an explicit AND: never read together with the word before it
    apart: bool = False


@dataclass(frozen=True)
class All:
    parts: tuple


@dataclass(frozen=True)
class Any:
    parts: tuple


@dataclass(frozen=True)
class Not:
    part: "Node"


@dataclass(frozen=True)
class Near:
    left: Word
    right: Word
    distance: int


Node = Union[Word, All, Any, Not, Near]


@dataclass
class Parsed:
    """The query read: its tree (None when it has no word), its filters (field -> values, all
    required), and the problems met (each a message a reader can act on)."""

    node: Optional[Node]
    filters: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def is_space(c: str) -> bool:
    """A space between words. U+202F (narrow no-break space) joins a Mongolian word and its
    suffix, so it is no separator."""
    return c.isspace() and c != "\u202f"


_NEAR = re.compile(r"NEAR(?:/(.*))?")
_FILTER = re.compile(r"([A-Za-z]+):(.*)", re.S)


@dataclass
class _Tok:
    kind: str  # "word", "or", "and", "not", "near", "filter"
    text: str = ""
    quoted: bool = False
    negated: bool = False
    distance: int = 0


def _lex(text: str, problems: list[str]) -> list[_Tok]:
    out: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if is_space(c):
            i += 1
            continue
        negated = c == "-" and i + 1 < n and not is_space(text[i + 1])
        start = i + 1 if negated else i
        if start < n and text[start] == '"':
            end = text.find('"', start + 1)
            if end < 0:
                problems.append("a quotation mark is not closed")
                end = n
            out.append(_Tok("word", text[start + 1:end], quoted=True, negated=negated))
            i = end + 1
            continue
        j = start
        while j < n and not is_space(text[j]) and text[j] != '"':
            j += 1
        raw = text[start:j]
        m = _FILTER.fullmatch(raw)
        if m and m.group(1).lower() in FILTER_FIELDS and not negated:
            name, value = m.group(1).lower(), m.group(2)
            if not value and j < n and text[j] == '"':
                end = text.find('"', j + 1)
                if end < 0:
                    problems.append("a quotation mark is not closed")
                    end = n
                value, j = text[j + 1:end], end + 1
            if not value.strip():
                problems.append(f"{name}: needs a value, e.g. {name}:…")
            else:
                out.append(_Tok("filter", f"{name}:{value.strip()}"))
            i = j
            continue
        i = j
        near = _NEAR.fullmatch(raw)
        if raw in ("OR", "|") and not negated:
            out.append(_Tok("or"))
        elif raw in ("AND", "&&") and not negated:
            out.append(_Tok("and"))
        elif raw == "NOT" and not negated:
            out.append(_Tok("not"))
        elif near and not negated:
            d = near.group(1)
            if d is None or not d.isdigit() or not 1 <= int(d) <= MAX_NEAR:
                problems.append(f"NEAR needs a distance from 1 to {MAX_NEAR}, as in a NEAR/5 b")
            else:
                out.append(_Tok("near", distance=int(d)))
        elif raw:
            out.append(_Tok("word", raw, negated=negated))
    return out


class _Reader:
    """Recursive descent over the tokens: and := or+ ; or := unary (OR unary)* ;
    unary := (NOT | -) near | near ; near := word (NEAR/n word)*."""

    def __init__(self, toks: list[_Tok], problems: list[str]) -> None:
        self.toks = toks
        self.i = 0
        self.problems = problems

    def peek(self) -> Optional[_Tok]:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def conjunction(self) -> Optional[Node]:
        parts: list[Node] = []
        apart = False
        while self.peek() is not None:
            tok = self.peek()
            if tok.kind in ("and", "or", "near"):
                self.take()
                if tok.kind == "and" and parts and self.peek() is not None \
                        and self.peek().kind in ("word", "not"):
                    apart = True
                    continue
                name = {"and": "AND", "or": "OR", "near": "NEAR"}[tok.kind]
                self.problems.append(f"{name} needs a word on each side")
                continue
            part = self.disjunction()
            if part is not None:
                parts.append(replace(part, apart=True) if apart and isinstance(part, Word)
                             else part)
            apart = False
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else All(tuple(parts))

    def disjunction(self) -> Optional[Node]:
        first = self.unary()
        alts = [first] if first is not None else []
        while self.peek() is not None and self.peek().kind == "or":
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind != "word" or not alts:
                self.problems.append("OR needs a word on each side")
                continue
            alt = self.unary()
            if alt is not None:
                alts.append(alt)
        if any(isinstance(a, Not) for a in alts) and len(alts) > 1:
            self.problems.append("an excluded word cannot be an alternative of OR")
            alts = [a for a in alts if not isinstance(a, Not)]
        if not alts:
            return None
        return alts[0] if len(alts) == 1 else Any(tuple(alts))

    def unary(self) -> Optional[Node]:
        tok = self.peek()
        if tok is not None and tok.kind == "not":
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind != "word":
                self.problems.append("NOT needs a word after it")
                return None
            inner = self.near()
            return Not(inner) if inner is not None else None
        if tok is not None and tok.kind == "word" and tok.negated:
            return Not(self.near())
        return self.near()

    def near(self) -> Optional[Node]:
        tok = self.peek()
        if tok is None or tok.kind != "word":
            return None
        left: Node = _word(self.take())
        while self.peek() is not None and self.peek().kind == "near":
            op = self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind != "word" or nxt.negated or not isinstance(left, Word):
                self.problems.append("NEAR needs a word on each side")
                continue
            left = Near(left, _word(self.take()), op.distance)
        return left


def _word(tok: _Tok) -> Word:
    text = tok.text
    prefix = not tok.quoted and len(text) > 1 and text.endswith("*")
    return Word(text.rstrip("*") if prefix else text, quoted=tok.quoted, prefix=prefix)


def parse(text: str, *, strict: bool = False) -> Parsed:
    """Read ``text`` as the search syntax. Never raises unless ``strict``; then a problem is a
    ``QuerySyntaxError`` with a message saying what to write instead."""
    problems: list[str] = []
    toks = _lex(text or "", problems)
    filters: dict[str, list[str]] = {}
    words = []
    for tok in toks:
        if tok.kind == "filter":
            name, value = tok.text.split(":", 1)
            filters.setdefault(name, []).append(value)
        else:
            words.append(tok)
    prefixes = [t for t in words if t.kind == "word" and not t.quoted and len(t.text) > 1
                and t.text.endswith("*")]
    if len(prefixes) > MAX_PREFIXES:
        problems.append(f"a query may have at most {MAX_PREFIXES} prefixes (word*)")
        for t in prefixes[MAX_PREFIXES:]:
            t.text = t.text.rstrip("*")
    node = _Reader(words, problems).conjunction()
    if node is not None and _only_excluded(node):
        problems.append("a query needs at least one word that is not excluded")
        node = None
    if strict and problems:
        raise QuerySyntaxError(f"cannot read the query: {problems[0]}")
    return Parsed(node, filters, list(dict.fromkeys(problems)))


def _only_excluded(node: Node) -> bool:
    if isinstance(node, Not):
        return True
    if isinstance(node, All):
        return all(_only_excluded(p) for p in node.parts)
    return False


def describe(node: Optional[Node]) -> str:
    """The tree written back as unambiguous text: ``乾隆 AND (五月 OR 六月)``."""
    if node is None:
        return ""
    if isinstance(node, Word):
        if node.prefix:
            return node.text + "*"
        return f'"{node.text}"' if node.quoted or any(is_space(c) for c in node.text) \
            else node.text
    if isinstance(node, Not):
        return "NOT " + describe(node.part)
    if isinstance(node, Near):
        return f"{describe(node.left)} NEAR/{node.distance} {describe(node.right)}"
    inner = [describe(p) if isinstance(p, (Word, Not, Near)) else f"({describe(p)})"
             for p in node.parts]
    return (" AND " if isinstance(node, All) else " OR ").join(inner)
