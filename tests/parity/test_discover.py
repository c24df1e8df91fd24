"""Applications under apps/: nested dirs, multi-document files, the app-of-apps root, broken files."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import EXAMPLE

from cmp import appdocs
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
    write(tmp_path, "apps/multi.yaml", APP.format(name="multi").replace("  source:", "  sources:\n  - chart: nginx\n    repoURL: https://charts.example\n  -")
          .replace("    plugin:", "    helm: {valueFiles: [values.yaml]}\n    plugin:").replace("      name: gitops-helm-v1", "      name: other"))
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
    docs, errors = appdocs.application_docs(repo)
    assert docs == []
    assert "resolves outside the repository" in errors[0].message


def test_locate_finds_the_deepest_key_of_the_right_document(tmp_path: Path):
    write(tmp_path, "apps/two.yaml", APP.format(name="one") + "---\n" + APP.format(name="two"))
    docs, _ = appdocs.application_docs(tmp_path)
    second = next(d for d in docs if d.name == "two")
    lines = second.text.splitlines()
    line, column = appdocs.locate(second, "spec", "source", "plugin", "name")
    assert lines[line - 1] == "      name: gitops-helm-v1" and column == 7
    assert line > len(APP.splitlines())  # in the second document, not the first
    # a missing key: the deepest one that exists
    line, _ = appdocs.locate(second, "spec", "syncPolicy", "automated")
    assert lines[line - 1] == "spec:"


ROOT_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: root}
spec:
  source: {repoURL: https://github.com/org/gitops-repo.git, path: apps/, directory: {recurse: true}}
  destination: {namespace: argocd}
"""
INGRESS_APP = APP.format(name="ingress").replace("  source:\n    path: charts/webapp\n", """\
  source:
    repoURL: https://github.com/kubernetes/ingress-nginx
    path: charts/ingress-nginx
""")


def test_an_app_from_another_repository_is_skipped_by_the_app_of_apps_roots_url(tmp_path: Path):
    write(tmp_path, "apps/root.yaml", ROOT_APP)
    write(tmp_path, "apps/ingress.yaml", INGRESS_APP)
    write(tmp_path, "apps/web.yaml", APP.format(name="web").replace(
        "  source:\n", "  source:\n    repoURL: https://GitHub.com/org/gitops-repo/\n"))
    found = discover.entries(tmp_path)
    assert isinstance(found["ingress"], Skipped)
    assert found["ingress"].reason == "source is another repository (https://github.com/kubernetes/ingress-nginx)"
    assert isinstance(found["web"], AppSource)  # the same repository, spelled another way
    assert "app-of-apps root" in found["root"].reason


def test_the_configs_repo_urls_win_over_the_roots(tmp_path: Path):
    write(tmp_path, ".gitops-cmp.yaml", "repoURLs: [https://github.com/kubernetes/ingress-nginx]\n")
    write(tmp_path, "apps/root.yaml", ROOT_APP)
    write(tmp_path, "apps/ingress.yaml", INGRESS_APP)
    found = discover.entries(tmp_path)
    assert isinstance(found["ingress"], AppSource)
    assert found["root"].reason == "source is another repository (https://github.com/org/gitops-repo.git)"


def test_without_config_or_root_every_source_is_this_repository(tmp_path: Path):
    write(tmp_path, "apps/ingress.yaml", INGRESS_APP)
    assert isinstance(discover.entries(tmp_path)["ingress"], AppSource)
    assert appdocs.this_repo_urls([], frozenset()) == frozenset()


@pytest.mark.parametrize(("text", "message"), [
    pytest.param("metadata: [1]\nspec: {}\n", "metadata must be a mapping", id="metadata-list"),
    pytest.param("metadata: {name: odd}\nspec: [1]\n", "spec must be a mapping", id="spec-list"),
    pytest.param("metadata: {name: [1]}\nspec: {}\n", "has no metadata.name", id="name-list"),
    pytest.param("metadata: {name: odd}\nspec: {source: {path: apps}, destination: [1]}\n",
                 "destination must be a mapping", id="destination-list"),
])
def test_a_broken_application_fails_alone(tmp_path: Path, text: str, message: str):
    write(tmp_path, "apps/a.yaml", APP.format(name="a"))
    write(tmp_path, "apps/odd.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Application\n" + text)
    write(tmp_path, "apps/z.yaml", APP.format(name="z"))
    found = discover.entries(tmp_path)
    broken = [e for e in found.values() if isinstance(e, discover.Broken)]
    assert len(broken) == 1 and message in broken[0].reason, broken
    assert isinstance(found["a"], AppSource) and isinstance(found["z"], AppSource)


def test_documents_are_found_by_the_yaml_loader_and_located_in_their_own_lines(tmp_path: Path):
    """`---` with content on its line, an explicit end `...`, and a block scalar: the loader decides
    what a document is; findings never point into another document's lines."""
    two = APP.format(name="one") + "...\n--- # second\n" + APP.format(name="two").replace(
        "metadata:\n", "metadata:\n  annotations:\n    note: |\n      a note\n")
    write(tmp_path, "apps/two.yaml", two)
    docs, _ = appdocs.application_docs(tmp_path)
    assert [d.name for d in docs] == ["one", "two"]
    lines = two.splitlines()
    for doc in docs:
        line, _ = appdocs.locate(doc, "spec", "destination", "namespace")
        assert lines[line - 1] == f"    namespace: {doc.name}"


@pytest.mark.parametrize(("text", "count", "spans"), [
    ("a: 1\n", 1, [(0, 1)]),
    ("# c\n---\na: 1\n---\n# only a comment\n---\nb: 2\n", 2, [(2, 3), (6, 7)]),
    ("--- {a: 1}\n--- |\n  text\n...\n", 2, [(0, 1), (1, 3)]),
    ("a: 1\n---\nb: 2\n", 1, [(0, None)]),  # the loader saw one: the whole file
    ("a: 1\n---\nb: 2\n", 3, [(0, 0)] * 3),  # disagreement: the first line, never another document
])
def test_document_lines(text: str, count: int, spans):
    assert appdocs.document_lines(text, count) == spans
