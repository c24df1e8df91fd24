"""env-conditional: templates never branch on the environment's name; values files carry every difference.

The chart's templates (everything under templates/, `_*.tpl` helpers and NOTES.txt included, any
file a template passes to `tpl` with `.Files.Get`, and any value string it passes to `tpl`, reported
at the `tpl` call) are parsed as Go templates and followed
the way Helm runs them. A finding is a place where the output depends on WHICH environment
renders the chart through template logic:

- a comparison or test (`eq`, `ne`, `has`, `hasPrefix`, `hasSuffix`, `contains`, `regexMatch`, ...)
  between an environment identity and anything (any stage name or prefix: `hasPrefix "feature" $env`),
  or between a value and an env-name literal (`envWords`, the fallback); wherever its result goes;
- config selected by environment: `index`/`pluck`/`get`/`dig`/`hasKey` keyed by an identity.

Environment identity: a values key whose value in each per-env value file of the chart
(`values/<env>.yaml`, `values/<env>/*.yaml`, `values-<env>.yaml`, `environments/<env>.yaml`)
is that env's name, a prefix or an abbreviation of it (inferred); a key named
after the environment (`deployEnv`, `werf.env`, `environment.name`, `global.env_name`) unless values.yaml
holds a map or list there; the `envIdentityKeys` at any nesting; `.Release.Namespace` and
`.Release.Name` (only against an env-name literal: `contains $name .Release.Name` is Helm's own
fullname helper); and anything derived from them: variables, string functions, `ternary`, dicts
passed to helpers, `set`, `toJson`/`fromJson`, `include`d helpers that print them. A string built
from an identity and other parts (`printf "%s-%s" $app $env`, `join`) counts like a release field:
only against an env-name literal.

FAIL: `{{ if eq .Values.env "prod" }}`, `{{ $e := .Values.global.env }}{{ if ne $e "dev" }}`,
      `{{ .Values.environment | hasPrefix "prod" }}`, `{{ index .Values.replicas .Values.env }}`,
      `{{ if hasSuffix "-prod" .Release.Namespace }}`, `{{ if hasPrefix "feature" .Values.environment.name }}`,
      `{{ if eq (include "app.env" .) "production" }}`, `{{ pluck .Values.werf.env .Values.host | first }}`
PASS: `{{ if .Values.isProd }}` / `{{ if .Values.production }}` (a switch each values file sets),
      `{{ range .Values.env }}` (container env vars), `{{ .Values.extraEnv }}`, `envFrom`,
      `env: {{ .Values.env }}` (printed, not branched on), `{{ eq .Values.service.type "LoadBalancer" }}`,
      `{{ eq .Values.server.mode "dev" }}` (a mode, not an env), `"letsencrypt-production"`,
      env words in comments and plain text, `.Capabilities` checks; not followed: a decision on a
      helper's literal output picked by an env branch (the branch in the helper is the finding)

Modes (`envConditionalMode` in .gitops-cmp.yaml): `block` (default) fails the render; `warn`
reports without failing; `strip` blanks every identity value (inferred, named or configured) before
Helm sees it, so those conditionals take the same branch in every environment (their findings
become warnings), while release-name and literal findings, which stripping cannot neutralise,
still block.
NOTES.txt findings are always warnings: NOTES changes no manifest.

Allow one place with a reason, in the template, right before the action:
`{{/* gitops-cmp:allow env-conditional reason="legacy ingress, JIRA-123" */}}`
"""

import errno
import fnmatch
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from cmp import yamlio
from cmp.chartmodel import is_notes
from cmp.config import EnvConditionalMode, RepoConfig
from cmp.errors import InputError
from cmp.findings import Finding, Severity
from cmp.pipeline.inputs import Inputs, confine, display, merge_values
from cmp.templates.nodes import Action, Branch, Comment, Node, Template, Tree, walk
from cmp.templates import TREE_BYTES_PER_CHAR, remembered
from cmp.templates import trees as chart_trees
from cmp.templates.scan import Hit, ScanResult, Settings, non_env_key, scan_trees

