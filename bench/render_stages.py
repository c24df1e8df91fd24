"""The render's stages one by one, in process, small and large chart: min of ROUNDS (15) runs, in ms.

    python bench/render_stages.py [ROUNDS]

gather (walk and read the chart, confined; parse the values), archive (the in-memory chart Helm is
handed), helm (the engine's render), split+parse (Helm's text into the objects the rules judge, Go's
YAML semantics), emit (the objects as the JSON stream Argo CD reads). Min, not median: the stages are
short and the machine is shared.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import ROOT, example_repo

sys.path.insert(0, str(ROOT))

from cmp import config as repo_config  # noqa: E402
from cmp.context import RenderRequest  # noqa: E402
from cmp.pipeline import chartfiles, emit, helm, inputs, manifests  # noqa: E402


def best(rounds: int, stage: Callable[[], Any]) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        out = stage()
        times.append(time.perf_counter() - started)
    return min(times) * 1000, out


def main(rounds: int) -> None:
    repo = example_repo(Path(tempfile.mkdtemp()))
    for chart in ("webapp", "large"):
        request = RenderRequest(repo_root=repo, chart_dir=repo / "charts" / chart, env="prod", release=None,
                                namespace=None)
        cfg = repo_config.load(repo)
        t_gather, got = best(rounds, lambda: inputs.gather(request, cfg))
        base = got.base_values.data if got.base_values else None
        t_archive, data = best(rounds, lambda: chartfiles.archive(list(got.files), base))
        t_helm, (templates, crds) = best(rounds, lambda: helm.render(
            data, got.user_values, release="r", namespace="n", kube_version=None, api_versions=(), shown=chart))
        t_split, objects = best(rounds, lambda: manifests.collect(templates, crds))
        t_emit, text = best(rounds, lambda: emit.stream(objects))
        print(f"{chart:7} gather {t_gather:6.1f}  archive {t_archive:5.2f}  helm {t_helm:6.1f}"
              f"  split+parse {t_split:6.1f}  emit {t_emit:5.1f}  ({len(objects)} objects, {len(text)} bytes)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
