"""Search on PostgreSQL: the same answers as the Whoosh index, from rows beside the catalogue.

With ``catalog_url = postgresql://…`` the search index lives in the catalogue's database
(``catalog.pg_search_write``: one row per page and per item, Sudur's keys as a tsvector with
positions, a RUM index with the reading order attached), so web nodes hold no index.

What is shared with the Whoosh backend (``catalog.search``): the request
(``catalog.request``), the query language and its reading (``query_tree.compose``: "understood"
comes from there), the snippets (``catalog.snippets``), the facet sorting and the result
records. What is this backend's own: the composed query as a tsquery
(``catalog.pg_search_query``) and as SQL conditions (``catalog.pg_search_conditions``), and
the first page, totals and facets read by SQL.

- First page in reading order: ``ORDER BY seq <=> 0`` with the RUM index (its attached column
  gives the order, so the first matches come from the index without reading every match).
  A frequent word looks first among the rows from its first one (``_dense``). A phrase whose
  pairs few rows hold is checked on those rows alone, found by the pairs index
  (``_settled``). The exact keys' pages go first on a non-exact search, as
  ``search._exact_first`` does.
- Totals and facets: counted by one grouped query within the request's time budget (at
  least ``MIN_COUNT_BUDGET``), a phrase's through the positions index, cancelled past the
  budget by its statement timeout; then estimated from the first ``SAMPLE`` matches in
  reading order, scaled by how far into the library they reach, and flagged as estimates.
- Relevance: the first ``relevance.MAX_CANDIDATES`` matches in reading order, ranked by
  PostgreSQL's ``ts_rank`` (not Whoosh's BM25F: the order among them may differ).
- The hard deadline (``req.deadline``) is the statement timeout of each query; a query
  cancelled by it ends the search with what was found, ``partial``.
"""
from __future__ import annotations

import time
from collections import Counter
from typing import Optional

# (CatalogError once the PostgreSQL catalogue, branch pg, is merged)
from library.errors import CatalogUnavailableError, IndexVersionError
from library.errors import LibraryError as CatalogError
from whoosh import query as wq

from . import analysis, relevance
from .deadline import Deadline
from .facets import sorted_facets
from .pg_search_conditions import Condition, conditions
from .pg_search_query import Lexicon, expanded, first_row, least_matches, on_index
from .pg_search_write import TABLE, check_format, ensure_schema
from .query_tree import compose
from .querying import Understood
from .request import SearchRequest
from .schema import FACETS
from .snippets import make_snippet, match_spans
from .terms import query_sequences

__all__ = ["PgSearcher", "open_search_backend", "search", "page_matches", "autocomplete",
           "MIN_COUNT_BUDGET", "SAMPLE"]

# seconds: counting below this is never cut short (0: the request's time budget alone, as
# the Whoosh backend; counting 10,000 matching pages of a phrase takes 0.2-0.8 s at 20,000
# pages, docs/benchmarks-cluster.md)
MIN_COUNT_BUDGET = 0.0
SAMPLE = 256  # matches read in reading order to estimate a total past the budget


def _psycopg():
    try:
        import psycopg
    except ImportError as exc:
        raise CatalogError("catalog_url names PostgreSQL, but psycopg is not installed",
                           hint="pip install -e '.[cluster]'") from exc
    return psycopg


_READY: set[str] = set()  # catalogue URLs whose search tables this process has seen


def _require_tables(conn, url: str) -> None:
    """IndexVersionError (503, "run `sudur reindex`") when no writer has made the search
    tables yet: a catalogue made by a version before them, or never opened by a writer."""
    found = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (TABLE,)).fetchone()[0]
    if not found:
        from .db_postgres import redacted
        raise IndexVersionError(f"the catalogue {redacted(url)} holds no search rows yet",
                                hint="run `sudur reindex` (or any ingest) on one node")


