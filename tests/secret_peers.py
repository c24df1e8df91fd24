"""Secret corpora built from material nobody here wrote, read from pinned git snapshots at test time.

Sources (each a bare git dir that the search tool's `fetch` brings to /work/.mirror/, read with
`git show COMMIT:PATH`; nothing of them is committed here, so on a machine without the snapshot the
tests that need one skip and say which):

- gitleaks (MIT, Zachary Rice), `cmd/generate/config/rules/*.go`: each rule's true-positive samples.
  Literal samples are kept as written (a line of code or config holding the secret); samples that
  gitleaks generates from a regex (`"hf_" + secrets.NewSecret(utils.AlphaNumeric("34"))`) are
  generated the same way here, seeded by rule id, so the corpus is stable. The secret inside a literal
  line is cut out with that rule's own regex (`config/gitleaks.toml`, same commit); a line the rule's
  regex does not match in Python is counted and left out. False-positive samples (`fps`) are
  genuine non-secrets the gitleaks authors chose.
- Yelp's detect-secrets (Apache-2.0), `tests/plugins/*_test.py`: each plugin's `(line, should_flag)`
  parameters, where both are literals (plugins that judge context rather than a value are left out:
  keyword, high entropy, public IP).
- External Secrets Operator's documentation snippets (`docs/snippets/*.yaml`, Apache-2.0): the ESO
  standard's corpus (tests/rules/test_eso_snippets.py labels them).
- public Helm charts (prometheus-community, grafana, argo-helm; Apache-2.0): every scalar leaf of
  every chart's values.yaml is a genuine non-secret (what a real chart ships by default), except the
  labelled true violations in `CHART_VIOLATIONS`.

Every sample becomes several manifest shapes (`SHAPES`): the same secret under a neutral key, under
a sensitive env name, as a `--flag=` container arg, base64 in a Secret, as a config-file line in a
ConfigMap and in a value file.
"""

from __future__ import annotations

import base64
import random
import re
import subprocess
import tomllib
from re import _constants as sre_constants  # type: ignore[attr-defined]  # sre_* are deprecated aliases
from re import _parser as sre_parse  # type: ignore[attr-defined]
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

MIRROR = Path("/work/.mirror")


@dataclass(frozen=True)
class Source:
    repo: str  # owner/name
    commit: str
    licence: str

    @property
    def git_dir(self) -> Path:
        return MIRROR / self.repo.replace("/", "+") / "repo"

    def available(self) -> bool:
        if not self.git_dir.is_dir():
            return False
        probe = subprocess.run(["git", "--git-dir", str(self.git_dir), "cat-file", "-e", f"{self.commit}^{{commit}}"],
                               capture_output=True, timeout=60)
        return probe.returncode == 0

    def show(self, path: str) -> str:
        return subprocess.run(["git", "--git-dir", str(self.git_dir), "show", f"{self.commit}:{path}"],
                              capture_output=True, text=True, check=True, timeout=60).stdout

    def ls(self, under: str = "") -> list[str]:
        args = ["git", "--git-dir", str(self.git_dir), "ls-tree", "-r", "--name-only", self.commit]
        out = subprocess.run([*args, *([under] if under else [])], capture_output=True, text=True, check=True,
                             timeout=60).stdout
        return out.splitlines()


GITLEAKS = Source("gitleaks/gitleaks", "b58d3f102cf3a2c84cb7f923d05c25c9b1aed84b", "MIT")
DETECT_SECRETS = Source("Yelp/detect-secrets", "5e141933554a0b74e7341841f318be21e895339c", "Apache-2.0")
ESO = Source("external-secrets/external-secrets", "cc5bfbc2234ace9cb0caff4ea89c435cf517b27b", "Apache-2.0")
CHARTS = (
    Source("prometheus-community/helm-charts", "cf408a290aec489277a94450bb3511432477a53a", "Apache-2.0"),
    Source("grafana/helm-charts", "7a0ab968961a165318ab95ff678908c3b9bc3240", "Apache-2.0"),
    Source("argoproj/argo-helm", "af0a9310bacbaa4636018dfe22c801a6d33a5c43", "Apache-2.0"),
)


@dataclass(frozen=True)
class Sample:
    source: str  # "gitleaks:<rule id>"
    secret: str
    line: str  # the line the authors wrote it in (or a generated `key = "secret"` line)


# --- gitleaks: Go regex to Python ------------------------------------------------------------------

_POSIX = {"alnum": "a-zA-Z0-9", "alpha": "a-zA-Z", "digit": "0-9", "lower": "a-z", "upper": "A-Z",
          "space": r"\s", "xdigit": "0-9A-Fa-f", "word": r"\w", "punct": r"!-/:-@\[-`{-~"}
