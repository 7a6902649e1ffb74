"""A composed query (``catalog.query_tree.compose``: over the key fields x, s, l, tr) as a
PostgreSQL ``tsquery`` over the search rows' vector (``catalog.pg_search_write``).

The tree's shapes, as the Whoosh index answers them (``terms.index_query``,
``query_tree.index_tree``, ``boolscan``):
- a key is each index term that stands for it: an exact key ``k`` is ``k`` or ``X_ONLY k``,
  a loose key ``k`` or ``L_ONLY k``, a shape key (``~…``) itself, a transliteration key behind
  ``TR_TAG``; a term the vector does not hold matches nothing, as a term the index lacks;
- a phrase or sequence is ``<->`` between its positions (alternatives OR-ed in a position);
- OR is ``|``, AND ``&``, AND NOT ``& !``;
- NEAR/n (one side starting at most n tokens after the other's end, either order) is the
  OR of ``<1>`` … ``<n>`` both ways, as ``<k>`` in a tsquery is "exactly k";
- a prefix is ``:*`` on each mark of its key. Whoosh searches a prefix's 64 most frequent
  terms only (``query_tree.MAX_EXPANSION``); PostgreSQL searches every one, so a prefix that
  reaches more terms may match more pages here (and "understood" names no expansion count).
"""
from __future__ import annotations

from whoosh import query as wq

from . import analysis
from .pg_search_write import TR_TAG, quote_lexeme
from .query_tree import NearQuery, WordPrefix
from .terms import text_of

__all__ = ["to_tsquery", "MAX_NEAR"]

MAX_NEAR = 64  # NEAR/n past this is searched as NEAR/64 (the OR grows with n)


def _marks(field: str, key: str) -> tuple[str, ...]:
    if field == "tr":
        return (TR_TAG + key,)
    if field == "l":
        return (key, analysis.L_ONLY + key)
    if key.startswith("~"):
        return (key,)
    return (key, analysis.X_ONLY + key)


def _key(field: str, key: str, prefix: bool = False) -> str:
    star = ":*" if prefix else ""
    alts = [quote_lexeme(t) + star for t in _marks(field, key)]
    return alts[0] if len(alts) == 1 else "(" + " | ".join(alts) + ")"


def _position(node: wq.Query) -> str | None:
    if isinstance(node, WordPrefix):
        if node.fieldname == "tr":
            return None
        return _key(node.fieldname, text_of(node.text), prefix=True)
    if isinstance(node, wq.Term):
        return _key(node.fieldname, text_of(node.text))
    if isinstance(node, wq.Or):
        alts = [a for a in (_position(c) for c in node.subqueries) if a is not None]
        return "(" + " | ".join(alts) + ")" if alts else None
    return to_tsquery(node)


def to_tsquery(q: wq.Query) -> str | None:
    """The tsquery text of ``q``, or None when it matches nothing."""
    if q is wq.NullQuery or q is None:
        return None
    if isinstance(q, WordPrefix):
        return _position(q)
    if isinstance(q, wq.Term):
        return _key(q.fieldname, text_of(q.text))
    if isinstance(q, wq.Phrase):
        return "(" + " <-> ".join(_key(q.fieldname, text_of(w)) for w in q.words) + ")"
    if isinstance(q, (wq.Sequence, wq.Ordered)):
        parts = [_position(c) for c in q.subqueries]
        if any(p is None for p in parts):
            return None
        return "(" + " <-> ".join(parts) + ")"
    if isinstance(q, NearQuery):
        left, right = (to_tsquery(c) for c in q.qs)
        if left is None or right is None:
            return None
        n = max(1, min(int(q.slop), MAX_NEAR))
        ways = [f"{a} <{k}> {b}" for k in range(1, n + 1)
                for a, b in ((left, right), (right, left))]
        return "(" + " | ".join(ways) + ")"
    if isinstance(q, wq.AndNot):
        pos, neg = to_tsquery(q.a), to_tsquery(q.b)
        if pos is None or neg is None:
            return pos
        return f"({pos} & !{neg})"
    if isinstance(q, wq.And):
        parts = [to_tsquery(c) for c in q.subqueries]
        if any(p is None for p in parts):
            return None
        return "(" + " & ".join(parts) + ")"
    if isinstance(q, wq.Or):
        parts = [p for p in (to_tsquery(c) for c in q.subqueries) if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"
    raise ValueError(f"no tsquery for {q!r}")
