"""The output side of one render, in process: what the pipeline does with Helm's text, stage by stage.

    python bench/output_stages.py [--rounds 9] [--only NAME] [--profile] [--realcharts DIR] [--argo-helm GITDIR]
    python bench/output_stages.py --ab /work/main,. [--rounds 9] [--instructions] ...

Each chart of bench/generate_vs_helm.py (4000 ConfigMaps of 10 keys, 400 ConfigMaps of one 5 KB
string, argo-cd, kube-prometheus-stack when its corpus is present; env `dev`) is rendered by Helm
once; then each stage runs ROUNDS times on that output and the minimum CPU time (process_time,
which a loaded machine disturbs less than wall time) is printed, in ms:

- parse: manifests.collect (split into documents, Go-YAML-exact parse, install order);
- rules: verdict.check_output with the render's rules, one column per rule, and duplicate keys;
- emit: emit.stream and emit.digest (the JSON stream Argo CD reads).

The last columns are the digests of the stream and of the findings. `--ab TREE,TREE` compares trees:
Helm renders each chart once (with this tree), then each round runs one process per tree, interleaved,
that times the stages on that output with the tree's own code (3 runs each); the table has each
stage's minimum over all rounds, and whether the digests agree. With `--instructions` each tree's
output side runs once, cold (first use of every pattern included, as in a render), under
`valgrind --tool=callgrind`, and the table has its instruction count: the count of a process that runs
it minus one that stops just before (load-independent). `--profile` prints a cProfile of all the
output stages of each chart instead (cumulative, top 40).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import API_VERSIONS, PYTHON, ROOT, tempdir
from generate_vs_helm import ARGO_HELM, BIG_STRING, SMALL_MAPS, argo_cd, realchart, synthetic

sys.path.insert(0, os.environ.get("GITOPS_CMP_TREE") or str(ROOT))  # --ab: the tree under test

from cmp import config as repo_config  # noqa: E402
from cmp import verdict  # noqa: E402
from cmp.context import RenderRequest  # noqa: E402
from cmp.pipeline import chartfiles, emit, helm, inputs, manifests, run  # noqa: E402
from cmp.rules import RENDER_RULES  # noqa: E402


def best(rounds: int, stage: Callable[[], Any]) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(rounds):
        started = time.process_time()
        out = stage()
        times.append(time.process_time() - started)
    return min(times) * 1000, out


def charts(repo: Path, argo_helm: Path, corpus: Path) -> dict[str, Path | None]:
    return {
        "4000 ConfigMaps of 10 keys": synthetic(repo, "smallmaps", SMALL_MAPS),
        "400 ConfigMaps of one 5 KB string": synthetic(repo, "bigstrings", BIG_STRING),
        "argo-cd": argo_cd(repo, argo_helm),
        "kube-prometheus-stack": realchart(repo, corpus, "kube-prometheus-stack"),
    }


def request(repo: Path, chart: Path) -> RenderRequest:
    return RenderRequest(repo_root=repo, chart_dir=chart, env="dev", release=None, namespace=None,
                         kube_version="1.30.2", api_versions=tuple(API_VERSIONS.split(",")))


def helm_output(repo: Path, chart: Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    gathered = gather(repo, chart)
    base = gathered.base_values.data if gathered.base_values else None
    limits = gathered.config.limits
    return helm.render(chartfiles.archive(list(gathered.files), base, limits.max_chart_bytes),
                       verdict.prepare_values(gathered, RENDER_RULES), release=gathered.release,
                       namespace=gathered.namespace, kube_version=gathered.request.kube_version,
                       api_versions=gathered.request.api_versions, shown=chart.name)


def gather(repo: Path, chart: Path) -> inputs.Inputs:
    return inputs.gather(request(repo, chart), repo_config.load(repo))


def output_side(gathered: inputs.Inputs, templates: dict[str, str], crds: list[dict[str, str]]) -> tuple[str, str]:
    objects = manifests.collect(templates, crds)
    findings = verdict.check_output(gathered, objects, RENDER_RULES) + run.duplicate_keys(objects)
    text = emit.stream(objects)
    return emit.digest(text), _digest(findings)


def _digest(findings: list[Any]) -> str:
    import hashlib  # here: emit.digest takes OpenSSL's SHA-256 when hashlib is loaded already

    return "sha256:" + hashlib.sha256(repr(sorted(findings)).encode()).hexdigest()[:16]


def stages(rounds: int, gathered: inputs.Inputs, templates: dict[str, str],
           crds: list[dict[str, str]]) -> dict[str, Any]:
    """Each stage's minimum CPU ms over `rounds`, the output-side total, the digests."""
    times: dict[str, Any] = {}
    times["parse"], objects = best(rounds, lambda: manifests.collect(templates, crds))
    for rule in RENDER_RULES:
        if rule.check_output:
            times[rule.id], _ = best(rounds, lambda: verdict.check_output(gathered, objects, [rule]))
    times["duplicates"], _ = best(rounds, lambda: run.duplicate_keys(objects))
    times["emit"], _ = best(rounds, lambda: emit.digest(emit.stream(objects)))
    times["together"], (stream, findings) = best(rounds, lambda: output_side(gathered, templates, crds))
    return {"ms": times, "stream": stream, "findings": findings, "documents": len(objects)}


