"""The pipeline's one pass (cmp/pipeline/run.py): Helm renders while the input rules run, and what
the caller sees is what a sequential run would show. Real Helm, real charts, probe rules."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import write_chart

from cmp import config as repo_config
from cmp.context import RenderRequest
from cmp.errors import Abort, InputError, RenderError
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


def render_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "gitops-cmp-render"]


def test_helm_renders_while_the_input_rules_run(tmp_path: Path):
    seen: list[threading.Thread] = []

    def wait_for_helm(_: inputs.Inputs) -> Iterator[Finding]:
        seen.extend(render_threads())
        for thread in seen:  # Helm finishes while this input rule still runs
            thread.join(60)
        return iter(())

    findings, objects = run.judge_chart(gathered(tmp_path, SLOW), (), (*RENDER_RULES, probe(wait_for_helm)))
    assert seen, "Helm's render had not started when the input rules ran"
    assert [m.source for m in objects] == ["app/templates/cm.yaml"]
    assert findings == []


def test_an_input_rules_error_is_reported_before_helms(tmp_path: Path):
    def refuse(_: inputs.Inputs) -> Iterator[Finding]:
        raise InputError("probe: this input cannot be read")

    chart = gathered(tmp_path, '{{ fail "helm refuses too" }}\n')
    with pytest.raises(InputError, match="probe: this input cannot be read"):
        run.judge_chart(chart, (), (probe(refuse),))
    with pytest.raises(RenderError, match="Helm failed to render") as helm_error:  # alone, Helm's is reported
        run.judge_chart(chart, (), ())
    assert "helm refuses too" in str(helm_error.value.detail)


def test_from_the_main_thread_the_overlapped_render_keeps_its_deadline(tmp_path: Path):
    """`check` judges charts on the main thread: a runaway template stops it at the deadline."""
    assert threading.current_thread() is threading.main_thread()
    chart = gathered(tmp_path, RUNAWAY, config="limits: {deadlineSeconds: 1}\n")
    with pytest.raises(Abort) as stopped:
        run.judge_chart(chart, (), RENDER_RULES)
    assert "gave up after" in str(stopped.value) and "deadline 1 s" in str(stopped.value)
