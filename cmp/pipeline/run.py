"""The whole pipeline, once: request -> inputs -> policy -> Helm -> objects -> policy -> stream.

Nothing is written here. The caller gets a RenderResult and decides: stream on stdout only when
there are no error findings.
"""

import time
from typing import NamedTuple

from cmp import config as repo_config
from cmp.context import RenderRequest
from cmp.errors import CmpError, RenderError
from cmp.findings import Finding, Severity, has_errors
from cmp.pipeline import emit, helm, inputs, manifests, policy


class RenderResult(NamedTuple):
    stream: str
    objects: int
    findings: tuple[Finding, ...]
    digest: str
    seconds: float
    env: str
    release: str
    namespace: str


def render(request: RenderRequest, cfg: repo_config.RepoConfig | None = None) -> RenderResult:
    started = time.monotonic()
    cfg = cfg or repo_config.load(request.repo_root)
    gathered = inputs.gather(request, cfg)
    findings = policy.check_inputs(gathered)
    shown = inputs.display(gathered.chart_dir, request.repo_root.resolve())
    try:
        objects = render_objects(gathered, shown)
    except CmpError:
        if not has_errors(policy.apply_allowlist(findings, cfg.allow).kept):
            raise
        # Helm's messages quote values (schema errors, `required`), and a value that already failed
        # the policy may be a secret: report the findings, withhold Helm's words.
        findings.append(Finding(shown, 0, 0, "render", Severity.ERROR,
                                "Helm could not render the chart either; its message is withheld because"
                                " it may quote a value reported above. Fix those findings first"))
        return _result(gathered, findings, cfg, [], started)
    findings += policy.check_output(gathered, objects)
    return _result(gathered, findings, cfg, objects, started)


def render_objects(gathered: inputs.Inputs, shown: str) -> list[manifests.Manifest]:
    """Helm with the values the rules prepared, split into objects; zero objects is an error."""
    templates, crds = helm.render(
        gathered.chart_dir,
        policy.prepare_values(gathered),
        release=gathered.release,
        namespace=gathered.namespace,
        kube_version=gathered.request.kube_version,
        api_versions=gathered.request.api_versions,
        shown=shown,
    )
    objects = manifests.collect(templates, crds)
    if not any(True for m in objects for _ in m.objects()):
        raise RenderError(
            f"{shown}: the render produced zero objects; refusing to emit an empty stream"
            " (with prune: true Argo CD would delete every resource of the app)"
        )
    return objects


def _result(gathered: inputs.Inputs, findings: list[Finding], cfg: repo_config.RepoConfig,
            objects: list[manifests.Manifest], started: float) -> RenderResult:
    text = emit.stream(objects)
    return RenderResult(
        stream=text,
        objects=sum(1 for m in objects for _ in m.objects()),
        findings=policy.apply_allowlist(findings, cfg.allow).kept,
        digest=emit.digest(text),
        seconds=time.monotonic() - started,
        env=gathered.request.env,
        release=gathered.release,
        namespace=gathered.namespace,
    )
