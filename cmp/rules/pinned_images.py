"""pinned-images: in a strict environment every container image names a pinned tag or a digest.

Strict environments are `strictEnvironments` in .gitops-cmp.yaml (default: prod, production).
A floating tag (`latest`, none at all) in prod means a restart can change what runs without a
commit, which breaks "Git is the single source of truth". Dev may float.

PASS (prod): `image: registry/webapp:1.4.2`, `image: registry/webapp@sha256:...`
FAIL (prod): `image: registry/webapp:latest`, `image: registry/webapp`, `image: ""`
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cmp.findings import Finding, Severity
from cmp.pipeline.inputs import Inputs
from cmp.pipeline.manifests import Manifest, signature
from cmp.rules.workloads import containers

ID = "pinned-images"
FLOATING_TAGS = {"latest", "stable", "main", "master", "edge", "nightly"}


def check_output(inputs: Inputs, manifests: list[Manifest]) -> Iterator[Finding]:
    if inputs.request.env not in inputs.config.strict_environments:
        return
    for manifest in manifests:
        for obj in manifest.objects():
            for pointer, image in containers_images(obj):
                problem = floating(image)
                if problem:
                    yield Finding(
                        manifest.source, 0, 0, ID, Severity.ERROR,
                        f"{signature(obj)} {pointer}: image {image!r} {problem} in strict environment"
                        f" {inputs.request.env!r}; pin a version tag or digest in values/{inputs.request.env}.yaml",
                    )


def floating(image: str) -> str:
    if not image.strip():
        return "is empty"
    if "@sha256:" in image:
        return ""
    name = image.rsplit("/", 1)[-1]
    if ":" not in name:
        return "has no tag"
    tag = name.rsplit(":", 1)[1]
    return f"uses floating tag {tag!r}" if tag in FLOATING_TAGS or not tag else ""


def containers_images(obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(JSON pointer, image) for every container of a workload, CronJob and Pod template included."""
    for pointer, container in containers(obj):
        yield f"{pointer}/image", str(container.get("image") or "")
