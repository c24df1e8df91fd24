"""`gitops-cmp parity` end to end, on real git repositories with a base commit and a branch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonpatch
import pytest

from cmp.parity.markdown import GITHUB_COMMENT_LIMIT

CLUSTER = ["--kube-version", "1.30.2", "--api-versions", "monitoring.coreos.com/v1,monitoring.coreos.com/v1/ServiceMonitor"]


def application(name: str, path: str, env: str, shape: str = "plugin") -> str:
    source = (f"    plugin:\n      name: gitops-helm-v1\n      env:\n        - name: ENVIRONMENT\n          value: {env}\n"
              if shape == "plugin" else f"    helm:\n      valueFiles:\n        - values/{env}.yaml\n")
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/org/gitops-repo
    path: {path}
{source}  destination:
    server: https://kubernetes.default.svc
    namespace: {name}
  syncPolicy:
    automated: {{prune: true, selfHeal: true}}
    retry: {{limit: 5, backoff: {{duration: 5s, maxDuration: 3m}}}}
"""


def chart(repo: Path, name: str, templates: dict[str, str], values: dict[str, str]) -> None:
    root = repo / "charts" / name
    (root / "templates").mkdir(parents=True)
    (root / "values").mkdir()
    (root / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    for file, text in templates.items():
        (root / "templates" / file).write_text(text)
    for env, text in values.items():
        (root / "values" / f"{env}.yaml").write_text(text)


API_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: "ghcr.io/org/api:{{ .Values.tag }}"
"""


def branch_with_every_status(repo: Path, git) -> None:
    """webapp-prod changed, webapp-dev unchanged, monitoring-prod removed, api-dev added,
    broken-prod failed (Helm `fail`); committed on a branch `change`."""
    top = repo.parent
    git(top, "checkout", "-q", "-b", "change")
    values = repo / "charts" / "webapp" / "values" / "prod.yaml"
    values.write_text(values.read_text().replace("maxReplicas: 10", "maxReplicas: 12"))
    (repo / "apps" / "monitoring" / "prod.yaml").unlink()
    chart(repo, "api", {"deployment.yaml": API_DEPLOYMENT}, {"dev": "replicas: 1\ntag: latest\n"})
    (repo / "apps" / "api").mkdir()
    (repo / "apps" / "api" / "dev.yaml").write_text(application("api-dev", "charts/api", "dev"))
    chart(repo, "broken", {"cm.yaml": '{{ fail "broken on purpose" }}\n'}, {"prod": "{}\n"})
    (repo / "apps" / "broken.yaml").write_text(application("broken-prod", "charts/broken", "prod"))
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "change")


def parity_json(cli, *argv: str):
    result = cli("parity", "--format", "json", *argv)
    return result, json.loads(result.out)


def test_every_status_against_the_base_branch(git_repo: Path, git, cli):
    branch_with_every_status(git_repo, git)
    result, report = parity_json(cli, "--repo", str(git_repo), "--base", "main", *CLUSTER)

    assert result.code == 3, result.err  # a render failure, reported after every app
    statuses = {a["name"]: a["status"] for a in report["apps"]}
    assert statuses == {"api-dev": "added", "broken-prod": "failed", "monitoring-prod": "removed",
                        "webapp-dev": "unchanged", "webapp-prod": "changed"}
    assert [s["name"] for s in report["skipped"]] == ["app-of-apps"]
    apps = {a["name"]: a for a in report["apps"]}
    assert "+  maxReplicas: 12" in apps["webapp-prod"]["changes"][0].pop("diff")
    assert apps["webapp-prod"]["changes"] == [{
        "resource": "autoscaling/v2/HorizontalPodAutoscaler webapp-prod",
        "change": "modified",
        "patch": [{"op": "replace", "path": "/spec/maxReplicas", "value": 12}],
    }]
    assert apps["webapp-dev"]["changes"] == []
    assert apps["broken-prod"]["failure"] == "render"
    assert "broken on purpose" in apps["broken-prod"]["reason"]
    assert [c["change"] for c in apps["monitoring-prod"]["changes"]] == ["removed", "removed"]
    assert {"op": "remove", "path": "/kind"} in apps["monitoring-prod"]["changes"][0]["patch"]
    added = apps["api-dev"]["changes"][0]
    assert added["resource"] == "apps/v1/Deployment api-dev"
    assert jsonpatch.apply_patch({}, added["patch"])["spec"]["replicas"] == 1
    assert set(apps["webapp-prod"]["timings_ms"]) == {"head", "base", "diff"}
    assert set(report["timings_ms"]) == {"base_tree", "discover", "unchanged_inputs", "render"}
    assert report["base"] == git(git_repo.parent, "rev-parse", "main").strip()
    assert report["exit_code"] == 3


def test_base_is_read_from_git_without_touching_the_working_tree(git_repo: Path, git, cli):
    branch_with_every_status(git_repo, git)
    (git_repo / "apps" / "webapp" / "dev.yaml").write_text(  # uncommitted: head is the working tree
        application("webapp-dev", "charts/webapp", "prod").replace("namespace: webapp-dev", "namespace: other"))
    before = (git(git_repo.parent, "status", "--porcelain"), git(git_repo.parent, "rev-parse", "HEAD"),
              git(git_repo.parent, "stash", "list"), git(git_repo.parent, "worktree", "list"))

    _, report = parity_json(cli, "--repo", str(git_repo), "--base", "main", *CLUSTER)

    assert {a["name"]: a["status"] for a in report["apps"]}["webapp-dev"] == "changed"
    after = (git(git_repo.parent, "status", "--porcelain"), git(git_repo.parent, "rev-parse", "HEAD"),
             git(git_repo.parent, "stash", "list"), git(git_repo.parent, "worktree", "list"))
    assert after == before


def test_policy_violation_fails_with_exit_1_and_still_reports_every_app(git_repo: Path, git, cli):
    values = git_repo / "charts" / "webapp" / "values" / "prod.yaml"
    values.write_text(values.read_text().replace('tag: "1.4.2"', 'tag: "latest"'))
    result, report = parity_json(cli, "--repo", str(git_repo), "--base", "main", *CLUSTER)

    assert result.code == 1
    apps = {a["name"]: a for a in report["apps"]}
    assert apps["webapp-prod"]["status"] == "failed"
    assert apps["webapp-prod"]["failure"] == "policy"
    assert [f["rule"] for f in apps["webapp-prod"]["findings"]] == ["pinned-images"]
    assert apps["webapp-prod"]["changes"] == []  # a render that failed policy shows no rendered value
    assert {a["name"]: a["status"] for a in report["apps"]}["webapp-dev"] == "unchanged"


# Credential-shaped values under keys whose names say nothing: only the secret scan's detectors see them.
DB_PASSWORD = "Sup3rS3cretPw9x"
GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
LEAKY_CONFIGMAP = f"""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{{{ .Release.Name }}}}-leak
data:
  DATABASE_URL: postgres://app:{DB_PASSWORD}@db:5432/app
  description: {GITHUB_TOKEN}
  region: eu-west-1
