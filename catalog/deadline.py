"""The hard deadline of one search: past it, every loop of a search stops and the search
returns what it has found, marked partial.

A search's long loops (the matching scans, position checks, relevance scoring, snippets,
facet counting, the per-item matches of Content Search, autocomplete) ask ``passed()`` every
few steps of bounded work; once it has said yes it keeps saying so, so a loop after the
first to stop stops at once. The clock is a parameter: tests count steps with a clock of
their own instead of measuring wall time, and ``checks`` tells them how much work was done.
"""
from __future__ import annotations

import time
from typing import Callable, Optional

__all__ = ["Deadline", "EVERY"]

# Loops ask the deadline every EVERY steps (a power of two: ``steps & (EVERY - 1) == 0``);
# a step is a document or a term, each bounded work, so that a stop comes within
# milliseconds of the deadline without the clock costing anything measurable.
EVERY = 32


class Deadline:
    """``seconds`` from now on ``clock`` (None: never), and whether it has passed."""

    def __init__(self, seconds: Optional[float],
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.at = None if seconds is None else clock() + max(0.0, float(seconds))
        self.hit = False
        self.checks = 0  # how often it was asked: the work done, for tests and benchmarks

    def passed(self) -> bool:
        """Whether the deadline has passed (and, once it has, always True)."""
        self.checks += 1
        if not self.hit and self.at is not None and self.clock() >= self.at:
            self.hit = True
        return self.hit

    def every(self, step: int) -> bool:
        """``passed()`` asked only on every EVERY-th ``step`` (else the last answer)."""
        if step & (EVERY - 1):
            return self.hit
        return self.passed()
