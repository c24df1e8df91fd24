"""The one rule runner: every command (check, render, generate, parity) judges through it.

It runs the hooks of the rules it is given (`cmp.rules.RENDER_RULES` for a render, every rule of
`cmp.rules.RULES` for `check`), collects their Findings with repo-relative paths, and applies the
effective allow list with one semantics (`judge`). It reads no config: the caller passes the allow
list in (the repo's, or what a platform config lets count) and decides the exit code from the
Verdict.

Paths: a finding names the file as the repository does (`charts/webapp/templates/secret.yaml`,
`charts/webapp/charts/common-1.0.0.tgz:common/templates/x.yaml`), never as Helm's `# Source:` does
(`webapp/templates/secret.yaml`), so one `allow` entry means the same thing in every command.
"""

from collections.abc import Callable, Iterable
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from cmp.config import AllowEntry
from cmp.errors import CmpError
from cmp.findings import Finding, Severity

if TYPE_CHECKING:
    from cmp.config import RepoConfig
    from cmp.pipeline.inputs import Inputs
    from cmp.pipeline.manifests import Manifest
    from cmp.rules import Rule
    from cmp.templates.nodes import Tree

STALE_RULE = "stale-allow"


class Verdict(NamedTuple):
    """What the rules found, after the allow list: `findings` decide, `silenced` are kept for
    stale-entry detection (which entries matched something)."""

    findings: tuple[Finding, ...]
    silenced: tuple[tuple[Finding, AllowEntry], ...] = ()

    @property
    def blocked(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)


# ---- running the hooks ---------------------------------------------------------------------------


def check_inputs(inputs: "Inputs", rules: "Iterable[Rule]", tolerant: bool = False,
                 trees: "tuple[Tree, ...] | None" = None, chart_shown: str | None = None) -> list[Finding]:
    """Before Helm: templates and value files. `tolerant`: a rule that cannot read its input
    reports that as a finding and the others still run (check); else the error propagates (render).
    The templates are parsed once (or `trees` given) and passed to the rules as data, and dropped
    on return (Helm's render may run meanwhile: cmp.pipeline.run.judge_chart). `chart_shown`: the
    chart directory as findings name it, if known."""
    from cmp.templates import parse_all
    from cmp.templates.parser import collector_paused

    hooks = [(rule.id, rule.check_inputs) for rule in rules if rule.check_inputs]
    if not hooks:
        return []
    where = _chart_shown(inputs) if chart_shown is None else chart_shown
    findings: list[Finding] = []
    # The cycle collector stays off until the trees are gone: with it on, the first allocation after
    # the parse made a pass over every node of every tree (kube-prometheus-stack: 22 ms), all alive.
    with collector_paused():
        parsed = inputs._replace(trees=parse_all(inputs) if trees is None else trees)
        for rule_id, hook in hooks:
            findings += _run(rule_id, where, hook, tolerant, parsed)
        del parsed
    return findings


def prepare_values(inputs: "Inputs", rules: "Iterable[Rule]") -> dict[str, Any]:
    values = inputs.user_values
    for rule in rules:
        if rule.prepare_values:
            values = rule.prepare_values(inputs, values)
    return values


def check_output(inputs: "Inputs", manifests: "list[Manifest]", rules: "Iterable[Rule]",
                 tolerant: bool = False, chart_shown: str | None = None) -> list[Finding]:
    """On the rendered objects; findings name the template by its repo path."""
    where = _chart_shown(inputs) if chart_shown is None else chart_shown
    paths = source_paths(inputs, {m.source for m in manifests}, where)
    findings: list[Finding] = []
    for rule in rules:
        if rule.check_output:
            findings += _run(rule.id, where, rule.check_output, tolerant, inputs, manifests)
    return [f._replace(path=paths[f.path]) if f.path in paths else f for f in findings]


def check_repo(root: Path, config: "RepoConfig", rules: "Iterable[Rule]", where: str) -> list[Finding]:
    """Whole-repository rules (Applications, ...); always tolerant: `check` reports, never aborts."""
    findings: list[Finding] = []
    for rule in rules:
        if rule.check_repo:
            findings += _run(rule.id, where, rule.check_repo, True, root, config)
    return findings


