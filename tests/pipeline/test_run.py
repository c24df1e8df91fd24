"""The pipeline's one pass (cmp/pipeline/run.py): Helm renders while the input rules run, and what
the caller sees is what a sequential run would show. Real Helm, real charts, probe rules."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import write_chart

from cmp import config as repo_config
from cmp.context import RenderRequest
from cmp.deadline import call_with_deadline
from cmp.errors import Abort, InputError, RenderError
from cmp.exitcodes import ExitCode
from cmp.findings import Finding
from cmp.pipeline import inputs, run
from cmp.rules import RENDER_RULES, Rule

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n"
# Helm spends a while in this loop (no output): long enough to be seen running from an input rule.
SLOW = "{{- range until 3000000 }}{{- end }}\n---\n" + CM
RUNAWAY = "{{- range until 100000 }}{{- range until 100000 }}{{- end }}{{- end }}\n---\n" + CM


def gathered(root: Path, template: str, config: str = "{}\n") -> inputs.Inputs:
    chart = write_chart(root, template=template, config=config)
    request = RenderRequest(repo_root=root, chart_dir=chart, env="prod", release="app", namespace="apps")
    return inputs.gather(request, repo_config.load(root))


def probe(check: object) -> Rule:
    return Rule(id="probe", doc="a test's probe", check_inputs=check)  # type: ignore[arg-type]


def watch_helm(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """(started, finished) of Helm's render (run.render_objects), wherever it runs. Render threads
    are reused from one render to the next (cmp.deadline), so a new thread is no sign of it."""
    started, finished = threading.Event(), threading.Event()
    real = run.render_objects

    def watched(*args: object) -> object:
        started.set()
        try:
            return real(*args)  # type: ignore[arg-type]
        finally:
            finished.set()

    monkeypatch.setattr(run, "render_objects", watched)
    return started, finished


def test_helm_renders_while_the_input_rules_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    seen: list[bool] = []
    _, finished = watch_helm(monkeypatch)

    def wait_for_helm(_: inputs.Inputs) -> Iterator[Finding]:
        # Helm's render finishes while this input rule still runs; whether it had begun by the time
        # the rule started is the scheduler's (a loaded machine let the rule run first).
        seen.append(finished.wait(30))
        return iter(())

    chart = gathered(tmp_path, SLOW)
    # From a render thread, as render, generate and parity judge (check's main thread: below).
    findings, objects = call_with_deadline(lambda: run.judge_chart(chart, (), (*RENDER_RULES, probe(wait_for_helm))),
                                           60, "the test's render")
    assert seen == [True], "Helm's render did not run while the input rules ran"
    assert [m.source for m in objects] == ["app/templates/cm.yaml"]
    assert findings == []


# Helm holds 320 MB of this list for a moment and renders one small object.
HOG = "{{- $_ := until 40000000 }}\n---\n" + CM


def test_on_the_main_thread_helm_renders_under_the_memory_guard_not_beside_the_input_rules(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The attack: `check` (the main thread) watches the memory only while it waits for Helm. Started
    beside the input rules, a render that peaks over maxMemoryBytes and finishes while they still
    run was never seen over it: check judged the chart as rendered (generate stops it)."""
    import helm_python  # noqa: F401 - the engine's own memory is there before the limit is set

    from cmp.deadline import resident_bytes

    limit = resident_bytes() + (150 << 20)
    chart = gathered(tmp_path, HOG, config=f"limits: {{maxMemoryBytes: {limit}}}\n")
    started, finished = watch_helm(monkeypatch)

    def outlast_helm(_: inputs.Inputs) -> Iterator[Finding]:
        if started.wait(2):  # Helm under way beside the input rules: let it finish first
            finished.wait(60)
        return iter(())

    assert threading.current_thread() is threading.main_thread()
    with pytest.raises(Abort) as stopped:
        run.judge_chart(chart, (), (*RENDER_RULES, probe(outlast_helm)))
    assert "MiB of memory" in str(stopped.value) and "limits.maxMemoryBytes" in str(stopped.value)


def test_an_input_rules_error_is_reported_before_helms(tmp_path: Path):
    def refuse(_: inputs.Inputs) -> Iterator[Finding]:
        raise InputError("probe: this input cannot be read")

    chart = gathered(tmp_path, '{{ fail "helm refuses too" }}\n')
    with pytest.raises(InputError, match="probe: this input cannot be read"):
        run.judge_chart(chart, (), (probe(refuse),))
    with pytest.raises(RenderError, match="Helm failed to render") as helm_error:  # alone, Helm's is reported
        run.judge_chart(chart, (), ())
    assert "helm refuses too" in str(helm_error.value.detail)


