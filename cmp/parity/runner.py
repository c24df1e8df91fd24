"""Run the jobs across cores in this one command: a pool of worker processes started once.

Helm's native call releases the GIL, but most of a render is Python (YAML in and out, policy),
so threads would not run renders in parallel. Workers are spawned, not forked: the parent may
have loaded Helm's Go runtime, which does not survive a fork. Small runs stay in-process, where
a pool's start-up would cost more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import TextIO

from cmp.parity import worker
from cmp.parity.worker import AppJob, AppResult

# Below this many renders per worker a pool's start-up (about 0.3 s per worker) is not repaid.
MIN_RENDERS_PER_WORKER = 8

Progress = Callable[[int, int], None]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def renders(jobs: Sequence[AppJob]) -> int:
    return sum(int(j.head.request is not None) + int(j.base.request is not None) for j in jobs)


def workers_for(jobs: Sequence[AppJob], requested: int) -> int:
    return max(1, min(requested, renders(jobs) // MIN_RENDERS_PER_WORKER, len(jobs)))


def run(jobs: Sequence[AppJob], workers: int, progress: Progress | None = None) -> list[AppResult]:
    """Results in job order; `progress(done, total)` after each app."""
    if workers <= 1:
        return _serial(jobs, progress)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=worker.warm) as pool:
        futures: dict[Future[AppResult], int] = {pool.submit(worker.run, job): i for i, job in enumerate(jobs)}
        results: list[AppResult | None] = [None] * len(jobs)
        for done, future in enumerate(as_completed(futures), 1):
            results[futures[future]] = future.result()
            if progress:
                progress(done, len(jobs))
    return [r for r in results if r is not None]


def _serial(jobs: Sequence[AppJob], progress: Progress | None) -> list[AppResult]:
    results: list[AppResult] = []
    for job in jobs:
        results.append(worker.run(job))
        if progress:
            progress(len(results), len(jobs))
    return results


def terminal_progress(stream: TextIO | None = None) -> Progress | None:
    """A progress line on stderr, only when stderr is a terminal (CI logs stay clean)."""
    err = stream or sys.stderr
    if not err.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        print(f"\rgitops-cmp parity: {done}/{total} apps", end=end, file=err, flush=True)

    return show
