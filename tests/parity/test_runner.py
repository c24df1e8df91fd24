"""Worker count, and the progress line (only on a terminal)."""

from __future__ import annotations

import io
from pathlib import Path

from cmp.context import RenderRequest
from cmp.parity import runner
from cmp.parity.worker import AppJob, Side


def jobs(count: int, sides: int = 2) -> list[AppJob]:
    request = RenderRequest(Path("/r"), Path("/r/c"), "dev", "a", "a")
    base = Side(request) if sides == 2 else Side()
    return [AppJob(f"a{i}", "apps/a.yaml", Side(request), base) for i in range(count)]


def test_small_runs_stay_in_process():
    assert runner.workers_for(jobs(3), 8) == 1
    assert runner.workers_for(jobs(100, sides=1), 8) == 1


def test_big_runs_use_at_most_the_requested_workers():
    assert runner.workers_for(jobs(100), 2) == 2
    assert runner.workers_for(jobs(100), 1) == 1
    assert runner.workers_for(jobs(200), 16) == 6  # 400 renders: at least 64 per process


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal():
    assert runner.terminal_progress(io.StringIO()) is None
    stream = Tty()
    show = runner.terminal_progress(stream)
    assert show is not None
    show(1, 2)
    show(2, 2)
    assert stream.getvalue() == "\rgitops-cmp parity: 1/2 apps\rgitops-cmp parity: 2/2 apps\n"