"""


def assert_no_secret(result) -> None:
    for secret in (DB_PASSWORD, GITHUB_TOKEN):
        assert secret not in result.out and secret not in result.err


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_an_app_that_fails_policy_shows_no_diff_and_no_value(git_repo: Path, cli, fmt):
    (git_repo / "charts" / "webapp" / "templates" / "leak.yaml").write_text(LEAKY_CONFIGMAP)
    result = cli("parity", "--repo", str(git_repo), "--base", "HEAD", "--format", fmt, *CLUSTER)

    assert result.code == 1, result.err
    assert_no_secret(result)
    assert "```diff" not in result.out and "\n    +" not in result.out  # no diff at all
    assert "secret-value" in result.out  # the findings say what failed, without the values


def test_a_failed_app_in_json_has_status_reason_and_findings_only(git_repo: Path, cli):
    (git_repo / "charts" / "webapp" / "templates" / "leak.yaml").write_text(LEAKY_CONFIGMAP)
    _, report = parity_json(cli, "--repo", str(git_repo), "--base", "HEAD", *CLUSTER)
    for name in ("webapp-dev", "webapp-prod"):
        app = next(a for a in report["apps"] if a["name"] == name)
        assert (app["status"], app["failure"], app["changes"]) == ("failed", "policy", [])
        assert {f["rule"] for f in app["findings"]} == {"secret-value"}


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_a_base_that_failed_policy_shows_no_diff(git_repo: Path, git, cli, fmt):
    leak = git_repo / "charts" / "webapp" / "templates" / "leak.yaml"
    leak.write_text(LEAKY_CONFIGMAP)
    git(git_repo.parent, "add", "-A")
    git(git_repo.parent, "commit", "-q", "-m", "a secret slipped in")
    leak.unlink()  # head removes it: a diff would print the base's values as removed lines

    result = cli("parity", "--repo", str(git_repo), "--base", "HEAD", "--format", fmt, *CLUSTER)

    assert result.code == 0, result.err
    assert_no_secret(result)
    if fmt == "json":
        apps = {a["name"]: a for a in json.loads(result.out)["apps"]}
        assert apps["webapp-prod"]["status"] == "changed" and apps["webapp-prod"]["changes"] == []
        assert (apps["webapp-prod"]["base_failure"], apps["webapp-prod"]["base_reason"]) == (
            "policy", "2 policy violation(s)")
        assert apps["monitoring-prod"]["status"] == "unchanged"
    else:
        assert "base failed policy" in result.out


def test_broken_application_fails_with_exit_2(git_repo: Path, cli):
    app = git_repo / "apps" / "webapp" / "prod.yaml"
    app.write_text(app.read_text().replace("value: prod", "value: staging"))
    result, report = parity_json(cli, "--repo", str(git_repo), "--base", "main")
    assert result.code == 2
    failed = [a for a in report["apps"] if a["status"] == "failed"]
    assert [(a["name"], a["failure"]) for a in failed] == [("webapp-prod", "input")]
    assert "staging" in failed[0]["reason"]


INGRESS_APP = application("ingress-nginx", "charts/ingress-nginx", "prod", shape="helm").replace(
    "https://github.com/org/gitops-repo", "https://github.com/kubernetes/ingress-nginx")


@pytest.mark.parametrize("broken", ["metadata: [1]\n", "metadata: {name: odd-prod}\nspec: [1]\n"])
def test_a_broken_application_fails_alone_and_every_app_is_reported(example_repo: Path, cli, broken: str):
    (example_repo / "apps" / "odd.yaml").write_text("apiVersion: argoproj.io/v1alpha1\nkind: Application\n" + broken)
    (example_repo / "apps" / "ingress.yaml").write_text(INGRESS_APP)
    result, report = parity_json(cli, "--repo", str(example_repo), *CLUSTER)

    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    statuses = {a["name"]: (a["status"], a.get("failure")) for a in report["apps"]}
    assert [s for s in statuses.values() if s[0] == "failed"] == [("failed", "input")]
    assert {n: s for n, s in statuses.items() if s[0] != "failed"} == {
        "monitoring-prod": ("added", None), "webapp-dev": ("added", None), "webapp-prod": ("added", None)}
    skipped = {s["name"]: s["reason"] for s in report["skipped"]}
    assert skipped["ingress-nginx"] == "source is another repository (https://github.com/kubernetes/ingress-nginx)"


def test_without_base_every_app_is_added(example_repo: Path, cli):
    result, report = parity_json(cli, "--repo", str(example_repo), *CLUSTER)
    assert result.code == 0, result.err
    assert {a["status"] for a in report["apps"]} == {"added"}
    assert report["base"] is None


def test_out_is_identical_across_runs_and_equal_to_generate(git_repo: Path, git, cli, argocd_env, monkeypatch, tmp_path):
    branch_with_every_status(git_repo, git)
    first, second = tmp_path / "out1", tmp_path / "out2"
    assert cli("parity", "--repo", str(git_repo), "--base", "main", "--out", str(first), *CLUSTER).code == 3
    assert cli("parity", "--repo", str(git_repo), "--out", str(second), *CLUSTER).code == 3

    files = sorted(p.name for p in first.iterdir())
    assert files == ["api-dev.yaml", "webapp-dev.yaml", "webapp-prod.yaml"]  # failed and removed: no file
    assert files == sorted(p.name for p in second.iterdir())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes()

    for name, path, env in [("webapp-prod", "charts/webapp", "prod"), ("webapp-dev", "charts/webapp", "dev"),
                            ("api-dev", "charts/api", "dev")]:
        argocd_env(ARGOCD_APP_NAME=name, ARGOCD_APP_NAMESPACE=name, ARGOCD_ENV_ENVIRONMENT=env,
                   ARGOCD_APP_PARAMETERS="null", ARGOCD_APP_SOURCE_PATH=path, KUBE_VERSION=CLUSTER[1],
                   KUBE_API_VERSIONS=CLUSTER[3])
        monkeypatch.chdir(git_repo / path)
        generated = cli("generate")
        assert generated.code == 0, generated.err
        assert (first / f"{name}.yaml").read_bytes() == generated.out.encode()


def test_out_of_the_native_helm_shape_equals_generate(example_repo: Path, cli, argocd_env, monkeypatch, tmp_path):
    assert cli("parity", "--repo", str(example_repo), "--out", str(tmp_path / "out"), *CLUSTER).code == 0
    argocd_env(ARGOCD_APP_NAME="monitoring-prod", ARGOCD_APP_NAMESPACE="monitoring-prod", ARGOCD_ENV_ENVIRONMENT="prod",
               ARGOCD_APP_PARAMETERS="null", KUBE_VERSION=CLUSTER[1], KUBE_API_VERSIONS=CLUSTER[3])
    monkeypatch.chdir(example_repo / "charts" / "monitoring")
    generated = cli("generate")
    assert "\"kind\": \"ServiceMonitor\"" in generated.out
    assert (tmp_path / "out" / "monitoring-prod.yaml").read_text() == generated.out


def test_out_never_touches_a_file_outside_dir(example_repo: Path, cli, tmp_path):
    (example_repo / "apps" / "evil.yaml").write_text(application("../victim", "charts/webapp", "dev"))
    victim = tmp_path / "victim.yaml"
    victim.write_text("keep me\n")
    result = cli("parity", "--repo", str(example_repo), "--out", str(tmp_path / "out"), "--format", "json")
    assert result.code == 2
    assert victim.read_text() == "keep me\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "monitoring-prod.yaml", "webapp-dev.yaml", "webapp-prod.yaml"]


def many_apps(repo: Path, count: int) -> list[str]:
    names = []
    for i in range(count):
        name = f"svc{i:02d}-dev"
        (repo / "apps" / "many").mkdir(exist_ok=True)
        (repo / "apps" / "many" / f"svc{i:02d}.yaml").write_text(application(name, "charts/webapp", "dev"))
        names.append(name)
    return names


@pytest.mark.parametrize("total", [1, 3, 4])
def test_shards_cover_every_app_exactly_once(example_repo: Path, cli, total):
    many_apps(example_repo, 7)
    _, full = parity_json(cli, "--repo", str(example_repo), "--jobs", "1")
    everything = sorted(a["name"] for a in full["apps"]) + sorted(s["name"] for s in full["skipped"])
    seen: list[str] = []
    for index in range(1, total + 1):
        result, part = parity_json(cli, "--repo", str(example_repo), "--shard", f"{index}/{total}", "--jobs", "1")
        assert result.code == 0 and part["shard"] == f"{index}/{total}"
        seen += [a["name"] for a in part["apps"]] + [s["name"] for s in part["skipped"]]
        again = parity_json(cli, "--repo", str(example_repo), "--shard", f"{index}/{total}", "--jobs", "1")[1]
        assert [a["name"] for a in again["apps"]] == [a["name"] for a in part["apps"]]  # deterministic
    assert sorted(seen) == sorted(everything)
    assert len(seen) == len(set(seen))


def test_shard_covers_removed_apps_too(git_repo: Path, git, cli):
    branch_with_every_status(git_repo, git)
    names = []
    for index in (1, 2):
        names += [a["name"] for a in parity_json(cli, "--repo", str(git_repo), "--base", "main",
                                                  "--shard", f"{index}/2")[1]["apps"]]
    assert sorted(names) == ["api-dev", "broken-prod", "monitoring-prod", "webapp-dev", "webapp-prod"]


def without_timings(report):
    """A parity JSON report without its timings, which differ from run to run."""
    for app in report["apps"]:
        app.pop("timings_ms")
    report.pop("seconds")
    report.pop("timings_ms")
    return report


def workers(result) -> int:
    """How many worker processes a parity run used (its log line says)."""
    return next(json.loads(ln)["workers"] for ln in result.err.splitlines() if '"event": "parity"' in ln)


def test_worker_processes_give_the_same_report_as_in_process(example_repo: Path, cli, monkeypatch):
    from cmp.parity import runner

    monkeypatch.setattr(runner, "MIN_RENDERS_PER_WORKER", 8)  # a pool for 20 renders, not 128
    many_apps(example_repo, 17)

    serial_run, serial = parity_json(cli, "--repo", str(example_repo), "--jobs", "1")
    pooled_run, pooled = parity_json(cli, "--repo", str(example_repo), "--jobs", "2")
    assert (workers(serial_run), workers(pooled_run)) == (1, 2)
    assert without_timings(pooled) == without_timings(serial)
    assert len(serial["apps"]) == 20


BIG_CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  {{- range $i := until 400 }}
  key{{ $i }}: {{ printf "%s-%d" $.Values.text $i | quote }}
  {{- end }}
"""


