"""Reading-order matching: which documents hold a query's token sequences, over Whoosh's
posting lists, in docnum (reading) order.

Whoosh's phrase matcher builds a span object per position and its Or preloads every match of
a small index, which is what made phrase queries slow. The query is read instead as a union of
token sequences (one set of alternative terms per position). The index is scanned in windows
of docnums; in each, every sequence leapfrogs its terms' posting lists (rarest first) and
checks adjacent positions with set operations, or, for phrases of common terms, takes whole
posting blocks at once. Reading order is docnum order, so the first page is complete as soon
as the windows scanned hold enough matches, and counting can stop at any window boundary.

Phrases of common tokens are narrowed first by each page's stored pairs
(``analysis.pair_filter``). What the time budget cannot count is sampled (``scan``).
"""
from __future__ import annotations

import re
import time
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from itertools import accumulate, product, repeat
from operator import sub
from pickle import Unpickler, UnpicklingError, loads
from typing import Optional

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher, byte_to_length
from whoosh.matching import ReadTooFar
from whoosh.reading import TermNotFound
from whoosh.system import _INT_SIZE

from . import analysis

# A query as a union of sequences: per position, the (field, term) alternatives.
Seq = tuple[tuple[tuple[str, str], ...], ...]


def _text(t) -> str:
    return t.decode("utf-8") if isinstance(t, bytes) else t


def plan_of(q: wq.Query) -> list[Seq] | None:
    """The query as a union of sequences, or None when it has another shape."""
    if q is wq.NullQuery:
        return []
    if isinstance(q, wq.Term):
        return [(((q.fieldname, _text(q.text)),),)]
    if isinstance(q, wq.Phrase):
        return [tuple(((q.fieldname, _text(w)),) for w in q.words)]
    if isinstance(q, wq.Sequence):
        positions = []
        for c in q.subqueries:
            if isinstance(c, wq.Term):
                positions.append(((c.fieldname, _text(c.text)),))
            elif isinstance(c, wq.Or) and all(isinstance(x, wq.Term) for x in c.subqueries):
                positions.append(tuple((x.fieldname, _text(x.text)) for x in c.subqueries))
            else:
                return None
        return [tuple(positions)]
    if type(q) is wq.Or:
        out: list[Seq] = []
        for c in q.subqueries:
            p = plan_of(c)
            if p is None:
                return None
            out.extend(p)
        return _merge_seqs(out)
    return None


def _merge_seqs(seqs: list[Seq]) -> list[Seq]:
    """Fold sequences of one length into one with alternatives per position when they are
    exactly all the combinations of those alternatives (an Or of phrase variants)."""
    seqs = list(dict.fromkeys(tuple(tuple(sorted(set(alts))) for alts in sq) for sq in seqs))
    by_len: dict[int, list[Seq]] = {}
    for sq in seqs:
        by_len.setdefault(len(sq), []).append(sq)
    out: list[Seq] = []
    for n, group in by_len.items():
        if len(group) == 1:
            out.extend(group)
            continue
        per_pos = [tuple(dict.fromkeys(a for sq in group for a in sq[i])) for i in range(n)]
        combos = 1
        for alts in per_pos:
            combos *= len(alts)
        expanded = set()
        for sq in group:
            for words in product(*sq):
                expanded.add(words)
        if combos == len(expanded):
            out.append(tuple(per_pos))
        else:
            out.extend(group)
    # A sequence whose alternatives are, position by position, among another's adds no match
    # (an exact key that is also the loose key is one term in the index).
    kept: list[Seq] = []
    for i, sq in enumerate(out):
        if not any(j != i and len(other) == len(sq) and other != sq
                   and all(set(a) <= set(b) for a, b in zip(sq, other))
                   for j, other in enumerate(out)):
            kept.append(sq)
    return kept


