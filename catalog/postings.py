"""Reading Whoosh's posting lists faster than Whoosh does: the one module of catalog/ that
reads Whoosh's private reading internals (writing: ``catalog.postings_write``).

Pinned to whoosh-reloaded 2.7.x (setup.cfg; ``WHOOSH_VERSION`` is part of the index version,
so an index written by another Whoosh is refused). What it relies on, all in
``whoosh.codec.whoosh3.W3LeafMatcher`` unless named:

- the block layout: a 4-byte signed big-endian length (negative for the last block), then a
  protocol-2 pickle of the header ``(blocklength, maxid, maxweight, compression, minlength
  byte, maxlength byte)`` read from at most 92 bytes, then the block's data, a pickle whose
  first element is the tuple of delta-encoded docnums;
- the matcher's attributes ``_postfile`` (its ``get(offset, length)``), ``_data``, ``_ids``,
  ``_weights``, ``_values``, ``_i``, ``_lastblock``, ``_nextoffset``, ``_dataoffset``,
  ``_blocklength``, ``_maxid``, ``_maxweight``, ``_compression``, ``_minlength``,
  ``_maxlength``, ``_byteids``, ``_atend``, and its methods ``_goto``, ``_next_block``,
  ``_read_data``, ``_read_ids``, ``_read_values``; ``whoosh.codec.whoosh3.byte_to_length``;
- that a matcher from ``reader.postings`` is exactly a ``W3LeafMatcher`` whose class may be
  replaced by a subclass adding no state (``FastLeafMatcher``);
- the Positions format's value encoding: ``whoosh.system._INT_SIZE`` bytes of count, then a
  protocol-2 pickle of the position deltas (``catalog.postings_write`` writes it so).

Every fast read is counted in ``STATS``, and so is every fallback to Whoosh's own code: a
test over a built index asserts the fast paths are taken (tests/test_postings.py), so that a
Whoosh upgrade cannot slow searches down silently.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from itertools import accumulate, repeat
from operator import sub
from pickle import Unpickler, UnpicklingError, loads

from whoosh.codec.whoosh3 import W3LeafMatcher, byte_to_length
from whoosh.matching import ReadTooFar
from whoosh.reading import TermNotFound
from whoosh.system import _INT_SIZE

__all__ = ["STATS", "postings", "ids_below", "values_below", "skip_ids", "positions_of",
           "shifted_positions", "FastLeafMatcher"]


@dataclass
class ReadStats:
    """Counts of the fast reads and of the fallbacks to Whoosh's code, per process."""

    fast_headers: int = 0
    fast_ids: int = 0
    fast_blocks: int = 0
    fallbacks: int = 0


STATS = ReadStats()


class FastLeafMatcher(W3LeafMatcher):
    """Whoosh's block matcher, reading a block's header and its docnums faster.

    Whoosh reads a block's header with ``pickle.load`` on the compound file, one small read
    per opcode, and a block's docnums by unpickling the whole block, positions included. Here
    the header comes from one read, and the docnums from the leading part of the block's
    pickle (the ids tuple is its first element), cut and unpickled alone: reading every
    docnum of a common term is about five times faster. Anything unexpected falls back to
    Whoosh's own code (and is counted in ``STATS.fallbacks``).
    """

    def _goto(self, position: int) -> None:
        head = self._postfile.get(position, 4 + 92)
        bio = BytesIO(head[4:])
        try:
            info = Unpickler(bio).load()
        except (EOFError, UnpicklingError):
            STATS.fallbacks += 1
            return W3LeafMatcher._goto(self, position)
        STATS.fast_headers += 1
        self._data = self._ids = self._weights = self._values = None
        self._i = 0
        length = int.from_bytes(head[:4], "big", signed=True)
        if length < 0:
            self._lastblock = True
            length = -length
        self._nextoffset = position + _INT_SIZE + length
        self._dataoffset = position + _INT_SIZE + bio.tell()
        (self._blocklength, self._maxid, self._maxweight, self._compression,
         mnlen, mxlen) = info
        self._minlength = byte_to_length(mnlen)
        self._maxlength = byte_to_length(mxlen)

    def skip_to(self, targetid: int) -> None:
        # as Whoosh's, with a bisection inside the block instead of a step per posting
        if not self.is_active():
            raise ReadTooFar
        if self._ids is None:
            self._read_ids()
        if targetid <= self._ids[self._i]:
            return
        while targetid > self._maxid:
            self._next_block()
            if self._atend:
                return
        if self._ids is None:
            self._read_ids()
        self._i = bisect_left(self._ids, targetid, self._i)

    def _read_ids(self) -> None:
        if self._data is None:
            if not self._compression and not self._byteids:
                raw = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
                cut = _ids_pattern(self._blocklength).match(raw)
                if cut is not None:
                    STATS.fast_ids += 1
                    self._ids = tuple(accumulate(loads(raw[:cut.end()] + b"t.")))
                    return
            STATS.fallbacks += 1  # the whole block unpickled, positions included
        W3LeafMatcher._read_ids(self)