def test_markdown_stays_under_githubs_limit_without_cutting_a_diff(git_repo: Path, git, cli):
    chart(git_repo, "big", {"cm.yaml": BIG_CONFIGMAP}, {"dev": "text: before\n"})
    for i in range(12):
        (git_repo / "apps" / f"big{i}.yaml").write_text(application(f"big{i}-dev", "charts/big", "dev"))
    git(git_repo.parent, "add", "-A")
    git(git_repo.parent, "commit", "-q", "-m", "big apps")
    (git_repo / "charts" / "big" / "values" / "dev.yaml").write_text("text: after\n")

    result = cli("parity", "--repo", str(git_repo), "--base", "HEAD", "--format", "markdown")

    assert result.code == 0, result.err
    text = result.out
    assert len(text) < GITHUB_COMMENT_LIMIT
    assert text.index("| app | status |") < text.index("<details")  # the summary table comes first
    for i in range(12):
        assert f"<code>big{i}-dev</code> | ✏️ changed" in text  # every app is in the table
    assert "left out" in text or "diff not shown" in text
    assert text.count("<details") == text.count("</details>")
    blocks = text.split("```diff\n")[1:]
    assert blocks, "at least one diff fits"
    for block in blocks:  # every diff shown is whole: 400 keys removed and 400 added
        body = block.split("\n```", 1)[0]
        assert sum(1 for ln in body.splitlines() if ln.startswith("-  key")) == 400
        assert sum(1 for ln in body.splitlines() if ln.startswith("+  key")) == 400