class PgSearcher:
    """An open connection to the search rows; closed at the end of a request or command."""

    backend = "postgresql"

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        from . import pg_pool
        from .db_postgres import connect, redacted  # unreachable: CatalogUnavailableError
        self.conn = pg_pool.acquire(url, False, "search", lambda: connect(url, purpose="search"))
        try:
            if create:
                ensure_schema(self.conn)
            else:  # the schema as the catalogue's readers check it (a rolling upgrade)
                from . import migrations
                migrations.may_write(*migrations.postgres_state(self.conn), redacted(url),
                                     reading=True)
                if url not in _READY:
                    _require_tables(self.conn, url)
            # every time: a node of another version may have rewritten the rows meanwhile
            check_format(self.conn, redacted(url))
        except _psycopg().Error as exc:
            from .db_postgres import _translate
            pg_pool.release(self.conn)
            raise _translate(exc) from exc
        except BaseException:
            pg_pool.release(self.conn)
            raise
        _READY.add(url)

    def close(self) -> None:
        from . import pg_pool
        pg_pool.release(self.conn)

    def __enter__(self) -> "PgSearcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_search_backend(settings):
    """The search backend of a library: PostgreSQL when ``catalog_url`` names it, else the
    library's Whoosh index."""
    url = getattr(settings, "catalog_url", "") or ""
    if url.startswith(("postgresql://", "postgres://")):
        # the catalogue's first writable open made the tables (PostgresCatalog): a reader
        # running the DDL would wait for its table lock behind every ingest transaction
        return PgSearcher(url, create=False)
    from library.store import Store
    from .searcher import open_library_searcher
    return open_library_searcher(Store(settings.library))


# ---------------------------------------------------------------------------------------------
# Running the SQL, and the plans
# ---------------------------------------------------------------------------------------------

_ROW = "seq, kind, item, ord, label, title, ws, body"


class _Cancelled(Exception):
    """A query cancelled by its statement timeout."""


def _remaining(hard: Deadline) -> Optional[float]:
    """Seconds left before the hard deadline (None: no deadline)."""
    if hard.at is None:
        return None
    return max(0.0, hard.at - hard.clock())


def _run(conn, sql: str, params: list, timeout: Optional[float]) -> list:
    """Rows of ``sql``, cancelled after ``timeout`` seconds (None: no limit)."""
    psycopg = _psycopg()
    try:
        with conn.transaction():
            if timeout is not None:
                conn.execute(f"SET LOCAL statement_timeout = {max(1, int(timeout * 1000))}")
            # The planner prices ``keys @@`` on a row as if the vector were at hand, not
            # unpacked from TOAST: counting a word on 40 % of 200,000 pages it chose a
            # sequential scan (3.4 s) over the RUM index's bitmap (0.3 s).
            conn.execute("SET LOCAL enable_seqscan = off")
            return conn.execute(sql, params).fetchall()
    except psycopg.errors.QueryCanceled as exc:
        raise _Cancelled() from exc
    except psycopg.OperationalError as exc:  # the server went away: a 503, as the catalogue
        raise CatalogUnavailableError(f"the PostgreSQL search rows are unreachable: "
                                      f"{str(exc).strip()[:200]}") from exc


# A query on at least this share of the rows (by the lexicon) first looks for its first
# matches among PREFIX_ROWS rows in reading order, from the first row that may hold it (by
# the lexicon: ``first_row``); only if too few are there does the RUM index answer, which
# gathers and sorts every match first (10-30 ms for a word on 50,000-100,000 of 200,000
# pages, against a few rows read here). Exact either way: no row before that one matches,
# and the first matches of a stretch of the reading order from there are the first matches.
DENSE_SHARE = 0.05
PREFIX_ROWS = 256


def _dense(conn, iq, lexicon: Lexicon) -> Optional[int]:
    """Where to look first for the query's matches, if they are likely many among the rows
    from there (DENSE_SHARE), else None."""
    least = least_matches(iq, lexicon)
    if least <= 0:
        return None
    rows = conn.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                        (TABLE,)).fetchone()[0]
    if rows <= 0 or least < DENSE_SHARE * rows:
        return None
    return first_row(iq, lexicon)