def _run(rule_id: str, where: str, hook: Callable[..., Iterable[Finding]], tolerant: bool,
         *args: Any) -> list[Finding]:
    if not tolerant:
        return list(hook(*args))
    try:
        return list(hook(*args))
    except CmpError as exc:
        return [Finding(where, 0, 0, rule_id, Severity.ERROR, one_line(exc))]


def one_line(exc: CmpError) -> str:
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())


# ---- the allow list --------------------------------------------------------------------------------


def judge(findings: Iterable[Finding], allow: tuple[AllowEntry, ...]) -> Verdict:
    """Apply the effective allow list: the first entry that matches a finding silences it."""
    kept: list[Finding] = []
    silenced: list[tuple[Finding, AllowEntry]] = []
    for finding in sorted(set(findings)):
        entry = next((e for e in allow if matches(e, finding)), None)
        if entry is None:
            kept.append(finding)
        else:
            silenced.append((finding, entry))
    return Verdict(tuple(kept), tuple(silenced))


def matches(entry: AllowEntry, finding: Finding) -> bool:
    """Same rule, the finding's repo-relative path matches the entry's glob, and the fingerprint
    (when the entry names one) is the finding's."""
    if entry.rule != finding.rule or not fnmatchcase(finding.path, entry.path):
        return False
    return entry.fingerprint is None or entry.fingerprint == finding.fingerprint


def stale_entries(allow: tuple[AllowEntry, ...], verdict: Verdict, source: str) -> list[Finding]:
    """Entries that matched nothing: reported so the allow list cannot rot silently. Only
    meaningful when the verdict covers everything the entries could match (a whole repo)."""
    used = {entry for _, entry in verdict.silenced}
    return [
        Finding(source, 0, 0, STALE_RULE, Severity.WARNING,
                f"allow entry for rule {e.rule!r} at {e.path!r}"
                + (f" with fingerprint {e.fingerprint}" if e.fingerprint else "")
                + f" matched nothing; remove it{_path_hint(e)}")
        for e in allow if e not in used
    ]


def _path_hint(entry: AllowEntry) -> str:
    if entry.path.startswith(("charts/", "*")) or "/templates/" not in entry.path:
        return ""
    return (" (allow paths are repo-relative, e.g. charts/<chart>/templates/<file>, not Helm's"
            " <chart>/templates/<file>)")


# ---- paths ---------------------------------------------------------------------------------------


def source_paths(inputs: "Inputs", sources: Iterable[str], chart_shown: str | None = None) -> dict[str, str]:
    """Helm's `# Source:` name of each rendered file -> its path in the repository. `chart_shown`:
    the chart directory as findings name it, if known."""
    chart = _chart_shown(inputs) if chart_shown is None else chart_shown
    known = {helm_name(t.display, chart, inputs.chart_name): t.display for t in inputs.templates}
    return {source: known.get(source) or repo_path(chart, source) for source in sources}


def repo_path(chart_shown: str, source: str) -> str:
    """`webapp/crds/x.yaml` (Helm's name) as `<chart dir>/crds/x.yaml`, for files not in the map."""
    head, _, rest = source.partition("/")
    if not rest:
        return chart_shown
    return rest if chart_shown in ("", ".") else f"{chart_shown}/{rest}"


def helm_name(display: str, chart_shown: str, chart_name: str) -> str:
    """The name Helm gives a template of the chart: `<chart>/templates/x.yaml`; a subchart's as
    `<chart>/charts/<sub>/templates/x.yaml`, also when the subchart is packaged
    (`<chart dir>/charts/sub-1.0.0.tgz:sub/templates/x.yaml`)."""
    prefix = "" if chart_shown in ("", ".") else chart_shown + "/"
    rel = display[len(prefix):] if display.startswith(prefix) else display
    *archives, member = rel.split(":")
    parts = [chart_name, *(a.rsplit("/", 1)[0] for a in archives if "/" in a), member]
    return "/".join(parts)


def _chart_shown(inputs: "Inputs") -> str:
    from cmp.pipeline.inputs import display

    return display(inputs.chart_dir, inputs.request.repo_root.resolve())