SECRET_TEMPLATE = """\
apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-creds
stringData:
  password: {{ .Values.password | quote }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-env
data:
  api_token: {{ .Values.token | quote }}
  color: {{ .Values.color | quote }}
"""


@pytest.mark.parametrize("fmt", ["json", "text", "markdown"])
def test_secret_like_values_are_never_printed(git_repo: Path, git, cli, fmt):
    """Redaction is the second line of defence: here every secret is allowed by the repo's config, so
    the app passes policy and its diff is shown, with the values the secret scan finds masked."""
    config = git_repo / ".gitops-cmp.yaml"
    config.write_text(config.read_text().replace(
        "allow: []", "allow: [{path: '*', rule: secret-value, reason: test credentials}]"))
    chart(git_repo, "creds", {"secret.yaml": SECRET_TEMPLATE},
          {"dev": "password: hunter2-before\ntoken: tok-before-123\ncolor: blue\n"})
    (git_repo / "apps" / "creds.yaml").write_text(application("creds-dev", "charts/creds", "dev"))
    git(git_repo.parent, "add", "-A")
    git(git_repo.parent, "commit", "-q", "-m", "creds")
    (git_repo / "charts" / "creds" / "templates" / "leak.yaml").write_text(LEAKY_CONFIGMAP)  # an added resource
    (git_repo / "charts" / "creds" / "values" / "dev.yaml").write_text(
        "password: hunter2-after\ntoken: tok-after-456\ncolor: green\n")

    result = cli("parity", "--repo", str(git_repo), "--base", "HEAD", "--format", fmt)

    assert result.code == 0, result.err
    for secret in ("hunter2", "tok-before", "tok-after"):
        assert secret not in result.out and secret not in result.err
    assert_no_secret(result)  # found by the scan's detectors, not by the key's name
    assert "green" in result.out and "eu-west-1" in result.out  # ordinary values stay readable
    assert "<redacted: changed>" in result.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--base", "no-such-ref"], "--base 'no-such-ref': not a commit", id="unknown-ref"),
        pytest.param(["--base=--output=x"], "not a git ref", id="option-as-ref"),
        pytest.param(["--shard", "3/2"], "--shard '3/2': expected I/N", id="shard-out-of-range"),
        pytest.param(["--shard", "0/2"], "expected I/N with 1 <= I <= N", id="shard-zero"),
        pytest.param(["--jobs", "0"], "--jobs 0: expected a positive number", id="jobs"),
        pytest.param(["--kube-version", "banana"], "--kube-version: 'banana'", id="kube-version"),
    ],
)
def test_usage_errors_exit_2_with_nothing_on_stdout(git_repo: Path, cli, argv, message):
    result = cli("parity", "--repo", str(git_repo), *argv)
    assert result.code == 2
    assert result.out == ""
    assert message in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("out", ["/dev/null/x", "{file}", "{file}/sub"])