# A phrase first asks the pairs index for the rows holding all its pairs. If they are at most
# RARE, it checks them alone (about 14 microseconds each) and its matches are those found, in
# reading order. Otherwise the RUM index answers in reading order, and the first matches are
# found among its first candidates. (A rare phrase of frequent words on 200,000 pages: the
# RUM index alone checked 74,704 pages holding its words, 130 ms; the pairs index leaves few.)
RARE = 2000


def _settled(conn, cond: Optional[Condition], hard: Deadline) -> Optional[Condition]:
    """``cond``, or for a phrase whose pairs few rows hold (RARE), its matches named by
    ``seq``."""
    if cond is None or cond.paired is None:
        return cond
    where, params = cond.paired
    held = _run(conn, f"SELECT seq FROM {TABLE} WHERE {where} LIMIT {RARE + 1}", params,
                _remaining(hard))
    if len(held) > RARE:
        return cond
    found = _run(conn, f"SELECT seq FROM {TABLE} WHERE seq = ANY(%s) AND "
                 "ts_match_vq(keys, %s::tsquery)", [[seq for (seq,) in held], cond.rank],
                 _remaining(hard))
    return Condition("seq = ANY(%s)", [sorted(seq for (seq,) in found)], "seq", cond.rank)


def _matches(conn, cond: Condition, limit: Optional[int], hard: Deadline,
             columns: str = "seq", dense: Optional[int] = None) -> list:
    """The first ``limit`` matches (None: every one) in reading order; ``dense``: where to
    look first (``_dense``)."""
    where, params, order = cond.where, cond.params, cond.order
    if dense is not None and limit is not None and limit <= PREFIX_ROWS // 8:
        first = _run(conn, f"SELECT {columns} FROM (SELECT * FROM {TABLE} WHERE seq >= "
                     f"{int(dense)} ORDER BY seq LIMIT {PREFIX_ROWS}) p WHERE {where} "
                     f"ORDER BY seq LIMIT {int(limit)}", params, _remaining(hard))
        if len(first) == limit:
            return first
    sql = f"SELECT {columns} FROM {TABLE} WHERE {where} ORDER BY {order}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return _run(conn, sql, params, _remaining(hard))


# ---------------------------------------------------------------------------------------------
# Searches
# ---------------------------------------------------------------------------------------------

def _compose(s: PgSearcher, req: SearchRequest, exact: bool):
    """(query over the key fields, as understood, the same over the rows' terms, the
    lexicon read for it)."""
    q, understood = compose(req.text, exact=exact, aliases_path=req.aliases,
                            field_map=analysis.QUERY_FIELD_MAP)
    lexicon = Lexicon(s.conn)
    return q, understood, on_index(q, lexicon, understood), lexicon


def search(s: PgSearcher, req: SearchRequest, *, deadline: Optional[Deadline] = None):
    """As ``catalog.search.search``, on PostgreSQL."""
    from .search import SearchResult, group_by_item

    t0 = time.perf_counter()
    page, page_size = req.page, req.page_size
    start, stop = (page - 1) * page_size, page * page_size
    hard = deadline if deadline is not None else Deadline(req.deadline)
    q, understood, iq, lexicon = _compose(s, req, req.exact)
    cond = conditions(s.conn, req, understood, q, iq)
    hits, total, estimate, counts = [], 0, False, [Counter() for _ in FACETS]
    cut = False
    try:
        cond = _settled(s.conn, cond, hard)
        if cond is not None:
            found = _first_page(s, req, understood, cond, start, stop, hard,
                                _dense(s.conn, iq, lexicon))
            rows = _rows(s.conn, [seq for seq, _ in found], hard)
            seqs = query_sequences(expanded(q, lexicon))
            hits = [_hit(rows[seq], score, seqs, first_only=True) for seq, score in found
                    if seq in rows]
            first = [seq for seq, _ in found] if req.sort != "relevance" and page == 1 \
                else None
            total, estimate, counts = _counts(s.conn, cond, req, t0, hard, first)
    except _Cancelled:
        cut = True  # the hard deadline: what was found by then
    return SearchResult(query=req.text, total=total, total_is_estimate=estimate, hits=hits,
                        items=group_by_item(hits), facets=sorted_facets(counts),
                        facets_are_estimates=estimate, understood=understood, page=page,
                        page_size=page_size, elapsed=time.perf_counter() - t0,
                        partial=cut or hard.hit)


