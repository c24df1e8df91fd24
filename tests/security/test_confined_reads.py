"""Issue 12, class 3 (and class 2's values half): Helm and the rules read only confined files.

Every symlink hop must stay inside the repository and outside .git/ (cmp.confine); Helm is handed
an in-memory archive of exactly the files the rules scanned (cmp.pipeline.chartfiles), with the
chart's values.yaml replaced by what the values scan parsed. Each attack below rendered or leaked
before: it must now fail closed with one line, or be neutralised.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
from security.attack import assert_no_leak

from cmp import confine, yamlio
from cmp.errors import InputError

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
LEAK = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leak}\ndata: {x: {{ .Files.Get "files/x" | quote }}}\n'


def objects(out: str) -> list[dict]:
    return [d for d in yamlio.load_all(out, "stdout") if d is not None]


def failed_closed(result, *words: str) -> None:
    assert result.code != 0 and result.out == "", result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1, result.err
    for word in words:
        assert word in result.err


@pytest.fixture
def outside(tmp_path: Path, planted) -> tuple[Path, str]:
    """A file outside the repository holding a planted secret."""
    secret = planted()
    path = tmp_path / "outside" / "secret.txt"
    path.parent.mkdir()
    path.write_text(secret)
    return path, secret


def test_a_chain_through_an_in_repo_folder_to_outside_is_refused(hostile_repo, cli, outside) -> None:
    """link -> a folder inside the repo that holds a second link to a file outside: every hop counts."""
    target, secret = outside
    hostile_repo.symlink("shared/x", target)  # outside any chart: the old check never saw it
    chart = hostile_repo.chart("web", templates={"cm.yaml": CM, "leak.yaml": LEAK})
    hostile_repo.symlink("charts/web/files", "../../shared")
    result = cli("render", str(chart), "--env", "prod")
    failed_closed(result, "resolves outside the repository")
    assert_no_leak([secret], result.out, result.err)


def test_a_symlinked_template_folder_is_scanned_and_rendered_the_same(hostile_repo, cli) -> None:
    """Helm follows a link to a folder; the scan must see the templates Helm renders there."""
    hostile_repo.write("shared/tpl/cm2.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n")
    chart = hostile_repo.chart("web")
    hostile_repo.symlink("charts/web/templates/more", "../../../shared/tpl")
    result = cli("render", str(chart), "--env", "prod")
    assert result.code == 0, result.err
    assert sorted(o["metadata"]["name"] for o in objects(result.out)) == ["b", "web-prod"]
    assert "# Source: web/templates/more/cm2.yaml" in result.out


@pytest.mark.parametrize("target", [".git/config", ".git"])
def test_a_link_into_dot_git_is_refused(hostile_repo, cli, target) -> None:
    hostile_repo.git("init", "-q")
    hostile_repo.git("config", "http.extraheader", "AUTHORIZATION: basic c2VjcmV0")
    chart = hostile_repo.chart("web", templates={"cm.yaml": CM, "leak.yaml": LEAK})
    hostile_repo.symlink("charts/web/files/x", f"../../../{target}")
    result = cli("render", str(chart), "--env", "prod")
    failed_closed(result, ".git/")
    assert "c2VjcmV0" not in result.out + result.err


@pytest.mark.parametrize("target", ["/proc/self/environ", "/etc/passwd", "/dev/zero"])
def test_a_link_to_a_system_file_is_refused(hostile_repo, cli, target) -> None:
    chart = hostile_repo.chart("web", templates={"cm.yaml": CM, "leak.yaml": LEAK})
    hostile_repo.symlink("charts/web/files/x", target)
    failed_closed(cli("render", str(chart), "--env", "prod"), "outside the repository")


def test_a_chart_directory_that_is_a_symlink_does_not_re_root_the_render(hostile_repo, cli, tmp_path) -> None:
    other = tmp_path / "other-checkout"
    (other / ".git").mkdir(parents=True)
    (other / "charts" / "web" / "templates").mkdir(parents=True)
    (other / "charts" / "web" / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (other / "charts" / "web" / "templates" / "cm.yaml").write_text(CM)
    (other / "charts" / "web" / "values").mkdir()
    (other / "charts" / "web" / "values" / "prod.yaml").write_text("{}\n")
    hostile_repo.chart("app")
    hostile_repo.git("init", "-q")
    link = hostile_repo.symlink("charts/web", other / "charts" / "web")
    failed_closed(cli("render", str(link), "--env", "prod"), "outside the repository")


def test_a_symlink_loop_and_a_dangling_link_are_one_line_errors(hostile_repo, cli) -> None:
    chart = hostile_repo.chart("web")
    hostile_repo.symlink("charts/web/files/loop", "loop")
    failed_closed(cli("render", str(chart), "--env", "prod"), "symlink loop")
    os.unlink(chart / "files" / "loop")
    hostile_repo.symlink("charts/web/files/gone", "nowhere")
    failed_closed(cli("render", str(chart), "--env", "prod"), "dangling")


def test_a_folder_link_cycle_is_refused(hostile_repo, cli) -> None:
    chart = hostile_repo.chart("web")
    hostile_repo.symlink("charts/web/files/again", "..")
    failed_closed(cli("render", str(chart), "--env", "prod"), "symlink loop")


def test_a_fifo_in_the_chart_is_refused_without_blocking(hostile_repo, cli) -> None:
    chart = hostile_repo.chart("web")
    (chart / "files").mkdir()
    os.mkfifo(chart / "files" / "pipe")
    failed_closed(cli("render", str(chart), "--env", "prod"), "not a regular file")


def test_helm_renders_with_the_values_the_scan_parsed_not_its_own_reading(hostile_repo, cli, planted) -> None:
    """A merge key in the chart's values.yaml: Go lets the later merge win, PyYAML the explicit key.
    Whatever the reading, Helm must render with exactly the values the rules judged."""
    secret = planted()
    chart = hostile_repo.chart("web", chart_values=f"password: ''\n<<: {{password: {secret}}}\n", templates={
        "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {p: {{ .Values.password | quote }}}\n"})
    result = cli("render", str(chart), "--env", "prod")
    # the values scan sees the password Helm would render (and blocks it), or the render shows it:
    # never a render of a value the scan did not see
    if result.code == 0:
        assert objects(result.out)[0]["data"]["p"] == secret
    else:
        assert result.out == "" and "secret-value" in result.err


def test_helm_reads_values_yaml_as_parsed_json(hostile_repo, cli) -> None:
    """`y` is true to Go, a string to PyYAML's old reading: the render uses the parsed value."""
    chart = hostile_repo.chart("web", chart_values="flag: y\ncount: 08\nwhen: 2024-01-01\n", templates={
        "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
                   "data: {f: {{ kindOf .Values.flag | quote }}, c: {{ kindOf .Values.count | quote }},"
                   " w: {{ kindOf .Values.when | quote }}}\n"})
    result = cli("render", str(chart), "--env", "prod")
    assert result.code == 0, result.err
    assert objects(result.out)[0]["data"] == {"f": "bool", "c": "float64", "w": "string"}


