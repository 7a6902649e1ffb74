"""Writing the PostgreSQL search rows: one row per page and one per item, as the Whoosh index.

Sudur's own analysis (``catalog.analysis.document_postings``) gives each document's index
terms with their token positions; they are written as one ``tsvector`` literal built here
(``'term':1,5 'other':2``), so PostgreSQL's parser never tokenises anything. The two index
fields share the vector: an ``x`` term as the Whoosh index holds it (its ``X_ONLY`` /
``L_ONLY`` marks included), a ``tr`` term behind ``TR_TAG``. Beside it, ``pairs`` holds the
page's adjacent token pairs, hashed as the Whoosh index's pair filter does (``catalog.pairs``,
16 bits), each once, as a SMALLINT array: a phrase asks for them before its positions are
read, so a page that holds all its words but not side by side costs a look at two kilobytes,
not the unpacking of its whole vector (``catalog.pg_search_query``). The lexicon (``TERMS``)
keeps each lexeme's row count, so prefixes expand to the same terms as in Whoosh (its most
frequent 64). Each row carries ``seq``, its place in reading order (the Whoosh index's
document order: items as written, an item written again goes last).

Three indexes answer the words (``pg_search`` says which asks what):
- ``keys``: RUM, the vector with ``seq`` attached, so the first matches in reading order come
  from the index (``ORDER BY seq <=> 0``); it keeps no positions;
- ``pairs``: GIN, the rows holding all the pairs of a phrase (its rare phrases);
- ``positions``: RUM, the vector with its positions, so a phrase is matched inside the index
  (counting a phrase's matches).

Limits of ``tsvector`` (PostgreSQL 15), and what happens here past them:
- a position is at most 16383: tokens past it are written at 16383, so a phrase or NEAR that
  involves them is not found (a page of more than 16,383 tokens; OCR pages hold a few
  thousand); the row's ``clamped`` says so;
- a lexeme keeps at most 256 positions (PostgreSQL drops the rest): the word still matches,
  phrases through its 257th and later occurrences on that page do not (``clamped`` too);
- a lexeme is at most 2046 bytes: a longer token (no real word) is left out of the vector;
- a vector is at most 1 MB: a page that large is refused by PostgreSQL (the write fails).

The rows say what wrote them: their table's comment is ``FORMAT`` (this module's layout and
the analyzer's version). Rows of another format are refused by searches and ingests alike,
with "run `sudur reindex`", which writes them anew.

The rows of an item are written by ``write_items`` inside the caller's transaction, so the
catalogue commit that publishes an item publishes its search rows with it.
"""
from __future__ import annotations

from array import array
from collections import Counter
from typing import Iterable

from library.models import Item

from library.errors import IndexVersionError

from . import analysis
from .schema import FACETS
from .index import page_documents

__all__ = ["TR_TAG", "TABLE", "TERMS", "MAX_POSITION", "SCHEMA", "FORMAT", "POSITIONED",
           "PAIRS_INDEX", "POSITIONS_INDEX", "pair_value", "pair_values", "ensure_schema",
           "check_format", "tsvector_literal", "write_items", "delete_items", "rebuild"]

TR_TAG = "\x03"  # a transliteration term in the one vector (no x term starts with it)
# 2: the pairs column; 3: the pairs as an array with its index, the positions index, and
# each lexeme's first row in the lexicon
FORMAT = f"sudur-search-rows 3; {analysis.ANALYZER_VERSION}"
MAX_POSITION = 16383
_MAX_POSITIONS_PER_LEXEME = 256
_MAX_LEXEME_BYTES = 2046
TABLE = "search_docs"
# the lexicon: every lexeme with the number of rows holding it, in code point order (what
# the Whoosh index's term dictionary gives the query rewrite: ``pg_search_query.Lexicon``)
TERMS = "search_terms"

# one array column per facet of the index schema (catalog/schema.py), in its order
_FACET_COLUMNS = "\n".join(f"    {name} TEXT[] NOT NULL," for name in FACETS)


