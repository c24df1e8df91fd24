"""The sidecar image (Dockerfile) built and run as argocd-repo-server runs it: uid 999, read-only root,
tmpfs /tmp, no network, the repo copied in as argocd-cmp-server unpacks it, the Argo CD build env."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from support import EXAMPLE, ROOT

pytestmark = pytest.mark.container

KUBE_VERSION = "1.30.2"
# As Argo CD sends them: sorted, every group/version and every group/version/Kind of the cluster.
KUBE_API_VERSIONS = ",".join(sorted([
    "v1", "v1/ConfigMap", "v1/Service", "apps/v1", "apps/v1/Deployment",
    "autoscaling/v2", "autoscaling/v2/HorizontalPodAutoscaler",
    "external-secrets.io/v1beta1", "external-secrets.io/v1beta1/ExternalSecret",
    "monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor",
]))
CLUSTER_FLAGS = ("--kube-version", KUBE_VERSION, "--api-versions", KUBE_API_VERSIONS)
COMPILERS = ("cc", "c++", "gcc", "g++", "cpp", "clang", "clang++", "tcc", "rustc", "go", "as", "ld")

# Printed by `python3 -c` inside the image, as the image's own user.
FACTS = """
import importlib.util, json, os, shutil, sys
compilers = sys.argv[1].split(",")
dirs = os.environ["PATH"].split(os.pathsep)
pip_caches = []
for root, subdirs, _ in os.walk("/"):
    if root == "/":
        subdirs[:] = [d for d in subdirs if d not in ("proc", "sys", "dev")]
    if root.endswith((".cache/pip", "pip/http")):
        pip_caches.append(root)
print(json.dumps({
    "uid": os.getuid(), "gid": os.getgid(),
    "compilers": [c for c in compilers if shutil.which(c)]
                 + [f for d in dirs if os.path.isdir(d) for f in os.listdir(d) if "gcc" in f or "clang" in f],
    "installers": [m for m in ("pip", "setuptools") if importlib.util.find_spec(m)],
    "pip_caches": pip_caches,
    "plugin_yaml": open("/home/argocd/cmp-server/config/plugin.yaml").read(),
    "gitops_cmp": shutil.which("gitops-cmp"),
}))
"""


def build_env(app: str, namespace: str, path: str, environment: str) -> dict[str, str]:
    """The build env argocd-cmp-server gives generate for a plugin source with env ENVIRONMENT."""
    return {
        "ARGOCD_APP_NAME": app,
        "ARGOCD_APP_NAMESPACE": namespace,
        "ARGOCD_APP_PROJECT_NAME": "default",
        "ARGOCD_APP_REVISION": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        "ARGOCD_APP_REVISION_SHORT": "4b825dc",
        "ARGOCD_APP_SOURCE_REPO_URL": "https://github.com/org/gitops-repo",
        "ARGOCD_APP_SOURCE_PATH": path,
        "ARGOCD_APP_SOURCE_TARGET_REVISION": "main",
        "ARGOCD_APP_PARAMETERS": "null",
        "ARGOCD_ENV_ENVIRONMENT": environment,
        "KUBE_VERSION": KUBE_VERSION,
        "KUBE_API_VERSIONS": KUBE_API_VERSIONS,
    }


def env_for_application(manifest: str) -> dict[str, str]:
    app = yaml.safe_load((EXAMPLE / manifest).read_text())
    source = app["spec"]["source"]
    plugin_env = {e["name"]: e["value"] for e in source["plugin"]["env"]}
    return build_env(app["metadata"]["name"], app["spec"]["destination"]["namespace"], source["path"],
                     plugin_env["ENVIRONMENT"])


@pytest.fixture(scope="module")
def facts(sidecar: Any) -> dict[str, Any]:
    run = sidecar("-c", FACTS, ",".join(COMPILERS), entrypoint=("python3",), user=None)
    assert run.code == 0, run.err
    return json.loads(run.out)


def test_generate_is_byte_identical_to_host_render_app(sidecar, argocd_copy, cli):
    host = cli("render", "--app", str(EXAMPLE / "apps" / "webapp" / "prod.yaml"), *CLUSTER_FLAGS)
    assert host.code == 0, host.err

    run = sidecar("generate", env=env_for_application("apps/webapp/prod.yaml"), repo=argocd_copy(EXAMPLE),
                  app_path="charts/webapp")

    assert run.code == 0, run.err
    assert run.out == host.out.encode()


def test_kube_api_versions_reach_helm_in_the_sidecar(sidecar, argocd_copy, cli):
    host = cli("render", str(EXAMPLE / "charts" / "monitoring"), "--env", "prod", "--release", "monitoring-prod",
               "--namespace", "monitoring-prod", *CLUSTER_FLAGS)
    assert host.code == 0, host.err

    run = sidecar("generate", env=build_env("monitoring-prod", "monitoring-prod", "charts/monitoring", "prod"),
                  repo=argocd_copy(EXAMPLE), app_path="charts/monitoring")

    assert run.code == 0, run.err
    assert run.out == host.out.encode()
    assert b"\"kind\": \"ServiceMonitor\"" in run.out


def test_broken_values_file_fails_closed_in_the_sidecar(sidecar, argocd_copy):
    repo = argocd_copy(EXAMPLE)
    values = repo / "charts" / "webapp" / "values" / "prod.yaml"
    values.write_text(values.read_text() + "resources: {limits: [\n")

    run = sidecar("generate", env=env_for_application("apps/webapp/prod.yaml"), repo=repo,
                  app_path="charts/webapp")

    assert run.code == 2, run.err
    assert run.out == b""
    assert "values/prod.yaml" in run.err
    assert "Traceback" not in run.err


def test_init_succeeds_on_the_read_only_root(sidecar, argocd_copy):
    run = sidecar("init", env=env_for_application("apps/webapp/prod.yaml"), repo=argocd_copy(EXAMPLE),
                  app_path="charts/webapp")

    assert run.code == 0, run.err
    assert run.out == b""


def test_the_plugins_commands_start_without_site_or_re(sidecar, argocd_copy):
    """Two processes start per sync (init, generate): the image's launcher leaves out the site
    module and the `re` that pip's console script imports, and still finds the package."""
    env = {**env_for_application("apps/webapp/prod.yaml"), "PYTHONPROFILEIMPORTTIME": "1", "GITOPS_CMP_WORKER": "off"}
    repo = argocd_copy(EXAMPLE)
    for step, left_out in (("init", {"site", "re"}), ("generate", {"site"})):  # generate renders here: it needs re
        run = sidecar(step, env=env, repo=repo, app_path="charts/webapp")
        assert run.code == 0, run.err
        imported = {line.rsplit("|", 1)[-1].strip() for line in run.err.splitlines() if line.startswith("import time:")}
        assert "cmp.client" in imported, run.err[-2000:]
        assert not imported & left_out, step
        assert step == "init" or b'"kind": "Deployment"' in run.out


