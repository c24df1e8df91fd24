"""Class 5, unbounded memory: a template loop that renders a huge output fails with one line and exit 3
before the kernel steps in, in real processes (the guard watches the process's own memory).

Before: 50 MB of output took 620 MB of resident memory and 200 MB took 2.3 GB (`/usr/bin/time -v
gitops-cmp render` on the chart below); in a container with a 1 GiB limit the render was killed
with no message (exit 137; tests/container/test_security.py).
"""

from __future__ import annotations

import re

from security.attack import HostileRepo

from cmp.deadline import memory_limit, resident_bytes

LOOP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: big}
data:
{{- range $i := until (int .Values.count) }}
  k{{ $i }}: {{ repeat 1000 "x" | quote }}
{{- end }}
"""


def _loop_chart(repo: HostileRepo, count: int, limits: str) -> str:
    repo.config(f"limits: {{{limits}}}\n")
    return str(repo.chart("loop", templates={"cm.yaml": LOOP}, values={"prod": f"count: {count}\n"}))


def test_an_output_over_the_limit_fails_before_python_parses_it(hostile_repo, gitops_cmp):
    chart = _loop_chart(hostile_repo, 3000, "maxOutputBytes: 1048576")  # ~3 MB of output
    result = gitops_cmp("render", chart, "--env", "prod")
    assert (result.code, result.out) == (3, ""), result.err
    assert "over the 1 MiB output limit (limits.maxOutputBytes)" in result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1


def test_an_output_under_the_limit_renders(hostile_repo, gitops_cmp):
    chart = _loop_chart(hostile_repo, 500, "maxOutputBytes: 1048576")  # ~0.5 MB
    result = gitops_cmp("render", chart, "--env", "prod")
    assert result.code == 0 and len(re.findall(r"\"k\d+\": ", result.out)) == 500, result.err


def test_memory_over_the_limit_stops_the_render_with_one_line(hostile_repo, gitops_cmp):
    """The output limit set out of the way: the memory guard alone stops Helm mid-render."""
    chart = _loop_chart(hostile_repo, 100_000, "maxOutputBytes: 1099511627775, maxMemoryBytes: 314572800")
    result = gitops_cmp("render", chart, "--env", "prod")
    assert (result.code, result.out) == (3, ""), result.err
    assert "MiB of memory (limit 300 MiB: limits.maxMemoryBytes" in result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1


def test_generate_is_bounded_too(hostile_repo, gitops_cmp):
    chart = _loop_chart(hostile_repo, 3000, "maxOutputBytes: 1048576")
    result = gitops_cmp("generate", cwd=hostile_repo.path("charts/loop"), env={
        "ARGOCD_APP_NAME": "loop", "ARGOCD_APP_NAMESPACE": "loop", "ARGOCD_ENV_ENVIRONMENT": "prod",
        "ARGOCD_APP_SOURCE_PATH": "charts/loop"})
    assert (result.code, result.out) == (3, ""), result.err
    assert "limits.maxOutputBytes" in result.err and chart


def test_the_guard_reads_this_process_and_never_exceeds_the_setting():
    assert resident_bytes() > 10 * 2**20
    assert memory_limit(123_456_789).process_bytes <= 123_456_789
    assert memory_limit(2**40).exceeded() is None
    used, bound = memory_limit(1).exceeded() or (0, 0)
    assert used > bound == 1
