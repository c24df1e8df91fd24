"""container-resources: in a strict environment every container sets CPU and memory requests and limits.

Strict environments are `strictEnvironments` in .gitops-cmp.yaml (default: prod, production).
Without requests the scheduler cannot place a pod honestly; without limits one pod can starve
its node. Init containers count; ephemeral (debug) containers cannot set resources and are
skipped. Dev may leave them out.

PASS (prod): `resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: 500m, memory: 512Mi}}`
FAIL (prod): no `resources`; `requests` only; `limits: {memory: 512Mi}` without `cpu`; `cpu: ""`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cmp.findings import Finding, Severity
from cmp.pipeline.inputs import Inputs
from cmp.pipeline.manifests import Manifest, signature
from cmp.rules.workloads import containers

ID = "container-resources"
REQUIRED = ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory")


def check_output(inputs: Inputs, manifests: list[Manifest]) -> Iterator[Finding]:
    env = inputs.request.env
    if env not in inputs.config.strict_environments:
        return
    for manifest in manifests:
        for obj in manifest.objects():
            for pointer, missing in containers_missing(obj):
                yield Finding(
                    manifest.source, 0, 0, ID, Severity.ERROR,
                    f"{signature(obj)} {pointer}: container sets no {', '.join(missing)} in strict environment"
                    f" {env!r}; set CPU and memory requests and limits in values/{env}.yaml",
                )


def containers_missing(obj: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    """(JSON pointer of the container's resources, the settings it lacks) per incomplete container."""
    for pointer, container in containers(obj):
        if "/ephemeralContainers/" in pointer:  # Kubernetes refuses resources on them
            continue
        missing = [key for key in REQUIRED if not _setting(container.get("resources"), key)]
        if missing:
            yield f"{pointer}/resources", missing


def _setting(resources: Any, dotted: str) -> bool:
    group, name = dotted.split(".")
    values = resources.get(group) if isinstance(resources, dict) else None
    value = values.get(name) if isinstance(values, dict) else None
    return value is not None and str(value).strip() != ""
