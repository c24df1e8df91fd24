"""Throughput of the env-conditional scanner (parse + analysis) in MB/s of template text.

The workload is real template text: the example repo's charts and the env-conditional corpus
(positives, look-alikes and their helpers), repeated as distinct files until it reaches --mb.
Prints one line per stage, best of --repeat runs. With --chart, the workload is one chart's
templates instead (its subcharts' included), and the parse is split between CRD templates (named
`*crd*`: large, few actions) and the others.

    python bench/scan_throughput.py [--mb 4] [--repeat 5] [--chart DIR]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from cmp import yamlio
from cmp.config import DEFAULT_ENV_WORDS, DEFAULT_IDENTITY_KEYS
from cmp.templates import parse
from cmp.templates.scan import Settings, scan

ROOT = Path(__file__).resolve().parent.parent


def sources() -> list[str]:
    texts = [p.read_text() for p in sorted((ROOT / "examples" / "gitops-repo" / "charts").glob("*/templates/*"))]
    corpus = ROOT / "tests" / "corpus" / "env_conditional"
    for name in ("positive.yaml", "negative.yaml"):
        for case in yamlio.load_one((corpus / name).read_text(), name):
            texts.append(case.get("helpers", "") + case["template"])
    return texts


def workload(megabytes: float) -> list[tuple[str, str]]:
    base = sources()
    files: list[tuple[str, str]] = []
    size = 0
    while size < megabytes * 1024 * 1024:
        for text in base:
            files.append((f"c/templates/t{len(files)}.yaml", text))
            size += len(text.encode())
    return files


def chart_workload(chart: Path) -> list[tuple[str, str]]:
    return [(str(p), p.read_text(errors="replace")) for p in sorted(chart.rglob("*"))
            if p.is_file() and "templates" in p.relative_to(chart).parts]


def best(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=4.0, help="template text to scan (default 4 MB)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chart", type=Path, help="measure this chart's templates instead")
    args = parser.parse_args()
    files = chart_workload(args.chart) if args.chart else workload(args.mb)
    megabytes = sum(len(t.encode()) for _, t in files) / (1024 * 1024)
    settings = Settings.of(DEFAULT_ENV_WORDS, DEFAULT_IDENTITY_KEYS)
    parse_s = best(lambda: [parse(t) for _, t in files], args.repeat)
    scan_s = best(lambda: scan(files, settings), args.repeat)
    print(f"workload: {len(files)} templates, {megabytes:.2f} MB")
    print(f"parse only: {megabytes / parse_s:.1f} MB/s")
    print(f"scan (parse + analysis): {megabytes / scan_s:.1f} MB/s")
    if args.chart:
        crds = [t for name, t in files if "crd" in Path(name).name.lower()]
        rest = [t for name, t in files if "crd" not in Path(name).name.lower()]
        print(f"parse: {parse_s * 1000:.1f} ms; {len(crds)} CRD templates ({sum(map(len, crds)) // 1024} KiB)"
              f" {best(lambda: [parse(t) for t in crds], args.repeat) * 1000:.1f} ms,"
              f" {len(rest)} others {best(lambda: [parse(t) for t in rest], args.repeat) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