def child(spec: Path, rounds: int, once: str | None, skip: bool) -> None:
    """--child: time the stages of every chart in `spec` with this process's tree; JSON on stdout.
    `once`: only that chart, its output side run once (or not at all: `skip`), for an instruction count."""
    found = {}
    for label, (repo, chart, output) in json.loads(spec.read_text()).items():
        if once is not None and label != once:
            continue
        templates, crds = json.loads(Path(output).read_text())
        gathered = gather(Path(repo), Path(chart))
        if once is None:
            found[label] = stages(rounds, gathered, templates, crds)
        elif not skip:
            found[label] = output_side(gathered, templates, crds)
    print(json.dumps(found))


def instructions(trees: list[str], spec: Path) -> None:
    print("instructions of the output side, run once, cold (callgrind; millions)")
    for label in json.loads(spec.read_text()):
        cells = []
        for tree in trees:
            counts = [_callgrind(tree, spec, label, skip) for skip in (False, True)]
            cells.append(f"{tree} {(counts[0] - counts[1]) / 1e6:,.0f}")
        print(f"  {label:34} " + " | ".join(cells), flush=True)


def _callgrind(tree: str, spec: Path, label: str, skip: bool) -> int:
    # With bytecode, as an install has it: a module compiled from source in one run and not the other
    # (one imported on first use) would count its compilation. A first run outside callgrind writes it.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(GITOPS_CMP_TREE=str(Path(tree).resolve()), PYTHONPATH=str(Path(tree).resolve()))
    argv = [PYTHON, __file__, "--child", str(spec), "--once", label, *(["--skip"] if skip else [])]
    subprocess.run(argv, env=env, capture_output=True, check=True)
    argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    collected = [line for line in done.stderr.splitlines() if "Collected :" in line]
    return int(collected[-1].rsplit(":", 1)[1])


def ab(trees: list[str], spec: Path, rounds: int) -> None:
    runs: dict[str, list[dict[str, Any]]] = {tree: [] for tree in trees}
    for _ in range(rounds):
        for tree in trees:
            env = {**os.environ, "GITOPS_CMP_TREE": str(Path(tree).resolve()), "PYTHONPATH": str(Path(tree).resolve())}
            done = subprocess.run([PYTHON, __file__, "--child", str(spec), "--rounds", "3"], env=env,
                                  capture_output=True, text=True, check=True)
            runs[tree].append(json.loads(done.stdout))
    load = os.getloadavg()
    print(f"min CPU ms of {rounds} interleaved rounds x 3 runs; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    for label in runs[trees[0]][0]:
        print(f"\n{label}")
        first = runs[trees[0]][0][label]
        print("  " + " | ".join(["tree", *first["ms"], "stream", "findings"]))
        for tree in trees:
            ms = {k: min(r[label]["ms"][k] for r in runs[tree]) for k in first["ms"]}
            last = runs[tree][-1][label]
            same = "" if (last["stream"], last["findings"]) == (first["stream"], first["findings"]) else "  DIFFERS"
            print("  " + " | ".join([tree, *(f"{v:.1f}" for v in ms.values()), last["stream"], last["findings"]]) + same)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--only", action="append")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--ab", help="comma-separated trees to compare")
    parser.add_argument("--instructions", action="store_true", help="with --ab: callgrind counts, not CPU time")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--once", help=argparse.SUPPRESS)
    parser.add_argument("--skip", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--argo-helm", type=Path, default=Path(os.environ.get("GITOPS_CMP_ARGO_HELM", ARGO_HELM)))
    parser.add_argument("--realcharts", type=Path, default=Path(os.environ.get("GITOPS_CMP_REALCHARTS", "")
                                                                or ROOT / "tests" / "realcharts" / "charts"))
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rounds, args.once, args.skip)
        return
    scratch = tempdir()
    repo = scratch / "gitops-repo"
    shutil.copytree(ROOT / "examples" / "gitops-repo", repo)
    with (repo / ".gitops-cmp.yaml").open("a") as config:
        config.write("limits: {maxFileBytes: 4194304}\n")
    spec: dict[str, tuple[str, str, str]] = {}
    for label, chart in charts(repo, args.argo_helm, args.realcharts).items():
        if chart is None or (args.only and not any(o in label for o in args.only)):
            continue
        templates, crds = helm_output(repo, chart)
        if args.ab:
            output = scratch / f"{chart.name}.json"
            output.write_text(json.dumps([templates, crds]))
            spec[label] = (str(repo), str(chart), str(output))
        elif args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(output_side, gather(repo, chart), templates, crds)
            print(f"== {label}")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        else:
            found = stages(args.rounds, gather(repo, chart), templates, crds)
            cells = "  ".join(f"{k} {v:.1f}" for k, v in found["ms"].items())
            print(f"{label:34} {cells}  ({found['documents']} documents) {found['stream']} {found['findings']}",
                  flush=True)
    if args.ab:
        (scratch / "spec.json").write_text(json.dumps(spec))
        if args.instructions:
            instructions(args.ab.split(","), scratch / "spec.json")
        else:
            ab(args.ab.split(","), scratch / "spec.json", args.rounds)


if __name__ == "__main__":
    main()
