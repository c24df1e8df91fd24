"""Run the render under a deadline the process enforces itself.

Argo CD's repo-server gives a render 60 s by default (tar, stream, init and generate together),
then SIGTERM, then SIGKILL 5 s later, with no message. Helm runs inside a native call that Python
cannot interrupt, so the render runs in a worker thread and the main thread waits: it can then
fail with a message when the deadline passes, and it stays responsive to SIGTERM/SIGINT, whose
handlers only ever run on the main thread. Nothing is written to stdout in either case.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from _queue import SimpleQueue  # queue's C part: `queue` would import heapq for nothing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar

from cmp.errors import Abort, Interrupted, RenderError


T = TypeVar("T")
STOP_SIGNALS: dict[int, str] = {signal.SIGTERM: "SIGTERM", signal.SIGINT: "SIGINT"}


class DeadlineExceeded(RenderError):
    pass


class MemoryExceeded(RenderError):
    pass


_RETRY_SECONDS = 1.0  # the alarm repeats until its block is left, should code swallow it


@contextmanager
def alarm(seconds: float, what: str) -> Iterator[None]:
    """The block, run in the main thread, stops with Abort(DeadlineExceeded) after `seconds`, even
    inside a regular expression (the `re` engine checks for signals) or while waiting for a render
    thread. Off the main thread (no signals there) the block runs unbounded."""
    if threading.current_thread() is not threading.main_thread() or sys.getprofile() is not None:
        yield
        return
    started = time.monotonic()

    def handler(signum: int, frame: FrameType | None) -> None:
        signal.setitimer(signal.ITIMER_REAL, _RETRY_SECONDS)
        raise Abort(DeadlineExceeded(
            f"{what}: gave up after {time.monotonic() - started:.1f} s (deadline {seconds:g} s,"
            " limits.deadlineSeconds in .gitops-cmp.yaml); look for a huge or pathological file"
            " (one very long line) or a template loop"))

    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def bounded_in_main_thread(fn: Callable[[], T], seconds: float, what: str, memory_bytes: int) -> T:
    """`fn()` (a native call that no signal interrupts, such as Helm's render) under the deadline and
    the memory guard when the caller is the main thread (`check`); a render thread (render, generate,
    parity) is bounded by its caller already. A runaway stops the command (Abort): its thread goes on."""
    if threading.current_thread() is not threading.main_thread():
        return fn()
    return awaited(Started(fn), seconds, what, memory_bytes)


def awaited(started: Started[T], seconds: float, what: str, memory_bytes: int) -> T:
    """`started`'s result, waited for under the deadline (counted from its start) and the memory guard
    when the caller is the main thread, as bounded_in_main_thread; a render thread waits unbounded."""
    if threading.current_thread() is not threading.main_thread():
        return started.result()
    try:
        return started.result(seconds, what, memory_bytes)
    except (DeadlineExceeded, MemoryExceeded) as exc:
        raise Abort(exc) from None


_POLL_SECONDS = 0.02  # how often the waiting thread looks at the memory the render holds
# (limit file, usage file, the usage file's line for anonymous memory), cgroup v2 then v1.
_CGROUPS = (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.stat", b"anon "),
            ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.stat", b"total_rss "))
CONTAINER_SHARE = 0.85  # of the container's memory limit: the rest is headroom for one poll's growth


class MemoryGuard(NamedTuple):
    """Two bounds: this process's resident memory (limits.maxMemoryBytes), and the container's
    anonymous memory against 85% of its limit (what the kernel's OOM killer counts: every process of
    the container, a `serve` worker and its children included)."""

    process_bytes: int
    container_bytes: int = 0  # 0: no container limit
    container_stat: str = ""
    stat_line: bytes = b""

    def exceeded(self) -> tuple[int, int] | None:
        """(memory used, the bound it passed), or None."""
        used = resident_bytes()
        if used > self.process_bytes:
            return used, self.process_bytes
        if self.container_bytes:
            used = _stat_value(self.container_stat, self.stat_line)
            if used > self.container_bytes:
                return used, self.container_bytes
        return None


def memory_limit(configured: int) -> MemoryGuard:
    """The guard a render runs under: `configured` for this process, and 85% of the container's
    (cgroup's) memory limit for the container, so it trips before the kernel's OOM killer."""
    for limit_path, stat_path, line in _CGROUPS:
        try:
            with open(limit_path) as file:
                text = file.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:  # "max" / a huge number: no limit
            limit = int(int(text) * CONTAINER_SHARE)
            return MemoryGuard(min(configured, limit), limit, stat_path, line)
        break
    return MemoryGuard(configured)


def _stat_value(path: str, line: bytes) -> int:
    try:
        with open(path, "rb") as file:
            for row in file:
                if row.startswith(line):
                    return int(row.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def resident_bytes() -> int:
    """This process's resident memory now (0 where /proc is not there: the guard is off)."""
    try:
        with open("/proc/self/statm", "rb") as file:
            return int(file.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def call_with_deadline(fn: Callable[[], T], seconds: float, what: str, memory_bytes: int | None = None) -> T:
    """`fn()` in a render thread; the calling thread raises DeadlineExceeded when `seconds` pass, and
    MemoryExceeded as soon as the process's resident memory passes `memory_bytes` (memory_limit)."""
    return Started(fn).result(seconds, what, memory_bytes)


class Started(Generic[T]):
    """`fn()` running in a render thread from now on, while the caller goes on; `result` waits for it.
    A thread that overruns its deadline is left to finish on its own: a native call cannot be stopped.
    Under a profiler (`python -m cProfile` sees only its own thread), or when asked to (`here`), `fn`
    runs here, at once; `result` then gives its outcome as from a thread."""

    def __init__(self, fn: Callable[[], T], here: bool = False) -> None:
        self._outcome: list[T] = []
        self._failure: list[BaseException] = []
        self._started = time.monotonic()
        self.finished = False
        self._done: threading.Lock | None = None
        if here or sys.getprofile() is not None:
            self._work(fn)
            self.finished = True
            return
        self._done = threading.Lock()
        self._done.acquire()
        began = threading.Lock()
        began.acquire()
        _RenderThread.take().submit(self, fn, began)
        began.acquire()  # as Thread.start: the render thread has the GIL first, and starts `fn` at once

    def _work(self, fn: Callable[[], T]) -> None:
        try:
            self._outcome.append(fn())
        except BaseException as exc:  # handed to the waiting thread, which decides
            self._failure.append(exc)

    def _finish(self) -> None:
        self.finished = True
        if self._done is not None:
            self._done.release()

    def wait(self, seconds: float | None = None) -> bool:
        """Until `fn` has run, or `seconds` passed: whether it has."""
        if self._done is None or self.finished:
            return True
        if not self._done.acquire(timeout=-1 if seconds is None else seconds):
            return False
        self._done.release()  # the next wait returns at once
        return True

    def result(self, seconds: float | None = None, what: str = "", memory_bytes: int | None = None) -> T:
        """What `fn` returned, or its exception raised here. `seconds`: DeadlineExceeded once that
        long has passed since the start; `memory_bytes`: MemoryExceeded (memory_limit) while waiting."""
        self._wait(seconds, what, memory_bytes)
        if self._failure:
            raise self._failure[0]
        return self._outcome[0]

    def _wait(self, seconds: float | None, what: str, memory_bytes: int | None) -> None:
        if seconds is None:
            self.wait()
            return
        guard = memory_limit(memory_bytes) if memory_bytes else None
        if guard:
            _watch(self, self._started + seconds, guard, what)
        else:
            self.wait(max(0.0, self._started + seconds - time.monotonic()))
        if not self.finished:
            raise DeadlineExceeded(
                f"{what}: gave up after {time.monotonic() - self._started:.1f} s (deadline {seconds:g} s,"
                " limits.deadlineSeconds in .gitops-cmp.yaml); nothing was emitted. Look for a template"
                " loop over a huge range, or raise the deadline along with Argo CD's repo-server timeouts"
            )


class _RenderThread(threading.Thread):
    """A daemon thread that runs one Started after another. A new thread for each cost about half a
    millisecond of CPU (the thread, and the Go runtime's set-up of each new thread that calls into
    Helm) and wall time for the hand-offs: parity makes two per render, thousands in a run. A thread
    whose call passed its deadline is not idle: it goes on alone, and rejoins the idle ones only if
    it ever finishes (its Started's outcome is then never read)."""

    _idle: ClassVar[list[_RenderThread]] = []

    def __init__(self) -> None:
        super().__init__(name="gitops-cmp-render", daemon=True)
        self._calls: SimpleQueue[tuple[Started[Any], Callable[[], Any], threading.Lock]] = SimpleQueue()

    @classmethod
    def take(cls) -> _RenderThread:
        """An idle render thread, else a new one."""
        while cls._idle:
            try:
                thread = cls._idle.pop()
            except IndexError:  # another thread took the last one meanwhile
                break
            if thread.is_alive():  # a forked child inherits the list, not the threads
                return thread
        thread = cls()
        thread.start()
        return thread

    def submit(self, started: Started[Any], fn: Callable[[], Any], began: threading.Lock) -> None:
        """Run `fn` for `started`; `began` is released as it starts."""
        self._calls.put((started, fn, began))

    def run(self) -> None:
        while True:
            started, fn, began = self._calls.get()
            began.release()
            started._work(fn)
            _RenderThread._idle.append(self)  # before `finished`: the caller's next call finds it idle
            started._finish()
            del started, fn, began  # the outcome is the caller's now


def _watch(started: Started[Any], deadline: float, guard: MemoryGuard, what: str) -> None:
    """Wait for `started` until `deadline`, looking at the memory every poll."""
    while not started.finished:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        started.wait(min(left, _POLL_SECONDS))
        over = guard.exceeded()
        if over:
            raise MemoryExceeded(
                f"{what}: stopped at {over[0] // 2**20} MiB of memory (limit {over[1] // 2**20} MiB:"
                " limits.maxMemoryBytes, or 85% of the container's memory limit); nothing was emitted."
                " Look for a template loop that renders a huge output")


@contextmanager
def terminate_on_signals() -> Iterator[None]:
    """SIGTERM (Argo CD's deadline) and SIGINT become Interrupted in the main thread."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(f"stopped by {STOP_SIGNALS[signum]}; nothing was emitted")

    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
