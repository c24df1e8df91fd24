"""Run the jobs across cores in this one command: the parent plus a pool of worker processes.

Helm's native call releases the GIL, but most of a render is Python (YAML in and out, policy),
so threads would not run renders in parallel. The pool is created once per run (never a process
per app) and spawned, not forked: the parent may have loaded Helm's Go runtime, which does not
survive a fork. The parent renders too, from the front of the queue while the workers start up
and take jobs from the back, so a pool never makes a run slower than rendering in-process.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TextIO

from cmp.errors import RenderError
from cmp.parity import worker
from cmp.parity.worker import AppJob, AppResult

# A worker costs about half a CPU-second to start (Python, the pipeline, Helm's Go runtime) and a
# small chart renders in about 5 ms: measured on 2 CPUs (bench/parity_throughput.py), a second
# process starts to pay off between 100 and 200 renders.
MIN_RENDERS_PER_WORKER = 64
# Jobs queued per worker process, so none idles while the parent hands out the next one.
QUEUED_PER_WORKER = 2

Progress = Callable[[int, int], None]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def renders(jobs: Sequence[AppJob]) -> int:
    return sum(int(j.head.request is not None) + int(j.base.request is not None) for j in jobs)


def workers_for(jobs: Sequence[AppJob], requested: int) -> int:
    """How many processes render (the parent included)."""
    return max(1, min(requested, renders(jobs) // MIN_RENDERS_PER_WORKER, len(jobs)))


def expected_workers(apps: int, sides: int, shard_total: int, requested: int) -> int:
    """`workers_for` as it will be when every one of about `apps` apps renders `sides` sides,
    `shard_total` shards sharing them: known before the apps are discovered."""
    return max(1, min(requested, apps * sides // shard_total // MIN_RENDERS_PER_WORKER))


def start_pool(workers: int) -> ProcessPoolExecutor | None:
    """The pool `run` would start, started now: its processes import the pipeline and load Helm
    (about half a CPU-second each) while this one reads the base tree and discovers the apps."""
    if workers <= 1:
        return None
    pool = _new_pool(workers)
    for _ in range(workers - 1):  # a spawn pool starts a process per submission that finds none idle
        pool.submit(os.getpid)
    return pool


def _new_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context("spawn"), initializer=worker.warm)


def run(jobs: Sequence[AppJob], workers: int, progress: Progress | None = None,
        pool: ProcessPoolExecutor | None = None) -> list[AppResult]:
    """Results in job order; `progress(done, total)` after each app. `pool`: one `start_pool`
    started (the caller shuts it down), used when this run needs one."""
    if workers <= 1:
        return _serial(jobs, progress)
    if pool is None:
        with _new_pool(workers) as started:
            return _parallel(jobs, workers, progress, started)
    return _parallel(jobs, workers, progress, pool)


def _parallel(jobs: Sequence[AppJob], workers: int, progress: Progress | None,
              pool: ProcessPoolExecutor) -> list[AppResult]:
    results: dict[int, AppResult] = {}

    def record(index: int, result: AppResult) -> None:
        results[index] = result
        if progress:
            progress(len(results), len(jobs))

    pending = deque(range(len(jobs)))
    queued: dict[Future[AppResult], int] = {}
    while pending or queued:
        while pending and len(queued) < QUEUED_PER_WORKER * (workers - 1):
            index = pending.pop()
            queued[_submit(pool, jobs[index])] = index
        if pending:
            index = pending.popleft()
            record(index, worker.run(jobs[index]))
            finished = {f for f in queued if f.done()}
        else:
            finished = wait(queued, return_when=FIRST_COMPLETED).done
        for future in finished:
            index = queued.pop(future)
            record(index, _collect(future, jobs[index]))
    return [results[i] for i in range(len(jobs))]


def _submit(pool: ProcessPoolExecutor, job: AppJob) -> Future[AppResult]:
    try:
        return pool.submit(worker.run, job)
    except BrokenProcessPool:
        raise RenderError(f"a render worker process died before rendering {job.name} ({job.source});"
                          " rerun with --jobs 1 to see which app crashes it") from None


def _collect(future: Future[AppResult], job: AppJob) -> AppResult:
    try:
        return future.result()
    except BrokenProcessPool:
        raise RenderError(f"a render worker process died while rendering {job.name} ({job.source});"
                          " rerun with --jobs 1 to see which app crashes it") from None


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
