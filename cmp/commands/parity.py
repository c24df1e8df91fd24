"""`gitops-cmp parity`: render every Application as Argo CD will, head against base, per app and resource."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from cmp.commands.common import add_cluster_flags, add_repo_flag
from cmp.context import find_repo_root, parse_api_versions, parse_kube_version
from cmp.errors import CmpError, InputError

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from cmp.application import Skipped
    from cmp.appdocs import FileDocs
    from cmp.parity.gittree import Blob
    from cmp.parity.incremental import LeaveOut
    from cmp.config import Change, RepoConfig
    from cmp.parity.plan import Cluster, Shard
    from cmp.parity.report import Report
    from cmp.parity.worker import AppResult

HELP = "render every Application under apps/ as Argo CD will and diff it against a base ref (CI)"
DESCRIPTION = """\
Render every Application under apps/ (the working tree) exactly as the Argo CD plugin will and,
with --base, the same apps at the base ref (read from git objects; the working tree is not
touched). Report per app (changed, unchanged, added, removed, failed) and per resource (RFC 6902
operations, base to head). Secret-like values are never printed.

  gitops-cmp parity --base origin/main --format markdown > parity.md
  gitops-cmp parity --base origin/main --format json --shard 2/4

The report goes to stdout, also when an app failed; the exit code is the most serious failure:
1 policy violation, 2 bad input (a broken Application, a missing values file), 3 render failure,
4 internal error; 0 when every app rendered and passed.
"""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("parity", help=HELP, description=DESCRIPTION,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    add_repo_flag(parser, "GitOps repository")
    parser.add_argument("--base", metavar="REF", help="git ref to compare with (e.g. origin/main); without it every app is 'added'")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                        help="report format on stdout (markdown: a PR comment under GitHub's size limit)")
    parser.add_argument("--out", metavar="DIR",
                        help="write each app's manifests to DIR/<app>.yaml, byte-identical to `generate`")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour the text report's diffs (default auto: when stdout is a terminal and"
                        " NO_COLOR is not set)")
    parser.add_argument("--shard", metavar="I/N",
                        help="render only the I-th of N deterministic shares of the apps (1-based), for a CI matrix")
    parser.add_argument("--merge", nargs="+", metavar="REPORT",
                        help="render nothing: merge the JSON reports of every shard (--shard I/N --format json)"
                        " into one report in --format (e.g. markdown: the one PR comment); exit code as one run's")
    parser.add_argument("--render-all", action="store_true",
                        help="render every app; by default an app whose chart, value files and Application are"
                        " the same at --base is reported unchanged without rendering")
    parser.add_argument("--jobs", "-j", type=int, metavar="N",
                        help="worker processes (default: the usable CPUs; small runs stay in-process)")
    add_cluster_flags(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cmp.templates import remembering_parses

    if args.merge:
        return merged(args)
    with remembering_parses():  # each chart's templates: parsed once for base and head, every environment
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from cmp import appdocs
    from cmp.parity import plan, runner
    from cmp.pipeline import helm

    helm.warm_up()  # the parent renders too: its engine loads while git runs
    started = time.monotonic()
    root = Path(args.repo).resolve() if args.repo else find_repo_root(Path.cwd())
    if not (root / appdocs.APPS_DIR).is_dir():
        raise InputError(f"{root}: no {appdocs.APPS_DIR}/ directory with Argo CD Applications;"
                         " point --repo at the GitOps repository's root")
    shard = plan.parse_shard(args.shard)
    cluster = plan.Cluster(parse_kube_version(args.kube_version, "--kube-version"),
                           parse_api_versions(args.api_versions, "--api-versions"))
    if args.jobs is not None and args.jobs < 1:
        raise InputError(f"--jobs {args.jobs}: expected a positive number")
    out = _out_dir(args.out)
    requested = args.jobs or runner.default_jobs()
    early = _early_workers(root, args, shard, requested)
    pool = runner.start_pool(early)
    from cmp.pipeline.run import without_overlap  # after warm_up and the pool's start: the pipeline's imports

    try:
        with without_overlap():  # a run keeps every core busy with renders (cmp.pipeline.run.OVERLAP)
            return _parity(args, root, shard, cluster, out, requested, (early, pool), started)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _early_workers(root: Path, args: argparse.Namespace, shard: Shard | None, requested: int) -> int:
    """The processes a run that renders every app will use: started before the apps are known.
    A run that renders only what changed starts its pool, if it needs one, once it knows."""
    from cmp import appdocs
    from cmp.parity import runner

    if args.base is not None and not args.render_all and args.out is None:
        return 1
    sides = 1 if args.base is None else 2
    return runner.expected_workers(len(appdocs.manifest_files(root)), sides, shard.total if shard else 1, requested)


def _parity(args: argparse.Namespace, root: Path, shard: Shard | None, cluster: Cluster, out: Path | None,
            requested: int, early: tuple[int, ProcessPoolExecutor | None], started: float) -> int:
    import tempfile

    from cmp import appdocs
    from cmp.parity import discover, gittree, incremental, plan, runner
    from cmp.parity.worker import AppResult as AppResultType
    from cmp.parity.worker import Status

    phases = Phases()
    with tempfile.TemporaryDirectory(prefix="gitops-cmp-parity-") as scratch:
        with phases("base_tree"):
            base = _base(root, args.base, Path(scratch), args.platform)
        base_root = base.root if base is not None else None
        with phases("discover"):
            head_files = appdocs.read_files(root)
            base_files = _base_files(root, base, head_files) if base is not None else None
            judged = judging_policy(root, base_root, args.platform)
            urls = discover.judged_urls(root, base_root, judged.policy.repo_urls, head_files, base_files)
            head = discover.entries(root, judged.policy.repo_urls, urls, head_files)
            before = discover.entries(base.root, judged.policy.repo_urls, urls, base_files) if base is not None else {}
            work = plan.build(head, root, before, base_root, cluster, shard, judged.policy)
        jobs, same = work.jobs, set()
        if base is not None:
            with phases("unchanged_inputs"):
                if not args.render_all and out is None:
                    same = incremental.unchanged(root, base.changed, work.jobs)
                jobs = incremental.from_working_tree([j for j in work.jobs if j.name not in same], base.leave,
                                                     base.changed, base.root, root)
                gittree.write_blobs(root, incremental.needed(jobs, set(), base.left_out, base.root), base.root)
        workers = runner.workers_for(jobs, requested)
        pool = early[1] if early[0] == workers else None
        with phases("render"):
            rendered = iter(runner.run(jobs, workers, runner.terminal_progress(), pool))
        results = [AppResultType(j.name, Status.UNCHANGED, j.source) if j.name in same else next(rendered)
                   for j in work.jobs]
        base_commit = base.commit if base is not None else None
    return _finish(args, results, work.skipped, base_commit, shard, out, started, workers, phases.ms, judged)


class Judged(NamedTuple):
    policy: RepoConfig  # what every app, head and base, is judged with
    by: str  # which configs those are, in words
    changes: tuple[Change, ...]  # what the head changes in .gitops-cmp.yaml


def judging_policy(root: Path, base_root: Path | None, platform: RepoConfig | None) -> Judged:
    """The base ref's config (and the platform's): a pull request cannot weaken its own gate. The
    head's config must still be valid (it is the policy once merged), and its changes are listed."""
    from cmp import config

    head = config.load_repo(root)
    if base_root is None:
        return Judged(config.effective(platform, head), _by("the working tree's", platform), ())
    try:
        base = config.load_repo(base_root)
    except CmpError as exc:
        raise InputError(f"the base ref's {config.CONFIG_NAME} is invalid, and parity judges every app"
                         f" with it: {exc}") from None
    return Judged(config.effective(platform, base), _by("the base ref's", platform),
                  tuple(config.changes(base, head)))


