"""Where Kubernetes workloads keep their containers: shared by the per-environment rules.
Not a rule (the registry in cmp/rules/__init__.py lists rules explicitly)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Where each workload kind keeps its pod spec; any other kind with spec.template.spec counts too.
_POD_SPEC_PATHS = {"Pod": ("spec",), "CronJob": ("spec", "jobTemplate", "spec", "template", "spec")}
_DEFAULT_PATH = ("spec", "template", "spec")
CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")


def pod_spec(obj: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """(pod spec, its JSON pointer), or (None, "") when the object has none, whatever its shape."""
    path = _POD_SPEC_PATHS.get(str(obj.get("kind")), _DEFAULT_PATH)
    node: Any = obj
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return (node, "/" + "/".join(path)) if isinstance(node, dict) else (None, "")


def containers(obj: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(JSON pointer, container) for every container of a workload, init and ephemeral included."""
    spec, prefix = pod_spec(obj)
    if spec is None:
        return
    for field in CONTAINER_FIELDS:
        listed = spec.get(field)
        for i, container in enumerate(listed if isinstance(listed, list) else []):
            if isinstance(container, dict):
                yield f"{prefix}/{field}/{i}", container