def _table(name: str, key: str = " PRIMARY KEY") -> str:
    """The rows' table (the one and its fresh copy a rebuild fills: ``key`` ""; the
    primary key comes after the rows)."""
    return f"""
CREATE TABLE IF NOT EXISTS {name} (
    id TEXT{key},
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    item TEXT NOT NULL,
    ord INTEGER NOT NULL,
    label TEXT NOT NULL,
    title TEXT NOT NULL,
    ws TEXT NOT NULL,
    body TEXT NOT NULL,
{_FACET_COLUMNS}
    clamped BOOLEAN NOT NULL,
    keys TSVECTOR NOT NULL,
    pairs SMALLINT[] NOT NULL
);
-- kept in the row (two kilobytes a page), read before the vector, which is moved out
ALTER TABLE {name} ALTER COLUMN pairs SET STORAGE MAIN;
"""


def _terms(name: str) -> str:
    """The lexicon's table: each lexeme, the rows holding it, and the ``seq`` no row before
    holds it (the first row's, or lower once rows are removed: a bound, never too high)."""
    return f"""
CREATE TABLE IF NOT EXISTS {name} (
    term TEXT COLLATE "C" PRIMARY KEY,
    docs INTEGER NOT NULL,
    first BIGINT NOT NULL
);
"""


SCHEMA = f"""
CREATE EXTENSION IF NOT EXISTS rum;
CREATE SEQUENCE IF NOT EXISTS {TABLE}_seq;
{_table(TABLE)}
CREATE INDEX IF NOT EXISTS {TABLE}_item ON {TABLE} (item, seq);
{_terms(TERMS)}
CREATE INDEX IF NOT EXISTS {TABLE}_seq_ix ON {TABLE} (seq);
"""
# the RUM index: the vector, with the reading order attached (ORDER BY seq <=> 0 reads it)
RUM_INDEX = (f"CREATE INDEX IF NOT EXISTS {TABLE}_keys ON {TABLE} "
             f"USING rum (keys rum_tsvector_addon_ops, seq) WITH (attach = 'seq', to = 'keys')")
# The pairs index: which rows hold all the pairs of a phrase (``pairs @> ARRAY[…]``), so a
# phrase of frequent words but few pages finds its few candidates without the words' index
# (``pg_search._settled``).
PAIRS_INDEX = f"CREATE INDEX IF NOT EXISTS {TABLE}_pairs ON {TABLE} USING gin (pairs)"
# The positions index: the vector again, with its positions (``rum_tsvector_ops``), so a
# phrase's matches are counted inside the index, without a row read (``pg_search._counts``).
# It indexes ``POSITIONED``, not ``keys``, so that a query names the index it means: both
# would answer ``keys @@``, and the planner cannot be told which to take. (``setweight(…,
# 'D')`` leaves Sudur's vectors as they are: they carry no weights, and D is the default.)
POSITIONED = "setweight(keys, 'D')"
POSITIONS_INDEX = (f"CREATE INDEX IF NOT EXISTS {TABLE}_positions ON {TABLE} "
                   f"USING rum (({POSITIONED}) rum_tsvector_ops)")
GIN_INDEX = f"CREATE INDEX IF NOT EXISTS {TABLE}_keys_gin ON {TABLE} USING gin (keys)"


def ensure_schema(conn, *, index: str = "rum") -> None:
    """Create the table and its indexes if missing (``index``: "rum", "gin" or "none")."""
    with conn.transaction():
        new = conn.execute("SELECT to_regclass(%s) IS NULL", (TABLE,)).fetchone()[0]
        conn.execute(SCHEMA)
        if new:
            _stamp(conn, TABLE)
        if index == "rum":
            conn.execute(RUM_INDEX)
            # (built on rows of an earlier format, they would only delay `sudur reindex`)
            if new or _format(conn) == FORMAT:
                conn.execute(PAIRS_INDEX)
                conn.execute(POSITIONS_INDEX)
        elif index == "gin":
            conn.execute(GIN_INDEX)


def _stamp(conn, table: str) -> None:
    conn.execute(f"COMMENT ON TABLE {table} IS {quote_lexeme(FORMAT)}")


def _format(conn) -> str | None:
    return conn.execute("SELECT obj_description(%s::regclass, 'pg_class')",
                        (TABLE,)).fetchone()[0]


def check_format(conn, where: str) -> None:
    """IndexVersionError ("run `sudur reindex`") unless the rows are of this FORMAT (``where``
    names the catalogue in the message); the rows must exist."""
    found = _format(conn)
    if found != FORMAT:
        raise IndexVersionError(
            f"the search rows of {where} were written by another version of Sudur "
            f"({found or 'before the rows named theirs'}; this one writes {FORMAT})")


