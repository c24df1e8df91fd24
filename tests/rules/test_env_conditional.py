from __future__ import annotations

from pathlib import Path

import pytest

from cmp import config as repo_config
from cmp import verdict
from cmp.config import EnvConditionalMode
from cmp.context import RenderRequest
from cmp.findings import Finding, Severity
from cmp.pipeline import helm, inputs
from cmp.rules import RENDER_RULES, RULES, env_conditional
from cmp.rules.env_conditional import ID, prepare_values


def make_chart(root: Path, templates: dict[str, str], *, mode: str = "block", base: str = "",
               prod: str = "env: prod\n", extra: dict[str, str] | None = None) -> Path:
    (root / ".gitops-cmp.yaml").write_text(f"envConditionalMode: {mode}\n")
    chart = root / "charts" / "app"
    (chart / "templates").mkdir(parents=True)
    (chart / "values").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text(base)
    (chart / "values" / "prod.yaml").write_text(prod)
    for name, text in {**templates, **(extra or {})}.items():
        (chart / name).parent.mkdir(parents=True, exist_ok=True)
        (chart / name).write_text(text)
    return chart


def gathered(root: Path, env: str = "prod") -> inputs.Inputs:
    request = RenderRequest(root, root / "charts" / "app", env, None, None)
    return inputs.gather(request, repo_config.load(root))


def findings(root: Path) -> list[Finding]:
    return sorted(env_conditional.check_inputs(gathered(root)))


def test_registered():
    assert RULES[ID].check_inputs is env_conditional.check_inputs
    assert RULES[ID].prepare_values is env_conditional.prepare_values


def test_finding_names_file_line_column_expression_why_and_fix(tmp_path):
    make_chart(tmp_path, {"templates/cm.yaml": 'a: 1\n{{- if eq .Values.env "prod" }}\nb: 2\n{{- end }}\n'})
    assert findings(tmp_path) == [Finding(
        "charts/app/templates/cm.yaml", 2, 8, ID, Severity.ERROR,
        '`eq .Values.env "prod"` branches on the environment: it compares env identity .Values.env'
        " with 'prod'; put what differs into values/<env>.yaml and branch on that setting"
        " (e.g. `replicaCount`, `ingress.enabled`), not on the environment's name",
    )]


def test_identity_is_inferred_from_the_per_env_value_files(tmp_path):
    """`deploy.target` holds each env's own name (or its abbreviation) in values/<env>.yaml: comparing
    it with a team's stage prefix that no word list holds is an env conditional."""
    make_chart(tmp_path, {"templates/cm.yaml": '{{ if hasPrefix "blue" .Values.deploy.target }}x{{ end }}\n'},
               prod="deploy: {target: prd}\n", extra={"values/staging.yaml": "deploy: {target: stg}\n"})
    assert [(f.line, f.severity) for f in findings(tmp_path)] == [(1, Severity.ERROR)]


def test_a_key_that_differs_from_the_env_name_is_no_identity(tmp_path):
    make_chart(tmp_path, {"templates/cm.yaml": '{{ if hasPrefix "blue" .Values.deploy.target }}x{{ end }}\n'},
               prod="deploy: {target: prd}\n", extra={"values/staging.yaml": "deploy: {target: blue}\n"})
    assert findings(tmp_path) == []


def test_strip_mode_blanks_inferred_identities(tmp_path):
    make_chart(tmp_path, {"templates/cm.yaml": "x"}, mode="strip", prod="deploy: {target: prod}\n")
    assert prepare_values(gathered(tmp_path), {"deploy": {"target": "prod"}}) == {"deploy": {"target": ""}}


@pytest.mark.parametrize(("mode", "template", "expected"), [
    pytest.param("block", '{{ if eq .Values.env "prod" }}{{ end }}', Severity.ERROR, id="block"),
    pytest.param("warn", '{{ if eq .Values.env "prod" }}{{ end }}', Severity.WARNING, id="warn"),
    pytest.param("strip", '{{ if eq .Values.env "prod" }}{{ end }}', Severity.WARNING, id="strip-values-key"),
    pytest.param("strip", '{{ if eq .Release.Namespace "prod" }}{{ end }}', Severity.ERROR, id="strip-release"),
    pytest.param("strip", '{{ if eq .Values.cluster "prod" }}{{ end }}', Severity.ERROR, id="strip-literal"),
])
def test_severity_per_mode(tmp_path, mode, template, expected):
    make_chart(tmp_path, {"templates/cm.yaml": template}, mode=mode)
    assert [f.severity for f in findings(tmp_path)] == [expected]


def test_notes_findings_are_warnings(tmp_path):
    make_chart(tmp_path, {"templates/NOTES.txt": '{{ if eq .Values.env "prod" }}careful{{ end }}'})
    assert [(f.path, f.severity) for f in findings(tmp_path)] == [("charts/app/templates/NOTES.txt", Severity.WARNING)]