def test_an_out_that_cannot_be_a_directory_exits_2_before_rendering(example_repo: Path, cli, tmp_path, out):
    (tmp_path / "file").write_text("")
    result = cli("parity", "--repo", str(example_repo), "--out", out.format(file=tmp_path / "file"))
    assert result.code == 2 and result.out == "", result.err
    assert "--out" in result.err and "Traceback" not in result.err
    assert '"event": "parity"' not in result.err  # refused up front: no render ran


def test_not_a_git_repository(example_repo: Path, cli):
    result = cli("parity", "--repo", str(example_repo), "--base", "main")
    assert result.code == 2 and result.out == ""
    assert "--base 'main': not a commit in the git repository" in result.err


def test_no_apps_directory(tmp_path: Path, cli):
    result = cli("parity", "--repo", str(tmp_path))
    assert result.code == 2
    assert "no apps/ directory" in result.err


def test_text_report_shows_a_readable_diff(git_repo: Path, cli):
    values = git_repo / "charts" / "webapp" / "values" / "prod.yaml"
    values.write_text(values.read_text().replace("maxReplicas: 10", "maxReplicas: 12"))
    result = cli("parity", "--repo", str(git_repo), "--base", "main")
    assert result.code == 0
    assert "changed   webapp-prod" in result.out
    assert "    -  maxReplicas: 10\n    +  maxReplicas: 12\n" in result.out
    assert result.out.rstrip().splitlines()[-1].startswith("parity: 3 apps · 0 failed · 1 changed")