class FastLeafMatcher(W3LeafMatcher):
    """Whoosh's block matcher, reading a block's header and its docnums faster.

    Whoosh reads a block's header with ``pickle.load`` on the compound file, one small read
    per opcode, and a block's docnums by unpickling the whole block, positions included. Here
    the header comes from one read, and the docnums from the leading part of the block's
    pickle (the ids tuple is its first element), cut and unpickled alone: reading every
    docnum of a common term is about five times faster. Anything unexpected falls back to
    Whoosh's own code.
    """

    def _goto(self, position: int) -> None:
        head = self._postfile.get(position, 4 + 92)
        bio = BytesIO(head[4:])
        try:
            info = Unpickler(bio).load()
        except (EOFError, UnpicklingError):
            return W3LeafMatcher._goto(self, position)
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
        if self._data is None and not self._compression and not self._byteids:
            raw = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
            cut = _ids_pattern(self._blocklength).match(raw)
            if cut is not None:
                self._ids = tuple(accumulate(loads(raw[:cut.end()] + b"t.")))
                return
        W3LeafMatcher._read_ids(self)


@lru_cache(maxsize=None)
def _ids_pattern(n: int) -> "re.Pattern[bytes]":
    # protocol-2 pickle of a tuple of n small ints: PROTO 2, MARK, then BININT1/2/4 each
    return re.compile(rb"\x80\x02\((?:K.|M..|J....){%d}" % n, re.S)


def postings(reader, field: str, term: str):
    try:
        m = reader.postings(field, term)
    except TermNotFound:
        return None
    if type(m) is W3LeafMatcher:
        m.__class__ = FastLeafMatcher
    return m if m.is_active() else None


# A phrase whose terms are all common (each on thousands of pages) but rarely adjacent is
# cheaper to check in bulk, from whole posting blocks, than by leapfrogging document by
# document: after this many leapfrog steps it switches to that.
_LAZY_STEPS = 128


