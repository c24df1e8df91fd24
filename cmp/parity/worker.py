"""One app's parity: render head and base, compare. Runs in a worker process (or in-process).

Everything here crosses a process boundary, so jobs and results are plain frozen dataclasses.
"""

from __future__ import annotations

import signal
import time
import traceback
from dataclasses import dataclass, field, replace
from enum import Enum

from cmp.config import RepoConfig
from cmp.context import RenderRequest
from cmp.errors import CmpError
from cmp.exitcodes import ExitCode
from cmp.findings import Finding, Severity
from cmp.parity import diff


class Status(str, Enum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    ADDED = "added"
    REMOVED = "removed"
    FAILED = "failed"


@dataclass(frozen=True)
class Side:
    """One side of the comparison: a request to render, or why there is nothing to render."""

    request: RenderRequest | None = None
    policy: RepoConfig | None = None  # what it is judged with; None: the config at the request's root
    reason: str = ""  # why the app cannot be rendered on this side (a broken Application)
    code: ExitCode = ExitCode.OK

    @property
    def present(self) -> bool:
        return self.request is not None or bool(self.reason)


@dataclass(frozen=True)
class AppJob:
    name: str
    source: str  # the file that declares the app (head's, else base's)
    head: Side
    base: Side


@dataclass(frozen=True)
class Rendered:
    stream: str | None  # None: the render failed
    findings: tuple[Finding, ...] = ()
    reason: str = ""
    code: ExitCode = ExitCode.OK
    ms: float = 0.0
    trace: str = ""  # an internal error's traceback: for stderr, never for the report


@dataclass(frozen=True)
class AppResult:
    name: str
    status: Status
    source: str
    changes: tuple[diff.Change, ...] = ()
    reason: str = ""  # why the app failed
    failure: str = ""  # policy | input | render | internal
    code: ExitCode = ExitCode.OK
    findings: tuple[Finding, ...] = ()
    base_reason: str = ""  # the base failed: changes are against nothing, or withheld (policy)
    base_failure: str = ""  # policy | input | render | internal
    timings_ms: dict[str, float] = field(default_factory=dict)
    stream: str | None = None  # head's manifests when they passed every check (for --out)
    trace: str = ""


FAILURE_NAMES = {ExitCode.POLICY: "policy", ExitCode.INPUT: "input", ExitCode.RENDER: "render",
                 ExitCode.INTERNAL: "internal"}


def warm() -> None:
    """Pool initializer: load Helm and the pipeline before the first job arrives. ^C is the
    parent's to handle: it stops handing out jobs and reports the interruption once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from cmp.pipeline import helm

    helm.warm_up()  # the engine loads while the pipeline is imported
    import cmp.pipeline.run
    import helm_python  # noqa: F401
    from cmp.templates import remember_parses

    remember_parses()
    cmp.pipeline.run.OVERLAP = False  # every core renders: Helm in turn (cmp.pipeline.run.OVERLAP)


def render_side(side: Side) -> Rendered:
    if side.request is None:
        return Rendered(None, reason=side.reason, code=side.code)
    from cmp import config
    from cmp.deadline import call_with_deadline
    from cmp.pipeline.run import render

    started = time.perf_counter()
    request = side.request
    try:
        cfg = side.policy if side.policy is not None else config.load(request.repo_root)
        result = call_with_deadline(lambda: render(request, cfg), cfg.limits.deadline_seconds,
                                    f"render of {request.app}", cfg.limits.max_memory_bytes)
    except CmpError as exc:
        return Rendered(None, reason=str(exc), code=exc.exit_code, ms=_ms(started))
    except Exception as exc:  # a bug: the app fails, the run goes on, stderr gets the traceback
        return Rendered(None, reason=f"internal error: {type(exc).__name__}", code=ExitCode.INTERNAL,
                        ms=_ms(started), trace=traceback.format_exc())
    return Rendered(result.stream, result.findings, ms=_ms(started))


def run(job: AppJob) -> AppResult:
    head = render_side(job.head) if job.head.present else None
    base = render_side(job.base) if job.base.present else None
    timings = {k: r.ms for k, r in (("head", head), ("base", base)) if r is not None and r.ms}
    changes: tuple[diff.Change, ...] = ()
    # A render that failed policy may hold the very values that failed (a secret): no diff, no patch.
    if not (failed_policy(head) or failed_policy(base)) and (head is None or head.stream is not None):
        started = time.perf_counter()
        try:
            changes = _compare(job.name, base, head)
        except CmpError as exc:  # a stream we rendered that does not parse back: a bug
            return AppResult(job.name, Status.FAILED, job.source, reason=str(exc), failure="internal",
                             code=ExitCode.INTERNAL, timings_ms=timings)
        timings["diff"] = _ms(started)
    result = AppResult(job.name, Status.REMOVED, job.source, changes, timings_ms=timings, trace=_trace(base))
    if base is not None and (base.stream is None or failed_policy(base)):
        code = base.code if base.stream is None else ExitCode.POLICY
        result = replace(result, base_reason=_reason(base), base_failure=FAILURE_NAMES[code])
    return result if head is None else _result(result, head, base)


def failed_policy(rendered: Rendered | None) -> bool:
    """Rendered, but with error findings."""
    return rendered is not None and rendered.stream is not None and any(
        f.severity is Severity.ERROR for f in rendered.findings)


def _result(result: AppResult, head: Rendered, base: Rendered | None) -> AppResult:
    result = replace(result, findings=head.findings, trace=head.trace or result.trace)
    if head.stream is None or failed_policy(head):
        code = head.code if head.stream is None else ExitCode.POLICY
        return replace(result, status=Status.FAILED, reason=_reason(head), failure=FAILURE_NAMES[code], code=code)
    if base is None:
        status = Status.ADDED
    else:
        # When the base failed, its diff is withheld or against nothing: any other render is a change.
        differs = bool(result.base_reason) and base.stream != head.stream
        status = Status.CHANGED if result.changes or differs else Status.UNCHANGED
    return replace(result, status=status, stream=head.stream)


def _compare(name: str, base: Rendered | None, head: Rendered | None) -> tuple[diff.Change, ...]:
    if base and head and base.stream is not None and base.stream == head.stream:
        return diff.changes_of_equal(base.stream, f"{name} (base render)")
    before = diff.resources(base.stream, f"{name} (base render)") if base and base.stream is not None else {}
    after = diff.resources(head.stream, f"{name} (head render)") if head and head.stream is not None else {}
    # Reports list a whole app's resources when it is added or removed: no diff text to build.
    return diff.changes(before, after, readable=base is not None and head is not None)


def _reason(rendered: Rendered) -> str:
    if rendered.stream is None:
        return rendered.reason
    return f"{sum(f.severity is Severity.ERROR for f in rendered.findings)} policy violation(s)"


def _trace(rendered: Rendered | None) -> str:
    return rendered.trace if rendered is not None else ""


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
