"""What a match of a query satisfies on the PostgreSQL search rows, as SQL (``Condition``):
the filters, the RUM index's relaxed query, the phrase's pairs and positions, and the same
through the positions index and the pairs index (which plan asks which: ``catalog.pg_search``).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Optional

from whoosh import query as wq

from .pg_search_query import pair_sql, to_tsquery
from .pg_search_write import POSITIONED, TABLE
from .querying import Understood, analyze_query
from .request import SearchRequest
from .schema import FACETS

__all__ = ["Condition", "conditions"]


def _title_items(conn, value: str) -> list[str]:
    """The items whose title holds the words of ``value`` in a row (loose keys), as the
    Whoosh backend's ``title:`` filter (``query_tree.filter_terms``)."""
    want, _ = analyze_query(value, "l")
    if not want:
        return []
    found = []
    for item, title in conn.execute(f"SELECT item, title FROM {TABLE} WHERE kind = 'item' "
                                    "ORDER BY seq"):
        seq, _ = analyze_query(unicodedata.normalize("NFC", title or ""), "l")
        for i in range(len(seq) - len(want) + 1):
            if all(set(a) & set(b) for a, b in zip(want, seq[i:i + len(want)])):
                found.append(item)
                break
    return found


@dataclass(frozen=True)
class Condition:
    """What a match of a query satisfies, as SQL on the rows."""

    where: str  # the condition (the RUM index's relaxed query first, the positions last)
    params: list
    order: str  # the reading order, as the RUM index reads it
    rank: Optional[str]  # the tsquery that ranks a match (None: no words)
    # a query with positions: the same through the positions index (else None)
    positioned: Optional[tuple[str, list]] = None
    # a query with pairs: the rows holding them, through the pairs index (else None)
    paired: Optional[tuple[str, list]] = None


def conditions(conn, req: SearchRequest, understood: Understood, q, iq
                ) -> Optional[Condition]:
    """What a match of the query satisfies (``q`` as composed, ``iq`` on the rows' terms),
    or None when nothing can match."""
    written = to_tsquery(iq)
    if written is None and q is not wq.NullQuery:
        return None  # words no page holds (with filters or not): nothing matches
    where, params = [], []
    if req.item is not None:
        where.append("kind = 'page' AND item = %s")
        params.append(req.item)
    else:
        for name, value in req.filters.items():
            where.append(f"%s = ANY({name})")
            params.append(value)
    for name, values in understood.filters.items():
        for value in values:
            if name == "title":
                where.append("item = ANY(%s)")
                params.append(_title_items(conn, value))
            elif name in FACETS or name in ("item", "kind"):
                col = f"ARRAY[{name}]" if name in ("item", "kind") else name
                # as indexed, or else without regard to case (script:tibt)
                where.append(f"(%s = ANY({col}) OR lower(%s) = ANY(SELECT lower(v) "
                             f"FROM unnest({col}) v))")
                params += [value, value]
    if written is None:
        return (None if not understood.filters else
                Condition(" AND ".join(where), params, "seq", None))
    # what the RUM index answers alone, in reading order (the positions come last)
    ordered, args = ["keys @@ %s::tsquery"] + where, [written.loose] + params
    if not written.phrased:
        return Condition(" AND ".join(ordered), args, "seq <=> 0", written.text)
    # a page's pairs first: its vector is unpacked only if they hold the phrase's
    pairs_ok, pair_args = pair_sql(written.pairs)
    check = "ts_match_vq(keys, %s::tsquery)"
    ordered.append(check if pairs_ok == "TRUE" else
                   f"CASE WHEN {pairs_ok} THEN {check} ELSE false END")
    args += pair_args + [written.text]
    # (the relaxed query beside the positions: without it, the index reads every posting of
    # every word of a phrase, even of one no page holds)
    positioned = (" AND ".join([f"{POSITIONED} @@ %s::tsquery"] + where),
                  [f"{written.loose} & {written.text}"] + params)
    paired = None if pairs_ok == "TRUE" else (" AND ".join([pairs_ok] + where),
                                              pair_args + params)
    return Condition(" AND ".join(ordered), args, "seq <=> 0", written.text, positioned,
                     paired)
