"""Class 8, `check` bounds: a deadline for the whole of check's work, and no traceback on odd links.

Before: a template holding one 64 KB line of `passpass...` took the secret scan 49 s (32 KB: 15 s;
the pair search is super-linear on it), and a 1 MiB file would take hours: `check` had no deadline.
The same file in a chart, or anywhere in the repository, now stops the check at
limits.deadlineSeconds with one line and exit 3 (the `re` engine checks for signals, so the alarm
interrupts it mid-match).
"""

from __future__ import annotations

import pytest
from security.attack import HostileRepo

# Not YAML (a template), so scanned as text: 160 KB on one line, minutes of scanning without the deadline.
SLOW_LINE = "{{ if .Values.x }}\nx: " + "pass" * 40_000 + "\n{{ end }}\n"
LOOP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: big}
data:
{{- range $i := until 100000000 }}
  k{{ $i }}: "x"
{{- end }}
"""


@pytest.mark.parametrize("where", ["charts/app/templates/slow.yaml", "docs/slow.yaml", "apps/slow.yaml"])
def test_a_pathological_file_stops_check_at_the_deadline(hostile_repo: HostileRepo, gitops_cmp, where: str):
    hostile_repo.chart("app")
    hostile_repo.config("limits: {deadlineSeconds: 2}\n")
    hostile_repo.write(where, SLOW_LINE)
    result = gitops_cmp("check", str(hostile_repo.root), timeout=60)
    assert (result.code, result.out) == (3, ""), result.err
    assert "gave up after" in result.err and "(deadline 2 s, limits.deadlineSeconds" in result.err, result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1


def test_a_template_loop_stops_check_at_the_deadline(hostile_repo: HostileRepo, gitops_cmp):
    """check renders each environment: Helm runs in a thread, the alarm stops the wait."""
    hostile_repo.chart("app", templates={"cm.yaml": LOOP})
    hostile_repo.config("limits: {deadlineSeconds: 2}\n")
    result = gitops_cmp("check", str(hostile_repo.root), timeout=60)
    assert (result.code, result.out) == (3, ""), result.err
    assert "gave up after" in result.err and "Traceback" not in result.err, result.err


def test_a_template_loop_stops_check_at_the_memory_bound(hostile_repo: HostileRepo, gitops_cmp):
    hostile_repo.chart("app", templates={"cm.yaml": LOOP.replace('"x"', '{{ repeat 1000 "x" | quote }}')})
    hostile_repo.config("limits: {deadlineSeconds: 120, maxMemoryBytes: 314572800}\n")
    result = gitops_cmp("check", str(hostile_repo.root), timeout=120)
    assert (result.code, result.out) == (3, ""), result.err
    assert "limits.maxMemoryBytes" in result.err and "Traceback" not in result.err, result.err


LINKS = {
    "dangling-template": [("charts/app/templates/x.yaml", "nowhere.yaml")],
    "looping-template": [("charts/app/templates/a.yaml", "b.yaml"), ("charts/app/templates/b.yaml", "a.yaml")],
    "looping-directory": [("charts/app/templates/self", ".")],
    "dangling-values": [("charts/app/values/staging.yaml", "gone.yaml")],
    "looping-chart-yaml": [("charts/other/Chart.yaml", "Chart.yaml")],
    "dangling-application": [("apps/x.yaml", "gone.yaml")],
    "looping-repo-file": [("docs/a.yaml", "b.yaml"), ("docs/b.yaml", "a.yaml")],
    "link-to-parent": [("charts/app/up", "..")],
}


@pytest.mark.parametrize("links", list(LINKS.values()), ids=list(LINKS))
def test_dangling_and_looping_links_are_findings_not_tracebacks(hostile_repo: HostileRepo, cli, links):
    hostile_repo.chart("app")
    for rel, target in links:
        hostile_repo.symlink(rel, target)
    result = cli("check", str(hostile_repo.root))
    assert result.code in (0, 1), result.err  # 1: a finding names the link; 0: nothing it leads to is read
    assert "Traceback" not in result.err and "internal error" not in result.err
    render = cli("render", str(hostile_repo.path("charts/app")), "--env", "prod")
    assert render.code in (0, 2) and "Traceback" not in render.err, render.err
