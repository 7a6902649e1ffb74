"""A parsed query (``catalog.query_syntax``) as a Whoosh query tree, and that tree on the index.

Each word (or quoted phrase) becomes what ``querying.build_query`` makes of it, so every rule
of the words (scripts, keys, Wylie and pinyin, aliases) applies to each; the operators
combine them: AND as ``wq.And``, OR as ``wq.Or``, NOT as ``wq.AndNot``, NEAR/n as
``NearQuery`` (Whoosh's unordered SpanNear2, slop n), a prefix as ``WordPrefix`` (a
``wq.Prefix``) at the word's last position.
A query of one word and no operator is exactly ``build_query``'s, as before the syntax.

A run of plain words that together spell an alias, or read together as Wylie or pinyin
syllables (spaces separate the syllables of one Tibetan or Chinese word in those
transliterations: ``sangs rgyas``, ``san zang``), is searched as one word, a phrase.

``index_tree`` rewrites the tree onto the index's terms (``terms.index_query`` for each
word), expanding each prefix into at most ``MAX_EXPANSION`` terms, the most frequent, and
saying so in "understood". ``filter_terms`` turns the query's field filters into the terms
every match must carry, and ``title:`` into the items whose title holds the words.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Optional

from whoosh import query as wq

from . import analysis
from .querying import _clean, analyze_query, build_query
from .query_syntax import All, Any, Near, Node, Not, Understood, Word, describe, parse
from .searcher import Searcher, per_generation
from .terms import index_query, text_of

__all__ = ["compose", "index_tree", "filter_terms", "MAX_EXPANSION", "MAX_PREFIX_SCAN"]

# A prefix searches at most this many index terms (the most frequent), and looks at most at
# MAX_PREFIX_SCAN terms to choose them: a one-letter prefix must not read the whole lexicon.
MAX_EXPANSION = 64
MAX_PREFIX_SCAN = 4096


def compose(text: str, *, exact: bool = False, aliases_path: str | Path | None = None,
            field_map: dict[str, str] | None = None) -> tuple[wq.Query, Understood]:
    """The user's ``text`` as a query over the key fields, and as understood. Never raises:
    what cannot be read is left out and named in ``Understood.problems`` (the request
    refuses such a query first, ``catalog.request``)."""
    clean, truncated = _clean(text)
    parsed = parse(clean)
    node = parsed.node
    opts = dict(exact=exact, aliases_path=aliases_path, field_map=field_map)
    if isinstance(node, Word) and not node.prefix and not parsed.filters:
        q, info = build_query(node.text, **opts)
        info.text, info.truncated = clean, truncated
        if node.quoted:
            info.reading = describe(node)
        info.problems = parsed.problems
        return q, info
    info = Understood(text=clean, exact=bool(exact), truncated=truncated,
                      problems=parsed.problems)
    info.filters = dict(parsed.filters)
    if node is None:
        return wq.NullQuery, info
    node = _runs(node, opts)
    info.reading = describe(node)
    return _tree(node, opts, info), info


def _runs(node: Node, opts: dict) -> Node:
    """Plain words side by side that read as one (an alias, Wylie or pinyin syllables)
    become one word."""
    if isinstance(node, Any):
        return Any(tuple(_runs(p, opts) for p in node.parts))
    if not isinstance(node, All):
        return node
    parts: list[Node] = []
    run: list[Word] = []

    def flush() -> None:
        if len(run) > 1:
            joined = " ".join(w.text for w in run)
            info = build_query(joined, **opts)[1]
            if info.aliases or info.transliteration in ("wylie", "pinyin") \
                    or "wylie" in info.converted:
                parts.append(Word(joined))
                run.clear()
                return
        parts.extend(run)
        run.clear()

    for p in node.parts:
        if isinstance(p, Word) and not p.quoted and not p.prefix:
            if p.apart:
                flush()
            run.append(p)
            continue
        flush()
        parts.append(_runs(p, opts))
    flush()
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def _merge(info: Understood, part: Understood) -> None:
    for sc in part.scripts:
        if sc not in info.scripts:
            info.scripts.append(sc)
    info.transliteration = info.transliteration or part.transliteration
    for k, v in part.converted.items():
        info.converted[k] = f"{info.converted[k]} · {v}" if k in info.converted else v
    info.aliases += [a for a in part.aliases if a not in info.aliases]
    info.phrase = info.phrase or part.phrase


def _tree(node: Node, opts: dict, info: Understood) -> wq.Query:
    if isinstance(node, Word):
        q, part = build_query(node.text, **opts)
        _merge(info, part)
        return _as_prefix(q, node.text + "*") if node.prefix else q
    if isinstance(node, Near):
        return NearQuery([_tree(node.left, opts, info), _tree(node.right, opts, info)],
                         node.distance)
    if isinstance(node, Any):
        return wq.Or([_tree(p, opts, info) for p in node.parts])
    if isinstance(node, Not):  # (only within All: the parser refuses a query of NOTs alone)
        return _tree(node.part, opts, info)
    pos = [_tree(p, opts, info) for p in node.parts if not isinstance(p, Not)]
    neg = [_tree(p, opts, info) for p in node.parts if isinstance(p, Not)]
    q = pos[0] if len(pos) == 1 else wq.And(pos)
    if neg:
        q = wq.AndNot(q, neg[0] if len(neg) == 1 else wq.Or(neg))
    return q


class NearQuery(wq.SpanNear2):
    """NEAR/n: both sides within ``slop`` tokens, either order (``boolscan.NearOf`` matches
    it; Whoosh's own spans only if a side has another shape). It has a boost like every
    other query, for the relevance ranking's walk over a tree."""

    boost = 1.0

    def __init__(self, qs: list, slop: int) -> None:
        super().__init__(qs, slop=slop, ordered=False)


class WordPrefix(wq.Prefix):
    """A prefix of one key field, and the word typed (``gesa*``) it stands for."""

    def __init__(self, fieldname: str, text: str, word: str, boost: float = 1.0) -> None:
        super().__init__(fieldname, text, boost=boost)
        self.word = word


def _as_prefix(q: wq.Query, word: str) -> wq.Query:
    """A word's query with its last position taken as a prefix, in the spelling keys only:
    a prefix of a sound (the transliteration key) finds words that only sound alike."""
    if isinstance(q, wq.Term):
        if q.fieldname == "tr":
            return wq.NullQuery
        return WordPrefix(q.fieldname, text_of(q.text), word, boost=q.boost)
    if isinstance(q, wq.Phrase):
        if q.fieldname == "tr":
            return wq.NullQuery
        words = [text_of(w) for w in q.words]
        return wq.Sequence([wq.Term(q.fieldname, w) for w in words[:-1]]
                           + [WordPrefix(q.fieldname, words[-1], word)], boost=q.boost)
    if isinstance(q, wq.Sequence):
        subs = list(q.subqueries)
        last = _as_prefix(subs[-1], word)
        if last is wq.NullQuery:
            return last
        return wq.Sequence(subs[:-1] + [last], boost=q.boost)
    if isinstance(q, wq.Or):
        subs = [c for c in (_as_prefix(c, word) for c in q.subqueries) if c is not wq.NullQuery]
        return wq.Or(subs, boost=q.boost) if subs else wq.NullQuery
    return q


# ---------------------------------------------------------------------------------------------
# On the index
# ---------------------------------------------------------------------------------------------

def index_tree(q: wq.Query, reader, info: Understood, memo: Optional[dict] = None
               ) -> wq.Query:
    """``q`` (from ``compose``) over the index's terms; prefixes expanded (``info`` says how
    many terms each reached, and which were capped; ``memo`` keeps each prefix's terms for
    the other positions and fields that repeat it)."""
    memo = {} if memo is None else memo
    if isinstance(q, WordPrefix):
        key = (q.fieldname, text_of(q.text), q.boost)
        if key not in memo:
            memo[key] = _expand(q, reader, info, memo)
        return memo[key]
    if isinstance(q, wq.Sequence) and any(isinstance(c, wq.Prefix) for c in q.subqueries):
        subs = [index_tree(c, reader, info, memo) for c in q.subqueries]
        if any(c is wq.NullQuery for c in subs):
            return wq.NullQuery
        return wq.Sequence(subs, boost=q.boost)
    if isinstance(q, (wq.And, wq.SpanNear2)):
        kids = q.subqueries if isinstance(q, wq.And) else q.qs
        subs = [index_tree(c, reader, info, memo) for c in kids]
        if any(c is wq.NullQuery for c in subs):
            return wq.NullQuery
        if isinstance(q, wq.And):
            return wq.And(subs, boost=q.boost)
        return NearQuery(subs, q.slop)
    if isinstance(q, wq.AndNot):
        pos = index_tree(q.a, reader, info, memo)
        neg = index_tree(q.b, reader, info, memo)
        if pos is wq.NullQuery or neg is wq.NullQuery:
            return pos
        return wq.AndNot(pos, neg)
    if type(q) is wq.Or and any(not isinstance(c, (wq.Term, wq.Phrase, wq.Sequence))
                                or _has_prefix(c) for c in q.subqueries):
        subs = [r for r in (index_tree(c, reader, info, memo) for c in q.subqueries)
                if r is not wq.NullQuery]
        return wq.NullQuery if not subs else subs[0] if len(subs) == 1 else wq.Or(subs)
    return index_query(q, reader)


def _has_prefix(q: wq.Query) -> bool:
    return isinstance(q, wq.Prefix) or any(_has_prefix(c) for c in q.children())


def _expand(q: WordPrefix, reader, info: Understood, memo: dict) -> wq.Query:
    """The most frequent index terms (at most MAX_EXPANSION) beginning with the prefix
    (``memo`` keeps the terms the word's other prefixes reached, to count them once)."""
    field, key = q.fieldname, text_of(q.text)
    phys = analysis.INDEX_FIELD_OF.get(field, field)
    marks = {"x": ("", analysis.X_ONLY), "s": ("", analysis.X_ONLY),
             "l": ("", analysis.L_ONLY)}.get(field, ("",))
    found: dict[str, int] = {}
    capped = False
    for mark in marks:
        read, over = _lexicon(reader, phys, mark + key, memo)
        found.update(read)
        capped = capped or over
    best = sorted(found, key=lambda t: (-found[t], t))
    if len(best) > MAX_EXPANSION:
        capped, best = True, best[:MAX_EXPANSION]
    word = q.word
    terms_of_word = memo.setdefault(("word", word), set())
    terms_of_word.update(best)
    info.expanded[word] = len(terms_of_word)
    if capped and word not in info.capped:
        info.capped.append(word)
    if not best:
        return wq.NullQuery
    return wq.Or([wq.Term(phys, t) for t in best], boost=q.boost)


def _lexicon(reader, field: str, prefix: str, memo: dict) -> tuple[dict[str, int], bool]:
    """The index terms beginning with ``prefix`` (at most MAX_PREFIX_SCAN of them) with their
    document counts, and whether there were more (read once a query: ``memo``)."""
    key = ("lexicon", field, prefix)
    if key not in memo:
        memo[key] = _read_lexicon(reader, field, prefix)
    return memo[key]


def _read_lexicon(reader, field: str, prefix: str) -> tuple[dict[str, int], bool]:
    found: dict[str, int] = {}
    for n, term in enumerate(reader.expand_prefix(field, prefix)):
        if n >= MAX_PREFIX_SCAN:
            return found, True
        t = text_of(term)
        found[t] = reader.doc_frequency(field, t)
    return found, False


# ---------------------------------------------------------------------------------------------
# Field filters
# ---------------------------------------------------------------------------------------------

_titles_cache: dict = {}


def _titles(reader) -> list[tuple[str, tuple]]:
    """(item, loose keys by position of its title) of every item, per index generation."""
    out = []
    for docnum in sorted(set(reader.postings("kind", "item").all_ids())
                         if ("kind", "item") in reader else ()):
        f = reader.stored_fields(docnum)
        seq, _ = analyze_query(unicodedata.normalize("NFC", f.get("title") or ""), "l")
        out.append((f.get("item") or "", seq))
    return out


def _title_items(s: Searcher, value: str) -> list[str]:
    want, _ = analyze_query(value, "l")
    if not want:
        return []
    items = []
    for item, title in per_generation(s, _titles_cache, _titles):
        for i in range(len(title) - len(want) + 1):
            if all(set(a) & set(b) for a, b in zip(want, title[i:i + len(want)])):
                items.append(item)
                break
    return items


def _facet_value(reader, name: str, value: str) -> str:
    """The facet's value as indexed, matched without regard to case (``script:tibt``)."""
    if (name, value) in reader:
        return value
    low = value.lower()
    for term in reader.lexicon(name):
        t = text_of(term)
        if t.lower() == low:
            return t
    return value


def filter_terms(s: Searcher, filters: dict[str, list[str]]
                 ) -> tuple[list[wq.Term], Optional[list[str]]]:
    """The terms the query's field filters ask every match to carry, and the items a
    ``title:`` filter allows (None: no title filter)."""
    reader = s.searcher.reader()
    terms: list[wq.Term] = []
    items: Optional[list[str]] = None
    for name, values in filters.items():
        for value in values:
            if name == "title":
                found = _title_items(s, value)
                items = found if items is None else [i for i in items if i in found]
            else:
                terms.append(wq.Term(name, _facet_value(reader, name, value)))
    return terms, items
