"""start-up: what each import of `gitops-cmp generate` costs (python -X importtime), top N by
cumulative time, plus the total of a process that only imports and exits.

    python bench/startup.py [N]
"""

from __future__ import annotations

import re
import subprocess
import sys

from _common import PYTHON, argocd_env, example_repo, table, tempdir


def importtime(cwd, env) -> list[tuple[str, int, int]]:
    proc = subprocess.run([PYTHON, "-X", "importtime", "-m", "cmp", "generate"], cwd=cwd, env=env,
                          capture_output=True, text=True, check=True)
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((m.group(4), int(m.group(1)), int(m.group(2)), len(m.group(3))))
    return rows


def main(top: int) -> None:
    repo = example_repo(tempdir())
    rows = importtime(repo / "charts/webapp", argocd_env("webapp-prod", "charts/webapp", "prod"))
    total = sum(self_us for _, self_us, _, _ in rows)
    first_level = sorted((r for r in rows if r[3] <= 1), key=lambda r: -r[2])
    print(f"import time of `gitops-cmp generate`: {total / 1000:.1f} ms in {len(rows)} modules\n")
    print(table(["top-level import", "cumulative ms"], [[n, f"{c / 1000:.1f}"] for n, _, c, _ in first_level[:top]]))
    print()
    heavy = sorted(rows, key=lambda r: -r[1])[:top]
    print(table(["module (self time)", "self ms"], [[n, f"{s / 1000:.1f}"] for n, s, _, _ in heavy]))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 12)