ID = "env-conditional"
HINTS = {
    "compare": "put what differs into values/<env>.yaml and branch on that setting"
               " (e.g. `replicaCount`, `ingress.enabled`), not on the environment's name",
    "select": "set the selected config directly in each values/<env>.yaml instead of selecting it"
              " by environment",
}
ALLOW = r"(?s)\s*gitops-cmp:allow\s+(?P<rule>[\w.-]+)(?P<rest>.*)"  # compiled when a chart has comments
ALLOW_MARK = "gitops-cmp:allow"  # what every comment ALLOW matches holds
REASON = r'reason\s*=\s*"(?P<reason>[^"]*)"'
STRIPPED = ""  # the value every identity key gets in strip mode: the same in every environment


def check_inputs(inputs: Inputs) -> Iterator[Finding]:
    result = scan_chart(inputs)
    mode = inputs.config.env_conditional_mode
    allows = list(allow_comments(result))
    may_allow = repo_may_allow(inputs.config)
    silenced = {id(hit) for allow in allows if allow.reason and may_allow for hit in allow.silences}
    for hit in result.hits:
        if id(hit) not in silenced:
            yield finding(hit, result.trees[hit.file], mode)
    for allow in allows:
        yield from allow.findings(mode) if may_allow else allow.refused(inputs.config.platform)


def repo_may_allow(config: RepoConfig) -> bool:
    """Inline allow comments are the repo's: with a platform config, they count only if its
    repoMayAllow names this rule."""
    return config.repo_may_allow is None or ID in config.repo_may_allow


def prepare_values(inputs: Inputs, values: dict[str, Any]) -> dict[str, Any]:
    """Strip mode: every identity key that holds a scalar is blanked (set to ""), in the chart's
    values.yaml too (the values given to Helm are then the merge of both, which Helm would make).

    Blank, not deleted: a deleted key reaches the template as nil, and `hasPrefix`/`index` fail
    on nil, while "" takes the same "not this environment" branch in every environment."""
    if inputs.config.env_conditional_mode is not EnvConditionalMode.STRIP:
        return values
    base = inputs.base_values.data if inputs.base_values else {}
    out = merge_values(base, values)
    for path in list(identity_paths(out, chart_settings(inputs))):
        out = set_path(out, path, STRIPPED)
    return out


# ---- identity inference -------------------------------------------------------------------------

# Not ci/: its files are named after test scenarios (ci/daemonset-values.yaml sets `kind: DaemonSet`).
ENV_DIRS = ("values", "env", "envs", "environments")
ENV_FILE = r"(?:values[-._](?P<a>[\w-]+)|(?P<b>[\w-]+?)(?:[-._]values)?)\.ya?ml"


def settings(config: RepoConfig, value_files: Mapping[str, Any] | None = None) -> Settings:
    """The scan's settings for a chart whose value files (chart-relative path -> parsed data,
    `values.yaml` included) are `value_files`."""
    files = value_files or {}
    templated = {(path, text) for data in files.values() for path, text in scalars(data) if "{{" in text}
    return Settings.of(config.env_words, config.env_identity_keys, infer_identity(files),
                       containers(files.get("values.yaml")), templated)


def chart_settings(inputs: Inputs) -> Settings:
    """`settings` for the chart's value files; remembered by their names and texts while parity
    renders (cmp.templates.remembered): the base and head of an app, and the chart's other
    environments, read the same files."""
    texts = value_file_texts(inputs)
    key = (ID, inputs.config.env_words, inputs.config.env_identity_keys,
           tuple(sorted((name, text) for name, (text, _) in texts.items())))
    cost = SETTINGS_BYTES + 2 * sum(len(text) for text, _ in texts.values())
    return remembered(key, cost, lambda: settings(inputs.config, _parsed(texts)))


SETTINGS_BYTES = 4096  # a Settings' own size, about: a few frozensets of short paths


def infer_identity(value_files: Mapping[str, Any]) -> set[tuple[str, ...]]:
    """Paths whose value in every per-env value file that sets them is that env's own name (or a
    prefix or abbreviation of it: `prod` in production.yaml, `stg` in staging.yaml); not keys that
    name a kind of thing (`kind`, `mode`, `type`), whose values coincide with file names."""
    verdicts: dict[tuple[str, ...], bool] = {}
    evidence: dict[tuple[str, ...], int] = {}
    for name, data in value_files.items():
        env = env_of(name)
        if env is None:
            continue
        # values/<env>.yaml names an environment for sure (the standard's layout); values-web.yaml
        # may name a component: a key there counts once two such files agree.
        weight = 2 if name.startswith("values/") else 1
        for path, value in scalars(data):
            verdicts[path] = verdicts.get(path, True) and names_env(value, env)
            evidence[path] = evidence.get(path, 0) + weight
    return {path for path, ok in verdicts.items() if ok and evidence[path] >= 2 and not non_env_key(path[-1])}


