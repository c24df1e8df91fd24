"""deploy/: the kustomize Component and the argo-cd chart values install the same sidecar, the one the
Dockerfile builds, and the example repo's platform/argocd uses them. No Docker engine needed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import EXAMPLE, ROOT

DEPLOY = ROOT / "deploy"
PLATFORM = EXAMPLE / "platform" / "argocd"
UPSTREAM = "https://raw.githubusercontent.com/argoproj/argo-cd/v3.5.1/manifests/install.yaml"

# The parts of Argo CD's install.yaml that the patches touch, as upstream ships them (no namespace).
UPSTREAM_STUB = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-cm}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-cmd-params-cm}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: argocd-repo-server}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: argocd-repo-server}}
  template:
    metadata: {labels: {app.kubernetes.io/name: argocd-repo-server}}
    spec:
      containers:
        - name: argocd-repo-server
          image: quay.io/argoproj/argocd:v3.5.1
          volumeMounts:
            - {name: plugins, mountPath: /home/argocd/cmp-server/plugins}
            - {name: tmp, mountPath: /tmp}
      initContainers:
        - name: copyutil
          image: quay.io/argoproj/argocd:v3.5.1
          command: [/bin/cp, -n, /usr/local/bin/argocd, /var/run/argocd/argocd-cmp-server]
          volumeMounts: [{name: var-files, mountPath: /var/run/argocd}]
      volumes:
        - {name: plugins, emptyDir: {}}
        - {name: var-files, emptyDir: {}}
        - {name: tmp, emptyDir: {}}
"""


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def kustomize_sidecar() -> dict[str, Any]:
    pod = load(DEPLOY / "kustomize" / "argocd-repo-server-sidecar.yaml")["spec"]["template"]["spec"]
    return {"container": pod["containers"][0], "volumes": pod["volumes"]}


def test_sidecar_runs_the_image_as_argocd_requires():
    container = kustomize_sidecar()["container"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}

    assert container["command"] == ["/var/run/argocd/argocd-cmp-server"]
    assert container["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["runAsUser"] == 999
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert mounts == {"var-files": "/var/run/argocd", "plugins": "/home/argocd/cmp-server/plugins",
                      "gitops-cmp-tmp": "/tmp", "gitops-cmp-platform": "/etc/gitops-cmp"}
    assert {"name": "gitops-cmp-tmp", "emptyDir": {}} in kustomize_sidecar()["volumes"]
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]


def test_helm_values_install_the_same_sidecar_and_settings():
    values = load(DEPLOY / "helm" / "values.yaml")
    sidecar = kustomize_sidecar()
    params = load(DEPLOY / "kustomize" / "argocd-cmd-params-cm.yaml")["data"]

    assert values["repoServer"]["extraContainers"] == [sidecar["container"]]
    assert values["repoServer"]["volumes"] == sidecar["volumes"]
    assert values["configs"]["params"] == params
    assert values["extraObjects"] == [load(DEPLOY / "kustomize" / "gitops-cmp-platform.yaml")]
    assert params["reposerver.plugin.tar.exclusions"] == ".git/*"


def test_the_sidecar_reads_the_platform_config_from_its_configmap():
    """GITOPS_CMP_PLATFORM_CONFIG names the file the gitops-cmp-platform ConfigMap mounts, and the
    default it ships is a valid, strict platform config."""
    from cmp import config
    from cmp.context import PLATFORM_CONFIG_ENV

    container = kustomize_sidecar()["container"]
    env = {e["name"]: e["value"] for e in container["env"]}
    mount = next(m for m in container["volumeMounts"] if m["name"] == "gitops-cmp-platform")
    volume = next(v for v in kustomize_sidecar()["volumes"] if v["name"] == "gitops-cmp-platform")
    configmap = load(DEPLOY / "kustomize" / "gitops-cmp-platform.yaml")

    assert Path(env[PLATFORM_CONFIG_ENV]).parent == Path(mount["mountPath"]) and mount["readOnly"] is True
    assert volume == {"name": "gitops-cmp-platform", "configMap": {"name": configmap["metadata"]["name"]}}
    assert "gitops-cmp-platform.yaml" in load(DEPLOY / "kustomize" / "kustomization.yaml")["resources"]
    default = config.parse_text(configmap["data"][Path(env[PLATFORM_CONFIG_ENV]).name], "default", platform=True)
    assert default.env_conditional_mode is config.EnvConditionalMode.BLOCK and default.repo_may_allow == frozenset()