class SeqScan:
    """The documents where one token sequence occurs (at adjacent positions, with every
    ``restrict`` term present), found window by window in docnum order by ``upto``."""

    def __init__(self, reader, seq: Seq, restrict: list,
                 pairs_of: Optional[list[bytes]] = None) -> None:
        self.reader = reader
        self.seq = seq
        self.restrict = [(t.fieldname, _text(t.text)) for t in restrict]
        self.done = False
        self.target = 0
        self.steps = 0
        self.bulk: list | None = None
        self.filtered: list | None = None
        self.pairs_of = pairs_of
        self.constraints = pair_constraints(seq) if pairs_of is not None else []
        self.positions: list[list] = []
        sizes: list[int] = []
        for alts in seq:
            ms = [m for m in (postings(reader, f, t) for f, t in alts) if m is not None]
            if not ms:
                self.done = True
                return
            self.positions.append(ms)
            sizes.append(sum(reader.doc_frequency(f, t) for f, t in alts))
        required = []
        for f, t in self.restrict:
            m = postings(reader, f, t)
            if m is None:
                self.done = True
                return
            required.append([m])
        # leapfrog from the rarest list; the phrase check keeps the positions in order
        order = sorted(range(len(self.positions)), key=sizes.__getitem__)
        self.groups = required + [self.positions[i] for i in order]
        self.single = len(self.positions) == 1 and not required
        if self.single:
            # [matcher, ids read but not yet returned]
            self.id_states = [[m, []] for m in self.positions[0]]

    def upto(self, limit: int) -> list[int]:
        """Matching docnums below ``limit`` not returned before, ascending."""
        if self.done:
            return []
        if self.single:
            return self._single_upto(limit)
        if self.filtered is not None:
            return self._filtered_upto(limit)
        if self.bulk is not None:
            return self._bulk_upto(limit)
        out: list[int] = []
        n = len(self.positions)
        target = self.target
        while True:
            # advance every group to >= target; restart whenever one lands beyond it
            agreed = False
            while not agreed:
                agreed = True
                for ms in self.groups:
                    lo = -1
                    for m in ms:
                        if m.is_active():
                            if m.id() < target:
                                m.skip_to(target)
                                if not m.is_active():
                                    continue
                            i = m.id()
                            if lo < 0 or i < lo:
                                lo = i
                    if lo < 0:
                        self.done = True
                        return out
                    if lo > target:
                        target = lo
                        agreed = False
                        break
            if target >= limit:
                self.target = target
                return out
            self.steps += 1
            if n > 1 and self.steps > _LAZY_STEPS:
                if self.constraints:
                    self._start_filtered(target)
                    return out + self._filtered_upto(limit)
                self._start_bulk(target)
                return out + self._bulk_upto(limit)
            if n == 1 or ((not self.constraints or pairs_ok(self.pairs_of[target],
                                                            self.constraints))
                          and _adjacent(self.positions, target)):
                out.append(target)
            target += 1

    def skip_to(self, doc: int) -> None:
        """Pass over the documents below ``doc`` without matching them."""
        if self.done:
            return
        if self.single:
            for state in self.id_states:
                _skip_ids(state, doc)
            self.id_states = [st for st in self.id_states if st[0] is not None or st[1]]
            self.done = not self.id_states
        elif self.filtered is not None:
            for states in self.filtered:
                for state in states:
                    _skip_ids(state, doc)
        elif self.bulk is not None:
            for state in [st for alts in self.bulk for st in alts] + self.bulk_restrict:
                state[1] = {d: v for d, v in state[1].items() if d >= doc}
                m = state[0]
                if m is not None and state[2] < doc:
                    if m.is_active() and m.id() < doc:
                        m.skip_to(doc)
                    if not m.is_active():
                        state[0] = None
                    state[2] = doc - 1
        else:
            self.target = max(self.target, doc)

    def _single_upto(self, limit: int) -> list[int]:
        # whole posting blocks at a time: the ids of a common word are counted with C-level
        # list and set operations, not one Python step per document
        lists = [_ids_below(state, limit) for state in self.id_states]
        self.id_states = [st for st in self.id_states if st[0] is not None or st[1]]
        if not self.id_states:
            self.done = True
        if len(lists) == 1:
            return lists[0]
        merged: set[int] = set()
        for ids in lists:
            merged.update(ids)
        return sorted(merged)

    def _start_filtered(self, start: int) -> None:
        """Switch to reading docnums only, a window at a time: the pages holding every term
        and passing the pair filter are few, and only those have their positions read."""

        def ids_at(f: str, t: str) -> list:
            m = postings(self.reader, f, t)
            if m is not None and m.id() < start:
                m.skip_to(start)
            return [m if m is not None and m.is_active() else None, []]

        # one list of [matcher, carried ids] states per position, then one per restrict term
        self.filtered = [[ids_at(f, t) for f, t in alts] for alts in self.seq]
        self.filtered += [[ids_at(f, t)] for f, t in self.restrict]
        self.where = MatchPositions(self.reader, [self.seq])

    def _filtered_upto(self, limit: int) -> list[int]:
        sets = []
        for states in self.filtered:
            ids: set[int] = set()
            for state in states:
                ids.update(_ids_below(state, limit))
            sets.append(ids)
        if any(all(st[0] is None and not st[1] for st in states) for states in self.filtered):
            self.done = True  # a position (or a restrict term) has no postings left
        sets.sort(key=len)
        cands = sets[0]
        for other in sets[1:]:
            cands = cands & other
            if not cands:
                return []
        pairs_of, cons = self.pairs_of, self.constraints
        starts = self.where.starts
        return [d for d in sorted(cands) if pairs_ok(pairs_of[d], cons) and starts(d)]

    def _start_bulk(self, start: int) -> None:
        reader = self.reader

        def reader_at(f: str, t: str):
            m = postings(reader, f, t)
            if m is not None and m.id() < start:
                m.skip_to(start)
            return [m, {}, -1]

        self.bulk = [[reader_at(f, t) for f, t in alts] for alts in self.seq]
        self.bulk_restrict = [reader_at(f, t) for f, t in self.restrict]

    def _bulk_upto(self, limit: int) -> list[int]:
        per_pos = []
        for alts in self.bulk:
            per_pos.append([_values_below(state, limit) for state in alts])
        keys = []
        for dicts in per_pos:
            keys.append(dicts[0].keys() if len(dicts) == 1 else set().union(*dicts))
        keys.sort(key=len)
        cands = set(keys[0])
        for k in keys[1:]:
            cands.intersection_update(k)
        for state in self.bulk_restrict:
            cands.intersection_update(_values_below(state, limit))
        if any(all(state[0] is None and not state[1] for state in alts)
               for alts in self.bulk):
            self.done = True  # a position has no postings left
        order = sorted(range(len(self.seq)), key=lambda i: sum(len(d) for d in per_pos[i]))
        out: list[int] = []
        shifted = _shifted_positions
        for d in sorted(cands):
            starts: frozenset[int] | None = None
            for i in order:
                alts = per_pos[i]
                if len(alts) == 1:
                    here = shifted(alts[0][d], i)
                else:
                    here = frozenset().union(*(shifted(vals[d], i) for vals in alts
                                               if d in vals))
                starts = here if starts is None else starts & here
                if not starts:
                    break
            else:
                out.append(d)
        return out