def test_helpers_and_tpl_files_are_scanned(tmp_path):
    make_chart(tmp_path, {
        "templates/_helpers.tpl": '{{ define "h" }}{{ if eq .Release.Namespace "qa" }}x{{ end }}{{ end }}',
        "templates/cm.yaml": '{{ include "h" . }}{{ tpl (.Files.Get "files/c.tpl") . }}',
        "files/c.tpl": '{{ if hasPrefix "prod" .Values.env }}y{{ end }}',
        "files/plain.txt": '{{ if eq .Values.env "prod" }}read, never rendered{{ end }}',
    })
    assert [(f.path, f.line, f.column) for f in findings(tmp_path)] == [
        ("charts/app/files/c.tpl", 1, 7), ("charts/app/templates/_helpers.tpl", 1, 23)]


def test_a_template_that_does_not_parse_is_an_error(tmp_path):
    make_chart(tmp_path, {"templates/cm.yaml": "a: {{ .x"})
    (finding,) = findings(tmp_path)
    assert (finding.line, finding.severity) == (1, Severity.ERROR)
    assert "unclosed action" in finding.message


ALLOW = '{{/* gitops-cmp:allow env-conditional reason="legacy, JIRA-1" */}}'


@pytest.mark.parametrize(("template", "expected"), [
    pytest.param(ALLOW + '\n{{ if eq .Values.env "prod" }}{{ end }}', [], id="silences-the-next-action"),
    pytest.param(ALLOW + '{{ if eq .Values.env "prod" }}{{ end }}{{ if eq .Values.env "qa" }}{{ end }}',
                 [(1, 112, Severity.ERROR)], id="only-the-next-action"),
    pytest.param('{{/* gitops-cmp:allow env-conditional */}}\n{{ if eq .Values.env "prod" }}{{ end }}',
                 [(1, 1, Severity.ERROR), (2, 7, Severity.ERROR)], id="no-reason-silences-nothing"),
    pytest.param('{{/* gitops-cmp:allow env-conditional reason="" */}}{{ if eq .Values.env "qa" }}{{ end }}',
                 [(1, 1, Severity.ERROR), (1, 59, Severity.ERROR)], id="empty-reason"),
    pytest.param(ALLOW + "\n{{ .Values.x }}", [(1, 1, Severity.WARNING)], id="unused-allow-is-reported"),
    pytest.param('{{/* gitops-cmp:allow secret-value reason="x" */}}{{ if eq .Values.env "qa" }}{{ end }}',
                 [(1, 57, Severity.ERROR)], id="another-rule's-allow"),
])
def test_allow_comments(tmp_path, template, expected):
    make_chart(tmp_path, {"templates/cm.yaml": template})
    assert [(f.line, f.column, f.severity) for f in findings(tmp_path)] == expected


def test_the_example_chart_is_clean(example_repo):
    request = RenderRequest(example_repo, example_repo / "charts" / "webapp", "prod", None, None)
    assert list(env_conditional.check_inputs(inputs.gather(request, repo_config.load(example_repo)))) == []


# ---- strip mode ----------------------------------------------------------------------------------


def test_prepare_values_leaves_other_modes_alone(tmp_path):
    make_chart(tmp_path, {"templates/cm.yaml": "x"}, mode="warn")
    gathered_ = gathered(tmp_path)
    values = gathered_.user_values
    assert prepare_values(gathered_, values) is values


def test_strip_blanks_identity_keys_at_any_nesting_and_in_the_base_values(tmp_path):
    make_chart(tmp_path, {"templates/cm.yaml": "x"}, mode="strip",
               base="env: dev\nglobal: {env: dev}\n",
               prod="env: prod\nenvironment: production\nstage: p\napp: {env: prod, replicas: 3}\n"
                    "jobs: [{name: a, env: prod}]\ncontainers: {env: [{name: FOO, value: bar}]}\n")
    values = verdict.prepare_values(gathered(tmp_path), RENDER_RULES)
    assert values == {
        "env": "", "environment": "", "stage": "", "global": {"env": ""}, "app": {"env": "", "replicas": 3},
        "jobs": [{"name": "a", "env": ""}], "containers": {"env": [{"name": "FOO", "value": "bar"}]},
    }


STRIP_TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
data:
  replicas: {{ if eq .Values.env "prod" }}"3"{{ else }}"1"{{ end }}
  tier: {{ ternary "gold" "silver" (hasPrefix "prod" .Values.global.env) | quote }}
  size: {{ index (dict "prod" "big") .Values.env | default "small" | quote }}
