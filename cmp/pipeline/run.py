"""The whole pipeline, once: request -> inputs -> policy -> Helm -> objects -> policy -> stream.

Nothing is written here. The caller gets a RenderResult and decides: stream on stdout only when
there are no error findings.
"""

import time
from typing import NamedTuple

from cmp import config as repo_config
from cmp.context import RenderRequest
from cmp.errors import CmpError, RenderError
from cmp.findings import Finding, Severity
from cmp import verdict
from cmp.pipeline import emit, helm, inputs, manifests
from cmp.rules import RENDER_RULES


class RenderResult(NamedTuple):
    stream: str
    objects: int
    findings: tuple[Finding, ...]
    digest: str
    seconds: float
    env: str
    release: str
    namespace: str


def render(request: RenderRequest, cfg: repo_config.RepoConfig | None = None,
           allow: tuple[repo_config.AllowEntry, ...] | None = None) -> RenderResult:
    """`allow`: the effective allow list (default: the config's own entries)."""
    started = time.monotonic()
    cfg = cfg or repo_config.load(request.repo_root)
    allow = cfg.allow if allow is None else allow
    gathered = inputs.gather(request, cfg)
    findings = verdict.check_inputs(gathered, RENDER_RULES)
    shown = inputs.display(gathered.chart_dir, request.repo_root.resolve())
    try:
        objects = render_objects(gathered, shown)
    except CmpError:
        if not verdict.judge(findings, allow).blocked:
            raise
        # Helm's messages quote values (schema errors, `required`), and a value that already failed
        # the policy may be a secret: report the findings, withhold Helm's words.
        findings.append(Finding(shown, 0, 0, "render", Severity.ERROR,
                                "Helm could not render the chart either; its message is withheld because"
                                " it may quote a value reported above. Fix those findings first"))
        return _result(gathered, verdict.judge(findings, allow), [], started)
    findings += verdict.check_output(gathered, objects, RENDER_RULES)
    return _result(gathered, verdict.judge(findings, allow), objects, started)


def render_objects(gathered: inputs.Inputs, shown: str) -> list[manifests.Manifest]:
    """Helm with the values the rules prepared, split into objects; zero objects is an error."""
    templates, crds = helm.render(
        gathered.chart_dir,
        verdict.prepare_values(gathered, RENDER_RULES),
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


def _result(gathered: inputs.Inputs, judged: verdict.Verdict, objects: list[manifests.Manifest],
            started: float) -> RenderResult:
    text = emit.stream(objects)
    return RenderResult(
        stream=text,
        objects=sum(1 for m in objects for _ in m.objects()),
        findings=judged.findings,
        digest=emit.digest(text),
        seconds=time.monotonic() - started,
        env=gathered.request.env,
        release=gathered.release,
        namespace=gathered.namespace,
    )
