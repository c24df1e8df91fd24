"""`gitops-cmp check`: every registered rule over charts or whole repositories, one report.

For each PATH: the repository rules (`check_repo`) once per repository, and for each chart and
environment (`values/<env>.yaml`) what render and generate judge: the input rules, Helm
in-process, the output rules (pipeline.run.judge_chart), so check's verdict is theirs. A chart
that cannot be read or rendered is a finding, not an abort. In strip mode it also renders each
environment without stripping and reports what stripping changes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from cmp import config as repo_config
from cmp.commands.common import reader_may_close
from cmp.config import CONFIG_NAME, AllowEntry, EnvConditionalMode, RepoConfig
from cmp.context import RenderRequest, check_env_name, find_repo_root, is_repo_root
from cmp.errors import CmpError, InputError
from cmp.exitcodes import ExitCode
from cmp.findings import Finding, Severity, has_errors
from cmp.report import REPORTERS, CheckReport
from cmp.verdict import one_line
from cmp.walk import walk

if TYPE_CHECKING:
    from cmp.pipeline.inputs import Inputs
    from cmp.templates.nodes import Tree

HELP = "every rule over charts or a whole repo, as the render would judge them (env conditionals, secrets, ...)"
DESCRIPTION = """\
Run every registered rule over each PATH (default: the current directory): the repository rules
once per repository, and for each chart and environment (each values/<env>.yaml) the same
checks a render runs: template and value-file rules, an in-process Helm render, and the rules
on the rendered objects. Findings go to stdout in the chosen format; exit 1 when any is an error.

  gitops-cmp check                          # the repo you are in
  gitops-cmp check charts/webapp --format json
  gitops-cmp check --format github          # annotations in a GitHub Actions log
"""
INPUT_RULE = "inputs"  # a chart whose inputs cannot be read


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("check", help=HELP, description=DESCRIPTION,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="a repository, a directory of charts, a chart, or a file in a chart (default: .)")
    parser.add_argument("--format", choices=tuple(REPORTERS), default="text",
                        help="report format on stdout (default: text)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths or ["."]]
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
    report = check(paths, args.platform)  # a runaway file or template stops it: Abort, exit 3
    code = ExitCode.POLICY if has_errors(report.findings) else ExitCode.OK
    with reader_may_close():  # `check | head`: the reader has what it wanted; the verdict stands
        REPORTERS[args.format](report, sys.stdout)
    return code


class _Repo(NamedTuple):
    root: Path
    config: RepoConfig
    is_repo: bool
    whole: bool  # the repo root itself was asked for, not only some charts in it
    charts: frozenset[Path]


def check(paths: Iterable[Path], platform: RepoConfig | None = None) -> CheckReport:
    from cmp.rules import RULES

    repos = plan(paths, platform)
    findings: list[Finding] = []
    for repo in repos.values():
        findings.extend(check_one_repo(repo))
    docs = tuple((rule.id, rule.doc) for rule in RULES.values())
    charts = sum(len(r.charts) for r in repos.values())
    return CheckReport(tuple(sorted(set(findings))), charts, len(repos), docs)


def plan(paths: Iterable[Path], platform: RepoConfig | None = None) -> dict[Path, _Repo]:
    asked: dict[Path, list[Path]] = {}
    for path in paths:
        path = path.resolve()
        asked.setdefault(find_repo_root(path if path.is_dir() else path.parent), []).append(path)
    return {root: _Repo(root, repo_config.load(root, platform), is_repo_root(root),
                        root in found, frozenset(chart for path in found for chart in charts_at(path, root)))
            for root, found in asked.items()}


def check_one_repo(repo: _Repo) -> list[Finding]:
    from cmp import verdict
    from cmp.rules import RULES

    findings: list[Finding] = []
    from cmp.deadline import alarm

    if repo.is_repo:
        with alarm(repo.config.limits.deadline_seconds, f"check of the repository's files ({repo.root.name}/)"):
            findings.extend(verdict.check_repo(repo.root, repo.config, RULES.values(), CONFIG_NAME))
    for chart in sorted(repo.charts):
        findings.extend(check_chart(chart, repo.root, repo.config, repo.config.allow))
    judged = verdict.judge(findings, repo.config.allow)
    kept = list(judged.findings)
    if repo.whole:  # a partial check cannot tell whether an entry for another chart is stale
        mine = tuple(entry for entry in repo.config.allow if not entry.origin)  # the platform's span repos
        kept.extend(verdict.stale_entries(mine, judged, CONFIG_NAME))
    kept.extend(ignored_entries(repo.config))
    return kept


def ignored_entries(cfg: RepoConfig) -> list[Finding]:
    """The repo's allow entries for rules the platform config does not let it allow."""
    from cmp.verdict import STALE_RULE

    may = ", ".join(sorted(cfg.repo_may_allow or ())) or "none"
    return [Finding(CONFIG_NAME, 0, 0, STALE_RULE, Severity.WARNING,
                    f"allow entry for rule {e.rule!r} at {e.path!r} has no effect: the platform config"
                    f" ({cfg.platform}) lets repositories allow only these rules: {may} (repoMayAllow)")
            for e in cfg.ignored_allow]


# ---- charts -----------------------------------------------------------------------------------


def charts_at(path: Path, root: Path) -> list[Path]:
    """The chart PATH is in (a chart dir, or a file or dir inside one), else every chart under it."""
    owner = owning_chart(path, root)
    if owner is not None:
        return [owner]
    if not path.is_dir():
        return []
    found: list[Path] = []
    for dirpath, dirnames, filenames in walk(path, skip=lambda name: name.startswith(".")):
        if "Chart.yaml" in filenames:
            found.append(dirpath)
            dirnames[:] = []  # a chart's charts/ holds vendored dependencies, not ours
    return found