"""


def render_data(tmp_path: Path, env: str) -> dict[str, str]:
    import yaml

    got = gathered(tmp_path, env)
    templates, _ = helm.render(got.chart_dir, verdict.prepare_values(got, RENDER_RULES), release="r", namespace="n",
                               kube_version=None, api_versions=(), shown="app")
    return yaml.safe_load(templates["app/templates/cm.yaml"])["data"]


def test_strip_makes_value_keyed_conditionals_take_one_branch_in_every_env(tmp_path):
    make_chart(tmp_path, {"templates/cm.yaml": STRIP_TEMPLATE}, mode="strip",
               base="env: dev\nglobal: {env: dev}\n", prod="env: prod\nglobal: {env: prod}\n")
    (tmp_path / "charts/app/values/dev.yaml").write_text("env: dev\n")
    stripped = {"replicas": "1", "tier": "silver", "size": "small"}
    assert render_data(tmp_path, "prod") == render_data(tmp_path, "dev") == stripped
    (tmp_path / ".gitops-cmp.yaml").write_text("envConditionalMode: warn\n")
    assert render_data(tmp_path, "prod") == {"replicas": "3", "tier": "gold", "size": "big"}


def test_strip_mode_in_the_render_pipeline(tmp_path, cli):
    chart = make_chart(tmp_path, {"templates/cm.yaml": STRIP_TEMPLATE}, mode="strip", base="global: {env: x}\n")
    result = cli("render", str(chart), "--env", "prod")
    assert result.code == 0, result.err
    assert '"replicas": "1"' in result.out and "[warning]" in result.err


@pytest.mark.parametrize(("name", "env"), [
    ("values/prod.yaml", "prod"), ("values/prod/values.yaml", "prod"), ("values-staging.yaml", "staging"),
    ("environments/qa-values.yaml", "qa"), ("values.yaml", None), ("ci/daemonset-values.yaml", None),
    ("templates/values-prod.yaml", None), ("values-common.yaml", None),
])
def test_which_value_files_belong_to_an_env(name, env):
    assert env_conditional.env_of(name) == env


def test_a_kind_that_matches_a_file_name_is_no_identity():
    """prometheus-blackbox-exporter's values-daemonset.yaml-style scenario files set `kind: DaemonSet`."""
    assert env_conditional.infer_identity({"values-daemonset.yaml": {"kind": "DaemonSet", "env": {"x": "y"}},
                                           "values/prod.yaml": {"deploy": {"target": "prod"}}}) == {("deploy", "target")}


def test_component_value_files_are_no_evidence_on_their_own():
    """Badafald/miraculin's values-web.yaml sets `services.web.name: web`: a component, not an env."""
    files = {"values-web.yaml": {"services": {"web": {"name": "web"}}},
             "values-storage.yaml": {"services": {"storage": {"name": "storage"}}},
             "values-dev.yaml": {"tier": "dev"}, "values-prod.yaml": {"tier": "prod"}}
    assert env_conditional.infer_identity(files) == {("tier",)}


def test_tpl_of_a_value_string_holding_template_logic_is_a_finding(tmp_path):
    make_chart(tmp_path, {"templates/cm.yaml": "a: 1\nhost: {{ tpl .Values.host . }}\n"},
               base='host: \'{{ if eq .Values.env "prod" }}shop{{ else }}dev-shop{{ end }}.example\'\n')
    (finding,) = findings(tmp_path)
    assert (finding.path, finding.line, finding.severity) == ("charts/app/templates/cm.yaml", 2, Severity.ERROR)
    assert "`tpl` renders .Values.host" in finding.message


