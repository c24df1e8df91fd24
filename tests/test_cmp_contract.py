"""plugin.yaml run exactly as argocd-cmp-server runs it.

The sidecar execs `command[0]` with `command[1:] + args` (no shell), cwd = the app dir inside a
fresh copy of the repo (files 0644, dirs 0755, .git excluded), env = the sidecar's env plus the
app's build env; init's stdout is discarded; generate's stdout (one trailing newline trimmed) is
split into YAML documents, empty/null documents skipped, and every document must have a kind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import EXAMPLE, ROOT

PLUGIN = yaml.safe_load((ROOT / "plugin.yaml").read_text())


def deliver_repo(dest: Path) -> Path:
    """Copy the example repo as Argo CD's tar stream lands it in the sidecar."""
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns(".git"))
    for dirpath, dirnames, filenames in os.walk(dest):
        for d in dirnames:
            os.chmod(Path(dirpath) / d, 0o755)
        for f in filenames:
            os.chmod(Path(dirpath) / f, 0o644)
    return dest


def argv(step: str) -> list[str]:
    spec = PLUGIN["spec"][step]
    command = list(spec["command"]) + list(spec.get("args") or [])
    # The image puts gitops-cmp on PATH; here we exec the console script of this interpreter's env.
    exe = Path(sys.executable).parent / command[0]
    return [str(exe) if exe.exists() else shutil.which(command[0]) or command[0], *command[1:]]


def build_env(app_name: str, env_name: str, source_path: str, params: str = "null") -> dict[str, str]:
    sidecar = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOCD_", "KUBE_"))}
    return {
        **sidecar,
        "ARGOCD_APP_NAME": app_name,
        "ARGOCD_APP_NAMESPACE": "webapp-" + env_name,
        "ARGOCD_APP_PROJECT_NAME": "default",
        "ARGOCD_APP_REVISION": "0123456789abcdef0123456789abcdef01234567",
        "ARGOCD_APP_SOURCE_PATH": source_path,
        "ARGOCD_APP_SOURCE_REPO_URL": "https://github.com/org/gitops-repo",
        "ARGOCD_APP_SOURCE_TARGET_REVISION": "main",
        "ARGOCD_APP_PARAMETERS": params,
        "ARGOCD_ENV_ENVIRONMENT": env_name,
        "KUBE_VERSION": "1.30.2",
        "KUBE_API_VERSIONS": "apps/v1,apps/v1/Deployment,autoscaling/v2,autoscaling/v2/HorizontalPodAutoscaler,v1,v1/Service",
    }


def argocd_parse(stdout: str) -> list[dict]:
    """kube.SplitYAMLToString + the Kind check: what the repo-server does with our stdout."""
    docs = [d for d in yaml.safe_load_all(stdout.removesuffix("\n")) if d is not None]
    for doc in docs:
        assert isinstance(doc, dict) and doc.get("kind"), f"Object 'Kind' is missing in {doc!r}"
    return docs


def run_step(step: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv(step), cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_plugin_yaml_is_what_argocd_requires():
    assert PLUGIN["kind"] == "ConfigManagementPlugin"
    assert PLUGIN["metadata"]["name"] == "gitops-helm"
    assert PLUGIN["spec"]["version"] == "v1"
    assert "discover" not in PLUGIN["spec"]
    assert PLUGIN["spec"]["generate"]["command"]
    static = PLUGIN["spec"]["parameters"]["static"]
    assert [p["name"] for p in static] == ["valueFiles"]
    assert static[0]["collectionType"] == "array"


@pytest.mark.parametrize("app_name", ["webapp-prod", "argocd-apps_webapp-prod"])
def test_init_and_generate_as_the_sidecar_runs_them(tmp_path: Path, app_name: str):
    repo = deliver_repo(tmp_path / "_cmp_server" / "a1b2c3")
    app_dir = repo / "charts" / "webapp"
    env = build_env(app_name, "prod", "charts/webapp")

    init = run_step("init", app_dir, env)
    assert init.returncode == 0, init.stderr
    generate = run_step("generate", app_dir, env)

    assert generate.returncode == 0, generate.stderr
    objects = argocd_parse(generate.stdout)
    assert [o["kind"] for o in objects] == ["Service", "Deployment", "HorizontalPodAutoscaler", "ExternalSecret"]
    assert {o["metadata"]["name"] for o in objects if o["kind"] != "ExternalSecret"} == {"webapp-prod"}
    assert '"event": "render"' in generate.stderr


def test_value_files_parameter_applies_after_the_env_file(tmp_path: Path):
    repo = deliver_repo(tmp_path / "repo")
    app_dir = repo / "charts" / "webapp"
    (app_dir / "values" / "canary.yaml").write_text("replicaCount: 7\nautoscaling: {enabled: false}\n")
    params = '[{"name": "valueFiles", "array": ["values/canary.yaml"]}]'
    generate = run_step("generate", app_dir, build_env("webapp-prod", "prod", "charts/webapp", params))
    assert generate.returncode == 0, generate.stderr
    deployment = next(o for o in argocd_parse(generate.stdout) if o["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == 7


def test_generate_fails_closed_on_a_broken_values_file(tmp_path: Path):
    repo = deliver_repo(tmp_path / "repo")
    app_dir = repo / "charts" / "webapp"
    (app_dir / "values" / "prod.yaml").write_text("replicaCount: [3\n")
    generate = run_step("generate", app_dir, build_env("webapp-prod", "prod", "charts/webapp"))
    assert generate.returncode == 2
    assert generate.stdout == ""
    assert "charts/webapp/values/prod.yaml:2:1:" in generate.stderr
    assert "Traceback" not in generate.stderr