def _first_page(s: PgSearcher, req: SearchRequest, understood: Understood,
                cond: Condition, start: int, stop: int, hard: Deadline,
                dense: Optional[int] = None) -> list[tuple[int, float]]:
    """(seq, score) of the page of results asked for."""
    if req.sort == "relevance":
        where, params, order, rank = cond.where, cond.params, cond.order, cond.rank
        score = "ts_rank(keys, %s::tsquery)" if rank is not None else "0.0"
        sql = (f"SELECT seq, {score} AS r FROM (SELECT seq, keys FROM {TABLE} WHERE {where} "
               f"ORDER BY {order} LIMIT {relevance.MAX_CANDIDATES}) c "
               f"ORDER BY r DESC, seq LIMIT {stop - start} OFFSET {start}")
        args = ([rank] if rank is not None else []) + params
        return [(seq, float(r)) for seq, r in _run(s.conn, sql, args, _remaining(hard))]
    order = [seq for (seq,) in _matches(s.conn, cond, stop, hard, dense=dense)]
    if not req.exact and order:
        first = _exact_first(s, req, understood, hard)
        if first:
            early = set(first)
            order = first + [d for d in order if d not in early]
    return [(seq, 0.0) for seq in order[start:stop]]


def _exact_first(s: PgSearcher, req: SearchRequest, understood: Understood, hard: Deadline
                 ) -> list[int]:
    """The first page's worth of matches of the query's exact keys (``search._exact_first``)."""
    xq, xunderstood, ixq, xlexicon = _compose(s, req, True)
    if (xunderstood.reading, xunderstood.phrase) != (understood.reading, understood.phrase):
        return []
    if ixq is wq.NullQuery:
        return []
    cond = _settled(s.conn, conditions(s.conn, req, xunderstood, xq, ixq), hard)
    if cond is None:
        return []
    dense = _dense(s.conn, ixq, xlexicon)
    return [seq for (seq,) in _matches(s.conn, cond, req.page_size, hard, dense=dense)]


def _counts(conn, cond: Condition, req: SearchRequest, t0: float, hard: Deadline,
            first: Optional[list[int]] = None) -> tuple[int, bool, list[Counter]]:
    """(total, whether estimated, facet counts) of every match: exact within the budget;
    ``first``: the first page's matches, in reading order, if that is what was asked."""
    where, params, order = cond.where, cond.params, cond.order
    # every match counted: through the positions index, which checks a phrase without
    # reading a row (99,978 pages of a phrase of 200,000: 0.2 s, against 1.4 s)
    every, args = cond.positioned or (where, params)
    facets = ", ".join(FACETS)
    budget = max(req.time_budget, MIN_COUNT_BUDGET) - (time.perf_counter() - t0)
    left = _remaining(hard)
    if budget > 0:
        try:
            rows = _run(conn, f"SELECT {facets}, count(*) FROM {TABLE} WHERE {every} "
                        f"GROUP BY {facets}", args,
                        max(0.01, budget if left is None else min(budget, left)))
            return _facet_rows(rows, 1.0)
        except _Cancelled:
            if hard.passed():
                raise
    lo, hi = conn.execute(f"SELECT min(seq), max(seq) FROM {TABLE}").fetchone()
    if cond.positioned is not None and first and lo is not None and \
            len(first) * (hi - lo + 1) / (max(first) - lo + 1) < 2 * SAMPLE:
        # Few matches, by how far into the reading order the first page's reach: the sample
        # would read most of the RUM index's candidates in order (a rare Mongolian phrase,
        # which asks no pairs: 0.6 s at 200,000 pages), the positions index counts them all
        # in less (0.25 s), exactly.
        rows = _run(conn, f"SELECT {facets}, count(*) FROM {TABLE} WHERE {every} "
                    f"GROUP BY {facets}", args, _remaining(hard))
        return _facet_rows(rows, 1.0)
    sample = _run(conn, f"SELECT seq, {facets} FROM {TABLE} WHERE {where} "
                  f"ORDER BY {order} LIMIT {SAMPLE}", params, _remaining(hard))
    reach = (sample[-1][0] - lo + 1) if sample else 1
    scale = max(1.0, (hi - lo + 1) / reach) if len(sample) >= SAMPLE else 1.0
    total, _, counts = _facet_rows([r[1:] + (1,) for r in sample], scale)
    return total, scale > 1.0, counts