def quote_lexeme(term: str) -> str:
    """A lexeme in a tsvector or tsquery literal: quoted, its quotes and backslashes doubled
    (escaped)."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def pair_value(h: int) -> int:
    """A pair hash (``catalog.pairs``, 0-65535) as the rows' ``pairs`` hold it (a SMALLINT)."""
    return h - 0x8000


def pair_values(stored: bytes) -> list[int]:
    """A document's pair hashes as its row's ``pairs``: each once, in order (``stored``:
    ``catalog.pairs.pair_filter``'s, repeated, in this machine's byte order)."""
    return [pair_value(h) for h in sorted(set(array("H", stored)))]


def tsvector_literal(text: str, writing_system: str | None
                     ) -> tuple[str, bool, list[str], list[int]]:
    """The document's terms with their positions as a tsvector literal, whether some
    position was clamped or dropped (see the module's limits), its lexemes, and its pairs
    (``pair_values``)."""
    px, ptr, found = analysis.document_postings(text, writing_system or "")
    parts, lexemes = [], []
    clamped = False
    for tag, postings in (("", px), (TR_TAG, ptr)):
        for term, positions in postings.items():
            lexeme = tag + term
            if len(lexeme.encode("utf-8")) > _MAX_LEXEME_BYTES:
                continue
            if len(positions) > _MAX_POSITIONS_PER_LEXEME or positions[-1] >= MAX_POSITION:
                clamped = True
            # PostgreSQL counts positions from 1, Sudur from 0
            pos = ",".join(str(min(p + 1, MAX_POSITION))
                           for p in positions[:_MAX_POSITIONS_PER_LEXEME])
            parts.append(f"{quote_lexeme(lexeme)}:{pos}")
            lexemes.append(lexeme)
    return " ".join(parts), clamped, lexemes, pair_values(found)


def _row(doc: dict, seq: int, terms: Counter, firsts: dict[str, int]) -> tuple:
    body = str(doc["body"])
    vector, clamped, lexemes, pairs = tsvector_literal(body, doc.get("ws") or "")
    terms.update(lexemes)
    for lexeme in lexemes:
        firsts.setdefault(lexeme, seq)  # (rows come in reading order)
    facets = [[v for v in str(doc.get(name) or "").split(",") if v]
              for name in FACETS]
    # (an array literal: psycopg's own adaptation of a list took 5 times as long)
    pairs_literal = "{" + ",".join(map(str, pairs)) + "}"
    return (doc["id"], seq, doc["kind"], doc["item"], int(doc["order"]), doc["label"] or "",
            doc["title"] or "", doc["ws"] or "", body, *facets, clamped, vector, pairs_literal)


_COLUMNS = ("id, seq, kind, item, ord, label, title, ws, body, " + ", ".join(FACETS)
            + ", clamped, keys, pairs")


def delete_items(conn, item_ids: Iterable[str]) -> None:
    """Remove the rows of these items, and their lexemes' counts."""
    ids = list(item_ids)
    if not ids:
        return
    counted = conn.execute(
        f"UPDATE {TERMS} t SET docs = t.docs - o.n FROM (SELECT lexeme, count(*) AS n "
        f"FROM {TABLE}, unnest(keys) WHERE item = ANY(%s) GROUP BY lexeme) o "
        f"WHERE t.term = o.lexeme RETURNING t.term, t.docs", (ids,)).fetchall()
    # only the lexemes these items held can have dropped to none: a scan of the whole lexicon
    # per item made writing N items cost N times the lexicon
    gone = [term for term, docs in counted if docs <= 0]
    if gone:
        conn.execute(f"DELETE FROM {TERMS} WHERE term = ANY(%s)", (gone,))
    conn.execute(f"DELETE FROM {TABLE} WHERE item = ANY(%s)", (ids,))


def _count_terms(conn, terms: Counter, firsts: dict[str, int], table: str = TERMS) -> None:
    if terms:
        conn.execute(f"INSERT INTO {table} AS t (term, docs, first) SELECT * FROM "
                     f"unnest(%s::text[], %s::int[], %s::bigint[]) ON CONFLICT (term) DO UPDATE "
                     f"SET docs = t.docs + EXCLUDED.docs, first = least(t.first, "
                     f"EXCLUDED.first)",
                     (list(terms), list(terms.values()), [firsts[t] for t in terms]))


