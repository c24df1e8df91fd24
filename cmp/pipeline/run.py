"""The whole pipeline, once: request -> inputs -> policy -> Helm -> objects -> policy -> stream.

Nothing is written here. The caller gets a RenderResult and decides: stream on stdout only when
there are no error findings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from cmp import config as repo_config
from cmp.context import RenderRequest
from cmp.errors import RenderError
from cmp.findings import Finding, has_errors
from cmp.pipeline import emit, helm, inputs, manifests, policy


@dataclass(frozen=True)
class RenderResult:
    stream: str
    objects: int
    findings: tuple[Finding, ...]
    digest: str
    seconds: float
    env: str
    release: str
    namespace: str

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)


def render(request: RenderRequest, cfg: repo_config.RepoConfig | None = None) -> RenderResult:
    started = time.monotonic()
    cfg = cfg or repo_config.load(request.repo_root)
    gathered = inputs.gather(request, cfg)
    findings = policy.check_inputs(gathered)
    shown = inputs.display(gathered.chart_dir, request.repo_root.resolve())
    templates, crds = helm.render(
        gathered.chart_dir,
        policy.prepare_values(gathered),
        release=gathered.release,
        namespace=gathered.namespace,
        kube_version=request.kube_version,
        api_versions=request.api_versions,
        shown=shown,
    )
    objects = manifests.collect(templates, crds)
    count = sum(1 for m in objects for _ in m.objects())
    if count == 0:
        raise RenderError(
            f"{shown}: the render produced zero objects; refusing to emit an empty stream"
            " (with prune: true Argo CD would delete every resource of the app)"
        )
    findings += policy.check_output(gathered, objects)
    allowed = policy.apply_allowlist(findings, cfg.allow)
    text = emit.stream(objects)
    return RenderResult(
        stream=text,
        objects=count,
        findings=allowed.kept,
        digest=emit.digest(text),
        seconds=time.monotonic() - started,
        env=request.env,
        release=gathered.release,
        namespace=gathered.namespace,
    )