def _values_below(state: list, limit: int) -> dict[int, bytes]:
    """Take from a [matcher, carried values, last docnum read] state the postings (docnum ->
    encoded positions) below ``limit``, reading whole blocks where the matcher allows it."""
    m, carry = state[0], state[1]
    while m is not None and state[2] < limit:
        if not m.is_active():
            m = state[0] = None
            break
        if isinstance(m, W3LeafMatcher):
            _load_block(m)
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


def _skip_ids(state: list, doc: int) -> None:
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


def pair_constraints(seq: Seq) -> list[tuple[bytes, ...]]:
    """What the stored pairs of a page holding ``seq`` must show: per adjacent pair of
    positions whose keys are known, the pair hashes (as needles) of which one will do."""
    known = [position_hashes(alts) for alts in seq]
    out = []
    for i in range(len(seq) - 1):
        a, b = known[i], known[i + 1]
        if a is None or b is None or a[0] != b[0]:
            continue
        pair_hash = analysis.loose_pair_hash if a[0] == "l" else analysis.tr_pair_hash
        hashes = {pair_hash(x, y) for x in a[1] for y in b[1]}
        if len(hashes) <= 16:  # (more alternatives than that filter little)
            out.append(tuple(analysis.pair_needle(h) for h in sorted(hashes)))
    return out


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
        if any(t.startswith(analysis.TR_UNPAIRED) for _, t in alts):
            return None
        return "tr", frozenset(analysis.key_hash(t) for _, t in alts)
    if field != "x":
        return None
    out = set()
    for _, term in alts:
        loose = loose_key_of(term)
        if loose is None:
            return None
        out.add(analysis.key_hash(loose))
    return "l", frozenset(out)


def loose_key_of(term: str) -> str | None:
    """The loose key of the tokens an x-field index term stands for (analysis.X_ONLY)."""
    if term.startswith(analysis.L_ONLY):
        return term[len(analysis.L_ONLY):]
    if term.startswith("~"):
        return None
    if not term.startswith(analysis.X_ONLY):
        return term  # a key that is both the exact and the loose key
    exact = term[len(analysis.X_ONLY):]
    m = analysis.TOKEN_RE.fullmatch(exact)
    if m is None or m.lastgroup not in LOOSE_FOLLOWS_EXACT:
        return None
    return analysis.index_keys(m.lastgroup, exact, None)[1][0]


# Scripts whose loose key is a function of the exact key (tests/test_search.py checks it over
# the corpora's vocabulary): an exact-key term there names its tokens' loose key too.
LOOSE_FOLLOWS_EXACT = frozenset({"han", "tib"})


def pairs_ok(pairs: bytes, constraints: list) -> bool:
    """Whether a page's stored pair hashes (analysis.pair_filter) hold, for every
    constrained pair of positions, one of its hashes (as needles, analysis.pair_needle)."""
    for needles in constraints:
        for needle in needles:
            if needle in pairs:
                break
        else:
            return False
    return True


