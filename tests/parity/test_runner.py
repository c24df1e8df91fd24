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


def test_the_pool_started_before_discovery_is_the_one_the_run_needs():
    # a run that renders both sides of every app: the early estimate (one app per file) is workers_for's count
    for apps in (1, 50, 63, 64, 100, 500, 1000):
        for requested in (1, 2, 8):
            assert runner.expected_workers(apps, 2, 1, requested) == runner.workers_for(jobs(apps), requested)
    assert runner.expected_workers(1000, 2, 4, 8) == runner.workers_for(jobs(250), 8)  # a shard's share
    assert runner.start_pool(1) is None
