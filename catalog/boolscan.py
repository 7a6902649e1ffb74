"""Reading-order matching of boolean queries: AND, OR, NOT and NEAR over token sequences.

A query of the search syntax (``catalog.query_tree``) is a tree whose leaves are unions of
token sequences (``terms.plan_of``). ``bool_plan`` reads the tree as ``Leaf``, ``AllOf``,
``AnyOf`` and ``NearOf`` nodes; each opens (``open``) into a scan with the interface of
``matching.SeqScan`` (``upto``, ``skip_to``, ``done``), so that ``matching.scan`` reads it
window by window in docnum order like any sequence: the first page is complete as soon as
the windows read hold enough matches, counting past it is sampled within the time budget,
and every loop asks the hard deadline. Relies on every scan of a window being asked for the
same ``limit`` (``matching.scan`` does so): an AND is then the intersection, window by
window, of its parts' matches, a NOT their difference.

NEAR/n checks its candidates (pages holding both sides) with the postings' positions
(``matching.MatchPositions``): some match of one side starts within n tokens after the
other's ends, either side first.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Optional

from whoosh import query as wq

from .deadline import Deadline
from .matching import MatchPositions, SeqScan
from .terms import Seq, plan_of

__all__ = ["Leaf", "AllOf", "AnyOf", "NearOf", "bool_plan", "highlight_plan", "items_leaf"]


@dataclass(frozen=True)
class Leaf:
    """A union of sequences: what ``matching.scan`` reads without this module."""

    seqs: tuple

    def open(self, reader, restrict: list, pairs_of, hard: Deadline) -> "_Union":
        return _Union([SeqScan(reader, sq, restrict, pairs_of, hard) for sq in self.seqs])


@dataclass(frozen=True)
class AllOf:
    """Pages matching every ``pos`` and no ``neg``."""

    pos: tuple
    neg: tuple = ()

    def open(self, reader, restrict: list, pairs_of, hard: Deadline) -> "_All":
        return _All([p.open(reader, restrict, pairs_of, hard) for p in self.pos],
                    [n.open(reader, [], pairs_of, hard) for n in self.neg])


@dataclass(frozen=True)
class AnyOf:
    parts: tuple

    def open(self, reader, restrict: list, pairs_of, hard: Deadline) -> "_Union":
        return _Union([p.open(reader, restrict, pairs_of, hard) for p in self.parts])


@dataclass(frozen=True)
class NearOf:
    left: Leaf
    right: Leaf
    distance: int

    def open(self, reader, restrict: list, pairs_of, hard: Deadline) -> "_Near":
        return _Near(self, reader, restrict, pairs_of, hard)


Plan = Leaf | AllOf | AnyOf | NearOf


def bool_plan(q: wq.Query) -> Optional[Plan]:
    """The query (over the index's terms) as a plan, or None when a part has another shape
    (then Whoosh's own matchers answer it)."""
    seqs = plan_of(q)
    if seqs is not None:
        return Leaf(tuple(seqs))
    if isinstance(q, wq.AndNot):
        pos, neg = bool_plan(q.a), bool_plan(q.b)
        if pos is None or neg is None:
            return None
        if isinstance(pos, AllOf):
            return AllOf(pos.pos, pos.neg + (neg,))
        return AllOf((pos,), (neg,))
    if isinstance(q, wq.SpanNear2) and len(q.qs) == 2:
        left, right = plan_of(q.qs[0]), plan_of(q.qs[1])
        if left is None or right is None:
            return None
        return NearOf(Leaf(tuple(left)), Leaf(tuple(right)), q.slop)
    if isinstance(q, (wq.And, wq.Or)):
        parts = [bool_plan(c) for c in q.subqueries]
        if any(p is None for p in parts):
            return None
        return AllOf(tuple(parts)) if isinstance(q, wq.And) else AnyOf(tuple(parts))
    return None


def items_leaf(items: list[str]) -> Leaf:
    """The pages of these items (a ``title:`` filter)."""
    return Leaf(tuple(((("item", i),),) for i in items))


def highlight_plan(plan: Plan) -> list[Seq]:
    """The sequences whose matches a hit shows: every leaf's, except under NOT."""
    if isinstance(plan, Leaf):
        return [sq for sq in plan.seqs if not (len(sq) == 1 and sq[0][0][0] == "item")]
    if isinstance(plan, NearOf):
        return list(plan.left.seqs) + list(plan.right.seqs)
    parts = plan.pos if isinstance(plan, AllOf) else plan.parts
    return [sq for p in parts for sq in highlight_plan(p)]


class _Union:
    def __init__(self, scans: list) -> None:
        self.scans = [sc for sc in scans if not sc.done]
        self.done = not self.scans

    def upto(self, limit: int) -> list[int]:
        got: set[int] = set()
        for sc in self.scans:
            got.update(sc.upto(limit))
        self.scans = [sc for sc in self.scans if not sc.done]
        self.done = not self.scans
        return sorted(got)

    def skip_to(self, doc: int) -> None:
        for sc in self.scans:
            sc.skip_to(doc)


class _All:
    def __init__(self, pos: list, neg: list) -> None:
        self.pos, self.neg = pos, neg
        self.done = any(p.done for p in pos)

    def upto(self, limit: int) -> list[int]:
        if self.done:
            return []
        got: Optional[set[int]] = None
        for p in self.pos:  # every part reads the window, so that they stay in step
            ids = set(p.upto(limit))
            got = ids if got is None else got & ids
        for n in self.neg:
            if not n.done:
                got -= set(n.upto(limit))
        self.done = any(p.done for p in self.pos)
        return sorted(got or ())

    def skip_to(self, doc: int) -> None:
        for sc in self.pos + self.neg:
            sc.skip_to(doc)


class _Near:
    def __init__(self, plan: NearOf, reader, restrict: list, pairs_of, hard: Deadline
                 ) -> None:
        self.both = _All([plan.left.open(reader, restrict, pairs_of, hard),
                          plan.right.open(reader, restrict, pairs_of, hard)], [])
        self.left = MatchPositions(reader, list(plan.left.seqs))
        self.right = MatchPositions(reader, list(plan.right.seqs))
        self.distance = plan.distance
        self.hard = hard
        self.done = self.both.done

    def upto(self, limit: int) -> list[int]:
        out = []
        for n, d in enumerate(self.both.upto(limit)):
            if self.hard.every(n):
                break
            if _near(self.left.starts(d), self.right.starts(d), self.distance):
                out.append(d)
        self.done = self.both.done
        return out

    def skip_to(self, doc: int) -> None:
        self.both.skip_to(doc)


def _near(left: list[tuple[int, int]], right: list[tuple[int, int]], n: int) -> bool:
    """Whether a match of one side starts at most ``n`` tokens after the other's ends
    (1: adjacent), either side first, the two not overlapping."""
    return _after(left, right, n) or _after(right, left, n)


def _after(first: list[tuple[int, int]], then: list[tuple[int, int]], n: int) -> bool:
    starts = sorted(s for s, _ in then)
    for s, length in first:
        end = s + length - 1
        i = bisect_left(starts, end + 1)
        if i < len(starts) and starts[i] <= end + n:
            return True
    return False