def _facet_rows(rows: list, scale: float) -> tuple[int, bool, list[Counter]]:
    counts = [Counter() for _ in FACETS]
    total = 0
    for row in rows:
        n = row[-1]
        total += n
        for i, values in enumerate(row[:-1]):
            for v in values:
                counts[i][v] += n
    if scale > 1.0:
        total = round(total * scale)
        counts = [Counter({v: max(c, round(c * scale)) for v, c in col.items()})
                  for col in counts]
    return total, False, counts


def _rows(conn, seqs: list[int], hard: Deadline) -> dict[int, tuple]:
    if not seqs:
        return {}
    rows = _run(conn, f"SELECT {_ROW} FROM {TABLE} WHERE seq = ANY(%s)", [seqs],
                _remaining(hard))
    return {r[0]: r for r in rows}


def _hit(row: tuple, score: float, seqs: list, first_only: bool = False):
    from .search import PageHit

    _seq, kind, item, order, label, title, ws, body = row
    spans = match_spans(body, seqs, ws or "", first_only=first_only)
    snippet, kwic = make_snippet(body, spans)
    return PageHit(item_id=item, order=order, label=label, text=body, spans=spans,
                   snippet=snippet, score=float(score), kind=kind, title=title, ws=ws,
                   kwic=kwic)


def page_matches(s: PgSearcher, req: SearchRequest, *, deadline: Optional[Deadline] = None):
    """As ``catalog.search.page_matches``, on PostgreSQL."""
    from .search import ItemMatches

    if req.item is None:
        raise ValueError("page_matches needs a request for one item")
    hard = deadline if deadline is not None else Deadline(req.deadline)
    q, understood, iq, lexicon = _compose(s, req, req.exact)
    cond = conditions(s.conn, req, understood, q, iq)
    hits = ItemMatches()
    if cond is None:
        return hits
    seqs = query_sequences(expanded(q, lexicon))
    try:
        cond = _settled(s.conn, cond, hard)
        for row in _matches(s.conn, cond, None, hard, columns=_ROW):
            hits.append(_hit(row, 0.0, seqs))
    except _Cancelled:
        pass
    hits.sort(key=lambda h: h.order)
    hits.partial = hard.passed()
    return hits


def autocomplete(s: PgSearcher, req: SearchRequest, *, limit: int = 10,
                 deadline: Optional[Deadline] = None) -> list[tuple[str, int]]:
    """As ``catalog.search.autocomplete``, on PostgreSQL: the item's exact-field words
    starting with the request's last token, with the number of pages holding each."""
    hard = deadline if deadline is not None else Deadline(req.deadline)
    prefix = req.text.strip()
    if not prefix or req.item is None:
        return []
    tokens = [t.text for t in analysis.analyzer("x")(prefix)]
    if not tokens:
        return []
    key = tokens[-1]
    try:
        rows = _run(s.conn, f"SELECT t.lexeme, count(*) FROM {TABLE}, unnest(keys) t "
                    "WHERE kind = 'page' AND item = %s AND (starts_with(t.lexeme, %s) OR "
                    "starts_with(t.lexeme, %s)) GROUP BY t.lexeme ORDER BY t.lexeme LIMIT 200",
                    [req.item, key, analysis.X_ONLY + key], _remaining(hard))
    except _Cancelled:
        return []
    counts: Counter = Counter()
    for lexeme, n in rows:
        word = lexeme[1:] if lexeme.startswith(analysis.X_ONLY) else lexeme
        counts[word] += n
    out = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return out[:limit]