def test_a_template_helm_treats_as_notes_only_warns(tmp_path, cli):
    """Helm drops every template whose name ends in NOTES.txt (not only templates/NOTES.txt): a branch
    there changes no manifest, so it is a warning, as in NOTES.txt itself."""
    chart = tmp_path / "charts" / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "values").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "values" / "prod.yaml").write_text("env: prod\n")
    (chart / "templates" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n")
    (chart / "templates" / "extra-NOTES.txt").write_text('{{ if eq .Values.env "prod" }}careful{{ end }}\n')
    (tmp_path / ".gitops-cmp.yaml").write_text("{}\n")
    result = cli("check", str(tmp_path))
    assert result.code == 0, result.out
    assert "charts/web/templates/extra-NOTES.txt:1:7: [warning]" in result.out


def test_remembered_settings_follow_the_sibling_value_files_text(tmp_path):
    """While parity remembers (cmp.templates.remembering_parses), a chart's settings are reused for the
    same value files; a sibling file that differs by one value is another chart's settings."""
    from cmp import templates

    template = {"templates/cm.yaml": '{{ if hasPrefix "blue" .Values.deploy.target }}x{{ end }}\n'}
    inferred, not_inferred = tmp_path / "a", tmp_path / "b"
    inferred.mkdir()
    not_inferred.mkdir()
    make_chart(inferred, template, prod="deploy: {target: prd}\n", extra={"values/staging.yaml": "deploy: {target: stg}\n"})
    make_chart(not_inferred, template, prod="deploy: {target: prd}\n", extra={"values/staging.yaml": "deploy: {target: blu}\n"})
    with templates.remembering_parses():
        first = env_conditional.chart_settings(gathered(inferred))
        assert env_conditional.chart_settings(gathered(inferred)) is first
        other = env_conditional.chart_settings(gathered(not_inferred))
        assert ("deploy", "target") in first.inferred and ("deploy", "target") not in other.inferred
        assert [(f.line, f.severity) for f in findings(inferred)] == [(1, Severity.ERROR)]
        assert findings(not_inferred) == []
    for root in (inferred, not_inferred):  # and each is what a fresh computation gives
        fresh = env_conditional.settings(repo_config.load(root), env_conditional.chart_value_files(gathered(root)))
        assert env_conditional.chart_settings(gathered(root)) == fresh


def test_remembered_scans_follow_the_templates_the_settings_and_the_files_tpl_reads(tmp_path):
    """While parity remembers, a chart's scan is reused for the same templates and settings (the
    base and head of an app, its other environments); a file the templates render with `tpl` that
    differs (here: one branches on the environment, the other does not) gets a scan of its own."""
    from cmp import templates

    template = {"templates/cm.yaml": 'a: {{ tpl (.Files.Get "files/c.tpl") . }}\n'}
    branching, plain = tmp_path / "a", tmp_path / "b"
    for root, tpl in ((branching, '{{ if eq .Values.env "prod" }}y{{ end }}'), (plain, "{{ .Values.env }}")):
        root.mkdir()
        make_chart(root, template, extra={"files/c.tpl": tpl})
    (tmp_path / "c").mkdir()
    make_chart(tmp_path / "c", {"templates/cm.yaml": 'a: {{ if eq .Values.env "prod" }}y{{ end }}\n'})
    expected = {root: findings(root) for root in (branching, plain, tmp_path / "c")}
    assert [f.path for f in expected[branching]] == ["charts/app/files/c.tpl"] and expected[plain] == []
    with templates.remembering_parses():
        first = env_conditional.scan_chart(gathered(branching))
        assert env_conditional.scan_chart(gathered(branching)) is first
        assert env_conditional.scan_chart(gathered(plain)) is not first
        for _ in range(2):
            assert {root: findings(root) for root in expected} == expected


def test_sibling_value_files_are_what_pathlib_globs_them_as(tmp_path):
    """sibling_value_files lists the directories itself: the same paths, in the same order, as the
    globs it replaced, for names that match and nearly match, hidden files, directories named like
    files, links to files and directories, dangling links and a link loop."""
    chart = tmp_path / "chart"
    files = ["values.yaml", "values-prod.yaml", "values_dev.yml", "values.qa.yaml", ".values-x.yaml", "values-.yaml",
             "Values-prod.yaml", "values-prod.YAML", "values-prod.json", "valuesprod.yaml", "values/prod.yaml",
             "values/.hidden.yaml", "values/a/b.yaml", "values/a/c.txt", "values/a/d/e.yaml", "values/.h/f.yml",
             "env/dev.yaml", "envs/x/y.yaml", "environments/staging.yaml", "ci/test.yaml", "values-dir.yaml/z.yaml"]
    for name in files:
        (chart / name).parent.mkdir(parents=True, exist_ok=True)
        if not name.endswith("values-dir.yaml"):
            (chart / name).write_text("a: 1\n")
    (chart / "values" / "linked").symlink_to(chart / "envs" / "x")
    (chart / "values" / "file-link.yaml").symlink_to(chart / "values.yaml")
    (chart / "values" / "dangling.yaml").symlink_to(tmp_path / "nowhere")
    (chart / "values" / "loop").symlink_to(chart / "values" / "loop")
    (chart / "environments" / "prod").symlink_to(tmp_path / "nowhere")

    def globbed(chart: Path) -> list[Path]:  # sibling_value_files as it was
        found = sorted(chart.glob("values[-._]*.y*ml"))
        for folder in env_conditional.ENV_DIRS:
            if (chart / folder).is_dir():
                found += sorted(chart.glob(f"{folder}/*.y*ml"))
                found += sorted(chart.glob(f"{folder}/*/*.y*ml"))
        return found

    assert list(env_conditional.sibling_value_files(chart)) == globbed(chart)
    assert len(globbed(chart)) > 10
    for other in (tmp_path / "nowhere", chart / "values.yaml", chart / "ci"):
        assert list(env_conditional.sibling_value_files(other)) == globbed(other)