def _by(which: str, platform: RepoConfig | None) -> str:
    repo = f"{which} .gitops-cmp.yaml"
    return f"{repo} and the platform config {platform.platform}" if platform is not None else repo


class Phases:
    """Wall time per phase of the run, for the JSON report."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.ms[name] = round((time.perf_counter() - started) * 1000, 1)


class Base(NamedTuple):
    """The base ref, and the part of its tree written under `root`."""

    commit: str
    root: Path
    changed: set[PurePosixPath]  # paths that differ between the commit and the working tree
    blobs: list[Blob]  # every blob of the base's directory
    left_out: list[Blob]  # those not written: the same as the working tree's (incremental.LeaveOut)
    leave: LeaveOut


def _base(root: Path, ref: str | None, scratch: Path, platform: RepoConfig | None) -> Base | None:
    """The base commit's tree, without what git reports the same as the working tree's: the charts
    (the base renders that read them from the base tree get theirs written when planned) and the
    Application files (discovery reuses the working tree's reading)."""
    if ref is None:
        return None
    from cmp import config
    from cmp.parity import gittree, incremental

    commit = gittree.resolve(root, ref)
    tree = scratch / "base"
    tree.mkdir()
    limit = config.load(root, platform).limits.max_chart_bytes  # no base blob over it is read
    changed = incremental.changed_paths(root, commit)
    leave = incremental.LeaveOut(changed)
    # When the repo is new in head, base stays empty: every app is added.
    extracted = gittree.extract_except(root, commit, tree, leave, limit) or gittree.Extracted([], [])
    return Base(commit, tree, changed, extracted.blobs, extracted.left_out, leave)


def _base_files(root: Path, base: Base, head_files: list[FileDocs]) -> list[FileDocs]:
    """The base's Application files, read: a file left out of the base tree is the working tree's
    file as it is, so its reading is the working tree's. An ApplicationSet's generators read the
    tree: with one in the base, the whole base tree is written."""
    from cmp import appdocs

    manifests = sorted(b.path for b in base.blobs if b.path.parts[0] == appdocs.APPS_DIR
                       and b.path.name.endswith(appdocs.MANIFEST_SUFFIXES))
    left = {b.path for b in base.left_out}.intersection(manifests)
    if not left:
        return appdocs.read_files(base.root)
    by_display = {f.display: f for f in head_files}
    unread = [b for b in base.left_out if b.path in left and str(b.path) not in by_display]
    if unread:  # left out, yet not in the working tree's reading (never seen): read the base's own
        _write_left_out(root, base, unread)
    resolved = base.root.resolve()
    files = [by_display[str(p)] if p in left and str(p) in by_display else appdocs.read_file(base.root / p, resolved)
             for p in manifests]
    if any(f.sets for f in files):
        _write_left_out(root, base, list(base.left_out))
        base.leave.charts.clear()
    return files


def _write_left_out(root: Path, base: Base, blobs: list[Blob]) -> None:
    from cmp.parity import gittree

    gittree.write_blobs(root, blobs, base.root)
    written = {id(b) for b in blobs}
    base.left_out[:] = [b for b in base.left_out if id(b) not in written]


def _out_dir(value: str | None) -> Path | None:
    """--out, created now: a path that cannot be a directory is refused before any render runs."""
    if value is None:
        return None
    out = Path(value)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {value}: exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {value}: cannot create the directory: {exc.strerror}") from None
    return out


def _finish(args: argparse.Namespace, results: list[AppResult], skipped: tuple[Skipped, ...], base: str | None,
            shard: Shard | None, out: Path | None, started: float, workers: int, phases: dict[str, float],
            judged: Judged) -> int:
    from cmp import config
    from cmp.log import logger
    from cmp.parity import report

    for result in results:
        if result.trace:
            print(f"gitops-cmp: internal error while rendering {result.name} (a bug; please report it):\n"
                  f"{result.trace}", file=sys.stderr)
    final = report.Report(tuple(results), tuple(skipped), base, str(shard) if shard else None,
                          time.monotonic() - started, phases, judged.by, config.digest(judged.policy),
                          judged.changes)
    if out is not None:
        try:
            write_out(out, results)
        except OSError as exc:  # removed or made read-only while the renders ran
            raise InputError(f"--out {out}: cannot write: {exc.strerror}") from None
    write_report(args, final)
    counts = final.counts()
    logger().info("parity", apps=len(results), skipped=len(final.skipped), workers=workers,
                  **{s.value: counts[s] for s in report.STATUS_ORDER},
                  duration_ms=round(final.seconds * 1000, 1), exit_code=int(final.exit_code))
    return final.exit_code


def write_report(args: argparse.Namespace, final: Report) -> None:
    from cmp.parity import markdown, report

    if args.format == "text":
        text = report.to_text(final, colour=use_colour(args.color, sys.stdout, os.environ))
    else:
        text = {"json": report.to_json, "markdown": markdown.to_markdown}[args.format](final)
    sys.stdout.write(text)
    sys.stdout.flush()


def merged(args: argparse.Namespace) -> int:
    """--merge: the shards' JSON reports as one report, nothing rendered."""
    from cmp.parity import merge

    final = merge.merge([Path(p) for p in args.merge])
    write_report(args, final)
    return final.exit_code


def use_colour(choice: str, stream: TextIO, environ: Mapping[str, str]) -> bool:
    if choice != "auto":
        return choice == "always"
    return not environ.get("NO_COLOR") and stream.isatty()


def write_out(out: Path, results: list[AppResult]) -> None:
    """DIR/<app>.yaml per app whose head passed every check, exactly generate's stdout; a failed
    or removed app's file from an earlier run is deleted, so DIR never shows stale manifests."""
    from cmp.parity.discover import is_valid_name

    for result in results:
        if not is_valid_name(result.name):
            continue  # a broken app named like a path: it has no manifests, and names no file here
        target = out / f"{result.name}.yaml"
        if result.stream is None:
            target.unlink(missing_ok=True)
            continue
        partial = target.with_name(f".{target.name}.partial")
        partial.write_bytes(result.stream.encode())
        os.replace(partial, target)