def _ids_below(state: list, limit: int) -> list[int]:
    """Take from a [matcher, ids carried over] state the docnums below ``limit``."""
    m, carry = state
    while m is not None and (not carry or carry[-1] < limit):
        if not m.is_active():
            m = None
            break
        if isinstance(m, W3LeafMatcher):
            if m._ids is None:
                m._read_ids()
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


def _load_block(m: W3LeafMatcher) -> None:
    """Decode the current block's ids and values (as Whoosh's reader does on demand, with
    the delta decoding done by itertools instead of a Python generator)."""
    if m._ids is None:
        if m._data is None:
            m._read_data()
        m._ids = tuple(accumulate(m._data[0])) if not m._byteids else m._data[0]
    if m._values is None:
        m._read_values()


def _adjacent(positions: list[list], doc: int) -> bool:
    starts: set[int] | None = None
    for i, ms in enumerate(positions):
        here: set[int] = set()
        for m in ms:
            if m.is_active() and m.id() == doc:
                here.update(m.value_as("positions"))
        if starts is None:
            starts = here
        else:
            starts &= {p - i for p in here}
        if not starts:
            return False
    return True


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


def _shifted_positions(v: bytes, i: int) -> frozenset[int]:
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


_FIRST_WINDOW = 512
_MAX_WINDOW = 4096
# Past the first page, counting that cannot finish within the budget samples: windows of this
# many documents spread evenly over the rest of the index (so that an estimate, and its
# facets, speak for every item, not only the first ones), as many as the budget allows.
_SAMPLE_WINDOW = 64


@dataclass
class Scanned:
    """What a scan found: ``matched`` holds every match below ``exact_upto``, then those in
    the sample windows beyond it, which covered ``sampled`` documents."""

    matched: list[int]
    exact_upto: int
    sampled_from: int
    sampled: int
    n_docs: int

    @property
    def complete(self) -> bool:
        return self.exact_upto >= self.n_docs

    def scale(self) -> float:
        """What a match in the sample stands for (1 when the scan is complete)."""
        rest = self.n_docs - self.exact_upto
        if self.complete or self.sampled <= 0:
            return 1.0
        return rest / self.sampled

    def estimated_total(self) -> int:
        exact = self.sampled_from
        if self.complete:
            return len(self.matched)
        if self.sampled <= 0:
            # nothing sampled: the rate of the part read exactly stands for the rest
            return max(exact, round(exact * self.n_docs / max(1, self.exact_upto)))
        return exact + round((len(self.matched) - exact) * self.scale())


def scan(reader, plan: list[Seq], restrict: list, want: int, deadline: float | None,
          pairs_of: Optional[list[bytes]] = None) -> Scanned:
    """Docnums matching any sequence of ``plan``, ascending.

    Every match is found, unless ``deadline`` passes: then the first ``want`` matches are
    still all found (the first page), and the rest of the index is sampled in evenly spread
    windows for as long as the deadline allows.
    """
    scans = [SeqScan(reader, sq, restrict, pairs_of) for sq in plan]
    scans = [sc for sc in scans if not sc.done]
    n_docs = reader.doc_count_all()
    deletions = reader.has_deletions()
    matched: list[int] = []

    def take(hi: int) -> None:
        got: set[int] = set()
        for sc in scans:
            got.update(sc.upto(hi))
        scans[:] = [sc for sc in scans if not sc.done]
        for d in sorted(got):
            if not (deletions and reader.is_deleted(d)):
                matched.append(d)

    t0 = time.perf_counter()
    upto = 0
    window = _FIRST_WINDOW
    while upto < n_docs and scans:
        hi = min(n_docs, upto + window)
        take(hi)
        upto = hi
        window = min(window * 2, _MAX_WINDOW)
        if deadline is not None and len(matched) >= want:
            now = time.perf_counter()
            left = deadline - now
            if left <= 0:
                break
            # Will reading the rest at this rate fit in the time left? If not, sample it.
            per_doc = (now - t0) / upto
            if per_doc * (n_docs - upto) > left and upto < n_docs:
                return _sample(matched, upto, n_docs, scans, take, deadline, left / per_doc,
                               lambda: [sc for sc in (SeqScan(reader, sq, restrict, pairs_of)
                                                      for sq in plan) if not sc.done])
    if not scans:
        upto = n_docs
    return Scanned(matched, upto, len(matched), 0, n_docs)


