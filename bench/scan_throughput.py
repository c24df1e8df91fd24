"""Throughput of the env-conditional scanner (parse + analysis) in MB/s of template text.

The workload is real template text: the example repo's charts and the env-conditional corpus
(positives, look-alikes and their helpers), repeated as distinct files until it reaches --mb.
Prints one line per stage, best of --repeat runs.

    python bench/scan_throughput.py [--mb 4] [--repeat 5]
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
    args = parser.parse_args()
    files = workload(args.mb)
    megabytes = sum(len(t.encode()) for _, t in files) / (1024 * 1024)
    settings = Settings.of(DEFAULT_ENV_WORDS, DEFAULT_IDENTITY_KEYS)
    parse_s = best(lambda: [parse(t) for _, t in files], args.repeat)
    scan_s = best(lambda: scan(files, settings), args.repeat)
    print(f"workload: {len(files)} templates, {megabytes:.2f} MB")
    print(f"parse only: {megabytes / parse_s:.1f} MB/s")
    print(f"scan (parse + analysis): {megabytes / scan_s:.1f} MB/s")


if __name__ == "__main__":
    main()