def env_of(name: str) -> str | None:
    """The environment a chart-relative value file belongs to: values/prod.yaml,
    values/prod/values.yaml, values-prod.yaml, environments/prod-values.yaml."""
    parts = PurePosixPath(name).parts
    if len(parts) == 3 and parts[0] in ENV_DIRS and re.fullmatch(r"[\w-]+\.ya?ml", parts[2]):
        return parts[1].lower()
    match = re.fullmatch(ENV_FILE, parts[-1])
    if not match or (len(parts) == 1) == (match.group("a") is None):
        return None
    if len(parts) == 2 and parts[0] not in ENV_DIRS or len(parts) > 2:
        return None
    env = (match.group("a") or match.group("b")).lower()
    return None if env in ("values", "default", "defaults", "common", "base", "secrets") else env


def names_env(value: str, env: str) -> bool:
    value = value.lower()
    if value == env:
        return True
    if len(value) < 2 or value[0] != env[0]:
        return False
    rest = iter(env)
    return all(c in rest for c in value) or env.startswith(value) or value.startswith(env)


def scalars(data: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from scalars(value, (*path, str(key)))
    elif isinstance(data, str) and path:
        yield path, data


def containers(data: Any, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Paths of values.yaml that hold a map or a list (`env: []`): never an env's name."""
    found: set[tuple[str, ...]] = set()
    if isinstance(data, dict):
        if path:
            found.add(path)
        for key, value in data.items():
            found |= containers(value, (*path, str(key)))
    elif isinstance(data, list) and path:
        found.add(path)
    return found


def chart_value_files(inputs: Inputs) -> dict[str, Any]:
    """values.yaml and every per-env value file of the chart, parsed; one that cannot be read
    (too big, not YAML, outside the repo) is left out: the render reports the ones it uses."""
    return _parsed(value_file_texts(inputs))


Loaded = Callable[[], Any]  # a value file's data, parsed when asked; None when it is not YAML


def value_file_texts(inputs: Inputs) -> dict[str, tuple[str, Loaded]]:
    """What `chart_value_files` parses: name -> (text, its parse), unparsed."""
    chart = inputs.chart_dir
    files: dict[str, tuple[str, Loaded]] = {}
    if inputs.base_values is not None:
        files["values.yaml"] = _given(inputs.base_values.text, inputs.base_values.data)
    if inputs.request.env:
        for value_file in inputs.value_files:
            if value_file.path.parent == chart / "values":
                files[f"values/{inputs.request.env}.yaml"] = _given(value_file.text, value_file.data)
    root: Path | None = None  # resolved once, for the first file read
    for path in sibling_value_files(chart):
        name = path.relative_to(chart).as_posix()
        if name not in files and env_of(name) is not None:
            root = root or inputs.request.repo_root.resolve()
            read = read_value_text(path, inputs, root)
            if read is not None:
                files[name] = read
    return files


def _given(text: str, data: Any) -> tuple[str, Loaded]:
    return text, lambda: data


def _parsed(texts: Mapping[str, tuple[str, Loaded]]) -> dict[str, Any]:
    return {name: data for name, (_, load) in texts.items() if (data := load()) is not None}


def sibling_value_files(chart: Path) -> Iterable[Path]:
    """What `chart.glob` gives for `values[-._]*.y*ml`, then for each of ENV_DIRS that is a directory
    `<dir>/*.y*ml` and `<dir>/*/*.y*ml`, each sorted: the same walk (pathlib's, Python 3.11: names
    matched case-sensitively, hidden ones too, directories followed through links, an unreadable
    directory skipped), without building the pattern's selectors on every render."""
    if not chart.is_dir():
        return
    yield from sorted(_listed(chart, _VALUES_NAME))
    for folder in ENV_DIRS:
        directory = chart / folder
        if directory.is_dir():
            yield from sorted(_listed(directory, _YAML_NAME))
            yield from sorted(p for sub in _listed(directory, _ANY_NAME, dirs_only=True) for p in _listed(sub, _YAML_NAME))


_VALUES_NAME = re.compile(fnmatch.translate("values[-._]*.y*ml")).fullmatch
_YAML_NAME = re.compile(fnmatch.translate("*.y*ml")).fullmatch
_ANY_NAME = re.compile(fnmatch.translate("*")).fullmatch
_GONE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})  # pathlib's ignored errors