def _sample(matched: list[int], upto: int, n_docs: int, scans: list, take, deadline: float,
            affordable: float, fresh) -> Scanned:
    """Sample the documents from ``upto`` on, in passes of windows spread evenly over them.

    The first pass plans for half of the ``affordable`` documents, so that it usually ends
    within the budget; each further pass (with ``fresh()`` scans, the postings being read
    forwards only) puts its windows halfway between the last one's. The estimate counts the
    passes that covered the whole range, or the first pass if none did: every window counted
    then stands for the same share of the index, from its first item to its last.
    """
    exact = len(matched)
    rest = n_docs - upto
    n_windows = max(1, int(affordable // (2 * _SAMPLE_WINDOW)))
    stride = max(2 * _SAMPLE_WINDOW, rest // n_windows)
    kept, sampled = exact, 0  # matches and documents of the passes counted
    offset = 0
    passes = 0
    while offset < stride:
        began = time.perf_counter()
        if passes:
            scans[:] = fresh()
        pass_docs, complete = 0, True
        start = upto + offset
        while start < n_docs:
            # (once every sequence has run out of postings, the windows left cost nothing)
            hi = min(n_docs, start + _SAMPLE_WINDOW)
            for sc in scans:
                sc.skip_to(start)
            take(hi)
            pass_docs += hi - start
            start += stride
            if scans and start < n_docs and time.perf_counter() > deadline:
                complete = False
                break
        passes += 1
        if complete or passes == 1:
            kept, sampled = len(matched), sampled + pass_docs
        now = time.perf_counter()
        # a further pass takes about as long as this one: start it only if it can end in time
        if not complete or now + (now - began) > deadline:
            break
        # the next pass halfway between this one's windows, while they do not overlap
        offset = offset + stride // 2 if passes == 1 else offset // 2
        if offset < _SAMPLE_WINDOW or offset + _SAMPLE_WINDOW > stride:
            break
    del matched[kept:]
    matched.sort()
    return Scanned(matched, upto, exact, sampled, n_docs)


class MatchPositions:
    """Where a plan's sequences start in given documents, read from the postings' positions.

    The index already knows where each term occurs, so a hit's spans come from there: only the
    tokens up to the snippet are then re-read from the text, and no key is recomputed.
    Documents are best asked for in ascending order (a matcher is reopened otherwise).
    """

    def __init__(self, reader, plan: list[Seq]) -> None:
        self.reader = reader
        self.plan = plan
        self.matchers: dict[tuple[str, str], object] = {}
        self.last = -1

    def _positions(self, field: str, term: str, doc: int) -> tuple[int, ...]:
        key = (field, term)
        m = self.matchers.get(key)
        if m is None:
            # (False: the term has no postings here)
            m = self.matchers[key] = postings(self.reader, field, term) or False
        if m is False or not m.is_active():
            return ()
        if m.id() < doc:
            m.skip_to(doc)
            if not m.is_active():
                return ()
        if m.id() != doc:
            return ()
        return tuple(m.value_as("positions"))

    def starts(self, doc: int) -> list[tuple[int, int]]:
        """(first token, token count) of every match in ``doc``, in text order."""
        if doc < self.last:
            self.matchers.clear()  # matchers only move forwards: start again
        self.last = doc
        out: set[tuple[int, int]] = set()
        for seq in self.plan:
            first: set[int] | None = None
            for i, alts in enumerate(seq):
                here: set[int] = set()
                for f, t in alts:
                    here.update(p - i for p in self._positions(f, t, doc))
                first = here if first is None else first & here
                if not first:
                    break
            for p in first or ():
                out.add((p, len(seq)))
        return sorted(out)
