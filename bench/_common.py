"""Shared by the bench scripts: fixture charts, an Argo CD-like environment, interleaved timing."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "gitops-repo"
PYTHON = sys.executable

LARGE_TEMPLATE = """\
{{- range $i := until (int .Values.count) }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings-{{ $i }}
  labels:
    app.kubernetes.io/name: large
data:
  {{- range $j := until (int $.Values.keys) }}
  setting_{{ $j }}: {{ printf "%s-%d-%d" $.Values.text $i $j | quote }}
  {{- end }}
{{- end }}
"""


def example_repo(dest: Path) -> Path:
    """A copy of the example repo with a `large` chart added: about 2 MB of ConfigMaps."""
    repo = dest / "gitops-repo"
    shutil.copytree(EXAMPLE, repo)
    chart = repo / "charts" / "large"
    (chart / "templates").mkdir(parents=True)
    (chart / "values").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: large\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("count: 400\nkeys: 60\ntext: the quick brown fox jumps over the lazy dog\n")
    (chart / "values" / "prod.yaml").write_text("{}\n")
    (chart / "templates" / "configmaps.yaml").write_text(LARGE_TEMPLATE)
    return repo


# What Argo CD passes as KUBE_API_VERSIONS for a cluster running the Prometheus operator, External
# Secrets and Argo CD: every group/version and every group/version/Kind, comma-joined and sorted.
CLUSTER_KINDS = {
    "v1": "Binding ComponentStatus ConfigMap Endpoints Event LimitRange Namespace Node PersistentVolume"
          " PersistentVolumeClaim Pod PodTemplate ReplicationController ResourceQuota Secret Service ServiceAccount",
    "admissionregistration.k8s.io/v1": "MutatingWebhookConfiguration ValidatingAdmissionPolicy"
                                       " ValidatingAdmissionPolicyBinding ValidatingWebhookConfiguration",
    "apiextensions.k8s.io/v1": "CustomResourceDefinition",
    "apiregistration.k8s.io/v1": "APIService",
    "apps/v1": "ControllerRevision DaemonSet Deployment ReplicaSet StatefulSet",
    "argoproj.io/v1alpha1": "AppProject Application ApplicationSet",
    "authentication.k8s.io/v1": "SelfSubjectReview TokenReview",
    "authorization.k8s.io/v1": "LocalSubjectAccessReview SelfSubjectAccessReview SelfSubjectRulesReview"
                               " SubjectAccessReview",
    "autoscaling/v1": "HorizontalPodAutoscaler",
    "autoscaling/v2": "HorizontalPodAutoscaler",
    "batch/v1": "CronJob Job",
    "certificates.k8s.io/v1": "CertificateSigningRequest",
    "coordination.k8s.io/v1": "Lease",
    "discovery.k8s.io/v1": "EndpointSlice",
    "events.k8s.io/v1": "Event",
    "external-secrets.io/v1": "ClusterExternalSecret ClusterSecretStore ExternalSecret SecretStore",
    # ESO releases before 1.0 serve v1beta1 beside v1; the example's ExternalSecret is v1beta1
    "external-secrets.io/v1beta1": "ClusterExternalSecret ClusterSecretStore ExternalSecret SecretStore",
    "flowcontrol.apiserver.k8s.io/v1": "FlowSchema PriorityLevelConfiguration",
    "monitoring.coreos.com/v1": "Alertmanager PodMonitor Probe Prometheus PrometheusRule ServiceMonitor ThanosRuler",
    "networking.k8s.io/v1": "Ingress IngressClass NetworkPolicy",
    "node.k8s.io/v1": "RuntimeClass",
    "policy/v1": "PodDisruptionBudget",
    "rbac.authorization.k8s.io/v1": "ClusterRole ClusterRoleBinding Role RoleBinding",
    "scheduling.k8s.io/v1": "PriorityClass",
    "storage.k8s.io/v1": "CSIDriver CSINode CSIStorageCapacity StorageClass VolumeAttachment",
}
API_VERSIONS = ",".join(sorted([*CLUSTER_KINDS, *(f"{gv}/{kind}" for gv, kinds in CLUSTER_KINDS.items()
                                                  for kind in kinds.split())]))


def argocd_env(app: str, path: str, env: str) -> dict[str, str]:
    # Without PYTHONDONTWRITEBYTECODE: a module edited since its last .pyc would otherwise be compiled
    # from source in every measured process (an installed package has its bytecode; a checkout may not).
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("ARGOCD_", "KUBE_")) and k != "PYTHONDONTWRITEBYTECODE"}
    return {**base, "ARGOCD_APP_NAME": app, "ARGOCD_APP_NAMESPACE": app, "ARGOCD_ENV_ENVIRONMENT": env,
            "ARGOCD_APP_PARAMETERS": "null", "ARGOCD_APP_SOURCE_PATH": path, "KUBE_VERSION": "1.30.2",
            "KUBE_API_VERSIONS": API_VERSIONS}


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, bytes]:
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{argv} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return elapsed, proc.stdout


def interleaved(commands: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Run each command once per round, alternating, so machine noise hits all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            times[name].append(command())
    return times


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def plugin_command(scratch: Path, image_launcher: bool) -> list[str]:
    """How the plugin's commands start: `python -m cmp`, or (`image_launcher`) as the sidecar image
    starts them, a script run with `python3 -S` that puts this venv's site-packages on sys.path (the
    Dockerfile writes the same; it needs a release install: -S skips an editable install's hook)."""
    if not image_launcher:
        return [PYTHON, "-m", "cmp"]
    import sysconfig

    launcher = scratch / "gitops-cmp"
    launcher.write_text(f"#!{PYTHON} -S\nimport sys\nsys.path.append({sysconfig.get_path('purelib')!r})\n"
                        "from cmp.client import entry\nentry()\n")
    launcher.chmod(0o755)
    return [str(launcher)]


def tempdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="gitops-cmp-bench-"))


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
