"""Issue 12 / 13 (parity as the gate): parity renders every Application Argo CD would render through the
plugin from this repository. A pull request must not get an app past parity by spelling it so that
parity skips it while Argo CD renders it from the same repository through the sidecar: another
spelling of the repository's URL (scp-like ssh, ssh://, a user, a port), or the app's chart in
spec.sources (Argo CD renders spec.sources and ignores a spec.source beside it).
"""

from __future__ import annotations

import json

import pytest

from cmp.application import AppSource, Skipped, parse
from cmp.config import normalize_repo_url
from cmp.errors import InputError

HERE = "https://github.com/org/gitops-repo"
EVIL = {"repoURL": HERE, "path": "charts/evil",
        "plugin": {"name": "gitops-helm-v1", "env": [{"name": "ENVIRONMENT", "value": "prod"}]}}
BENIGN = {**EVIL, "path": "charts/web"}
URLS = frozenset({normalize_repo_url(HERE)})


def app(**spec: object) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "evil"},
            "spec": {"destination": {"namespace": "evil"}, **spec}}


@pytest.mark.parametrize("url", ["git@github.com:org/gitops-repo.git", "ssh://git@github.com/org/gitops-repo",
                                 "ssh://git@github.com:22/org/gitops-repo/", "https://bot@github.com/org/gitops-repo",
                                 "HTTPS://GitHub.com/Org/Gitops-Repo.git/", "git://github.com/org/gitops-repo"])
def test_another_spelling_of_this_repos_url_is_not_skipped_as_another_repo(url: str) -> None:
    parsed = parse(app(source={**EVIL, "repoURL": url}), "apps/evil.yaml", URLS)
    assert isinstance(parsed, AppSource) and parsed.path == "charts/evil"


def test_another_repository_is_still_another_repository() -> None:
    for url in ("git@github.com:org/other.git", "https://gitlab.com/org/gitops-repo"):
        assert isinstance(parse(app(source={**EVIL, "repoURL": url}), "a.yaml", URLS), Skipped)


@pytest.mark.parametrize("spec", [{"sources": [EVIL]}, {"source": BENIGN, "sources": [EVIL]},
                                  {"sources": [{"repoURL": "https://charts.example", "chart": "x"},
                                               {**EVIL, "repoURL": "git@github.com:org/gitops-repo"}]}],
                         ids=["sources", "source-beside-sources", "second-source-in-another-spelling"])
def test_a_plugin_source_of_this_repo_in_spec_sources_fails_instead_of_being_skipped(spec: dict) -> None:
    with pytest.raises(InputError, match="spec.sources"):
        parse(app(**spec), "apps/evil.yaml", URLS)


def test_parity_fails_on_an_app_it_would_have_skipped(hostile_repo, cli) -> None:
    """End to end on a real git repo: base without the app, head adds it in both disguises."""
    hostile_repo.chart("web")
    hostile_repo.app("web", "web", "prod")
    root = json.loads(hostile_repo.path("apps/web.yaml").read_text())
    root["spec"]["source"].update(repoURL=HERE, path="apps")
    del root["spec"]["source"]["plugin"]
    hostile_repo.write("apps/root.yaml", json.dumps(root))  # the app-of-apps names this repo's URL
    base = hostile_repo.commit("base")
    hostile_repo.chart("evil", templates={"cm.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: e}\ndata:\n'
                                          '  {{- if eq .Values.env "prod" }}\n  x: "1"\n  {{- end }}\n'},
                       chart_values="env: prod\n")
    hostile_repo.write("apps/ssh.yaml", json.dumps(app(source={**EVIL, "repoURL": "git@github.com:org/gitops-repo.git"})
                                                   | {"metadata": {"name": "ssh"}}))
    hostile_repo.write("apps/multi.yaml", json.dumps(app(source=BENIGN, sources=[EVIL]) | {"metadata": {"name": "multi"}}))
    hostile_repo.commit("head")
    result = cli("parity", "--repo", str(hostile_repo.root), "--base", base, "--format", "json")
    assert result.code != 0, result.out
    apps = {a["name"]: a["status"] for a in json.loads(result.out)["apps"]}
    assert apps["ssh"] == "failed" and apps["multi"] == "failed", apps


def _root_turned_decoy(hostile_repo) -> str:
    """An app-of-apps root for this repository at the base commit (returned), which the head points
    at another repository: as if this repository's apps were someone else's."""
    root = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "root"},
            "spec": {"source": {"repoURL": HERE, "path": "apps"}, "destination": {"namespace": "argocd"}}}
    hostile_repo.write("apps/root.yaml", json.dumps(root))
    base = hostile_repo.commit("base")
    root["spec"]["source"]["repoURL"] = "https://github.com/org/decoy"
    hostile_repo.write("apps/root.yaml", json.dumps(root))
    return base


def test_a_pr_that_renames_the_root_apps_url_cannot_make_every_app_another_repos(hostile_repo, cli, planted) -> None:
    """Without repoURLs in the config, this repository's URL is read off the app-of-apps root. A pull
    request that points its root at a decoy must not turn every app into "another repository"
    (skipped, exit 0) while it plants a password in a chart: the base's roots name this repo."""
    secret = planted()
    hostile_repo.chart("web")
    hostile_repo.app("web", "web", "prod")
    web = json.loads(hostile_repo.path("apps/web.yaml").read_text())
    web["spec"]["source"]["repoURL"] = HERE
    hostile_repo.write("apps/web.yaml", json.dumps(web))
    base = _root_turned_decoy(hostile_repo)
    hostile_repo.write("charts/web/templates/leak.yaml",
                       f'apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: leak}}\ndata: {{DB_PASSWORD: "{secret}"}}\n')
    hostile_repo.commit("head")
    result = cli("parity", "--repo", str(hostile_repo.root), "--base", base, "--format", "json")
    assert result.code == 1, result.out + result.err
    apps = {a["name"]: a["status"] for a in json.loads(result.out)["apps"]}
    assert apps.get("web") == "failed", apps


def test_a_decoy_root_cannot_skip_an_applicationsets_git_generator_either(hostile_repo, cli) -> None:
    hostile_repo.chart("web", templates={"cm.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: e}\ndata:\n'
                                         '  {{- if eq .Values.env "prod" }}\n  x: "1"\n  {{- end }}\n'})
    base = _root_turned_decoy(hostile_repo)
    appset = {"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "metadata": {"name": "charts"},
              "spec": {"generators": [{"git": {"repoURL": HERE, "revision": "main", "directories": [{"path": "charts/*"}]}}],
                       "template": {"metadata": {"name": "{{path.basename}}"},
                                    "spec": {"source": {**EVIL, "path": "{{path}}"},
                                             "destination": {"namespace": "{{path.basename}}"}}}}}
    hostile_repo.write("apps/set.yaml", json.dumps(appset))
    hostile_repo.commit("head")
    result = cli("parity", "--repo", str(hostile_repo.root), "--base", base, "--format", "json")
    assert result.code != 0, result.out + result.err
    assert any(a["status"] == "failed" for a in json.loads(result.out)["apps"]), result.out
