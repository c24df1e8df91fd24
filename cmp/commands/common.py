"""What `render` and `generate` share: flags, and turning a RenderResult into stdout, stderr and an exit code."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from cmp.errors import RenderError
from cmp.exitcodes import ExitCode
from cmp.findings import Severity
from cmp.log import logger

if TYPE_CHECKING:  # importing the pipeline is the caller's cost, paid only by commands that render
    from cmp.config import RepoConfig
    from cmp.context import RenderRequest
    from cmp.pipeline.run import RenderResult


def add_repo_flag(parser: argparse.ArgumentParser, what: str = "repository root") -> None:
    parser.add_argument("--repo", metavar="DIR",
                        help=f"the {what} (default: the git top level, or the outermost directory in it"
                        " holding apps/ or charts/)")


def add_cluster_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kube-version", metavar="V",
        help="Kubernetes version for .Capabilities.KubeVersion, e.g. 1.30.2 (in the sidecar: KUBE_VERSION)",
    )
    parser.add_argument(
        "--api-versions", metavar="LIST",
        help="comma-separated API versions for .Capabilities.APIVersions, e.g."
        " monitoring.coreos.com/v1,monitoring.coreos.com/v1/ServiceMonitor (in the sidecar: KUBE_API_VERSIONS)",
    )


@contextmanager
def reader_may_close() -> Iterator[None]:
    """`gitops-cmp render ... | head`: a reader that stops early is not an error of ours."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
    except OSError as exc:  # a full disk, a closed descriptor: not a bug, and not silent
        _discard_stdout()
        raise RenderError(f"could not write the output to stdout ({exc.strerror or exc});"
                          " what was written is incomplete") from None


def _discard_stdout() -> None:
    # Point stdout at /dev/null so the interpreter's final flush does not fail again.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def render_within_deadline(request: RenderRequest, platform: RepoConfig | None) -> RenderResult:
    """The pipeline, under the policy's deadline, interruptible by SIGTERM/SIGINT."""
    from cmp import config
    from cmp.deadline import call_with_deadline, terminate_on_signals

    with terminate_on_signals():
        from cmp.pipeline.run import render

        cfg = config.load(request.repo_root, platform)
        return call_with_deadline(lambda: render(request, cfg), cfg.limits.deadline_seconds,
                                  f"render of {request.app or request.chart_dir.name}", cfg.limits.max_memory_bytes)


def finish(result: RenderResult, app: str, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Write findings to stderr; write the stream to stdout only when nothing blocks it.

    Argo CD shows stderr as the app's error: the reason comes first, then the findings, and the
    JSON log line last, so the UI reads as text."""
    out = out or sys.stdout
    err = err or sys.stderr
    errors = sum(1 for f in result.findings if f.severity is Severity.ERROR)
    if errors:
        print(f"gitops-cmp: error: {errors} policy violation(s); nothing was emitted", file=err)
    for finding in result.findings:
        print(finding.format(), file=err)
    logger().info(
        "render", app=app or result.release, env=result.env, release=result.release, namespace=result.namespace,
        objects=result.objects, findings=len(result.findings), blocked=bool(errors),
        duration_ms=round(result.seconds * 1000, 1), digest=result.digest, policy=result.policy,
        **({"memo": result.memo} if result.memo else {}),
    )
    if errors:
        return ExitCode.POLICY
    with reader_may_close():
        out.write(result.stream)
        out.flush()
    return ExitCode.OK
