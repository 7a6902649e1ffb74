"""Where page tasks run: this process, local worker processes, or a Dask distributed cluster.

Every executor takes ``ingest.derive.PageJob``s and hands back ``PageResult``s; after a task's
``result()`` the page's derivatives are in the version's staging folder, whichever executor ran
it, and a task that failed or whose worker died comes back as a failed result naming the page's
file, never as an exception: the item fails alone, the next run derives it again.

- ``InlineExecutor`` (``--workers 1``): runs each task when it is submitted.
- ``ProcessExecutor`` (the default, ``--workers N``, 0 = every core): a pool of processes that
  die with the ingest (``library.processes.die_with_parent``). A dead worker breaks the whole
  pool; the pool is then started again and every task it held runs once more alone, in a process
  of its own, so only a page that kills its worker fails its item.
- ``DaskExecutor`` (``--dask ADDRESS`` or the setting ``dask_scheduler``): ``distributed`` is
  imported only then (``pip install -e '.[cluster]'``; workers need Sudur installed too). Jobs
  carry the master's bytes (scattered to a worker, not sent through the scheduler) and results
  carry the derivatives' bytes (ingest/derive.py says why). Dask moves a task off a dead worker
  by itself; a task whose master was lost with its worker is sent once more; a task that killed
  several workers comes back failed.

``run_ordered`` feeds an executor the pages of a stream of items, keeping at most a window of
tasks in flight (so a remote cluster never holds more than a few masters per worker), staging the
next item while the workers cut the pages of the previous ones, and hands each item back, in the
order the items came, once all its pages are done or one failed.
"""
from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from library.errors import LibraryError
from library.processes import die_with_parent

from .derive import PageJob, PageResult, derive_page, failed_result, write_outputs

__all__ = ["Executor", "InlineExecutor", "ProcessExecutor", "DaskExecutor", "open_executor",
           "PageWork", "run_ordered"]


class Task(ABC):
    @abstractmethod
    def result(self) -> PageResult:
        """Wait for the page; never raises for a failed task (the result says so)."""


class Executor(ABC):
    """Runs page tasks; ``slots`` is how many run at once."""

    slots: int = 1

    @abstractmethod
    def submit(self, job: PageJob) -> Task:
        ...

    def describe(self) -> str:
        return type(self).__name__

    def close(self) -> None:
        """Stop the workers this executor started (a cluster's own workers stay)."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class _Done(Task):
    def __init__(self, result: PageResult) -> None:
        self._result = result

    def result(self) -> PageResult:
        return self._result


class InlineExecutor(Executor):
    slots = 1

    def describe(self) -> str:
        return "this process"

    def submit(self, job: PageJob) -> Task:
        return _Done(derive_page(job))


class ProcessExecutor(Executor):
    def __init__(self, workers: int) -> None:
        self.slots = max(1, workers)
        self._pool: Optional[ProcessPoolExecutor] = None
        self._generation = 0

    def describe(self) -> str:
        return f"{self.slots} local processes"

    def _current(self) -> tuple[ProcessPoolExecutor, int]:
        if self._pool is None:
            # workers end with this process, even when it is killed (library.processes)
            self._pool = ProcessPoolExecutor(max_workers=self.slots, initializer=die_with_parent,
                                             initargs=(os.getpid(),))
        return self._pool, self._generation

    def _run(self, job: PageJob) -> tuple[Future, int]:
        pool, generation = self._current()
        try:
            return pool.submit(derive_page, job), generation
        except BrokenProcessPool:  # broken by a task whose result nobody has asked for yet
            self._restart(generation)
            pool, generation = self._current()
            return pool.submit(derive_page, job), generation

    def _restart(self, generation: int) -> None:
        """Replace a broken pool, once for all the tasks it broke."""
        if generation == self._generation and self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
            self._generation += 1

    def submit(self, job: PageJob) -> Task:
        return _ProcessTask(self, job)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class _ProcessTask(Task):
    def __init__(self, executor: ProcessExecutor, job: PageJob) -> None:
        self.executor, self.job = executor, job
        self.future, self.generation = executor._run(job)

    def result(self) -> PageResult:
        try:
            return self.future.result()
        except BrokenProcessPool:
            self.executor._restart(self.generation)
        # Which of the pool's tasks killed it is unknown: each one it held runs again alone,
        # in a process of its own, so only the page that kills its worker fails its item.
        with ProcessPoolExecutor(max_workers=1, initializer=die_with_parent,
                                 initargs=(os.getpid(),)) as alone:
            try:
                return alone.submit(derive_page, self.job).result()
            except BrokenProcessPool:
                return failed_result(self.job, f"{self.job.name}: the worker process cutting "
                                     "its derivatives died (killed, or out of memory)",
                                     "worker-lost")


def _remote_derive(job: PageJob, master_data: bytes) -> PageResult:
    """The Dask task: the job with its master's bytes, which were scattered beside it."""
    return derive_page(replace(job, master_data=master_data))