_INLINE_FLAGS = re.compile(r"\(\?([imsU-]+)\)")


def go_regex(pattern: str) -> str:
    """RE2 syntax Python's `re` reads differently: POSIX classes, `\\z`, flags set mid-group (which
    RE2 applies to the rest of the group and Python refuses)."""
    text = re.sub(r"\[:(\w+):\]", lambda m: _POSIX[m.group(1)], pattern).replace(r"\z", r"\Z")
    while True:
        found = next((m for m in _INLINE_FLAGS.finditer(text) if m.start() > 0), None)
        if found is None:
            return text
        end = _group_end(text, found.end())
        text = f"{text[:found.start()]}(?{found.group(1)}:{text[found.end():end]}){text[end:]}"


def _group_end(text: str, start: int) -> int:
    depth, i, in_class = 0, start, False
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            i += text[i + 1:i + 2] == "]"
        elif c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return len(text)


# --- gitleaks: samples -----------------------------------------------------------------------------

_UTILS = {"Numeric": "[0-9]{%s}", "Hex": "[a-f0-9]{%s}", "AlphaNumeric": "[a-z0-9]{%s}",
          "AlphaNumericExtendedShort": "[a-z0-9_-]{%s}", "AlphaNumericExtended": r"[a-z0-9=_\-]{%s}",
          "AlphaNumericExtendedLong": r"[a-z0-9\/=_\+\-]{%s}"}
_GO_STRING = r'"(?:[^"\\\n]|\\.)*"|`[^`]*`'
_TOKEN = re.compile(rf"\s*(?:(?P<s>{_GO_STRING})|(?P<new>secrets\.NewSecret\()|utils\.(?P<u>\w+)\((?P<ua>{_GO_STRING})?\))")


