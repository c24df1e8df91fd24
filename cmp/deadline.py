"""Run the render under a deadline the process enforces itself.

Argo CD's repo-server gives a render 60 s by default (tar, stream, init and generate together),
then SIGTERM, then SIGKILL 5 s later, with no message. Helm runs inside a native call that Python
cannot interrupt, so the render runs in a worker thread and the main thread waits: it can then
fail with a message when the deadline passes, and it stays responsive to SIGTERM/SIGINT, whose
handlers only ever run on the main thread. Nothing is written to stdout in either case.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TypeVar

from cmp.errors import Interrupted, RenderError


T = TypeVar("T")
STOP_SIGNALS: dict[int, str] = {signal.SIGTERM: "SIGTERM", signal.SIGINT: "SIGINT"}


class DeadlineExceeded(RenderError):
    pass


def call_with_deadline(fn: Callable[[], T], seconds: float, what: str) -> T:
    if sys.getprofile() is not None:  # `python -m cProfile`: it sees only this thread, so the render runs here
        return fn()
    outcome: list[T] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            outcome.append(fn())
        except BaseException as exc:  # handed to the main thread, which decides
            failure.append(exc)

    worker = threading.Thread(target=work, name="gitops-cmp-render", daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise DeadlineExceeded(
            f"{what}: gave up after {time.monotonic() - started:.1f} s (deadline {seconds:g} s,"
            " limits.deadlineSeconds in .gitops-cmp.yaml); nothing was emitted. Look for a template"
            " loop over a huge range, or raise the deadline along with Argo CD's repo-server timeouts"
        )
    if failure:
        raise failure[0]
    return outcome[0]


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