def write_items(conn, items: Iterable[Item]) -> int:
    """Replace the rows of ``items`` (in the caller's transaction); the number of rows
    written. Each item's rows go after every row already there, as in the Whoosh index."""
    n = 0
    with conn.cursor() as cur:
        check_format(cur, "this catalogue")
        for item in items:
            delete_items(cur, [item.id])
            with analysis.writing_system(item.writing_system or ""):
                docs = list(page_documents(item))
            # the item's numbers, with no gap after the previous item's
            first = cur.execute(f"SELECT setval('{TABLE}_seq', nextval('{TABLE}_seq') + %s)",
                                (len(docs) - 1,)).fetchone()[0] - (len(docs) - 1)
            terms: Counter = Counter()
            firsts: dict[str, int] = {}
            with cur.copy(f"COPY {TABLE} ({_COLUMNS}) FROM STDIN") as copy:
                for i, doc in enumerate(docs):
                    copy.write_row(_row(doc, first + i, terms, firsts))
            _count_terms(cur, terms, firsts)
            n += len(docs)
    return n


def rebuild(conn, items: Iterable[Item]) -> int:
    """Recreate every row from ``items`` (the catalogue's, in its order); the number of rows.

    The rows go into fresh tables with no index, the indexes are built once over all of them
    (at 20,000 pages: 92 s of rows and 5 s of RUM index, against 373 s writing into an indexed
    table), and the fresh tables replace the old ones by renaming, in one short transaction:
    readers see the old rows until then, and a rebuild that dies leaves them untouched (its
    half-written tables are dropped by the next one). ``conn`` is in autocommit mode; the
    caller holds the ingest lock, so no item is published meanwhile."""
    nxt, nterms = f"{TABLE}_next", f"{TERMS}_next"
    conn.execute(f"DROP TABLE IF EXISTS {nxt}, {nterms}")
    # (not LIKE the table in place: it may be of an earlier format, which this replaces)
    conn.execute(_table(nxt, key=""))
    conn.execute(_terms(nterms))
    _stamp(conn, nxt)
    n = 0
    terms: Counter = Counter()
    firsts: dict[str, int] = {}
    with conn.transaction(), conn.cursor() as cur:
        # one COPY per item: ``items`` may be read from this same connection (the catalogue's),
        # which cannot run a query while a COPY is open
        for item in items:
            with analysis.writing_system(item.writing_system or ""):
                docs = list(page_documents(item))
            with cur.copy(f"COPY {nxt} ({_COLUMNS}) FROM STDIN") as copy:
                for doc in docs:
                    n += 1
                    copy.write_row(_row(doc, n, terms, firsts))
        _count_terms(cur, terms, firsts, table=nterms)
    indexes = {"pkey": f"ALTER TABLE {nxt} ADD CONSTRAINT {nxt}_pkey PRIMARY KEY (id)",
               "item": f"CREATE INDEX {nxt}_item ON {nxt} (item, seq)",
               "seq_ix": f"CREATE INDEX {nxt}_seq_ix ON {nxt} (seq)",
               "keys": RUM_INDEX.replace(f"{TABLE}_keys ON {TABLE}", f"{nxt}_keys ON {nxt}"),
               "pairs": PAIRS_INDEX.replace(f"{TABLE}_pairs ON {TABLE}", f"{nxt}_pairs ON {nxt}"),
               "positions": POSITIONS_INDEX.replace(f"{TABLE}_positions ON {TABLE}",
                                                    f"{nxt}_positions ON {nxt}")}
    for sql in indexes.values():
        conn.execute(sql)
    conn.execute(f"ANALYZE {nxt}")
    with conn.transaction():
        conn.execute(f"LOCK TABLE {TABLE}, {TERMS} IN ACCESS EXCLUSIVE MODE")
        conn.execute(f"DROP TABLE {TABLE}, {TERMS}")
        conn.execute(f"ALTER TABLE {nxt} RENAME TO {TABLE}")
        conn.execute(f"ALTER TABLE {nterms} RENAME TO {TERMS}")
        for suffix in indexes:
            conn.execute(f"ALTER INDEX {nxt}_{suffix} RENAME TO {TABLE}_{suffix}")
        conn.execute(f"ALTER INDEX {nterms}_pkey RENAME TO {TERMS}_pkey")
        conn.execute(f"SELECT setval('{TABLE}_seq', %s, %s)", (max(n, 1), n > 0))
    return n