def _go_literal(token: str) -> str:
    if token.startswith("`"):
        return token[1:-1]
    return bytes(token[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def _concat(text: str, at: int, rng: random.Random) -> tuple[str, int] | None:
    """Evaluate `"a" + secrets.NewSecret(utils.Hex("32")) + ...` from `at`; (value, end) or None."""
    parts: list[str] = []
    while True:
        match = _TOKEN.match(text, at)
        if match is None:
            return None
        at = match.end()
        if match.group("s"):
            parts.append(_go_literal(match.group("s")))
        elif match.group("u"):
            if match.group("u") == "Hex8_4_4_4_12":
                parts.append("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
            elif match.group("u") in _UTILS and match.group("ua"):
                parts.append(_UTILS[match.group("u")] % _go_literal(match.group("ua")))
            else:
                return None
        else:
            inner = _concat(text, at, rng)
            if inner is None or not text.startswith(")", inner[1]):
                return None
            parts.append(generate(inner[0], rng))
            at = inner[1] + 1
        rest = re.match(r"\s*\+", text[at:])
        if not rest:
            return "".join(parts), at
        at += rest.end()


def generate(pattern: str, rng: random.Random) -> str:
    """A string matching `pattern` (as gitleaks' secrets.NewSecret makes its samples)."""
    return _emit(sre_parse.parse(go_regex(pattern)), rng)


def _emit(nodes: Any, rng: random.Random) -> str:
    out = []
    for op, arg in nodes:
        if op is sre_constants.LITERAL:
            out.append(chr(arg))
        elif op is sre_constants.IN:
            out.append(_pick(arg, rng))
        elif op is sre_constants.ANY:
            out.append(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789"))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            low, high, body = arg
            count = rng.randint(low, min(high, low + 8)) if high != sre_constants.MAXREPEAT else low + 4
            out.extend(_emit(body, rng) for _ in range(count))
        elif op is sre_constants.SUBPATTERN:
            out.append(_emit(arg[-1], rng))
        elif op is sre_constants.BRANCH:
            out.append(_emit(rng.choice(arg[1]), rng))
    return "".join(out)


def _pick(items: Any, rng: random.Random) -> str:
    chars: list[str] = []
    for op, arg in items:
        if op is sre_constants.LITERAL:
            chars.append(chr(arg))
        elif op is sre_constants.RANGE:
            chars.extend(chr(c) for c in range(arg[0], arg[1] + 1))
        elif op is sre_constants.CATEGORY:
            chars.extend("0123456789" if arg is sre_constants.CATEGORY_DIGIT else "abcdefghijklmnopqrstuvwxyz_")
    return rng.choice(chars) if chars else "a"


_FUNC = re.compile(r"^func (\w+)\(", re.MULTILINE)
_RULE_ID = re.compile(r'RuleID:\s*"([^"]+)"')
_SAMPLE_CALL = re.compile(r"utils\.GenerateSampleSecrets?\(\s*(" + _GO_STRING + r")\s*,")
_LIST_ITEM = re.compile(r"(?:^|[{,]|(?<![\w.])\()[ \t]*(?=[\"`]|secrets\.NewSecret)", re.MULTILINE)


@cache
def gitleaks_rules() -> dict[str, dict[str, Any]]:
    config = tomllib.loads(GITLEAKS.show("config/gitleaks.toml"))
    return {rule["id"]: rule for rule in config["rules"]}


@cache
def gitleaks_samples() -> tuple[tuple[Sample, ...], tuple[Sample, ...], dict[str, int]]:
    """(true samples, false-positive samples, counts of what was left out and why)."""
    true: list[Sample] = []
    false: list[Sample] = []
    skipped = {"regex does not cut the secret out in Python": 0, "sample expression not evaluable": 0,
               "labelled both true and false": 0}
    rules = gitleaks_rules()
    for path in GITLEAKS.ls("cmd/generate/config/rules/"):
        if not path.endswith(".go") or path.endswith("_test.go"):
            continue
        source = GITLEAKS.show(path)
        bodies = _FUNC.split(source)[1:]
        for name, body in zip(bodies[::2], bodies[1::2], strict=True):
            rule_id = _RULE_ID.search(body)
            if rule_id is None or rule_id.group(1) not in rules:
                continue
            rid = rule_id.group(1)
            rng = random.Random(f"{rid}/{name}")
            tps, fps = _sections(body)
            for secret in _generated(tps, rng, skipped):
                true.append(Sample(f"gitleaks:{rid}", secret, f'{rid.split("-")[0]}_api_token = "{secret}"'))
            for line in _literals(_without_calls(tps), rng):
                secret = _cut(rules[rid], line)
                if secret is None:
                    skipped["regex does not cut the secret out in Python"] += 1
                else:
                    true.append(Sample(f"gitleaks:{rid}", secret, line))
            false.extend(Sample(f"gitleaks:{rid}", line, line) for line in _literals(fps))
    # A string that is one rule's true sample and another's false one (`sk-ant-api03-...` against
    # `sk-ant-admin01-...`) is labelled both ways: it counts on neither side.
    both = {s.line for s in false} & ({s.line for s in true} | {s.secret for s in true})
    skipped["labelled both true and false"] = len(both)
    true = [s for s in true if s.line not in both and s.secret not in both]
    false = [s for s in false if s.line not in both]
    return tuple(true), tuple(false), skipped


def _sections(body: str) -> tuple[str, str]:
    """The text that builds the true samples, and the text of the false ones."""
    start = body.find("tps")
    fps_at = body.find("fps")
    end = body.find("return utils.Validate")
    if start == -1:
        return "", ""
    tps = body[start:fps_at if fps_at > start else end]
    fps = body[fps_at:end] if fps_at != -1 and end > fps_at else ""
    return tps, fps


def _generated(tps: str, rng: random.Random, skipped: dict[str, int]) -> Iterator[str]:
    for call in _SAMPLE_CALL.finditer(tps):
        value = _concat(tps, call.end(), rng)
        if value is None:
            skipped["sample expression not evaluable"] += 1
        else:
            yield value[0]


def _without_calls(tps: str) -> str:
    """The literal list items only: calls that generate samples are cut out (to their closing paren)."""
    out, at = [], 0
    for call in _SAMPLE_CALL.finditer(tps):
        out.append(tps[at:call.start()])
        at = _group_end(tps, call.end())
    out.append(tps[at:])
    return "".join(out)


def _literals(text: str, rng: random.Random | None = None) -> list[str]:
    """The list items that are string expressions (literals, or concatenations with generated parts)."""
    items = []
    for start in _LIST_ITEM.finditer(text):
        value = _concat(text, start.end(), rng or random.Random(0))
        if value is not None and re.match(r"\s*[,)}]", text[value[1]:]):
            items.append(value[0])
    return items


def _cut(rule: dict[str, Any], line: str) -> str | None:
    try:
        found = re.search(go_regex(rule.get("regex", "(?!)")), line)
    except re.error:
        return None
    if found is None:
        return None
    group = int(rule.get("secretGroup", 0)) or (1 if found.re.groups else 0)
    secret = found.group(group) if found.re.groups >= group else found.group()
    return secret or None


# --- detect-secrets: plugin test parameters ------------------------------------------------------

_DS_CONTEXT_PLUGINS = ("keyword", "high_entropy_strings", "ip_public", "base")


@cache
def detect_secrets_samples() -> tuple[tuple[Sample, ...], tuple[Sample, ...]]:
    """(lines a plugin must flag, lines it must not), each as its test wrote it."""
    import ast

    flagged: list[Sample] = []
    passed: list[Sample] = []
    for path in DETECT_SECRETS.ls("tests/plugins/"):
        plugin = path.rsplit("/", 1)[-1].removesuffix("_test.py")
        if not path.endswith("_test.py") or plugin in _DS_CONTEXT_PLUGINS:
            continue
        for node in ast.walk(ast.parse(DETECT_SECRETS.show(path))):
            if not (isinstance(node, ast.Tuple) and len(node.elts) == 2):
                continue
            try:
                line, flag = ast.literal_eval(node)
            except ValueError:
                continue
            if isinstance(line, str) and isinstance(flag, bool) and line.strip():
                (flagged if flag else passed).append(Sample(f"detect-secrets:{plugin}", line, line))
    return tuple(flagged), tuple(passed)


# --- public charts: genuine non-secrets ------------------------------------------------------------

# Chart defaults that ARE findings under the standard (a literal password in values.yaml): labelled,
# not counted as false blocks. (chart values file, JSON pointer) -> why.
_IPMI = "prometheus-community/helm-charts:charts/prometheus-ipmi-exporter/values.yaml"
CHART_VIOLATIONS: dict[tuple[str, str], str] = {
    **{(_IPMI, f"/modules/{m}/pass"): "sample BMC passwords (`example_pw`, `secret_pw`) in the default modules"
       for m in ("default", "dcmi", "thatspecialhost", "advanced")},
    ("prometheus-community/helm-charts:charts/prometheus-rabbitmq-exporter/values.yaml", "/rabbitmq/password"):
        "RabbitMQ's well-known default password `guest`",
    ("grafana/helm-charts:charts/enterprise-logs/values.yaml", "/minio/secretKey"): "MinIO default `supersecret`",
    ("grafana/helm-charts:charts/enterprise-metrics/values.yaml", "/minio/secretKey"): "MinIO default `supersecret`",
    ("grafana/helm-charts:charts/tempo-distributed/values.yaml", "/minio/rootPassword"): "MinIO default `supersecret`",
}


# --- manifest shapes -------------------------------------------------------------------------------

def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def shapes(secret: str, line: str) -> dict[str, tuple[str, Any]]:
    """shape name -> (scan: "manifest" | "values", document)."""
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"}}
    container = {"name": "app", "image": "app:1"}
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app"},
              "spec": {"template": {"spec": {"containers": [container]}}}}

    def with_container(**fields: Any) -> dict[str, Any]:
        return {**deploy, "spec": {"template": {"spec": {"containers": [{**container, **fields}]}}}}

    return {
        "neutral key (ConfigMap data)": ("manifest", {**cm, "data": {"setting": secret}}),
        "neutral key (value file)": ("values", {"app": {"config": {"item": secret}}}),
        "container arg --flag=": ("manifest", with_container(args=[f"--upstream={secret}"])),
        "sensitive env name": ("manifest", with_container(env=[{"name": "SERVICE_TOKEN", "value": secret}])),
        "Secret data (base64)": ("manifest", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                                              "data": {"value": _b64(secret)}}),
        "config-file line (ConfigMap)": ("manifest", {**cm, "data": {"app.conf": f"# settings\n{line}\n"}}),
    }


NEUTRAL = ("neutral key (ConfigMap data)", "neutral key (value file)", "container arg --flag=")


def chart_values() -> Iterator[tuple[str, Any]]:
    """(label, parsed values.yaml) of every chart in the chart snapshots that are present."""
    from cmp import yamlio

    for source in CHARTS:
        if not source.available():
            continue
        for path in source.ls():
            if re.fullmatch(r"charts/[^/]+/values\.yaml", path):
                text = source.show(path)
                try:
                    yield f"{source.repo}:{path}", yamlio.load_one(text, path)
                except Exception:  # noqa: BLE001 - a chart file our loader refuses is not a sample
                    continue


def leaves(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    if isinstance(data, dict):
        for key, child in data.items():
            yield from leaves(child, (*path, str(key)))
    elif isinstance(data, list):
        for i, child in enumerate(data):
            yield from leaves(child, (*path, i))
    else:
        yield path, data


def self_identifying(sample: Sample) -> bool:
    """The secret names itself: one of its rule's keywords is inside it and the rule's own regex finds
    it standing alone (`hf_...`, `xoxb-...`). Semi-generic rules (`jfrog ... = <73 alnum>`, a bare
    40-hex "sourcegraph" token) need the identifier beside the value; under a neutral key no scanner
    can tell their secret from a git SHA or any random string, so neutral-key recall leaves them out."""
    rule = gitleaks_rules()[sample.source.split(":", 1)[1]]
    if not any(k.lower() in sample.secret.lower() for k in rule.get("keywords", ())):
        return False
    try:
        return re.search(go_regex(rule.get("regex", "(?!)")), f" {sample.secret} ") is not None
    except re.error:
        return False
