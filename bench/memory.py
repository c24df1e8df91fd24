"""memory: peak RSS of `gitops-cmp generate` on the large chart (about 2 MB of output), from
getrusage of the child. Target: under 250 MB.

    python bench/memory.py
"""

from __future__ import annotations

import resource
import subprocess

from _common import PYTHON, argocd_env, example_repo, machine, table, tempdir


def peak_rss_mb(argv: list[str], cwd, env) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the max over all waited-for children, so measure in rising order.
    return max(after, before) / 1024


def main() -> None:
    repo = example_repo(tempdir())
    rows = []
    for label, app, path in [("small (example webapp)", "webapp-prod", "charts/webapp"),
                             ("large (400 ConfigMaps)", "large-prod", "charts/large")]:
        mb = peak_rss_mb([PYTHON, "-m", "cmp", "generate"], repo / path, argocd_env(app, path, "prod"))
        rows.append([label, f"{mb:.0f}"])
    print(f"peak RSS of generate ({machine()})\n")
    print(table(["chart", "peak RSS MB"], rows))


if __name__ == "__main__":
    main()