@lru_cache(maxsize=None)
def _ids_pattern(n: int) -> "re.Pattern[bytes]":
    # protocol-2 pickle of a tuple of n small ints: PROTO 2, MARK, then BININT1/2/4 each
    return re.compile(rb"\x80\x02\((?:K.|M..|J....){%d}" % n, re.S)


def postings(reader, field: str, term: str):
    """The matcher of one term's postings (a FastLeafMatcher), or None when it has none."""
    try:
        m = reader.postings(field, term)
    except TermNotFound:
        return None
    if type(m) is W3LeafMatcher:
        m.__class__ = FastLeafMatcher
    else:
        STATS.fallbacks += 1  # another matcher (e.g. over a multi-segment reader's lists)
    return m if m.is_active() else None


def ids_below(state: list, limit: int) -> list[int]:
    """Take from a [matcher, ids carried over] state the docnums below ``limit``, a whole
    block at a time where the matcher allows it."""
    m, carry = state
    while m is not None and (not carry or carry[-1] < limit):
        if not m.is_active():
            m = None
            break
        if isinstance(m, W3LeafMatcher):
            if m._ids is None:
                m._read_ids()
            STATS.fast_blocks += 1
            carry.extend(m._ids[m._i:])
            m._next_block()
        else:
            carry.append(m.id())
            m.next()
    if m is not None and not m.is_active():
        m = None
    state[0] = m
    if carry and carry[-1] < limit:
        state[1] = []
        return carry
    cut = bisect_left(carry, limit)
    state[1] = carry[cut:]
    return carry[:cut]


def values_below(state: list, limit: int) -> dict[int, bytes]:
    """Take from a [matcher, carried values, last docnum read] state the postings (docnum ->
    encoded positions) below ``limit``, reading whole blocks where the matcher allows it."""
    m, carry = state[0], state[1]
    while m is not None and state[2] < limit:
        if not m.is_active():
            m = state[0] = None
            break
        if isinstance(m, W3LeafMatcher):
            _load_block(m)
            STATS.fast_blocks += 1
            i = m._i
            ids = m._ids
            carry.update(zip(ids[i:], m._values[i:]))
            state[2] = ids[-1]
            m._next_block()
        else:
            state[2] = d = m.id()
            carry[d] = m.value()
            m.next()
    if m is not None and not m.is_active():
        state[0] = None
    if state[2] < limit:
        state[1] = {}
        return carry
    below = {d: v for d, v in carry.items() if d < limit}
    for d in below:
        del carry[d]
    return below


def skip_ids(state: list, doc: int) -> None:
    """Move a [matcher, ids carried over] state past the docnums below ``doc``."""
    carry = state[1]
    if carry and carry[-1] >= doc:
        state[1] = carry[bisect_left(carry, doc):]
        return
    state[1] = []
    m = state[0]
    if m is not None and m.is_active() and m.id() < doc:
        m.skip_to(doc)
    if m is not None and not m.is_active():
        state[0] = None


def _load_block(m: W3LeafMatcher) -> None:
    """Decode the current block's ids and values (as Whoosh's reader does on demand, with
    the delta decoding done by itertools instead of a Python generator)."""
    if m._ids is None:
        if m._data is None:
            m._read_data()
        m._ids = tuple(accumulate(m._data[0])) if not m._byteids else m._data[0]
    if m._values is None:
        m._read_values()


def positions_of(m) -> tuple[int, ...]:
    """The positions of the matcher's current posting (Whoosh's public decoding)."""
    return tuple(m.value_as("positions"))


_DECODED: dict[bytes, tuple[int, ...]] = {}
# Values this short hold one position or two (13-16 bytes) and are shared by many postings: worth
# keeping decoded. Longer ones are rarely seen twice, and keeping them grew a searcher process
# by some 200 MiB over the benchmark's queries.
_SHARED_VALUE_BYTES = 16


def _decode_positions(v: bytes) -> tuple[int, ...]:
    """Positions from a Positions-format value; most values are a few shared encodings (one
    position, at the start of a page), so decodings are kept."""
    got = _DECODED.get(v)
    if got is None:
        raw = v if v.endswith(b".") else v + b"."
        got = tuple(accumulate(loads(raw[_INT_SIZE:])))
        if len(v) <= _SHARED_VALUE_BYTES:
            if len(_DECODED) > 50_000:
                _DECODED.clear()
            _DECODED[v] = got
    return got


_SHIFTED: dict[tuple[bytes, int], frozenset[int]] = {}


def shifted_positions(v: bytes, i: int) -> frozenset[int]:
    """The positions of an encoded value, less ``i`` (where a phrase would start if this is
    its i-th token); kept, as most values are a few shared one-position encodings."""
    if len(v) > _SHARED_VALUE_BYTES:
        # decoded, accumulated and shifted by C-level iterators, as this runs per posting
        raw = v[_INT_SIZE:] if v.endswith(b".") else v[_INT_SIZE:] + b"."
        positions = accumulate(loads(raw))
        return frozenset(map(sub, positions, repeat(i)) if i else positions)
    key = (v, i)
    got = _SHIFTED.get(key)
    if got is None:
        got = frozenset(p - i for p in _decode_positions(v))
        if len(_SHIFTED) > 50_000:
            _SHIFTED.clear()
        _SHIFTED[key] = got
    return got
