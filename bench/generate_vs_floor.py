"""generate vs floor: whole-process `gitops-cmp generate` against the least a render can cost.

The floor is a bare Python process in the same venv that loads the same Helm engine, renders the
same chart with the same values and cluster info (KUBE_VERSION, and KUBE_API_VERSIONS as Argo CD
passes it for a cluster with the Prometheus operator, External Secrets and Argo CD: 102 entries)
and parses the output with libyaml. Both run as whole processes, interleaved, median of ROUNDS.
Target: ratio <= 1.3 for the small and the large chart. Measure a release install (`pip install .`),
as users run it: an editable install adds its import hook to every process, the floor's too.

    python bench/generate_vs_floor.py [ROUNDS]
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from _common import PYTHON, ROOT, argocd_env, example_repo, interleaved, machine, median_ms, run, table, tempdir

FLOOR = r"""
import json, os, sys
import helm_python, yaml
from helm_python import _native
chart_dir, values_file, release = sys.argv[1:4]
values = yaml.load(open(values_file).read(), Loader=yaml.CSafeLoader) or {}
with helm_python.Chart.load(chart_dir) as chart:
    out = json.loads(_native.call_string("helm_render", chart._raw(), json.dumps(values),
                     json.dumps({"name": release, "namespace": release, "kube_version": "1.30.2",
                                 "api_versions": os.environ["KUBE_API_VERSIONS"].split(",")})))
docs = [d for text in out.values() for d in yaml.load_all(text, Loader=yaml.CSafeLoader) if d]
sys.stdout.write("".join(out.values()))
"""

CASES = {"small (example webapp, prod)": ("webapp-prod", "charts/webapp", "prod"),
         "large (400 ConfigMaps)": ("large-prod", "charts/large", "prod")}


def main(rounds: int) -> None:
    repo = example_repo(tempdir())
    rows = []
    for label, (app, path, env) in CASES.items():
        chart = repo / path
        environ = argocd_env(app, path, env)
        size = len(run([PYTHON, "-m", "cmp", "generate"], chart, environ)[1])
        commands = {
            "generate": lambda: run([PYTHON, "-m", "cmp", "generate"], chart, environ)[0],
            "floor": lambda: run([PYTHON, "-c", FLOOR, str(chart), str(chart / "values" / f"{env}.yaml"), app], chart, environ)[0],
        }
        times = interleaved(commands, rounds)
        gen, floor = median_ms(times["generate"]), median_ms(times["floor"])
        rows.append([label, f"{size / 1e6:.2f} MB", f"{gen:.0f}", f"{floor:.0f}", f"{gen / floor:.2f}"])
    print(f"generate vs floor, median of {rounds} interleaved runs ({machine()})\n")
    print(table(["chart", "output", "generate ms", "floor ms", "ratio"], rows))
    origin = run([PYTHON, "-c", "import sys, cmp; sys.stdout.write(cmp.__file__)"], repo, os.environ.copy())[1]
    if origin.decode().startswith(str(ROOT)):
        print("\nnote: cmp was imported from this checkout (an editable install or PYTHONPATH), not from a"
              " release install; the figures include that import path's cost")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