def test_progress_line_only_on_a_terminal(example_repo: Path):
    """Not a tty here (captured), so stderr carries the JSON log line and no carriage returns."""
    proc = subprocess.run([sys.executable, "-m", "cmp", "parity", "--repo", str(example_repo)], capture_output=True, text=True,
                          check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr
    assert json.loads(proc.stderr.strip().splitlines()[-1])["event"] == "parity"


def test_the_pool_started_before_the_base_tree_gives_the_in_process_report(git_repo: Path, git, cli, monkeypatch):
    """--render-all --base starts its pool before the base tree is read (runner.start_pool): the
    report is the one a single process gives, app for app, with base renders read from both trees."""
    from cmp.parity import runner

    monkeypatch.setattr(runner, "MIN_RENDERS_PER_WORKER", 8)
    many_apps(git_repo, 9)
    git(git_repo.parent, "add", ".")
    git(git_repo.parent, "commit", "-q", "-m", "many apps")
    branch_with_every_status(git_repo, git)

    argv = ("--repo", str(git_repo), "--base", "main", "--render-all", *CLUSTER)
    serial_run, serial = parity_json(cli, *argv, "--jobs", "1")
    pooled_run, pooled = parity_json(cli, *argv, "--jobs", "2")
    assert (workers(serial_run), workers(pooled_run)) == (1, 2)
    assert without_timings(pooled) == without_timings(serial)
    assert {a["status"] for a in serial["apps"]} >= {"changed", "unchanged", "removed", "added", "failed"}
