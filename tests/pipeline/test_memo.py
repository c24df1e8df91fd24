"""The worker's memo (cmp/pipeline/memo.py): real renders with real Helm, a real store on disk.

A kept result may answer a render only when that render would have given the same bytes: every
input the render reads changes the key, one at a time, and a chart whose output varies is never
answered from the store."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import EXAMPLE, write_chart

from cmp import config as repo_config
from cmp.context import RenderRequest
from cmp.pipeline import memo
from cmp.pipeline.run import RenderResult, render

CODE = b"the code under test"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "memo"
    directory.mkdir(mode=0o700)
    memo.configure(memo.Store(str(directory), 64 << 20, CODE))
    try:
        yield directory
    finally:
        memo.configure(None)
        memo.settle()  # drop anything offered and not settled


def run(repo: Path, chart: str = "charts/webapp", env: str = "prod", platform: Path | None = None,
        **fields: object) -> RenderResult:
    """One render as a worker's render process does it: render, then settle (after the answer)."""
    request = RenderRequest(repo, repo / chart, env, None, None)._replace(**fields)
    result = render(request, repo_config.load(repo, repo_config.load_platform(platform) if platform else None))
    memo.settle()
    return result


def fresh(repo: Path, **kwargs: object) -> RenderResult:
    """The same render with no store: what a kept result must equal."""
    saved = memo.STORE
    memo.configure(None)
    try:
        return run(repo, **kwargs)  # type: ignore[arg-type]
    finally:
        memo.configure(saved)


def results(store: Path) -> list[Path]:
    """The store's render results (not its parsed templates or documents, whose names start with t, o)."""
    return [p for p in store.iterdir() if not p.name.startswith(("t", "o"))]


def same(a: RenderResult, b: RenderResult) -> bool:
    return memo._encode(a) == memo._encode(b)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(EXAMPLE, dest)
    return dest


def test_the_same_inputs_get_the_kept_result(store: Path, repo: Path):
    first = run(repo)
    second = run(repo)
    assert first.memo == "" and second.memo == "hit"
    assert same(first, second) and second.stream == fresh(repo).stream
    assert len(results(store)) == 1


def test_a_copy_of_the_repository_in_another_directory_is_the_same_inputs(store: Path, repo: Path, tmp_path: Path):
    run(repo)
    elsewhere = tmp_path / "another-checkout"  # Argo CD extracts each request's repository anew
    shutil.copytree(repo, elsewhere)
    assert run(elsewhere).memo == "hit"


