"""Issue 12, class 1: text derived from file, directory or chart names must never break the stream.

A name with a line break would add whole documents (any kind, any RBAC) after `# Source:` that no rule
judged. Names with control characters or line breaks are refused with one line naming them escaped;
and whatever name still reaches the stream (a subchart's Chart.yaml name, which Helm writes into
`# Source:`) is written escaped, so the stream holds exactly the objects the rules judged.
"""

from __future__ import annotations

import pytest
from support import tgz

from cmp import yamlio
from cmp.pipeline import emit

INJECTED = "\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: pwn}\n#"
BREAKS = [pytest.param(c, id=f"U+{ord(c):04X}") for c in "\n\r\x0b\x0c\x85\u2028\u2029\x00\x1b\ufeff"
          if c != "\x00"]  # NUL cannot be in a file name


def documents(stream: str) -> list[dict]:
    return [d for d in yamlio.load_all(stream, "stdout") if d is not None]


@pytest.mark.parametrize("brk", BREAKS)
def test_a_template_file_name_with_a_line_break_is_refused(brk: str, hostile_repo, cli) -> None:
    chart = hostile_repo.chart("web", templates={
        "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
        f"x{brk}kind: Secret.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"})
    result = cli("render", str(chart), "--env", "prod")
    assert result.code != 0 and result.out == ""
    assert "a control character or line break in a chart file or directory name" in result.err
    assert result.err.count("\n") == 1, result.err  # one line: the name is written escaped


def test_a_template_directory_name_with_a_newline_is_refused(hostile_repo, cli) -> None:
    chart = hostile_repo.chart("web", templates={
        "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
        "sub\nkind: Secret/b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"})
    result = cli("render", str(chart), "--env", "prod")
    assert result.code != 0 and result.out == ""
    assert "sub\\nkind: Secret" in result.err


def test_a_chart_name_with_a_newline_is_refused(hostile_repo, cli) -> None:
    chart = hostile_repo.chart("web")
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {INJECTED!r}\nversion: 0.1.0\n".replace("'", '"'))
    result = cli("render", str(chart), "--env", "prod")
    assert result.code != 0 and result.out == ""
    assert "ClusterRoleBinding" not in result.out


def test_a_subchart_name_with_a_newline_cannot_add_a_document(hostile_repo, cli) -> None:
    """Helm writes the subchart's own Chart.yaml name into the template path; the stream escapes it."""
    chart = hostile_repo.chart("web", files={
        "charts/sub/Chart.yaml": 'apiVersion: v2\nname: "sub' + INJECTED.replace("\n", "\\n") + '"\nversion: 0.1.0\n',
        "charts/sub/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: sub}\n"})
    result = cli("render", str(chart), "--env", "prod")
    if result.code == 0:  # Helm accepted the name: the stream must still hold only the judged objects
        assert [d["kind"] for d in documents(result.out)] == ["ConfigMap", "ConfigMap"]
        assert all(line.startswith(("---", "# Source: ", "{")) for line in result.out.splitlines())
    else:
        assert result.out == ""


def test_a_packaged_subchart_member_name_with_a_newline_is_refused(hostile_repo, cli) -> None:
    archive = tgz({
        "sub/Chart.yaml": b"apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        "sub/templates/x\nkind: Secret.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n"})
    chart = hostile_repo.chart("web", files={"charts/sub-0.1.0.tgz": archive})
    result = cli("render", str(chart), "--env", "prod")
    assert result.code != 0 and result.out == ""
    assert "a control character or line break in an archive member name" in result.err


@pytest.mark.parametrize("name", ["a\nkind: Secret", "a\r\n---\nkind: Secret", "a\u2028---", "a\x85b", "#\n---"])
def test_the_source_comment_stays_one_line_whatever_the_name(name: str) -> None:
    line = f"# Source: {emit.comment(name)}"
    assert line.isprintable() and len(line.splitlines()) == 1


def test_a_backslash_name_cannot_turn_into_a_template_helm_renders(hostile_repo, cli) -> None:
    """Helm's archive loader reads `\\` as a path separator: `x\\templates\\s.yaml` at the chart's root
    would become templates/s.yaml for Helm while the scan saw a plain file."""
    chart = hostile_repo.chart("web", files={
        "x\\templates\\s.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {p: x}\n"})
    result = cli("render", str(chart), "--env", "prod")
    assert result.code != 0 and result.out == ""
    assert "a backslash in a chart file or directory name" in result.err
