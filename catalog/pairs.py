"""The pair filter: each page's adjacent token pairs, hashed, and what a phrase asks of them.

A phrase of common tokens (every syllable on most pages) that is itself rare has nothing in
the posting lists to narrow its candidates: every page holding all its terms would have its
positions read. Each document therefore carries its adjacent token pairs, hashed to 16 bits
(column ``pairs`` of the schema): the pair of loose keys, and the pair of transliteration
terms (but see ``unpaired_group``). A page lacking a pair of the phrase cannot hold it; the
few others are checked by position. Postings of the pairs would narrow as well, but cost the
indexing speed (docs/benchmarks-search.md); the hashes are made by C-level iterators, for
some 7 %.

Written: ``pair_filter`` (from ``analysis.document_postings``, once per document). Read:
``pair_constraints`` and ``pairs_ok`` (from ``catalog.matching``), over ``pair_table``.

The PostgreSQL rows keep the same pairs in a column (each hash once, as a SMALLINT array
with its GIN index: ``pg_search_write.pair_values``), and ask for them in SQL before a
phrase's positions are read (``catalog.pg_search_query``, needles from ``portable_needle``).
"""
from __future__ import annotations

import sys
import zlib
from array import array
from itertools import chain, repeat
from operator import and_, itemgetter

from . import analysis, terms
from .searcher import Searcher, per_generation

PAIR_HASH_MASK = 0xFFFF
EMPTY_PAIRS = b""


def unpaired_group() -> str:
    """The script group whose transliteration terms are left out of the pairs: a Han
    character has one term per reading, and pairing every reading with every neighbour's
    doubled the cost of indexing Chinese (a Han query is narrowed by its loose pairs)."""
    return analysis.TR_GROUP["han"]


def key_hash(key: str) -> int:
    """A key's hash, the same in every process (Python's own string hash is salted)."""
    return zlib.crc32(key.encode("utf-8"))


def loose_pair_hash(a: int, b: int) -> int:
    """The 16-bit hash of two adjacent tokens' loose keys (by key_hash)."""
    return hash((a, b)) & PAIR_HASH_MASK


def tr_pair_hash(a: int, b: int) -> int:
    """The 16-bit hash of two adjacent tokens' transliteration terms (by key_hash)."""
    return hash((a, b, 1)) & PAIR_HASH_MASK


def pair_needle(h: int) -> bytes:
    """A pair hash as stored, to look for in a document's pairs (``needle in pairs``; a match
    straddling two stored hashes is a false hit, which the position check then drops)."""
    return h.to_bytes(2, sys.byteorder)


def portable_needle(h: int) -> bytes:
    """A pair hash as the PostgreSQL queries name it (little-endian whatever the machine's;
    ``pg_search_query.pair_sql`` reads it back)."""
    return h.to_bytes(2, "little")


def pair_filter(found: list[tuple]) -> bytes:
    """The stored pair hashes of a document's tokens (entries of analysis._token_entry, in
    order): 16 bits each, in the machine's byte order, unsorted (looking a two-byte needle up
    in a few kilobytes is as quick as a bisection, and sorting was a third of the cost)."""
    if len(found) < 2:
        return EMPTY_PAIRS
    loose = list(map(itemgetter(2), found))
    # Transliteration pairs by each token's first term: only Han characters have several
    # (their readings), and pairs with a Han character are never asked for (unpaired_group).
    first = list(map(itemgetter(4), found))
    # hashes of int tuples are not salted, and map/zip/chain keep the loops in C
    hashes = chain(map(hash, zip(loose, loose[1:])), map(hash, zip(first, first[1:], repeat(1))))
    return array("H", map(and_, hashes, repeat(PAIR_HASH_MASK))).tobytes()


# --- the query side --------------------------------------------------------------------------

def pair_constraints(seq: tuple) -> list[tuple[bytes, ...]]:
    """What the stored pairs of a page holding ``seq`` (a matching.Seq) must show: per
    adjacent pair of positions whose keys are known, the pair hashes (as needles) of which
    one will do."""
    known = [position_hashes(alts) for alts in seq]
    out = []
    for a, b in zip(known, known[1:]):
        hashes = pair_hashes(a, b)
        if hashes is not None and len(hashes) <= 16:  # (more alternatives filter little)
            out.append(tuple(pair_needle(h) for h in sorted(hashes)))
    return out


def pair_hashes(a: tuple | None, b: tuple | None) -> frozenset[int] | None:
    """The pair hashes one of which a page holds where a token known by ``a`` is followed by
    one known by ``b`` (each a position_hashes answer), or None when the pairs cannot tell."""
    if a is None or b is None or a[0] != b[0]:
        return None
    pair_hash = loose_pair_hash if a[0] == "l" else tr_pair_hash
    return frozenset(pair_hash(x, y) for x in a[1] for y in b[1])


def position_hashes(alts: tuple) -> tuple[str, frozenset[int]] | None:
    """The hashes the pair filter knows a position's alternatives by: ("l", loose key
    hashes) for the x field, ("tr", term hashes) for tr; None when one of them has no loose
    key to go by (a shape key, or an exact key of a script whose loose key is not a function
    of the exact one)."""
    fields = {f for f, _ in alts}
    if len(fields) != 1:
        return None
    field = fields.pop()
    if field == "tr":
        unpaired = unpaired_group()
        if any(t.startswith(unpaired) for _, t in alts):
            return None
        return "tr", frozenset(key_hash(t) for _, t in alts)
    if field != "x":
        return None
    out = set()
    for _, term in alts:
        loose = terms.loose_key_of(term)
        if loose is None:
            return None
        out.add(key_hash(loose))
    return "l", frozenset(out)


def pairs_ok(pairs: bytes, constraints: list) -> bool:
    """Whether a page's stored pair hashes (pair_filter) hold, for every constrained pair of
    positions, one of its hashes (as needles, pair_needle)."""
    for needles in constraints:
        for needle in needles:
            if needle in pairs:
                break
        else:
            return False
    return True


_pair_cache: dict[tuple, list[bytes]] = {}

# Up to this many documents the pairs column is held in memory (about 2 KB a page: 36 MiB at
# 20,000 pages), read once per index generation; beyond, it is read from disk per candidate
# page (2.6 µs instead of 0.1), so that a search process stays small.
PAIRS_IN_MEMORY_MAX_DOCS = 100_000


def pair_table(s: Searcher):
    """docnum -> stored pair hashes: a list, or the column itself."""
    reader = s.searcher.reader()
    if not reader.doc_count_all():
        return []  # an empty index has no pairs column to read (Whoosh raises)
    if reader.doc_count_all() > PAIRS_IN_MEMORY_MAX_DOCS:
        return reader.column_reader("pairs")
    return per_generation(s, _pair_cache, lambda r: list(r.column_reader("pairs")))