def _listed(directory: Path, match: Callable[[str], object], dirs_only: bool = False) -> list[Path]:
    """The entries of `directory` whose names `match` (only directories, links to them included, with
    `dirs_only`), as pathlib's glob lists them; none when the directory cannot be read."""
    try:
        with os.scandir(directory) as listing:
            entries = list(listing)
        found = []
        for entry in entries:
            if dirs_only:
                try:
                    if not entry.is_dir():
                        continue
                except OSError as exc:
                    if exc.errno not in _GONE:
                        raise
                    continue
            if match(entry.name):
                found.append(directory / entry.name)
        return found
    except PermissionError:
        return []


def read_value_text(path: Path, inputs: Inputs, root: Path) -> tuple[str, Loaded] | None:
    """`root`: the repository root, resolved."""
    try:
        shown = confine(path, root, "value file").as_posix()
        text = yamlio.read_text(path, shown, inputs.config.limits.max_file_bytes)
    except InputError:
        return None
    return text, lambda: _load(text, shown)


def _load(text: str, shown: str) -> Any:
    try:
        return yamlio.load_one(text, shown)
    except InputError:
        return None


# ---- scanning -------------------------------------------------------------------------------


def scan_chart(inputs: Inputs) -> ScanResult:
    """The scan of the chart's templates. While parity renders, remembered by the settings and the
    templates' names and texts, with the answer to each `.Files.Get` the scan followed: the base and
    head of an app, and the chart's other environments, scan the same templates with the same
    settings. The scan is a pure function of those and of the answers, so a remembered result is
    used only when this chart's files give the same answers."""
    trees = chart_trees(inputs)
    files = [(t.display, tree) for t, tree in zip(inputs.templates, trees)]
    chart = chart_settings(inputs)
    asked: list[tuple[str, tuple[str, str] | None]] = []

    def load(path: str) -> tuple[str, str] | None:
        answer = tpl_file(inputs, path)
        asked.append((path, answer))
        return answer

    def scan() -> tuple[ScanResult, tuple[tuple[str, tuple[str, str] | None], ...]]:
        return scan_trees(files, chart, load), tuple(asked)

    key = (SCAN_ID, chart, tuple((t.display, t.text) for t in inputs.templates))
    text = sum(len(t.text) for t in inputs.templates)
    result, followed = remembered(key, SCAN_BYTES + TREE_BYTES_PER_CHAR * text, scan)
    if followed and not asked and any(tpl_file(inputs, path) != answer for path, answer in followed):
        return scan()[0]  # remembered for other files than this chart's
    return result


SCAN_ID = ID + ":scan"
SCAN_BYTES = 8192  # a ScanResult's hits and dict, about; its trees are counted at the parse's estimate


def tpl_file(inputs: Inputs, path: str) -> tuple[str, str] | None:
    """A chart file that a template renders with `tpl (.Files.Get path)`: a template too. Looked up
    in the files Helm is handed (confined, read once: cmp.pipeline.chartfiles), by Helm's own key."""
    if path.split("/", 1)[0] == "templates":
        return None  # Helm's .Files holds only the chart's own files, templates/ excluded
    found = next((f for f in inputs.files if f.rel == path), None)
    if found is None:
        return None
    shown = display(inputs.chart_dir / path, inputs.request.repo_root.resolve())
    if len(found.data) > inputs.config.limits.max_file_bytes:
        return None  # Helm would not render it either; the render reports the problem
    try:
        return shown, yamlio.decode(found.data, shown)
    except InputError:
        return None