class DaskExecutor(Executor):
    def __init__(self, address: str, *, timeout: float = 10.0) -> None:
        try:
            from distributed import Client
        except ImportError as exc:
            raise LibraryError(f"--dask needs the distributed package: {exc}",
                               hint="pip install -e '.[cluster]'") from exc
        self.address = address
        try:
            self.client = Client(address, timeout=f"{timeout}s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise LibraryError(f"cannot reach the Dask scheduler at {address}: {exc}",
                               hint="start one (`make cluster`) or leave out --dask") from exc
        try:
            self.client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            self.client.close()
            raise LibraryError(f"the Dask scheduler at {address} has no workers",
                               hint="start some (`dask worker ADDRESS`)") from exc
        workers = self.client.scheduler_info().get("workers", {})
        self.slots = max(1, sum(w.get("nthreads", 1) for w in workers.values()))

    def describe(self) -> str:
        return f"Dask at {self.address} ({self.slots} threads)"

    def send(self, job: PageJob) -> tuple[Any, Any]:
        """Scatter the master to one worker (it never passes through the scheduler) and
        submit the task beside it: (the task's future, the master's)."""
        scattered = self.client.scatter(Path(job.master).read_bytes(), hash=False)
        key = f"derive-{job.item_id}-{job.order:04d}-{os.urandom(4).hex()}"
        return self.client.submit(_remote_derive, job, scattered, pure=False, key=key), scattered

    def submit(self, job: PageJob) -> Task:
        return _DaskTask(self, job)

    def close(self) -> None:
        self.client.close()


class _DaskTask(Task):
    def __init__(self, executor: DaskExecutor, job: PageJob) -> None:
        self.executor, self.job = executor, job
        self.future, self.scattered = executor.send(job)

    def result(self) -> PageResult:
        from distributed.scheduler import KilledWorker

        job = self.job
        for attempt in (1, 2):
            try:
                result = self.future.result()
                break
            except KilledWorker as exc:  # Dask tried it on several workers: it kills them
                self._release()
                return failed_result(job, f"{job.name}: the Dask workers cutting its "
                                     f"derivatives died ({exc})", "worker-lost")
            except Exception as exc:  # noqa: BLE001 - a lost worker (with the master's
                # bytes), a lost connection, a worker without Sudur: whatever it raises is
                # this page's failure after one more try, never swallowed
                self._release()
                if attempt == 2 or not self._resend():
                    why = " twice (its worker died or was lost)" if attempt == 2 else ""
                    return failed_result(job, f"{job.name}: the Dask task failed{why}: "
                                         f"{type(exc).__name__}: {exc}", "worker-lost")
        self._release()
        try:
            write_outputs(result, Path(job.out_dir))
        except OSError as exc:
            return failed_result(job, f"{job.name}: cannot write the derivatives: {exc}",
                                 "os-error", result.worker)
        return result

    def _release(self) -> None:
        self.future.release()
        self.scattered.release()

    def _resend(self) -> bool:
        try:
            self.future, self.scattered = self.executor.send(self.job)
        except (OSError, TimeoutError):
            return False
        return True


def open_executor(workers: int = 1, dask: str = "") -> Executor:
    """The executor for ``--dask ADDRESS`` if given, else ``workers`` local processes."""
    if dask:
        return DaskExecutor(dask)
    if workers <= 1:
        return InlineExecutor()
    return ProcessExecutor(workers)


# --- feeding an executor the pages of a stream of items ----------------------------------------

@dataclass
class PageWork:
    """One item's page jobs, and whatever its caller keeps with it (``key``)."""

    key: Any
    jobs: list[PageJob]


@dataclass
class _State:
    work: PageWork
    results: list[Optional[PageResult]] = field(default_factory=list)
    submitted: int = 0
    outstanding: int = 0
    failed: bool = False

    def pending(self) -> bool:
        return not self.failed and self.submitted < len(self.work.jobs)

    def done(self) -> bool:
        return self.outstanding == 0 and not self.pending()


def run_ordered(executor: Executor, works: Iterable[PageWork],
                window: Optional[int] = None) -> Iterator[tuple[PageWork, list[PageResult]]]:
    """Run every job of every work, at most ``window`` at once; yield each work with its
    results (in job order) in the order the works came. Once a page fails, the rest of its
    item is not submitted; the results then end with the failure."""
    window = window or max(2, 2 * executor.slots)
    source = iter(works)
    items: deque[_State] = deque()
    flight: deque[tuple[_State, int, Task]] = deque()
    exhausted = False
    while True:
        while items and items[0].done():
            state = items.popleft()
            yield state.work, [r for r in state.results if r is not None]
        waiting = next((s for s in items if s.pending()), None)
        if waiting is not None and len(flight) < window:
            index = waiting.submitted
            waiting.submitted += 1
            waiting.outstanding += 1
            flight.append((waiting, index, executor.submit(waiting.work.jobs[index])))
        elif waiting is None and not exhausted and len(items) <= window:
            work = next(source, None)  # staged here, while the workers cut earlier pages
            if work is None:
                exhausted = True
            else:
                state = _State(work, [None] * len(work.jobs))
                items.append(state)
        elif flight:
            state, index, task = flight.popleft()
            result = task.result()
            state.outstanding -= 1
            state.results[index] = result
            if not result.ok:
                state.failed = True
        elif not items:
            return