def test_example_platform_uses_deploy_and_agrees_with_it():
    kustomization = load(PLATFORM / "kustomization.yaml")
    deploy_params = load(DEPLOY / "kustomize" / "argocd-cmd-params-cm.yaml")["data"]
    example_params = load(PLATFORM / "argocd-cmd-params-cm.yaml")["data"]

    assert [(PLATFORM / c).resolve() for c in kustomization["components"]] == [PLATFORM / "gitops-cmp-sidecar",
                                                                               PLATFORM / "gitops-cmp"]
    assert kustomization["resources"] == ["namespace.yaml", UPSTREAM]
    assert example_params == deploy_params


def test_the_examples_copy_of_deploy_is_deploy():
    """The example vendors deploy/kustomize so it applies once copied out of this repo: after changing
    deploy/kustomize, `cp deploy/kustomize/* examples/gitops-repo/platform/argocd/gitops-cmp-sidecar/`."""
    vendored = PLATFORM / "gitops-cmp-sidecar"
    assert sorted(p.name for p in vendored.iterdir()) == sorted(p.name for p in (DEPLOY / "kustomize").iterdir())
    for path in (DEPLOY / "kustomize").iterdir():
        assert (vendored / path.name).read_bytes() == path.read_bytes(), path.name


def test_no_path_leaves_the_example():
    """Every local path the example's kustomizations name stays inside platform/argocd."""
    for kustomization in PLATFORM.rglob("kustomization.yaml"):
        data = load(kustomization)
        for entry in [*data.get("resources", []), *data.get("components", []),
                      *(p["path"] for p in data.get("patches", []) if "path" in p)]:
            if "://" not in entry:
                target = (kustomization.parent / entry).resolve()
                assert target == PLATFORM or PLATFORM in target.parents, (kustomization, entry)


def test_kustomize_builds_the_example_with_the_sidecar(tmp_path):
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (with its built-in kustomize) is not installed")
    # The directory copied out on its own (as into a user's repo), the upstream install (not
    # reachable here) replaced by the stub.
    platform = tmp_path / "my-gitops-repo" / "platform" / "argocd"
    shutil.copytree(PLATFORM, platform)
    (platform / "upstream.yaml").write_text(UPSTREAM_STUB)
    text = (platform / "kustomization.yaml").read_text()
    (platform / "kustomization.yaml").write_text(text.replace(UPSTREAM, "upstream.yaml"))

    built = subprocess.run([kubectl, "kustomize", str(platform)], capture_output=True, text=True, check=False)

    assert built.returncode == 0, built.stderr
    docs = {d["metadata"]["name"]: d for d in yaml.safe_load_all(built.stdout)}
    pod = docs["argocd-repo-server"]["spec"]["template"]["spec"]
    sidecar = next(c for c in pod["containers"] if c["name"] == "gitops-cmp")
    assert sidecar["image"] == "registry.example.com/platform/gitops-cmp:0.1.0"
    assert [v["name"] for v in pod["volumes"]] == ["gitops-cmp-tmp", "gitops-cmp-platform", "plugins", "var-files",
                                                   "tmp"]
    # The example's own platform config replaces deploy/'s default in the ConfigMap the sidecar mounts.
    assert docs["gitops-cmp-platform"]["data"]["platform.yaml"] == (PLATFORM / "gitops-cmp" / "platform.yaml").read_text()
    assert docs["argocd-cmd-params-cm"]["data"]["reposerver.plugin.tar.exclusions"] == ".git/*"
    assert docs["argocd-cm"]["data"]["timeout.reconciliation"] == "180s"
    assert docs["argocd"]["kind"] == "Namespace"  # a fresh cluster has none: apply creates it first
    assert {d["metadata"]["namespace"] for d in docs.values() if d["kind"] != "Namespace"} == {"argocd"}