def test_runs_as_uid_999(facts, sidecar_image):
    assert (facts["uid"], facts["gid"]) == (999, 999)
    assert sidecar_image.attrs["Config"]["User"] == "999:999"


def test_no_compiler_installer_or_pip_cache(facts):
    assert facts["compilers"] == []
    assert facts["installers"] == []
    assert facts["pip_caches"] == []


def test_plugin_yaml_is_baked_in_and_gitops_cmp_is_on_path(facts):
    assert facts["plugin_yaml"] == (ROOT / "plugin.yaml").read_text()
    assert facts["gitops_cmp"] == "/opt/venv/bin/gitops-cmp"


def test_entrypoint_and_writable_dirs_follow_argocd_conventions(sidecar_image):
    config = sidecar_image.attrs["Config"]
    env = dict(item.split("=", 1) for item in config["Env"])

    assert config["Entrypoint"] == ["/var/run/argocd/argocd-cmp-server"]
    for name in ("HOME", "TMPDIR", "HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        assert env[name].startswith("/tmp"), name


# ---- the platform config (deploy/ mounts it from a ConfigMap and sets the variable) ----------------

CONDITIONAL = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: by-env
data:
{{- if eq .Values.env "prod" }}
  replicas: "3"
{{- end }}
"""


def deployed_platform_env() -> tuple[str, str]:
    """(the variable's value, the mount path) as deploy/kustomize sets them for the sidecar."""
    pod = yaml.safe_load((ROOT / "deploy" / "kustomize" / "argocd-repo-server-sidecar.yaml").read_text())
    container = pod["spec"]["template"]["spec"]["containers"][0]
    value = next(e["value"] for e in container["env"] if e["name"] == "GITOPS_CMP_PLATFORM_CONFIG")
    mount = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == "gitops-cmp-platform")
    return value, mount


def test_the_image_honours_the_platform_config(sidecar, argocd_copy, tmp_path):
    """A repo that adds an env conditional and weakens its own config to let it in: rendered in the
    image with the platform config mounted as deploy/ mounts it, it is still blocked."""
    repo = argocd_copy(EXAMPLE)
    (repo / "charts" / "webapp" / "templates" / "by-env.yaml").write_text(CONDITIONAL)
    (repo / ".gitops-cmp.yaml").write_text(
        "envConditionalMode: warn\nallow: [{path: '*', rule: env-conditional, reason: 'trust me'}]\n")
    for path in (repo / "charts" / "webapp" / "templates" / "by-env.yaml", repo / ".gitops-cmp.yaml"):
        path.chmod(0o644)
    platform = tmp_path / "configmap"
    platform.mkdir()
    (platform / "platform.yaml").write_text(
        (EXAMPLE / "platform" / "argocd" / "gitops-cmp" / "platform.yaml").read_text())
    variable, mount = deployed_platform_env()
    env = env_for_application("apps/webapp/prod.yaml")

    weakened = sidecar("generate", env=env, repo=repo, app_path="charts/webapp")
    blocked = sidecar("generate", env=env | {"GITOPS_CMP_PLATFORM_CONFIG": variable}, repo=repo,
                      app_path="charts/webapp", mounts={platform: mount})

    assert weakened.code == 0, weakened.err  # the repo alone lets it through
    assert blocked.code == 1, blocked.err
    assert blocked.out == b""
    assert "env-conditional" in blocked.err and "by-env.yaml" in blocked.err


def test_a_missing_platform_config_fails_closed_in_the_image(sidecar, argocd_copy):
    variable, _ = deployed_platform_env()
    env = env_for_application("apps/webapp/prod.yaml") | {"GITOPS_CMP_PLATFORM_CONFIG": variable}

    run = sidecar("generate", env=env, repo=argocd_copy(EXAMPLE), app_path="charts/webapp")

    assert run.code == 2 and run.out == b""
    assert f"{variable}: file not found" in run.err


# Inside one sidecar container: the first generate renders itself and starts the worker
# (GITOPS_CMP_WORKER=spawn in the image); once the worker's children are ready, the next generate
# is served by one of them (the child that served it is replaced), with the same bytes.
WORKER_IN_SIDECAR = """
import json, os, subprocess, time
sock = "/tmp/gitops-cmp-999/worker.sock"

def serve_children():
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
                stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if b"serve" in cmd and stat[3] == pid:
                return pid, set(open(f"/proc/{pid}/task/{pid}/children").read().split())
    return None, set()

def ready(pid, children):
    return len(children) == 2 and all(b"libhelm" in open(f"/proc/{c}/maps", "rb").read() for c in children)

first = subprocess.run(["gitops-cmp", "generate"], capture_output=True)
deadline = time.monotonic() + 60
while time.monotonic() < deadline and not (os.path.exists(sock) and ready(*serve_children())):
    time.sleep(0.1)
time.sleep(0.5)
pid, before = serve_children()
second = subprocess.run(["gitops-cmp", "generate"], capture_output=True)
time.sleep(1)
print(json.dumps({"codes": [first.returncode, second.returncode], "same": first.stdout == second.stdout,
                  "out": len(first.stdout), "served": bool(pid) and serve_children()[1] != before,
                  "dir_mode": oct(os.stat(os.path.dirname(sock)).st_mode & 0o777),
                  "sock_mode": oct(os.stat(sock).st_mode & 0o777), "err": second.stderr.decode()[-300:]}))
"""


def test_the_worker_starts_in_the_sidecar_and_serves_the_next_generate(sidecar, argocd_copy):
    run = sidecar("-c", WORKER_IN_SIDECAR, env=env_for_application("apps/webapp/prod.yaml"),
                  repo=argocd_copy(EXAMPLE), app_path="charts/webapp", entrypoint=("python3",))
    assert run.code == 0, run.err
    facts = json.loads(run.out)
    assert facts["codes"] == [0, 0], facts["err"]
    assert facts["same"] and facts["out"] > 0
    assert facts["served"], facts
    assert (facts["dir_mode"], facts["sock_mode"]) == ("0o700", "0o600")
