"""Applications under apps/: nested dirs, multi-document files, the app-of-apps root, broken files."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import EXAMPLE

from cmp.application import AppSource, Skipped
from cmp.parity import discover

APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
spec:
  source:
    path: charts/webapp
    plugin:
      name: gitops-helm-v1
      env: [{{name: ENVIRONMENT, value: dev}}]
  destination:
    namespace: {name}
"""


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_example_repo():
    found = discover.entries(EXAMPLE)
    assert list(found) == ["app-of-apps", "monitoring-prod", "webapp-dev", "webapp-prod"]
    assert isinstance(found["app-of-apps"], Skipped)
    assert "app-of-apps root" in found["app-of-apps"].reason
    assert isinstance(found["monitoring-prod"], AppSource) and found["monitoring-prod"].shape == "helm"
    assert isinstance(found["webapp-dev"], AppSource) and found["webapp-dev"].shape == "plugin"


def test_nested_dirs_and_multi_document_files(tmp_path: Path):
    write(tmp_path, "apps/team/a/deep/x.yml", APP.format(name="x"))
    write(tmp_path, "apps/multi.yaml", "# leading comment\n---\n" + APP.format(name="m1") + "---\n"
          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: not-an-app}\n---\n" + APP.format(name="m2"))
    write(tmp_path, "apps/notes.txt", "not yaml")
    assert list(discover.entries(tmp_path)) == ["m1", "m2", "x"]


def test_other_repo_and_multi_source_apps_are_skipped_with_a_reason(tmp_path: Path):
    write(tmp_path, "apps/remote.yaml", APP.format(name="remote").replace("path: charts/webapp", "chart: nginx"))
    write(tmp_path, "apps/multi.yaml", APP.format(name="multi").replace("  source:", "  sources:"))
    found = discover.entries(tmp_path)
    assert isinstance(found["remote"], Skipped) and "not a path in this repo" in found["remote"].reason
    assert isinstance(found["multi"], Skipped) and "multi-source" in found["multi"].reason


@pytest.mark.parametrize(
    ("files", "name", "message"),
    [
        pytest.param({"apps/bad.yaml": "a: [\n"}, "apps/bad.yaml", "apps/bad.yaml:2", id="unparsable-file"),
        pytest.param({"apps/a.yaml": APP.format(name="dup"), "apps/b.yaml": APP.format(name="dup")}, "dup",
                     "duplicate Application name 'dup' (also in apps/a.yaml)", id="duplicate-name"),
        pytest.param({"apps/a.yaml": APP.format(name="Bad_Name")}, "Bad_Name", "not a valid Argo CD name",
                     id="invalid-name"),
        pytest.param({"apps/a.yaml": APP.format(name="nons").replace("    namespace: nons\n", "")}, "nons",
                     "has no spec.destination.namespace", id="no-namespace"),
        pytest.param({"apps/a.yaml": APP.format(name="dots").replace("value: dev", "value: ../x")}, "dots",
                     "invalid environment name", id="env-path"),
    ],
)
def test_broken_applications_become_failures(tmp_path: Path, files, name, message):
    for rel, text in files.items():
        write(tmp_path, rel, text)
    entry = discover.entries(tmp_path)[name]
    assert isinstance(entry, discover.Broken)
    assert message in entry.reason


def test_symlinked_application_outside_the_repo_is_an_error(tmp_path: Path):
    (tmp_path / "outside.yaml").write_text(APP.format(name="x"))
    repo = tmp_path / "repo"
    (repo / "apps").mkdir(parents=True)
    (repo / "apps" / "x.yaml").symlink_to(tmp_path / "outside.yaml")
    docs, errors = discover.application_docs(repo)
    assert docs == []
    assert "resolves outside the repository" in errors[0].message


def test_locate_finds_the_deepest_key_of_the_right_document(tmp_path: Path):
    write(tmp_path, "apps/two.yaml", APP.format(name="one") + "---\n" + APP.format(name="two"))
    docs, _ = discover.application_docs(tmp_path)
    second = next(d for d in docs if d.name == "two")
    lines = second.text.splitlines()
    line, column = discover.locate(second, "spec", "source", "plugin", "name")
    assert lines[line - 1] == "      name: gitops-helm-v1" and column == 7
    assert line > len(APP.splitlines())  # in the second document, not the first
    # a missing key: the deepest one that exists
    line, _ = discover.locate(second, "spec", "syncPolicy", "automated")
    assert lines[line - 1] == "spec:"