def owning_chart(path: Path, root: Path) -> Path | None:
    start = path if path.is_dir() else path.parent
    found: Path | None = None
    for directory in (start, *start.parents):
        if (directory / "Chart.yaml").is_file():
            found = directory  # keep going: a vendored subchart belongs to the chart above it
        if directory == root or root not in directory.parents:
            break
    return found


def environments(chart: Path) -> list[str]:
    values = chart / "values"
    names = sorted(p.name[: -len(".yaml")] for p in values.glob("*.yaml")) if values.is_dir() else []
    return names or [""]


def check_chart(chart: Path, root: Path, config: RepoConfig, allow: tuple[AllowEntry, ...]) -> Iterator[Finding]:
    """Each environment as render and generate judge it: input rules, Helm, output rules."""
    from cmp.deadline import alarm
    from cmp.pipeline import inputs

    shown = inputs.display(chart, root)
    parsed: dict[tuple[str, ...], tuple[Tree, ...]] = {}  # the envs of a chart share its templates
    for env in environments(chart):
        # Each environment under the deadline: a pathological file stops the check (Abort, exit 3).
        with alarm(config.limits.deadline_seconds, f"check of {shown} (env {env or '(none)'})"):
            found = list(_check_env(chart, env, root, config, allow, shown, parsed))
        yield from found


def _check_env(chart: Path, env: str, root: Path, config: RepoConfig, allow: tuple[AllowEntry, ...],
               shown: str, parsed: dict[tuple[str, ...], tuple[Tree, ...]]) -> Iterator[Finding]:
    from cmp.pipeline import inputs
    from cmp.templates import parse_all

    try:
        if env:
            check_env_name(env, f"{shown}/values/{env}.yaml")
        request = RenderRequest(repo_root=root, chart_dir=chart, env=env, release=None, namespace=None)
        gathered = inputs.gather(request, config)
    except CmpError as exc:
        yield Finding(shown, 0, 0, INPUT_RULE, Severity.ERROR, one_line(exc))
        return
    strip = config.env_conditional_mode is EnvConditionalMode.STRIP
    texts = tuple(t.text for t in gathered.templates)
    if texts not in parsed:
        parsed[texts] = parse_all(gathered)
    yield from judge_env(gathered, shown, allow, parsed[texts], report_failure=not strip)
    if strip:  # a failed stripped render is explained there: the chart needs its env identity
        yield from strip_changes(gathered, shown)


def judge_env(gathered: Inputs, shown: str, allow: tuple[AllowEntry, ...], trees: tuple[Tree, ...],
              report_failure: bool = True) -> Iterator[Finding]:
    """The render pipeline's findings for one env, before the allow list: what render judges."""
    from cmp.pipeline import run
    from cmp.rules import RULES

    try:
        findings, _ = run.judge_chart(gathered, allow, RULES.values(), tolerant=True, trees=trees)
    except CmpError as exc:
        if report_failure:
            env = gathered.request.env or "(no env)"
            yield Finding(shown, 0, 0, run.RENDER_RULE, Severity.ERROR, f"env {env}: {one_line(exc)}")
        return
    yield from findings


# ---- strip mode: what the stripped render changes ------------------------------------------------


def strip_changes(gathered: Inputs, shown: str) -> Iterator[Finding]:
    """Render the env with and without the env identity; one warning per object that differs."""
    from cmp.rules.env_conditional import ID

    env = gathered.request.env or "(no env)"
    unstripped = gathered._replace(config=gathered.config._replace(env_conditional_mode=EnvConditionalMode.WARN))
    try:
        before = render_objects(unstripped, shown)
    except CmpError as exc:
        yield Finding(shown, 0, 0, ID, Severity.ERROR, f"strip check: env {env!r} does not render: {one_line(exc)}")
        return
    try:
        after = render_objects(gathered, shown)
    except CmpError as exc:
        yield Finding(shown, 0, 0, ID, Severity.ERROR,
                      f"strip mode breaks the render of env {env!r} (the chart needs its env identity;"
                      f" move what it decides into values/{env}.yaml): {one_line(exc)}")
        return
    for key in sorted(before.keys() | after.keys()):
        change = describe_change(before.get(key), after.get(key))
        if change:
            source = (after.get(key) or before[key])[0]
            yield Finding(source_path(gathered, source), 0, 0, ID, Severity.WARNING,
                          f"strip changes the {env} render of {key}: {change}; set this in values/{env}.yaml"
                          " instead of deriving it from the environment's name")


def render_objects(gathered: Inputs, shown: str) -> dict[str, tuple[str, dict[str, Any]]]:
    from cmp.pipeline import manifests, run

    return {manifests.signature(obj): (manifest.source, obj)
            for manifest in run.render_objects(gathered, shown) for obj in manifest.objects()}


def describe_change(before: tuple[str, dict[str, Any]] | None, after: tuple[str, dict[str, Any]] | None) -> str:
    """Operations and JSON pointers only: values are never shown (they may be secret)."""
    import jsonpatch

    if before is None:
        return "the object appears only when stripped"
    if after is None:
        return "the object disappears when stripped"
    ops = jsonpatch.make_patch(before[1], after[1]).patch
    if not ops:
        return ""
    shown = [f"{op['op']} {op['path']}" for op in ops[:8]]
    if len(ops) > 8:
        shown.append(f"and {len(ops) - 8} more")
    return ", ".join(shown)


def source_path(gathered: Inputs, source: str) -> str:
    from cmp.verdict import source_paths

    return source_paths(gathered, [source])[source]
