"""Reading-order matching: which documents hold a query's token sequences, over Whoosh's
posting lists, in docnum (reading) order.

Whoosh's phrase matcher builds a span object per position and its Or preloads every match of
a small index, which is what made phrase queries slow. The query is read instead as a union of
token sequences (one set of alternative terms per position). The index is scanned in windows
of docnums; in each, every sequence leapfrogs its terms' posting lists (rarest first) and
checks adjacent positions with set operations, or, for phrases of common terms, takes whole
posting blocks at once (read by ``catalog.postings``). Reading order is docnum order, so the
first page is complete as soon as the windows scanned hold enough matches, and counting can
stop at any window boundary. The plan (the query as sequences) is ``terms.plan_of``.
A term at several positions of a sequence ("the" in "the khan of the steppe", or a word
typed 64 times) has its postings read once, for all of them.

Every loop asks the search's hard deadline (``catalog.deadline``) every few steps; past it,
a scan stops where it is and says so (``Scanned.cut``).

Phrases of common tokens are narrowed first by each page's stored pairs
(``catalog.pairs``). What the time budget cannot count is sampled (``scan``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional

from . import pairs
from .deadline import Deadline
from .postings import (ids_below, positions_of, postings, shifted_positions, skip_ids,
                       values_below)
from .terms import Seq, text_of

# A phrase whose terms are all common (each on thousands of pages) but rarely adjacent is
# cheaper to check in bulk, from whole posting blocks, than by leapfrogging document by
# document: after this many leapfrog steps it switches to that.
_LAZY_STEPS = 128


class SeqScan:
    """The documents where one token sequence occurs (at adjacent positions, with every
    ``restrict`` term present), found window by window in docnum order by ``upto``."""

    def __init__(self, reader, seq: Seq, restrict: list,
                 pairs_of: Optional[list[bytes]] = None, hard: Optional[Deadline] = None
                 ) -> None:
        self.reader = reader
        self.seq = seq
        self.hard = hard or Deadline(None)
        self.distinct = list(dict.fromkeys(seq))  # a repeated term is read once
        self.restrict = [(t.fieldname, text_of(t.text)) for t in restrict]
        self.done = False
        self.target = 0
        self.steps = 0
        self.bulk: list | None = None
        self.filtered: list | None = None
        self.pairs_of = pairs_of
        self.constraints = list(dict.fromkeys(pairs.pair_constraints(seq))) \
            if pairs_of is not None else []
        # one list of matchers per distinct position, shared by the positions it fills
        opened: dict[tuple, list] = {}
        sizes: dict[int, int] = {}
        for alts in self.distinct:
            ms = [m for m in (postings(reader, f, t) for f, t in alts) if m is not None]
            if not ms:
                self.done = True
                return
            opened[alts] = ms
            sizes[id(ms)] = sum(reader.doc_frequency(f, t) for f, t in alts)
        self.positions: list[list] = [opened[alts] for alts in seq]
        required = []
        for f, t in self.restrict:
            m = postings(reader, f, t)
            if m is None:
                self.done = True
                return
            required.append([m])
        # leapfrog from the rarest list; the phrase check keeps the positions in order
        self.groups = required + sorted(opened.values(), key=lambda ms: sizes[id(ms)])
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
            if self.hard.every(self.steps):
                self.target = target
                return out
            if n > 1 and self.steps > _LAZY_STEPS:
                if self.constraints:
                    self._start_filtered(target)
                    return out + self._filtered_upto(limit)
                self._start_bulk(target)
                return out + self._bulk_upto(limit)
            if n == 1 or ((not self.constraints or pairs.pairs_ok(self.pairs_of[target],
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
                skip_ids(state, doc)
            self.id_states = [st for st in self.id_states if st[0] is not None or st[1]]
            self.done = not self.id_states
        elif self.filtered is not None:
            for states in self.filtered:
                for state in states:
                    skip_ids(state, doc)
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
        lists = [ids_below(state, limit) for state in self.id_states]
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

        # one list of [matcher, carried ids] states per distinct position, then one per
        # restrict term (a page holds a repeated term if it holds it once)
        self.filtered = [[ids_at(f, t) for f, t in alts] for alts in self.distinct]
        self.filtered += [[ids_at(f, t)] for f, t in self.restrict]
        self.where = MatchPositions(self.reader, [self.seq])

    def _filtered_upto(self, limit: int) -> list[int]:
        sets = []
        for states in self.filtered:
            ids: set[int] = set()
            for state in states:
                ids.update(ids_below(state, limit))
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
        starts, hard = self.where.starts, self.hard
        out = []
        for n, d in enumerate(sorted(cands)):
            if hard.every(n):
                break
            if pairs.pairs_ok(pairs_of[d], cons) and starts(d):
                out.append(d)
        return out

    def _start_bulk(self, start: int) -> None:
        reader = self.reader

        def reader_at(f: str, t: str):
            m = postings(reader, f, t)
            if m is not None and m.id() < start:
                m.skip_to(start)
            return [m, {}, -1]

        # states per distinct position, shared by every position it fills
        states = {alts: [reader_at(f, t) for f, t in alts] for alts in self.distinct}
        self.bulk = [states[alts] for alts in self.seq]
        self.bulk_restrict = [reader_at(f, t) for f, t in self.restrict]

    def _bulk_upto(self, limit: int) -> list[int]:
        read: dict[int, list] = {}  # a shared state is read once
        per_pos = []
        for alts in self.bulk:
            if id(alts) not in read:
                read[id(alts)] = [values_below(state, limit) for state in alts]
            per_pos.append(read[id(alts)])
        keys = []
        for dicts in per_pos:
            keys.append(dicts[0].keys() if len(dicts) == 1 else set().union(*dicts))
        keys.sort(key=len)
        cands = set(keys[0])
        for k in keys[1:]:
            cands.intersection_update(k)
        for state in self.bulk_restrict:
            cands.intersection_update(values_below(state, limit))
        if any(all(state[0] is None and not state[1] for state in alts)
               for alts in self.bulk):
            self.done = True  # a position has no postings left
        order = sorted(range(len(self.seq)), key=lambda i: sum(len(d) for d in per_pos[i]))
        out: list[int] = []
        shifted = shifted_positions
        for n, d in enumerate(sorted(cands)):
            if self.hard.every(n):
                break
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


def _adjacent(positions: list[list], doc: int) -> bool:
    starts: set[int] | None = None
    read: dict[int, set[int]] = {}  # positions of a repeated term, decoded once
    for i, ms in enumerate(positions):
        here = read.get(id(ms))
        if here is None:
            here = read[id(ms)] = set()
            for m in ms:
                if m.is_active() and m.id() == doc:
                    here.update(positions_of(m))
        if starts is None:
            starts = set(here)  # (``here`` is kept for the term's other positions)
        else:
            starts &= {p - i for p in here}
        if not starts:
            return False
    return True


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
    cut: bool = False  # stopped by the hard deadline: what was found by then

    @property
    def complete(self) -> bool:
        return self.exact_upto >= self.n_docs and not self.cut

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
            if self.exact_upto <= 0:  # cut within the first window: no rate to go by
                return exact
            # nothing sampled: the rate of the part read exactly stands for the rest
            return max(exact, round(exact * self.n_docs / max(1, self.exact_upto)))
        return exact + round((len(self.matched) - exact) * self.scale())


def scan(reader, plan: list[Seq], restrict: list, want: int, deadline: float | None,
         pairs_of: Optional[list[bytes]] = None, hard: Optional[Deadline] = None) -> Scanned:
    """Docnums matching any sequence of ``plan``, ascending.

    Every match is found, unless ``deadline`` (the time budget for counting) passes: then
    the first ``want`` matches are still all found (the first page), and the rest of the
    index is sampled in evenly spread windows for as long as the deadline allows. Past the
    ``hard`` deadline the scan stops wherever it is, first page or not (``Scanned.cut``).
    """
    hard = hard or Deadline(None)
    scans = [sc for sc in _opened(reader, plan, restrict, pairs_of, hard) if not sc.done]
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
        if hard.passed():
            return Scanned(matched, upto, len(matched), 0, n_docs, cut=True)
        hi = min(n_docs, upto + window)
        take(hi)
        if hard.hit:  # within the window: its matches so far, the window not counted
            return Scanned(matched, upto, len(matched), 0, n_docs, cut=True)
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
                               lambda: [sc for sc in _opened(reader, plan, restrict, pairs_of,
                                                             hard) if not sc.done], hard)
    if not scans:
        upto = n_docs
    return Scanned(matched, upto, len(matched), 0, n_docs)


def _opened(reader, plan: list, restrict: list, pairs_of, hard: Deadline) -> list:
    """A scan per element of ``plan``: a sequence, or a boolean node (``catalog.boolscan``)
    that opens into a scan of the same interface."""
    return [SeqScan(reader, p, restrict, pairs_of, hard) if isinstance(p, tuple)
            else p.open(reader, restrict, pairs_of, hard) for p in plan]


def _sample(matched: list[int], upto: int, n_docs: int, scans: list, take, deadline: float,
            affordable: float, fresh, hard: Deadline) -> Scanned:
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
            if scans and start < n_docs and (time.perf_counter() > deadline
                                              or hard.passed()):
                complete = False
                break
        passes += 1
        if complete or passes == 1:
            kept, sampled = len(matched), sampled + pass_docs
        now = time.perf_counter()
        # a further pass takes about as long as this one: start it only if it can end in time
        if not complete or now + (now - began) > deadline or hard.hit:
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
        return positions_of(m)

    def starts(self, doc: int) -> list[tuple[int, int]]:
        """(first token, token count) of every match in ``doc``, in text order."""
        if doc < self.last:
            self.matchers.clear()  # matchers only move forwards: start again
        self.last = doc
        out: set[tuple[int, int]] = set()
        read: dict[tuple, tuple[int, ...]] = {}  # a repeated term's positions, read once
        for seq in self.plan:
            first: set[int] | None = None
            for i, alts in enumerate(seq):
                here: set[int] = set()
                for key in alts:
                    got = read.get(key)
                    if got is None:
                        got = read[key] = self._positions(key[0], key[1], doc)
                    here.update(p - i for p in got)
                first = here if first is None else first & here
                if not first:
                    break
            for p in first or ():
                out.add((p, len(seq)))
        return sorted(out)