def finding(hit: Hit, tree: Tree, mode: EnvConditionalMode) -> Finding:
    line, column = tree.source.where(hit.offset)
    if hit.kind == "syntax":
        message = (f"cannot scan this template: {hit.why} (Go template syntax); Helm refuses it too")
    else:
        message = f"`{hit.expression}` branches on the environment: {hit.why}; {HINTS[hit.kind]}"
        if mode is EnvConditionalMode.STRIP and not hit.neutralisable:
            message += " (strip mode cannot neutralise it)"
    return Finding(hit.file, line, column, ID, severity(hit, mode), message)


def severity(hit: Hit, mode: EnvConditionalMode) -> Severity:
    if is_notes(hit.file) or mode is EnvConditionalMode.WARN:
        return Severity.WARNING
    if mode is EnvConditionalMode.STRIP and hit.neutralisable:
        return Severity.WARNING
    return Severity.ERROR


# ---- inline allow comments --------------------------------------------------------------------


class Allow(NamedTuple):
    file: str
    line: int
    column: int
    reason: str
    silences: tuple[Hit, ...]

    def refused(self, platform: str) -> Iterator[Finding]:
        yield Finding(self.file, self.line, self.column, ID, Severity.WARNING,
                      f"allow comment has no effect: the platform config ({platform}) does not let"
                      f" repositories allow {ID} (repoMayAllow)")

    def findings(self, mode: EnvConditionalMode) -> Iterator[Finding]:
        if not self.reason:
            level = Severity.WARNING if mode is EnvConditionalMode.WARN or is_notes(self.file) else Severity.ERROR
            yield Finding(self.file, self.line, self.column, ID, level,
                          'allow comment without a reason silences nothing: write'
                          ' {{/* gitops-cmp:allow env-conditional reason="why" */}}')
        elif not self.silences:
            yield Finding(self.file, self.line, self.column, ID, Severity.WARNING,
                          "allow comment silences nothing (no finding in the action after it); remove it")


def allow_comments(result: ScanResult) -> Iterator[Allow]:
    """Each allow comment covers the findings of the first action that follows it."""
    by_file: dict[str, list[Hit]] = {}
    for hit in result.hits:
        if hit.kind != "syntax":
            by_file.setdefault(hit.file, []).append(hit)
    for name, tree in result.trees.items():
        if ALLOW_MARK not in tree.source.text:  # a comment's body is part of the text: no allow comment here
            continue
        spans = sorted(action_spans(tree.nodes))
        for comment in comments(tree.nodes):
            match = re.match(ALLOW, comment.body)
            if not match or match.group("rule") != ID:
                continue
            reason = re.search(REASON, match.group("rest"))
            span = next(((s, e) for s, e in spans if s >= comment.end), None)
            hits = tuple(h for h in by_file.get(name, []) if span and span[0] <= h.offset < span[1])
            line, column = tree.source.where(comment.pos)
            yield Allow(name, line, column, reason.group("reason").strip() if reason else "", hits)


def action_spans(nodes: tuple[Node, ...]) -> Iterator[tuple[int, int]]:
    for node in walk(nodes):
        if isinstance(node, Action):
            yield node.pos, node.end
        elif isinstance(node, Branch):
            yield node.pos, node.header_end
        elif isinstance(node, Template):
            yield node.pos, node.pipe.end if node.pipe else node.end


def comments(nodes: tuple[Node, ...]) -> Iterator[Comment]:
    return (node for node in walk(nodes) if isinstance(node, Comment))


# ---- strip mode --------------------------------------------------------------------------------


def identity_paths(values: Any, chosen: Settings,
                   path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Paths to scalar values that the scan takes for an identity (list elements walked through)."""
    if isinstance(values, dict):
        for key, value in values.items():
            yield from identity_paths(value, chosen, (*path, str(key)))
    elif isinstance(values, list):
        for index, value in enumerate(values):
            yield from identity_paths(value, chosen, (*path, index))
    elif path and values != STRIPPED and isinstance(path[-1], str):
        if chosen.is_identity(tuple(p if isinstance(p, str) else "[]" for p in path)):
            yield path


def set_path(values: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """A copy of `values` with `value` at `path`; the maps and lists on the way are copied."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(values) if isinstance(values, list) else []
        if head < len(items):
            items[head] = set_path(items[head], rest, value)
        return items
    mapping = dict(values) if isinstance(values, dict) else {}
    mapping[head] = set_path(mapping.get(head), rest, value)
    return mapping
