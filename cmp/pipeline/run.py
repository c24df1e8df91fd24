"""The whole pipeline, once: request -> inputs -> policy -> Helm -> objects -> policy -> stream.

Nothing is written here. The caller gets a RenderResult and decides: stream on stdout only when
there are no error findings.
"""

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from cmp import config as repo_config
from cmp import verdict
from cmp.context import RenderRequest
from cmp.errors import CmpError, RenderError
from cmp.findings import Finding, Severity
from cmp.pipeline import chartfiles, emit, helm, inputs, manifests
from cmp.rules import RENDER_RULES

if TYPE_CHECKING:
    from cmp.deadline import Started
    from cmp.rules import Rule
    from cmp.templates.nodes import Tree


class RenderResult(NamedTuple):
    stream: str
    objects: int
    findings: tuple[Finding, ...]
    digest: str
    seconds: float
    env: str
    release: str
    namespace: str
    policy: str = ""  # the effective policy's digest (cmp.config.digest)
    memo: str = ""  # "hit": the kept result of a render with the same inputs (cmp/pipeline/memo.py)


def render(request: RenderRequest, cfg: repo_config.RepoConfig | None = None,
           allow: tuple[repo_config.AllowEntry, ...] | None = None) -> RenderResult:
    """`allow`: the effective allow list (default: the config's own entries)."""
    started = time.monotonic()
    cfg = cfg or repo_config.load(request.repo_root)
    allow = cfg.allow if allow is None else allow
    gathered = inputs.gather(request, cfg)
    memo = _memo()
    kept = memo.key(gathered, allow) if memo else None
    if kept:
        hit = memo.load(kept)
        if hit is not None:
            return hit._replace(seconds=time.monotonic() - started)
    mark = memo.stderr_mark() if kept else None
    shown = _shown(gathered)
    templates = memo.templates_key(gathered) if kept else ""
    rendering = start_render(gathered, memo.output_docs(templates) if kept else None, shown)  # goes on while the templates are parsed
    trees = memo.parsed(gathered, templates) if kept else None  # parsed once, as the runner would: the memo reads the calls too
    findings, objects = judged(rendering, gathered, allow, trees=trees, shown=shown)
    result = _result(gathered, verdict.judge(findings, allow), objects, started)
    if kept and trees is not None and mark is not None and memo.stderr_mark() == mark:
        memo.offer(kept, gathered, trees, result)
    return result


def _memo() -> Any:
    """cmp.pipeline.memo when a `gitops-cmp serve` render process configured its store, else None
    (never imported by a plain generate)."""
    module = sys.modules.get("cmp.pipeline.memo")
    return module if module is not None and module.STORE is not None else None


RENDER_RULE = "render"  # the chart does not render


def judge_chart(gathered: inputs.Inputs, allow: tuple[repo_config.AllowEntry, ...],
                rules: "Iterable[Rule]" = RENDER_RULES, tolerant: bool = False,
                trees: "tuple[Tree, ...] | None" = None) -> tuple[list[Finding], list[manifests.Manifest]]:
    """Every finding for one chart and env (before the allow list) and the objects Helm rendered:
    what render, generate, parity and check all judge. `tolerant`: a rule's input error is a
    finding (check) instead of the render's error. `trees`: the templates already parsed.

    On the main thread (`check`) Helm starts after the input rules, not beside them: only the main
    thread's wait for the render watches its memory (deadline.awaited), and while that thread runs
    the input rules nothing would, so a render could pass maxMemoryBytes unseen (or the kernel's
    limit, unannounced) and be judged as if it had not."""
    import threading

    on_main = threading.current_thread() is threading.main_thread()
    shown = _shown(gathered)
    return judged(None if on_main else start_render(gathered, shown=shown), gathered, allow, rules, tolerant, trees, shown)


def start_render(gathered: inputs.Inputs, parser: manifests.Parser | None = None,
                 shown: str | None = None) -> "Started[list[manifests.Manifest]]":
    """Helm's render (render_objects), begun now in a thread: its native call leaves the GIL, so on a
    large chart it overlaps the template parse and the input rules that the caller runs meanwhile.
    `judged` reads its outcome only after theirs, in the order a sequential run meets them: if an
    input rule fails the render, Helm's outcome is never read. Without OVERLAP, run here and now,
    its outcome read at the same point. `shown`: the chart directory as findings name it, if known."""
    from cmp.deadline import Started

    chart = _shown(gathered) if shown is None else shown
    return Started(lambda: render_objects(gathered, chart, parser), here=not OVERLAP)


# Helm's render overlaps the input rules (start_render): one render's wall time, on a machine with a
# core to spare. `parity` turns it off in its processes, which keep every core busy with renders:
# there the overlap bought no time and cost about a tenth of the CPU (GIL hand-offs between the two
# Python threads on every small chart: bench/README.md, parity).
OVERLAP = True