def test_check_judges_on_the_main_thread_and_stops_a_runaway_render_at_the_deadline(tmp_path: Path):
    """`check` waits for the overlapped render on the main thread: a runaway template still stops it.
    A process of its own: the abandoned render thread goes on until that process ends."""
    write_chart(tmp_path, template=RUNAWAY, config="limits: {deadlineSeconds: 1}\n")
    proc = subprocess.run([sys.executable, "-m", "cmp", "check", "chart"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == ExitCode.RENDER, proc.stderr
    assert proc.stdout == ""
    assert "gave up after" in proc.stderr and "(deadline 1 s, limits.deadlineSeconds" in proc.stderr


def test_in_a_worker_helm_renders_while_the_templates_are_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A `serve` render process (its memo configured) parses the templates itself, before the input
    rules: Helm is started before that parse, not after it."""
    import cmp.templates
    from cmp.pipeline import memo

    real_parse, real_start = cmp.templates.parse_all, run.start_render
    seen: list[bool] = []
    started = threading.Event()

    def start_watched(*args: object) -> object:
        rendering = real_start(*args)  # type: ignore[arg-type]
        started.set()  # handed to a render thread (whether it has reached Helm yet is the scheduler's)
        return rendering

    def parse_watching_helm(gathered: inputs.Inputs) -> object:
        seen.append(started.is_set())
        return real_parse(gathered)

    monkeypatch.setattr(run, "start_render", start_watched)

    monkeypatch.setattr(cmp.templates, "parse_all", parse_watching_helm)
    chart = write_chart(tmp_path / "repo", template=SLOW)
    (tmp_path / "memo").mkdir(mode=0o700)
    memo.configure(memo.Store(str(tmp_path / "memo"), 64 << 20, b"the code under test"))
    try:
        result = run.render(RenderRequest(repo_root=tmp_path / "repo", chart_dir=chart, env="prod", release="app",
                                          namespace="apps"))
    finally:
        memo.configure(None)
        memo.settle()
    assert seen and all(seen), "Helm's render had not started when the templates were parsed"
    assert result.objects == 1


def test_the_rules_leave_the_objects_they_judge_as_parsed(tmp_path: Path):
    """A worker writes a render's parsed documents to its store after the rules ran on them
    (memo.OutputDocs): a rule that changed an object would make that entry differ from the parse."""
    import os
    import shutil

    from support import EXAMPLE

    from cmp import yamlio

    corpus = Path(os.environ.get("GITOPS_CMP_REALCHARTS", "/tmp/realcharts"))
    charts = [EXAMPLE / "charts" / "webapp", EXAMPLE / "charts" / "monitoring",
              *(corpus / name / "chart" for name in ("argo-cd", "kube-prometheus-stack", "grafana")
                if (corpus / name / "chart" / "Chart.yaml").is_file())]
    for chart in charts:
        repo = tmp_path / chart.name if chart.parent.name == "charts" else tmp_path / chart.parent.name
        shutil.copytree(chart, repo / "chart", symlinks=True)
        (repo / "chart" / "values").mkdir(exist_ok=True)
        (repo / "chart" / "values" / "prod.yaml").touch()
        (repo / ".gitops-cmp.yaml").write_text("limits: {maxFileBytes: 4194304}\n")
        request = RenderRequest(repo_root=repo, chart_dir=repo / "chart", env="prod", release="app", namespace="apps")
        _, objects = run.judge_chart(inputs.gather(request, repo_config.load(repo)), (), RENDER_RULES)
        assert objects, chart
        for manifest in objects:
            assert manifest.obj == yamlio.load_all(manifest.text + "\n", manifest.source, [])[0], (chart, manifest.source)


def test_without_overlap_helm_renders_in_turn_and_is_reported_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """parity's processes keep every core busy: from a render thread (as parity judges), Helm runs in
    that same thread, its outcome read at the same point (an input rule's error first); the overlap
    is back after the block."""
    pairs: list[tuple[threading.Thread, threading.Thread]] = []  # (judge_chart's caller, Helm's render)
    real = run.render_objects
    caller: list[threading.Thread] = []

    def watched(*args: object) -> object:
        pairs.append((caller[-1], threading.current_thread()))
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(run, "render_objects", watched)

    def judge(chart: inputs.Inputs, rules: tuple[Rule, ...]) -> object:
        def call() -> object:
            caller.append(threading.current_thread())
            return run.judge_chart(chart, (), rules)
        return call_with_deadline(call, 60, "the test's render")

    def refuse(_: inputs.Inputs) -> Iterator[Finding]:
        raise InputError("probe: this input cannot be read")

    failing = gathered(tmp_path / "a", '{{ fail "helm refuses too" }}\n')
    with run.without_overlap():
        assert not run.OVERLAP
        with pytest.raises(InputError, match="probe: this input cannot be read"):
            judge(failing, (probe(refuse),))
        with pytest.raises(RenderError, match="Helm failed to render"):
            judge(failing, ())
        findings, objects = judge(gathered(tmp_path / "b", CM), RENDER_RULES)  # type: ignore[misc]
        assert [m.source for m in objects] == ["app/templates/cm.yaml"] and findings == []
    assert run.OVERLAP
    assert len(pairs) == 3 and all(judging is rendering for judging, rendering in pairs)
    judge(gathered(tmp_path / "c", CM), RENDER_RULES)
    assert pairs[-1][0] is not pairs[-1][1]


def test_parity_workers_render_in_turn():
    """A pool process renders as parity's own process does: Helm in turn (run.OVERLAP off)."""
    code = "from cmp.parity import worker; worker.warm(); import cmp.pipeline.run as r; print(r.OVERLAP)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert proc.stdout.strip() == "False"
