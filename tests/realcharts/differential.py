"""One case, rendered twice: gitops-cmp's pipeline in-process, and `helm template` of the real binary.

Both streams are read by kubectl (`annotate --local -o json`), which parses YAML with
sigs.k8s.io/yaml exactly as Argo CD does: so `equal` means Argo CD would see the same objects
from gitops-cmp as from its native Helm source.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

from realcharts import oracle
from realcharts.corpus import Case

from cmp.context import RenderRequest
from cmp.errors import CmpError
from cmp.findings import Severity

RELEASE = "corpus"
NAMESPACE = "corpus-ns"
ENV = "dev"
KUBE_VERSION = "1.33.0"
# A cluster with the CRDs charts commonly probe for (ServiceMonitor, Certificate, Gateway ...),
# so the `.Capabilities.APIVersions.Has` branches render on both sides.
API_VERSIONS = ("monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor",
                "monitoring.coreos.com/v1/PodMonitor", "monitoring.coreos.com/v1/PrometheusRule",
                "cert-manager.io/v1", "gateway.networking.k8s.io/v1", "autoscaling.k8s.io/v1",
                "policy/v1/PodDisruptionBudget")
ZERO_OBJECTS = "the render produced zero objects"  # fail closed (SPEC): Helm renders an empty stream
_NO_ANNOTATION = "gitops-cmp.invalid/none-"  # kubectl removes this (absent) annotation: a no-op edit


FIGURES: list[str] = []  # what the test's runs measured; conftest prints them at the end of the session


class Side(NamedTuple):
    objects: list[str] | None  # canonical JSON of each object, None when this side failed
    error: str = ""


class Outcome(NamedTuple):
    case: str
    kind: str  # equal | differs | refused | cmp-fails | both-fail | helm-fails
    rules: tuple[str, ...] = ()  # policy rules that refused (error findings)
    detail: str = ""
    seconds_cmp: float = 0.0
    seconds_helm: float = 0.0


def helm_template(helm: oracle.Oracle, case: Case) -> tuple[subprocess.CompletedProcess[str], float]:
    cmd = [str(helm.helm), "template", RELEASE, str(case.chart_dir), "--namespace", NAMESPACE,
           "--kube-version", KUBE_VERSION, "--include-crds"]
    for api in API_VERSIONS:
        cmd += ["--api-versions", api]
    if case.values:
        cmd += ["--values", str(case.values)]
    started = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=oracle.isolated_env())
    return done, time.monotonic() - started


def go_objects(helm: oracle.Oracle, stream: str) -> Side:
    """The objects in `stream` as sigs.k8s.io/yaml (Argo CD's reader) reads them, canonical JSON each."""
    if not stream.strip():
        return Side([])
    done = subprocess.run([str(helm.kubectl), "annotate", "--local", "-f", "-", "-o", "json", _NO_ANNOTATION],
                          input=stream, capture_output=True, text=True, timeout=300, env=oracle.isolated_env())
    if done.returncode != 0:
        return Side(None, "kubectl cannot read the stream: " + done.stderr.strip()[-400:])
    found: list[str] = []
    decoder = json.JSONDecoder()
    text, at = done.stdout, 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            break
        obj, at = decoder.raw_decode(text, at)
        found.extend(canonical(o) for o in _items(obj))
    return Side(found)


def _items(obj: dict[str, Any]) -> list[dict[str, Any]]:
    if str(obj.get("kind", "")).endswith("List") and isinstance(obj.get("items"), list):
        return [i for item in obj["items"] for i in _items(item)]
    return [_without_empty_annotations(obj)]


def _without_empty_annotations(obj: dict[str, Any]) -> dict[str, Any]:
    """`annotate` turns absent or null annotations into `{}`; Kubernetes reads all three alike."""
    meta = obj.get("metadata")
    if isinstance(meta, dict) and meta.get("annotations") in ({}, None):
        meta.pop("annotations", None)
    return obj


def canonical(obj: Any) -> str:
    return json.dumps(_canon(obj), sort_keys=True, separators=(",", ":"))


def _canon(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _canon(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canon(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)  # Go's JSON writes 1.0 as 1
    return value


def render_cmp(case: Case) -> tuple[Any, str, float]:
    """(RenderResult or None, error text, seconds)."""
    from cmp.pipeline.run import render

    request = RenderRequest(
        repo_root=case.chart_dir, chart_dir=case.chart_dir, env=ENV, release=RELEASE, namespace=NAMESPACE,
        value_files=(case.values,) if case.values else (), env_file=False,
        kube_version=KUBE_VERSION, api_versions=API_VERSIONS, app=case.id,
    )
    started = time.monotonic()
    try:
        result = render(request)
    except CmpError as exc:
        return None, str(exc), time.monotonic() - started
    return result, "", time.monotonic() - started


def compare(helm: oracle.Oracle, case: Case, helm_done: subprocess.CompletedProcess[str], helm_seconds: float) -> Outcome:
    result, error, cmp_seconds = render_cmp(case)
    times = {"seconds_cmp": cmp_seconds, "seconds_helm": helm_seconds}
    helm_ok = helm_done.returncode == 0
    if result is None:
        if helm_ok and ZERO_OBJECTS in error:
            return Outcome(case.id, "refused", ("zero-objects",), _first_line(error), **times)
        kind = "cmp-fails" if helm_ok else "both-fail"
        return Outcome(case.id, kind, detail=_first_line(error if helm_ok else helm_done.stderr), **times)
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    rules = tuple(sorted({f.rule for f in errors}))
    why = " | ".join(f"{f.path}: {f.message}" for f in errors[:2])  # findings never quote a value
    if not helm_ok:
        return Outcome(case.id, "helm-fails", rules, _first_line(helm_done.stderr), **times)
    ours, theirs = go_objects(helm, result.stream), go_objects(helm, helm_done.stdout)
    if ours.objects is None or theirs.objects is None:
        return Outcome(case.id, "differs", rules, ours.error or theirs.error, **times)
    note = ""
    if Counter(ours.objects) != Counter(theirs.objects):
        again = go_objects(helm, helm_template(helm, case)[0].stdout)
        first, second = Counter(theirs.objects), Counter(again.objects or [])
        unstable = {identity(o) for o in (first - second) + (second - first)}
        if not unstable or not _equal_but(ours.objects, theirs.objects, unstable):
            return Outcome(case.id, "differs", rules, describe(ours.objects, theirs.objects), **times)
        note = (f"{len(unstable)} object(s) differ between two Helm runs of the case (random values,"
                " e.g. randAlphaNum, genCA): compared by identity")
    return Outcome(case.id, "refused" if rules else "equal", rules, " | ".join(filter(None, (why, note))), **times)


def identity(text: str) -> str:
    obj = json.loads(text)
    meta = obj.get("metadata") or {}
    return f"{obj.get('apiVersion')}/{obj.get('kind')} {meta.get('namespace') or ''}/{meta.get('name')}"


def _equal_but(ours: list[str], theirs: list[str], unstable: set[str]) -> bool:
    """Equal objects, except those named in `unstable`, which need only be there on both sides."""
    def key(text: str) -> str:
        name = identity(text)
        return name if name in unstable else text

    return Counter(map(key, ours)) == Counter(map(key, theirs))


def describe(ours: list[str], theirs: list[str]) -> str:
    extra = Counter(ours) - Counter(theirs)
    missing = Counter(theirs) - Counter(ours)

    return (f"{sum(extra.values())} object(s) only from gitops-cmp ({', '.join(sorted(map(identity, extra))[:3])}),"
            f" {sum(missing.values())} only from Helm ({', '.join(sorted(map(identity, missing))[:3])})")


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[:3])[:400]


def run_all(helm: oracle.Oracle, cases: list[Case]) -> list[Outcome]:
    """Every case; the Helm binary runs in a worker thread, overlapping gitops-cmp's in-process render."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = [pool.submit(helm_template, helm, case) for case in cases]
        return [compare(helm, case, *future.result()) for case, future in zip(cases, pending, strict=True)]


def figures(outcomes: list[Outcome], seconds: float) -> str:
    kinds = Counter(o.kind for o in outcomes)
    by_rule = Counter(rule for o in outcomes if o.kind == "refused" for rule in o.rules)
    rules = ", ".join(f"{r} {n}" for r, n in sorted(by_rule.items())) or "none"
    return (f"real charts: {len(outcomes)} cases, {kinds['equal']} equal, {kinds['refused']} refused by rule"
            f" ({rules}), {kinds['both-fail']} both fail, {kinds['differs']} differ, {kinds['cmp-fails']}"
            f" gitops-cmp fails where Helm renders, {kinds['helm-fails']} Helm fails where gitops-cmp renders;"
            f" {seconds:.0f} s (gitops-cmp {sum(o.seconds_cmp for o in outcomes):.0f} s,"
            f" helm {sum(o.seconds_helm for o in outcomes):.0f} s)")


def expected_entries(outcomes: list[Outcome], before: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """expected.yaml's cases for these outcomes. A `known` entry is kept while the difference lasts;
    a new difference is `unexplained`, which the test refuses until a person explains it."""
    import re

    entries: dict[str, dict[str, Any]] = {}
    for o in outcomes:
        first = re.sub(r"\s*\[fingerprint \w+\]", "", o.detail.split(" | ")[0])  # random values, random prints
        if o.kind == "refused":
            reason = ("the render is empty; an empty render is refused (fail closed, SPEC)"
                      if o.rules == ("zero-objects",) else first)
            entries[o.case] = {"outcome": "refused", "rules": list(o.rules), "reason": reason}
        elif o.kind == "both-fail":
            entries[o.case] = {"outcome": "both-fail", "reason": "Helm: " + first.removeprefix("Error: ")}
        elif o.kind != "equal":
            known = before.get(o.case, {})
            entries[o.case] = dict(known) if known.get("outcome") == "known" else \
                {"outcome": "unexplained", "reason": f"{o.kind}: {first}"}
    return entries


def main() -> int:
    import sys

    import yaml
    from realcharts import corpus

    base = corpus.root()
    if base is None:
        print("no corpus", file=sys.stderr)
        return 2
    update = "--update-expected" in sys.argv
    only = [a for a in sys.argv[1:] if not a.startswith("--")]
    cases = [c for c in corpus.cases(base) if not only or c.chart in only or c.id in only]
    started = time.monotonic()
    outcomes = run_all(oracle.obtain(), cases)
    for o in outcomes:
        print(f"{o.kind:10} {o.case:60} {','.join(o.rules):30} cmp={o.seconds_cmp:5.1f}s helm={o.seconds_helm:5.1f}s"
              f" {o.detail}")
    print(figures(outcomes, time.monotonic() - started))
    if update:  # the whole corpus only: a partial run would drop the other cases' entries
        if only:
            print("--update-expected needs the whole corpus", file=sys.stderr)
            return 2
        text = corpus.EXPECTED.read_text()
        header = text[: text.index("cases:")]
        entries = expected_entries(outcomes, corpus.expected())
        corpus.EXPECTED.write_text(header + yaml.safe_dump({"cases": entries}, sort_keys=False, width=200))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
