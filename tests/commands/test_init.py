from __future__ import annotations

from pathlib import Path


def write_chart_with_file_dependency(root: Path) -> Path:
    sub = root / "libs" / "redis"
    (sub / "templates").mkdir(parents=True)
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: redis\nversion: 1.0.0\n")
    (sub / "templates" / "sa.yaml").write_text("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ .Release.Name }}-redis\n")
    chart = root / "charts" / "app"
    (chart / "templates").mkdir(parents=True)
    (chart / "values").mkdir()
    (chart / "values" / "prod.yaml").write_text("{}\n")
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: redis\n    version: 1.0.0\n    repository: file://../../libs/redis\n")
    (chart / "templates" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n")
    (root / ".gitops-cmp.yaml").write_text("{}\n")
    return chart


def test_init_vendors_a_file_dependency_then_render_includes_it(tmp_path: Path, cli, monkeypatch):
    chart = write_chart_with_file_dependency(tmp_path)
    before = cli("render", str(chart), "--env", "prod")
    assert before.code == 3 and before.out == ""
    assert "dependencies not vendored" in before.err and "'redis'" in before.err and "gitops-cmp init" in before.err

    monkeypatch.chdir(chart)
    init = cli("init")
    assert init.code == 0, init.err
    assert init.out == ""
    assert "vendored redis" in init.err
    assert sorted(p.name for p in (chart / "charts").iterdir()) == ["redis-1.0.0.tgz"]

    after = cli("render", str(chart), "--env", "prod")
    assert after.code == 0, after.err
    assert '"name": "app-prod-redis"' in after.out


def test_init_is_a_no_op_when_vendored(example_repo: Path, cli, monkeypatch):
    monkeypatch.chdir(example_repo / "charts" / "webapp")
    result = cli("init")
    assert (result.code, result.out, result.err) == (0, "", "")


def test_init_outside_a_chart_is_an_input_error(tmp_path: Path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("init")
    assert result.code == 2 and "no Chart.yaml" in result.err


def test_a_failing_init_names_the_repository_and_what_to_do(tmp_path: Path, cli, monkeypatch):
    chart = tmp_path / "charts" / "app"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
        "  - {name: redis, version: 1.0.0, repository: 'https://charts.example.invalid/stable'}\n"
        "  - {name: pg, version: 2.0.0, repository: '@bitnami'}\n")
    monkeypatch.chdir(chart)
    result = cli("init")
    assert result.code == 3 and result.out == ""
    lines = [line for line in result.err.splitlines() if not line.startswith("{")]
    assert lines[0].startswith("gitops-cmp: error: Chart.yaml: cannot download the chart's dependencies")
    assert "`gitops-cmp init` on a laptop or in CI) and commit charts/" in lines[0]
    assert any(line.startswith("    redis 1.0.0 from https://charts.example.invalid/stable: unreachable") for line in lines)
    assert any("pg 2.0.0: repository '@bitnami' is a local `helm repo add` alias" in line for line in lines)
    assert "helm-c-dep" not in result.err and "helm repo update" not in result.err


# ---- the plugin's init without Helm (cmp.client.declares_no_dependencies) ----------------------

NO_DEPENDENCIES = {  # Chart.yaml -> whether init may exit 0 without loading Helm
    "apiVersion: v2\nname: app\nversion: 0.1.0\n": True,
    "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies: []\n": False,  # Helm decides: the word is there
    "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - {name: redis, version: 1.0.0}\n": False,
    'apiVersion: v2\nname: app\nversion: 0.1.0\n"depend\\x65ncies": [{name: redis, version: 1.0.0}]\n': False,
    "apiVersion: v2\nname: app\nversion: 0.1.0\n{dependencies: []}\n": False,
    "\ufeffapiVersion: v2\nname: app\nversion: 0.1.0\n": True,  # a UTF-8 byte order mark
    # Helm reads Chart.yaml through Go's encoding/json, which matches a field's name case-insensitively
    # and folds `ſ` (U+017F) to `s`: each of these declares `redis` to Helm (helm_python.dependency_list).
    "apiVersion: v2\nname: app\nversion: 0.1.0\nDependencies:\n  - {name: redis, version: 1.0.0}\n": False,
    "apiVersion: v2\nname: app\nversion: 0.1.0\nDEPENDENCIES:\n  - {name: redis, version: 1.0.0}\n": False,
    "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencie\u017f:\n  - {name: redis, version: 1.0.0}\n": False,
    "apiVersion: v2\nname: app\nversion: 0.1.0\ndescription: caf\u00e9\n": False,  # other letters: Helm decides
}


def test_init_without_helm_only_when_no_dependency_can_be_declared(tmp_path: Path):
    from cmp.client import declares_no_dependencies

    for number, (text, expected) in enumerate(NO_DEPENDENCIES.items()):
        chart = tmp_path / str(number)
        chart.mkdir()
        (chart / "Chart.yaml").write_text(text)
        assert declares_no_dependencies(str(chart)) is expected, text


def test_init_without_helm_never_for_other_encodings_links_requirements_or_no_chart(tmp_path: Path):
    from cmp.client import declares_no_dependencies

    plain = "apiVersion: v2\nname: app\nversion: 0.1.0\n"
    utf16 = tmp_path / "utf16"
    utf16.mkdir()
    (utf16 / "Chart.yaml").write_bytes(("\ufeff" + plain + "dependencies: [{name: x}]\n").encode("utf-16-le"))
    requirements = tmp_path / "v1"
    requirements.mkdir()
    (requirements / "Chart.yaml").write_text("apiVersion: v1\nname: app\nversion: 0.1.0\n")
    (requirements / "requirements.yaml").write_text("dependencies: [{name: redis, version: 1.0.0}]\n")
    linked = tmp_path / "linked"
    linked.mkdir()
    (tmp_path / "elsewhere.yaml").write_text(plain)
    (linked / "Chart.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    huge = tmp_path / "huge"
    huge.mkdir()
    (huge / "Chart.yaml").write_text(plain + "#" * (1 << 20) + "\n")
    for chart in (utf16, requirements, linked, huge, tmp_path / "absent"):
        assert declares_no_dependencies(str(chart)) is False, chart.name


def test_the_plugins_init_of_a_chart_without_dependencies_loads_neither_helm_nor_the_cli(example_repo: Path):
    import subprocess
    import sys

    from support import ROOT

    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "cmp", "init"], cwd=example_repo / "charts" / "webapp",
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, "")
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")]
    assert "cmp.client" in imported
    assert not [m for m in imported if m.startswith(("helm_python", "cmp.main", "argparse", "yaml"))]


def test_the_case_and_folds_helm_accepts_declare_dependencies_to_it(tmp_path: Path):
    """The table's spellings are what Helm itself reads as dependencies (so init must not skip them)."""
    import helm_python

    for number, spelled in enumerate(("Dependencies", "DEPENDENCIES", "dependencie\u017f")):
        chart = tmp_path / str(number)
        chart.mkdir()
        (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: app\nversion: 0.1.0\n{spelled}:\n"
                                          "  - {name: redis, version: 1.0.0, repository: https://charts.example.invalid}\n")
        assert [d["name"] for d in helm_python.dependency_list(chart)] == ["redis"], spelled