@contextmanager
def without_overlap() -> Iterator[None]:
    """Helm's render in turn, not overlapped (OVERLAP), for the block."""
    global OVERLAP
    before, OVERLAP = OVERLAP, False
    try:
        yield
    finally:
        OVERLAP = before


def _shown(gathered: inputs.Inputs) -> str:
    return inputs.display(gathered.chart_dir, gathered.request.repo_root.resolve())


def judged(rendering: "Started[list[manifests.Manifest]] | None", gathered: inputs.Inputs,
           allow: tuple[repo_config.AllowEntry, ...], rules: "Iterable[Rule]" = RENDER_RULES,
           tolerant: bool = False, trees: "tuple[Tree, ...] | None" = None, shown: str | None = None,
           ) -> tuple[list[Finding], list[manifests.Manifest]]:
    """judge_chart's findings and objects, with Helm's render already under way (start_render), or
    started after the input rules (None). `shown`: the chart directory as findings name it, if known."""
    from cmp.deadline import awaited

    shown = _shown(gathered) if shown is None else shown
    findings = verdict.check_inputs(gathered, rules, tolerant, trees, shown)
    limits = gathered.config.limits
    try:
        objects = awaited(rendering or start_render(gathered, shown=shown), limits.deadline_seconds,
                          f"render of {shown}", limits.max_memory_bytes)
    except CmpError:
        if not verdict.judge(findings, allow).blocked:
            raise
        # Helm's messages quote values (schema errors, `required`), and a value that already failed
        # the policy may be a secret: report the findings, withhold Helm's words.
        findings.append(Finding(shown, 0, 0, RENDER_RULE, Severity.ERROR,
                                "Helm could not render the chart either; its message is withheld because"
                                " it may quote a value reported above. Fix those findings first"))
        return findings, []
    findings += verdict.check_output(gathered, objects, rules, tolerant, shown)
    findings += duplicate_keys(objects)
    return findings, objects


DUPLICATE_RULE = "duplicate-key"


def duplicate_keys(objects: list[manifests.Manifest]) -> list[Finding]:
    """A key repeated in a rendered object: Argo CD applies the last one, and so do the checks and the
    stream; a warning, since it is almost always a template mistake (a value no key shows)."""
    return [Finding(m.source, 0, 0, DUPLICATE_RULE, Severity.WARNING,
                    f"rendered document {m.doc_index + 1}: a key on its line {d.line} repeats the one on line"
                    f" {d.first}; the later one is applied")
            for m in objects for d in m.duplicates]


def render_objects(gathered: inputs.Inputs, shown: str, parser: manifests.Parser | None = None) -> list[manifests.Manifest]:
    """Helm with the values the rules prepared, split into objects; zero objects is an error.
    Its errors never quote a value: Helm's message (the detail) loses whatever came from the values."""
    values = verdict.prepare_values(gathered, RENDER_RULES)
    try:
        return _render_objects(gathered, values, shown, parser)
    except CmpError as exc:
        from cmp.redact import Redactor

        files = [f.data for f in (gathered.base_values, *gathered.value_files) if f is not None]
        redactor = Redactor([*files, *_subchart_values(gathered), values], (t.text for t in gathered.templates))
        raise type(exc)(exc.message, redactor.text(exc.detail)) from None


def _subchart_values(gathered: inputs.Inputs) -> list[Any]:
    """The values.yaml of subcharts vendored as directories: Helm reads them itself (error path only)."""
    from cmp import yamlio

    found: list[Any] = []
    for file in gathered.files:
        if file.rel.endswith("/values.yaml") and file.rel.startswith("charts/"):
            try:
                found.append(yamlio.load_one(file.data.decode("utf-8", "replace"), file.rel))
            except CmpError:
                continue
    return found


def _render_objects(gathered: inputs.Inputs, values: dict[str, Any], shown: str,
                    parser: manifests.Parser | None) -> list[manifests.Manifest]:
    from cmp.deadline import bounded_in_main_thread

    base = gathered.base_values.data if gathered.base_values else None
    limits = gathered.config.limits
    templates, crds = bounded_in_main_thread(lambda: helm.render(
        chartfiles.archive(list(gathered.files), base, limits.max_chart_bytes),
        values,
        release=gathered.release,
        namespace=gathered.namespace,
        kube_version=gathered.request.kube_version,
        api_versions=gathered.request.api_versions,
        shown=shown,
        max_output_bytes=limits.max_output_bytes,
    ), limits.deadline_seconds, f"render of {shown}", limits.max_memory_bytes)
    objects = manifests.collect(templates, crds, parser)
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
        policy=repo_config.digest(gathered.config),
    )
