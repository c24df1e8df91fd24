"""start-up: where `gitops-cmp generate` spends its time before it renders anything.

Two views, each the median of ROUNDS fresh processes:

1. stages: a process imports what generate imports, one group after the other in generate's
   order, and times each group; a group's figure is what it adds to the groups before it.
2. modules: the heaviest single modules by self time in `python -X importtime -m cmp generate`.

`-X importtime` alone misattributes, hence the stage view: a module imported through
importlib.import_module (each command module, see cmp/main.py) gets no line of its own, so its
imports show up as top-level imports of generate.

    python bench/startup.py [ROUNDS] [TOP]
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import PYTHON, argocd_env, example_repo, machine, median_ms, run, table, tempdir

STAGES = [
    ("the generate client (cmp.client: socket, marshal, struct)", "import cmp.client"),
    ("command line: argparse, the generate command", "import cmp.main; cmp.main.build_parser('generate')"),
    ("the log line, configured as main() does (json, datetime; no structlog)",
     "from cmp import log; log.configure(True); log.logger()"),
    ("request: context, config, PyYAML", "import cmp.context"),
    ("template parser and env-conditional scanner", "import cmp.templates.scan"),
    ("secret detectors and scanner", "import cmp.secrets.scan"),
    ("pipeline stages, the other rules, deadline", "import cmp.pipeline.run, cmp.deadline"),
    ("Helm engine (helm_python: the Go library and its runtime's start)*", "import helm_python"),
]

TIMER = r"""
import json, sys, time
times = []
for code in json.loads(sys.argv[1]):
    started = time.perf_counter()
    exec(code)
    times.append(time.perf_counter() - started)
print(json.dumps(times))
"""


def stage_times(rounds: int) -> list[list[float]]:
    code = json.dumps([c for _, c in STAGES])
    samples = [json.loads(subprocess.run([PYTHON, "-c", TIMER, code], capture_output=True, text=True,
                                         check=True).stdout) for _ in range(rounds)]
    return [list(column) for column in zip(*samples)]


def bare_interpreter(rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run([PYTHON, "-c", "pass"], check=True)
        times.append(time.perf_counter() - started)
    return times


def module_self_times(chart: Path, env: dict[str, str], rounds: int) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for _ in range(rounds):
        proc = subprocess.run([PYTHON, "-X", "importtime", "-m", "cmp", "generate"], cwd=chart, env=env,
                              capture_output=True, text=True, check=True)
        for m in re.finditer(r"^import time:\s+(\d+) \|\s+\d+ \| *(\S+)$", proc.stderr, re.M):
            found.setdefault(m.group(2), []).append(int(m.group(1)))
    return found


def main(rounds: int, top: int) -> None:
    repo = example_repo(tempdir())
    chart, env = repo / "charts/webapp", argocd_env("webapp-prod", "charts/webapp", "prod")
    generate = [run([PYTHON, "-m", "cmp", "generate"], chart, env)[0] for _ in range(rounds)]
    bare = bare_interpreter(rounds)
    stages = stage_times(rounds)
    rows = [["bare interpreter + site (`python -c pass`, whole process)", f"{median_ms(bare):.1f}"]]
    rows += [[label, f"{median_ms(t):.1f}"] for (label, _), t in zip(STAGES, stages)]
    summed = median_ms(bare) + sum(median_ms(t) for t in stages)
    print(f"start-up of `gitops-cmp generate` (example webapp, prod), median of {rounds} processes ({machine()})\n")
    print(table(["stage (each adds to the ones above)", "ms"], rows))
    print(f"\nsum {summed:.0f} ms. A whole generate process: {median_ms(generate):.0f} ms, which adds the render"
          " and the output.\n* In generate the engine loads in a background thread while the stages from"
          " `request` on run, so it is mostly off the process's critical path.\n")
    modules = module_self_times(chart, env, rounds)
    heavy = sorted(modules.items(), key=lambda item: -statistics.median(item[1]))[:top]
    print(table([f"module (median self time under -X importtime, {rounds} runs)", "self ms"],
                [[name, f"{statistics.median(us) / 1000:.1f}"] for name, us in heavy]))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 9, int(sys.argv[2]) if len(sys.argv) > 2 else 15)
