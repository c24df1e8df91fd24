"""A runaway render fails with a message before Argo CD's deadline; SIGTERM stops it at once.
Both leave stdout empty. Real processes, a real Helm loop."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support import write_chart

from cmp.deadline import DeadlineExceeded, Started, call_with_deadline
from cmp.exitcodes import ExitCode

RUNAWAY = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: runaway}
data:
  x: "{{- range $i := until 100000 }}{{- range until 100000 }}{{- end }}{{- end }}"
"""


def runaway_chart(root: Path, deadline: float) -> Path:
    return write_chart(root, template=RUNAWAY, config=f"limits: {{deadlineSeconds: {deadline}}}\n")


def wait_for_render_thread(pid: int) -> None:
    """Until the process has more than its main thread (a loaded machine starts Python slowly)."""
    tasks = Path(f"/proc/{pid}/task")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and tasks.exists() and len(list(tasks.iterdir())) < 2:
        time.sleep(0.02)


def start(chart: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "cmp", "render", str(chart), "--env", "prod"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_runaway_render_fails_with_a_message_at_the_deadline(tmp_path: Path):
    proc = start(runaway_chart(tmp_path, 1.5))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == ExitCode.RENDER
    assert out == ""
    # The seconds it gave up after are measured (1.6 s once at load 7.6); the deadline is the setting.
    assert re.search(r"gave up after \d+(\.\d+)? s \(deadline 1\.5 s, limits\.deadlineSeconds", err), err


def test_sigterm_during_a_render_exits_promptly_with_nothing_on_stdout(tmp_path: Path):
    proc = start(runaway_chart(tmp_path, 30))
    wait_for_render_thread(proc.pid)  # the handler is installed before the render thread starts
    time.sleep(0.5)  # inside Helm's loop by now
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    elapsed = time.monotonic() - sent
    assert proc.returncode == ExitCode.INTERRUPTED
    assert out == ""
    assert "stopped by SIGTERM; nothing was emitted" in err
    assert elapsed < 5, f"Argo CD sends SIGKILL 5 s after SIGTERM; we took {elapsed:.1f} s"


def test_the_worker_outcome_reaches_the_caller():
    assert call_with_deadline(lambda: 42, 5, "x") == 42
    with pytest.raises(ZeroDivisionError):
        call_with_deadline(lambda: 1 / 0, 5, "x")
    with pytest.raises(DeadlineExceeded, match="x: gave up after"):
        call_with_deadline(lambda: time.sleep(2), 0.1, "x")


def test_a_started_render_counts_its_deadline_from_its_start():
    """judge_chart waits for Helm only after the input rules: their time is in the render's budget."""
    started = Started(lambda: time.sleep(3))
    time.sleep(0.4)
    with pytest.raises(DeadlineExceeded) as exc:
        started.result(0.3, "x")
    given_up = float(re.search(r"gave up after (\d+\.\d+) s", str(exc.value)).group(1))
    assert given_up >= 0.4  # counted from the call, it would have waited 0.3 s more


def test_under_a_profiler_a_started_render_runs_in_the_callers_thread():
    """cProfile sees only the thread it started on: the profile command must see the render."""
    import threading

    sys.setprofile(lambda *_: None)
    try:
        started = Started(threading.current_thread)
    finally:
        sys.setprofile(None)
    assert started.result() is threading.current_thread()
    assert Started(threading.current_thread).result() is not threading.current_thread()


def test_calls_one_after_another_run_on_one_render_thread():
    """parity renders thousands of charts: a thread (and Go's set-up of it) per call cost 0.5 ms."""
    first = call_with_deadline(threading.current_thread, 5, "x")
    assert call_with_deadline(threading.current_thread, 5, "x", 2**40) is first is not threading.main_thread()
    assert Started(threading.current_thread).result() is first


def test_a_render_and_the_helm_call_it_starts_keep_their_two_threads():
    """judge_chart, in a render thread, starts Helm's render in another: both are reused next time."""
    def render() -> tuple[threading.Thread, threading.Thread]:
        return threading.current_thread(), Started(threading.current_thread).result()

    outer, inner = call_with_deadline(render, 5, "x")
    assert outer is not inner
    assert call_with_deadline(render, 5, "x") == (outer, inner)


def test_a_thread_past_its_deadline_is_not_handed_the_next_call():
    release = threading.Event()
    ran_on: list[threading.Thread] = []

    def runaway() -> str:
        ran_on.append(threading.current_thread())
        release.wait(10)
        return "late"

    with pytest.raises(DeadlineExceeded):
        call_with_deadline(runaway, 0.05, "x")
    assert call_with_deadline(threading.current_thread, 5, "x") is not ran_on[0]
    release.set()  # the runaway ends: its value is never anyone's outcome
    assert call_with_deadline(lambda: "mine", 5, "x") == "mine"


def test_a_result_can_be_asked_for_again():
    started = Started(lambda: 42)
    assert started.result(5, "x", 2**40) == 42 == started.result() == started.result(5, "x")


def test_default_deadline_is_below_argo_cds_default_timeout():
    from cmp.config import Limits

    assert Limits().deadline_seconds < 60


def test_a_call_started_here_runs_at_once_in_the_callers_thread():
    started = Started(threading.current_thread, here=True)
    assert started.finished and started.result(0.001, "x", 2**40) is threading.current_thread()
    failing = Started(lambda: 1 / 0, here=True)
    with pytest.raises(ZeroDivisionError):
        failing.result()