def _edit(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(repo: Path) -> None:
        path = repo / relative
        text = path.read_text()
        assert old in text, (relative, old)
        path.write_text(text.replace(old, new, 1))
    return apply


# One input changed at a time; each must render anew and give exactly what a render without the
# store gives.
CHANGES: dict[str, Callable[[Path], None]] = {
    "a value of the env's values file": _edit("charts/webapp/values/prod.yaml", "replicaCount: 3", "replicaCount: 4"),
    "a byte of a template": _edit("charts/webapp/templates/service.yaml", "port:", "port: "),
    "a helper": _edit("charts/webapp/templates/_helpers.tpl", "{{- end -}}\n\n",
                      "{{- end -}}\n{{/* a comment */}}\n\n"),
    "the chart's values.yaml": _edit("charts/webapp/values.yaml", "\n", "\nextra: 1\n"),
    "Chart.yaml": _edit("charts/webapp/Chart.yaml", "version:", "# x\nversion:"),
    "a new file in the chart": lambda repo: (repo / "charts/webapp/files.txt").write_text("new"),
    "the repo config": _edit(".gitops-cmp.yaml", "allow: []", "allow: []\nlimits: {deadlineSeconds: 59}"),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_every_input_changes_the_key(store: Path, repo: Path, change: str):
    run(repo)
    CHANGES[change](repo)
    changed = run(repo)
    assert changed.memo == ""
    assert same(changed, fresh(repo))


REQUESTS: dict[str, dict[str, object]] = {
    "release": {"release": "other"},
    "namespace": {"namespace": "other"},
    "kube version": {"kube_version": "1.29.0"},
    "API versions": {"api_versions": ("monitoring.coreos.com/v1",)},
    "app name": {"app": "other-app"},
}


@pytest.mark.parametrize("fields", REQUESTS.values(), ids=list(REQUESTS))
def test_every_request_field_changes_the_key(store: Path, repo: Path, fields: dict[str, object]):
    run(repo)
    changed = run(repo, **fields)
    assert changed.memo == ""
    assert same(changed, fresh(repo, **fields))


def test_another_environment_and_another_chart_render_anew(store: Path, repo: Path):
    run(repo)
    assert run(repo, env="dev").memo == ""
    assert run(repo, chart="charts/monitoring").memo == ""
    assert run(repo, env="dev").memo == "hit"


def test_the_platform_config_changes_the_key(store: Path, repo: Path, tmp_path: Path):
    platform = tmp_path / "platform.yaml"
    platform.write_text("limits: {deadlineSeconds: 50}\n")
    run(repo)
    assert run(repo, platform=platform).memo == ""
    assert run(repo, platform=platform).memo == "hit"


def test_other_code_never_reads_this_codes_results(store: Path, repo: Path):
    run(repo)
    memo.configure(memo.Store(str(store), 64 << 20, b"an upgraded gitops-cmp"))
    assert run(repo).memo == ""


def test_two_apps_of_one_chart_each_get_their_own_values(store: Path, tmp_path: Path):
    write_chart(tmp_path / "a", template="kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\ndata: {v: '{{ .Values.v }}'}\n",
                values="v: alpha\n")
    write_chart(tmp_path / "b", template="kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\ndata: {v: '{{ .Values.v }}'}\n",
                values="v: bravo\n")
    for _ in range(2):
        a, b = run(tmp_path / "a", chart="chart"), run(tmp_path / "b", chart="chart")
        assert "alpha" in a.stream and "bravo" not in a.stream
        assert "bravo" in b.stream and "alpha" not in b.stream
    assert a.memo == b.memo == "hit"


RANDOM = "kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\ndata: {v: '{{ randAlphaNum 24 }}'}\n"
MAYBE_NOW = ("kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\n"
             "data: {v: '{{ if .Values.stamp }}{{ now | date \"15:04:05.000000\" }}{{ else }}fixed{{ end }}'}\n")
TPL = "kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\ndata: {v: '{{ tpl .Values.v . }}'}\n"


def test_a_chart_whose_output_varies_is_never_answered_from_the_store(store: Path, tmp_path: Path):
    write_chart(tmp_path, template=RANDOM)
    streams = {run(tmp_path, chart="chart").stream for _ in range(4)}
    assert len(streams) == 4


def test_a_chart_that_may_call_now_is_kept_once_two_renders_agree(store: Path, tmp_path: Path):
    write_chart(tmp_path, template=MAYBE_NOW, values="stamp: false\n")
    results = [run(tmp_path, chart="chart") for _ in range(3)]
    assert [r.memo for r in results] == ["", "", "hit"]
    assert len({r.stream for r in results}) == 1


def test_the_same_chart_calling_now_is_rendered_every_time(store: Path, tmp_path: Path):
    write_chart(tmp_path, template=MAYBE_NOW, values="stamp: true\n")
    results = [run(tmp_path, chart="chart") for _ in range(4)]
    assert all(r.memo == "" for r in results)


def test_a_confirmed_result_expires(store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write_chart(tmp_path, template=MAYBE_NOW, values="stamp: false\n")
    monkeypatch.setattr(memo, "CONFIRMED_SECONDS", -1.0)  # confirmed, and already past its time
    assert [run(tmp_path, chart="chart").memo for _ in range(3)] == ["", "", ""]


@pytest.mark.parametrize("values", ["v: '{{ randAlphaNum 24 }}'\n",
                                    "v: \"\\u007b\\u007b randAlphaNum 24 }}\"\n",  # a YAML escape
                                    "nested: [{deep: '{{ uuidv4 }}'}]\nv: '{{ .Values.nested }}'\n"])
def test_a_value_that_tpl_renders_with_a_varying_call_is_not_kept_at_once(store: Path, tmp_path: Path, values: str):
    write_chart(tmp_path, template=TPL, values=values)
    first, second = run(tmp_path, chart="chart"), run(tmp_path, chart="chart")
    assert first.memo == second.memo == ""


def test_a_blocked_render_is_kept_with_its_findings_and_no_stream_is_used(store: Path, tmp_path: Path):
    write_chart(tmp_path, template="kind: Secret\napiVersion: v1\nmetadata: {name: x}\n"
                "stringData: {password: '{{ .Values.p }}'}\n", values="p: hunter2-but-much-longer-Zq8\n")
    first, second = run(tmp_path, chart="chart"), run(tmp_path, chart="chart")
    assert second.memo == "hit"
    assert first.findings == second.findings and any(f.rule == "secret-value" for f in second.findings)


def test_a_render_that_fails_is_not_kept(store: Path, tmp_path: Path):
    from cmp.errors import CmpError

    write_chart(tmp_path, template="{{ required \"set v\" .Values.v }}\n")
    for _ in range(2):
        with pytest.raises(CmpError):
            run(tmp_path, chart="chart")
    assert os.listdir(store) == []


def test_a_damaged_entry_is_a_miss_and_is_replaced(store: Path, repo: Path):
    run(repo)
    (entry,) = results(store)
    data = bytearray(entry.read_bytes())
    data[-5] ^= 0xFF
    entry.write_bytes(bytes(data))
    again = run(repo)
    assert again.memo == "" and same(again, fresh(repo))
    assert run(repo).memo == "hit"


def test_a_truncated_or_foreign_entry_is_a_miss(store: Path, repo: Path):
    run(repo)
    (entry,) = results(store)
    entry.write_bytes(entry.read_bytes()[:40])
    assert run(repo).memo == ""
    entry.write_bytes(b"not a memo entry")
    assert run(repo).memo == ""


def test_the_store_stays_within_its_bytes(tmp_path: Path, repo: Path):
    directory = tmp_path / "small"
    directory.mkdir(mode=0o700)
    memo.configure(memo.Store(str(directory), 12_000, CODE))  # room for about four of the example's renders
    try:
        for env in ("prod", "dev"):
            for release in ("a", "b", "c", "d", "e"):
                run(repo, env=env, release=release)
                assert sum(p.stat().st_size for p in directory.iterdir()) <= 12_000
        assert run(repo, env="dev", release="e").memo == "hit"  # the most recent stays
        assert run(repo, env="prod", release="a").memo == ""  # the oldest went first
    finally:
        memo.configure(None)


def test_entries_are_private(store: Path, repo: Path):
    run(repo)
    (entry,) = results(store)
    assert sorted(p.name[0] for p in store.iterdir() if p.name[0] in "ot") == ["o", "t"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in store.iterdir())


def test_a_value_of_a_type_the_key_does_not_know_makes_the_render_uncacheable():
    from hashlib import sha256

    with pytest.raises(memo.Uncacheable):
        memo._feed(sha256(), {"when": object()}, None)


@pytest.mark.parametrize("a, b", [(1, True), (1, 1.0), ("1", 1), (b"x", "x"), ((), []), ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
                                  (["ab", "c"], ["a", "bc"])])
def test_values_that_differ_in_type_order_or_framing_have_different_keys(a: object, b: object):
    from hashlib import sha256

    one, two = sha256(), sha256()
    memo._feed(one, a, None)
    memo._feed(two, b, None)
    assert one.digest() != two.digest()


def test_without_a_store_nothing_is_kept_or_read(repo: Path, tmp_path: Path):
    assert memo.STORE is None
    assert run(repo).memo == run(repo).memo == ""


# Found by review (each reproduced first): inputs beyond `Inputs`, results offered after the
# deadline, blocked objects on disk, output that varies without the rule's names, Helm's own stderr.

def test_a_value_file_helm_never_sees_but_env_conditional_reads_changes_the_key(store: Path, tmp_path: Path):
    chart = write_chart(tmp_path, template="kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\n"
                        "data: {a: '{{ if eq .Values.tier \"gold\" }}1{{ else }}0{{ end }}'}\n", values="tier: prod\n")
    (chart / ".helmignore").write_text("values/\n")
    (chart / "values" / "dev.yaml").write_text("tier: silver\n")
    run(tmp_path, chart="chart")
    (chart / "values" / "dev.yaml").write_text("tier: dev\n")  # `tier` now names the environment
    again = run(tmp_path, chart="chart")
    assert again.memo == "" and same(again, fresh(tmp_path, chart="chart"))
    assert any(f.rule == "env-conditional" for f in again.findings)


@pytest.mark.parametrize("code, kept", [(0, True), (1, True), (3, False), (130, False)])
def test_only_a_render_generate_answered_with_is_kept(store: Path, repo: Path, code: int, kept: bool):
    from cmp.commands.serve import after_answer

    request = RenderRequest(repo, repo / "charts/webapp", "prod", None, None)
    render(request, repo_config.load(repo))  # offered, as by a render thread that ended after the deadline
    after_answer(code)
    assert bool(results(store)) is kept


def test_a_blocked_renders_objects_and_templates_are_not_written_to_disk(store: Path, tmp_path: Path):
    write_chart(tmp_path, template="kind: Secret\napiVersion: v1\nmetadata: {name: x}\n"
                "stringData: {password: '{{ .Values.p }}'}\n", values="p: Hunter2-Sup3rS3cret-Value\n")
    first = run(tmp_path, chart="chart")
    assert "Hunter2" in first.stream  # what was judged; never emitted
    assert all(b"Hunter2" not in p.read_bytes() for p in store.iterdir())  # neither result nor templates
    second = run(tmp_path, chart="chart")
    assert second.memo == "hit" and second.digest == first.digest and second.objects == first.objects


@pytest.mark.parametrize("template", [
    "kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\ndata: {v: '{{ keys .Values.m | join \",\" }}'}\n",
    "kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\ndata: {v: '{{ tpl (printf \"{{ %s 12 }}\" \"randNumeric\") . }}'}\n",
], ids=["keys in map order", "a call tpl builds from strings"])
def test_output_that_varies_without_the_rules_names_is_never_reused(store: Path, tmp_path: Path, template: str):
    write_chart(tmp_path, template=template, values="m: {" + ", ".join(f"k{i}: {i}" for i in range(12)) + "}\n")
    results = [run(tmp_path, chart="chart") for _ in range(4)]
    assert all(r.memo == "" for r in results)


def test_a_render_helm_warned_about_on_stderr_is_not_kept(store: Path, tmp_path: Path):
    chart = write_chart(tmp_path, template="kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\ndata: {a: x}\n",
                        values="lst: {x: 1}\n")
    (chart / "values.yaml").write_text("lst: [1]\n")  # Helm: "skipped value for lst: Not a table."
    assert [run(tmp_path, chart="chart").memo for _ in range(2)] == ["", ""]
    assert results(store) == []


def test_inputs_once_seen_to_vary_stay_unkept_whatever_a_later_pair_agrees(store: Path, tmp_path: Path):
    write_chart(tmp_path, template=MAYBE_NOW, values="stamp: false\n")
    request = RenderRequest(tmp_path, tmp_path / "chart", "prod", None, None)
    name = memo.key(__import__("cmp.pipeline.inputs", fromlist=["gather"]).gather(request, repo_config.load(tmp_path)), ())
    assert name is not None
    memo._write(name + memo.VARIES_SUFFIX, (memo.VARIES, 0.0, b""), exclusive=True)  # as a concurrent child would
    assert [run(tmp_path, chart="chart").memo for _ in range(3)] == ["", "", ""]


# Parsed templates: a commit that changes only values reuses the parse of the chart's templates.

def _gathered(repo: Path, chart: str = "charts/webapp", env: str = "prod"):
    from cmp.pipeline.inputs import gather

    return gather(RenderRequest(repo, repo / chart, env, None, None), repo_config.load(repo))


def test_a_values_change_reuses_the_parse_of_the_templates(store: Path, repo: Path):
    from cmp.templates import parse_all

    run(repo)
    CHANGES["a value of the env's values file"](repo)
    gathered = _gathered(repo)
    trees = memo.parsed(gathered)
    assert memo._TREES_PENDING is None  # read from the store, not parsed
    assert trees == parse_all(gathered)
    changed = run(repo)
    assert changed.memo == "" and same(changed, fresh(repo))


def test_another_template_text_is_parsed_anew(store: Path, repo: Path):
    run(repo)
    CHANGES["a byte of a template"](repo)
    memo.parsed(_gathered(repo))
    assert memo._TREES_PENDING is not None
    memo.drop()


def render_watching_docs(repo: Path, chart: str = "charts/webapp") -> tuple[RenderResult, memo.OutputDocs]:
    """`run`, and the render's memo.OutputDocs (how many documents it read back from the store)."""
    result = render(RenderRequest(repo, repo / chart, "prod", None, None), repo_config.load(repo))
    docs = memo._DOCS_PENDING
    memo.settle()
    assert docs is not None
    return result, docs


def test_a_values_change_parses_again_only_the_documents_whose_text_changed(store: Path, repo: Path):
    run(repo)
    assert [p for p in store.iterdir() if p.name.startswith("o")], "the chart's documents were not kept"
    _edit("charts/webapp/values/prod.yaml", 'memory: "512Mi"', 'memory: "768Mi"')(repo)  # the Deployment's text only
    changed, docs = render_watching_docs(repo)
    assert changed.memo == "" and same(changed, fresh(repo))
    assert docs.reused == changed.objects - 1


def test_repeated_keys_are_reported_for_a_document_read_back_from_the_store(store: Path, tmp_path: Path):
    write_chart(tmp_path, template="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: '1'\n  a: '2'\n"
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\ndata: {v: '{{ .Values.v }}'}\n",
                values="v: one\n")
    first = run(tmp_path, chart="chart")
    (tmp_path / "chart" / "values" / "prod.yaml").write_text("v: two\n")
    second, docs = render_watching_docs(tmp_path, chart="chart")
    assert docs.reused == 1  # the ConfigMap with the repeated key
    assert [f.rule for f in second.findings] == [f.rule for f in first.findings] == ["duplicate-key"]
    assert same(second, fresh(tmp_path, chart="chart"))


def test_another_charts_documents_are_not_looked_up(store: Path, repo: Path):
    run(repo)
    _, docs = render_watching_docs(repo, chart="charts/monitoring")
    assert docs.reused == 0


def test_stored_trees_of_real_charts_equal_a_fresh_parse(store: Path, tmp_path: Path):
    from cmp.templates import parse_all

    corpus = Path(os.environ.get("GITOPS_CMP_REALCHARTS", "/tmp/realcharts"))
    charts = [corpus / name / "chart" for name in ("kube-prometheus-stack", "argo-cd", "grafana")
              if (corpus / name / "chart" / "Chart.yaml").is_file()]
    charts = charts or [EXAMPLE / "charts" / "webapp"]
    for chart in charts:
        repo = tmp_path / chart.parent.name
        shutil.copytree(chart, repo / "chart", symlinks=True)
        (repo / ".gitops-cmp.yaml").write_text("{}\n")
        gathered = _gathered(repo, "chart", "")
        first = memo.parsed(gathered)
        assert memo._TREES_PENDING is not None
        memo._keep_trees(memo._TREES_PENDING)
        memo.drop()
        again = memo.parsed(gathered)
        assert memo._TREES_PENDING is None and again == first == parse_all(gathered), chart


def test_a_trees_entry_that_names_anything_but_template_nodes_is_refused(store: Path, repo: Path, tmp_path: Path):
    import pickle

    proof = tmp_path / "ran"

    class Payload:
        def __reduce__(self):  # what a planted entry would do on an unrestricted unpickler
            return (os.system, (f"touch {proof}",))

    gathered = _gathered(repo)
    memo._write("t" + memo.templates_key(gathered), (memo.TREES, 0.0, pickle.dumps(Payload())))
    trees = memo.parsed(gathered)
    assert not proof.exists()
    assert memo._TREES_PENDING is not None and len(trees) == len(gathered.templates)  # parsed afresh
    memo.drop()


def _with_packaged_subchart(root: Path, conf: bytes) -> None:
    from support import tgz

    chart = write_chart(root, template="kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\ndata: {a: b}\n")
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n"
                                      "dependencies: [{name: db, version: 1.0.0}]\n")
    (chart / "charts").mkdir()
    (chart / "charts" / "db-1.0.0.tgz").write_bytes(tgz({
        "db/Chart.yaml": b"apiVersion: v2\nname: db\nversion: 1.0.0\n",
        "db/conf.txt": conf,  # a file a template could hand to `tpl`
        "db/templates/cm.yaml": b"kind: ConfigMap\napiVersion: v1\nmetadata: {name: db}\ndata: {a: b}\n"}))


def test_a_packaged_subchart_whose_files_call_nothing_that_varies_is_kept_at_once(store: Path, tmp_path: Path):
    _with_packaged_subchart(tmp_path, b"plain {{ .Values.x }} text\n")
    assert [run(tmp_path, chart="chart").memo for _ in range(2)] == ["", "hit"]


def test_a_packaged_subchart_file_calling_randalphanum_waits_for_two_agreeing_renders(store: Path, tmp_path: Path):
    _with_packaged_subchart(tmp_path, b"{{ randAlphaNum 8 }}\n")
    assert [run(tmp_path, chart="chart").memo for _ in range(3)] == ["", "", "hit"]


DEFERRED_RENDER = """
import json, sys
from pathlib import Path
from cmp import config as repo_config
from cmp.context import RenderRequest
from cmp.pipeline import helm, memo
from cmp.pipeline.run import render
helm.defer_loading()
helm.warm_up()  # what generate does first: off in a worker's render process that deferred the engine
memo.configure(memo.Store(sys.argv[1], 64 << 20, b"the code under test"))
repo = Path(sys.argv[2])
result = render(RenderRequest(repo, repo / "charts/webapp", "prod", None, None), repo_config.load(repo))
memo.settle()
print(json.dumps({"memo": result.memo, "stream": result.stream, "engine": "helm_python" in sys.modules}))
"""


def test_a_worker_process_that_deferred_the_engine_answers_a_kept_result_without_loading_it(tmp_path: Path, repo: Path):
    """In a burst a worker's render process takes a request before it loaded Helm's engine: a result
    its memo kept is answered without paying that load; a render loads it when it needs it."""
    import json
    import subprocess
    import sys

    from support import ROOT

    store = tmp_path / "memo"
    store.mkdir(mode=0o700)

    def deferred() -> dict[str, object]:
        with (tmp_path / "stderr").open("w+") as stderr:  # a file, as a worker's: a render Helm warned about is not kept
            proc = subprocess.run([sys.executable, "-c", DEFERRED_RENDER, str(store), str(repo)], stdout=subprocess.PIPE,
                                  stderr=stderr, text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
            stderr.seek(0)
            assert proc.returncode == 0, stderr.read()
        return json.loads(proc.stdout)

    first, again = deferred(), deferred()
    assert (first["memo"], first["engine"]) == ("", True)  # rendered: the engine loaded when Helm was needed
    assert (again["memo"], again["engine"]) == ("hit", False)
    assert first["stream"] == again["stream"] == fresh(repo).stream