def test_helmignore_is_applied_as_helm_applies_it(hostile_repo, cli) -> None:
    chart = hostile_repo.chart("web", templates={
        "cm.yaml": CM, "skip.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n",
        ".hidden.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: h}\n"},
        files={".helmignore": "# comment\ntemplates/skip.yaml\n*.md\n", "README.md": "x"})
    result = cli("render", str(chart), "--env", "prod")
    assert result.code == 0, result.err
    assert [o["kind"] for o in objects(result.out)] == ["ConfigMap"]


def _pax_global_archive() -> bytes:
    """A subchart whose PAX global header would rename every member for Python (not for Go)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT,
                      pax_headers={"path": "sub/README.md"}) as tar:
        for name, data in {"sub/Chart.yaml": b"apiVersion: v2\nname: sub\nversion: 0.1.0\n",
                           "sub/templates/s.yaml": b"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_pax_global_header_cannot_rename_members_past_the_scan(hostile_repo, cli) -> None:
    chart = hostile_repo.chart("web", files={"charts/sub-0.1.0.tgz": _pax_global_archive()})
    failed_closed(cli("render", str(chart), "--env", "prod"), "PAX global header")


def test_confine_checks_every_hop(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "a").mkdir(parents=True)
    (root / "a" / "f").write_text("x")
    os.symlink(tmp_path, root / "up")  # out, and back in through `repo`
    os.symlink("../a", root / "a" / "self")
    assert confine.resolve(root / "a" / "self" / "f", root, "f") == root / "a" / "f"
    with pytest.raises(InputError, match="outside the repository"):
        confine.resolve(root / "up" / "repo" / "a" / "f", root, "f")
    with pytest.raises(InputError, match="outside the repository"):
        confine.resolve(root / "a" / ".." / ".." / "x", root, "f")
    assert confine.inside(root / "a" / "self" / "f", root) == root / "a" / "f"
    assert confine.inside(root / ".git" / "config", root) is None


def test_the_repo_config_through_a_chain_of_links_out_is_refused(hostile_repo, cli, outside) -> None:
    target, secret = outside
    target.write_text(f"allow: [{{rule: secret-value, path: '{secret}'}}]\n")
    hostile_repo.symlink("shared/cfg", target)
    hostile_repo.path(".gitops-cmp.yaml").unlink(missing_ok=True)
    hostile_repo.symlink(".gitops-cmp.yaml", "shared/cfg")
    chart = hostile_repo.chart("web")
    result = cli("render", str(chart), "--env", "prod")
    failed_closed(result, "resolves outside the repository")
    assert_no_leak([secret], result.out, result.err)


def test_helm_is_handed_exactly_the_templates_the_rules_scanned(hostile_repo) -> None:
    import helm_python

    from cmp.config import load
    from cmp.context import RenderRequest
    from cmp.pipeline import chartfiles, inputs

    hostile_repo.write("shared/tpl/linked.yaml", CM)
    chart = hostile_repo.chart("web", templates={"cm.yaml": CM, "skip.yaml": CM, ".hidden.yaml": CM, "_h.tpl": ""},
                               files={".helmignore": "templates/skip.yaml\n", "charts/sub/Chart.yaml":
                                      "apiVersion: v2\nname: sub\nversion: 0.1.0\n", "charts/sub/templates/s.yaml": CM})
    hostile_repo.symlink("charts/web/templates/more", "../../../shared/tpl")
    request = RenderRequest(repo_root=hostile_repo.root, chart_dir=chart, env="prod", release=None, namespace=None)
    gathered = inputs.gather(request, load(hostile_repo.root))
    scanned = sorted(t.display for t in gathered.templates)
    assert scanned == ["charts/web/charts/sub/templates/s.yaml", "charts/web/templates/_h.tpl",
                       "charts/web/templates/cm.yaml", "charts/web/templates/more/linked.yaml"]
    with helm_python.Chart.load_archive(chartfiles.archive(list(gathered.files), None)) as loaded:
        handed = sorted(f"charts/web/{t['name']}" for t in loaded.templates)
    assert handed == [s for s in scanned if "/charts/sub/" not in s]  # the subchart's are its own chart's
