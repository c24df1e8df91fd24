"""`gitops-cmp serve` and the generate client (cmp/client.py): real processes, real Helm, a real
unix socket. Whether a render went through the worker is read from the worker's children: each
serves one request and is replaced, and a rendering child's cwd is the app's directory."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support import ROOT, write_chart
from test_deadline import RUNAWAY

from cmp.exitcodes import ExitCode

APPS = {"webapp-prod": ("charts/webapp", "prod"), "webapp-dev": ("charts/webapp", "dev"),
        "monitoring-prod": ("charts/monitoring", "prod")}


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def children(pid: int) -> set[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return {int(p) for p in text.split()}


def wait_until(predicate, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


class Worker:
    def __init__(self, proc: subprocess.Popen[str], socket: Path, env: dict[str, str]) -> None:
        self.proc, self.socket, self.env = proc, socket, env

    def ready(self, workers: int = 2) -> None:
        """The socket is bound and the pool is full (each child has loaded Helm: it is in accept)."""
        assert wait_until(lambda: self.socket.exists() and len(children(self.proc.pid)) == workers), self.stderr()
        assert wait_until(lambda: all(_in_accept(c) for c in children(self.proc.pid)))

    def stderr(self) -> str:
        return "" if self.proc.poll() is None else self.proc.stderr.read() if self.proc.stderr else ""

    def generate(self, cwd: Path, app: str, env_name: str, **extra: str) -> subprocess.CompletedProcess[str]:
        env = {**self.env, "GITOPS_CMP_SOCKET": str(self.socket), "ARGOCD_APP_NAME": app,
               "ARGOCD_APP_NAMESPACE": app, "ARGOCD_ENV_ENVIRONMENT": env_name, "ARGOCD_APP_PARAMETERS": "null",
               "KUBE_VERSION": "1.30.2", **extra}
        return subprocess.run([sys.executable, "-m", "cmp", "generate"], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=120, check=False)


def _in_accept(pid: int) -> bool:
    """A child ready for a request: Helm's engine is loaded (its library mapped) and it waits in poll."""
    try:
        loaded = "libhelm" in Path(f"/proc/{pid}/maps").read_text()
        return loaded and "poll" in Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Worker]:
    directory = tmp_path / "run"
    directory.mkdir(mode=0o700)
    socket = directory / "worker.sock"
    env = base_env(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "cmp", "serve", "--socket", str(socket)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        yield Worker(proc, socket, env)
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def without_time(stderr: str) -> str:
    return re.sub(r'"(duration_ms|timestamp)": [^,}]+', r'"\1": X', stderr)


def test_output_is_byte_identical_with_and_without_the_worker(worker: Worker, example_repo: Path):
    worker.ready()
    for app, (path, env_name) in APPS.items():
        before = children(worker.proc.pid)
        served = worker.generate(example_repo / path, app, env_name)
        assert wait_until(lambda: children(worker.proc.pid) - before)  # a child was used and replaced
        alone = worker.generate(example_repo / path, app, env_name, GITOPS_CMP_WORKER="off")
        assert (served.returncode, served.stdout) == (alone.returncode, alone.stdout) == (0, alone.stdout)
        assert alone.stdout.startswith("apiVersion") or alone.stdout.startswith("---")
        assert without_time(served.stderr) == without_time(alone.stderr)


def test_a_client_started_through_another_link_to_the_interpreter_is_served(worker: Worker, example_repo: Path):
    """`gitops-cmp generate` runs the console script's `python3`; a worker started as `python -m cmp
    serve` (or the other way round) runs the same interpreter under another name: it must serve."""
    interpreter = os.path.realpath(sys.executable)
    names = [p for p in Path(sys.executable).parent.iterdir() if p.name.startswith("python")
             and os.path.realpath(p) == interpreter and p.name != Path(sys.executable).name]
    if not names:
        pytest.skip(f"no other name for {interpreter} beside {sys.executable}")
    worker.ready()
    before = children(worker.proc.pid)
    env = {**worker.env, "GITOPS_CMP_SOCKET": str(worker.socket), "ARGOCD_APP_NAME": "webapp-prod",
           "ARGOCD_APP_NAMESPACE": "webapp-prod", "ARGOCD_ENV_ENVIRONMENT": "prod", "ARGOCD_APP_PARAMETERS": "null"}
    served = subprocess.run([str(names[0]), "-X", "importtime", "-m", "cmp", "generate"], cwd=example_repo / "charts" / "webapp",
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert served.returncode == 0, served.stderr
    assert wait_until(lambda: children(worker.proc.pid) - before, 30)
    assert "cmp.pipeline" not in served.stderr, "the client rendered itself: the worker's answer was refused"


def test_a_policy_violation_is_the_same_verdict_and_words_through_the_worker(worker: Worker, tmp_path: Path):
    chart = write_chart(tmp_path / "repo", template="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
                        "data:\n  {{- if eq .Values.env \"prod\" }}\n  a: b\n  {{- end }}\n")
    worker.ready()
    before = children(worker.proc.pid)
    served = worker.generate(chart, "app-prod", "prod")
    assert children(worker.proc.pid) != before or wait_until(lambda: children(worker.proc.pid) != before)
    alone = worker.generate(chart, "app-prod", "prod", GITOPS_CMP_WORKER="off")
    assert served.returncode == alone.returncode == ExitCode.POLICY
    assert served.stdout == alone.stdout == ""
    assert without_time(served.stderr) == without_time(alone.stderr)


def test_concurrent_renders_of_different_apps_each_get_their_own(worker: Worker, example_repo: Path):
    worker.ready()
    expected = {app: worker.generate(example_repo / p, app, e, GITOPS_CMP_WORKER="off").stdout
                for app, (p, e) in APPS.items()}
    jobs = [list(APPS)[i % len(APPS)] for i in range(9)]
    with ThreadPoolExecutor(max_workers=9) as pool:
        results = list(pool.map(lambda app: worker.generate(example_repo / APPS[app][0], app, APPS[app][1]), jobs))
    for app, result in zip(jobs, results):
        assert result.returncode == 0, result.stderr
        assert result.stdout == expected[app], app  # busy workers: the client rendered itself, same bytes


def test_a_client_killed_mid_render_stops_the_workers_render(worker: Worker, tmp_path: Path):
    chart = write_chart(tmp_path / "repo", template=RUNAWAY, config="limits: {deadlineSeconds: 40}\n")
    worker.ready()
    env = {**worker.env, "GITOPS_CMP_SOCKET": str(worker.socket), "ARGOCD_APP_NAME": "app-prod",
           "ARGOCD_APP_NAMESPACE": "app-prod", "ARGOCD_ENV_ENVIRONMENT": "prod"}
    client = subprocess.Popen([sys.executable, "-m", "cmp", "generate"], cwd=chart, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)

    def rendering() -> set[int]:
        return {c for c in children(worker.proc.pid) if _cwd(c) == chart}

    assert wait_until(lambda: bool(rendering())), "the worker never took the render"
    (child,) = rendering()
    os.killpg(client.pid, signal.SIGTERM)  # as Argo CD stops a generate at its deadline
    out, err = client.communicate(timeout=30)
    assert client.returncode == ExitCode.INTERRUPTED
    assert out == ""
    assert "stopped by SIGTERM; nothing was emitted" in err
    assert wait_until(lambda: not Path(f"/proc/{child}").exists() or _zombie(child), 30), "the render goes on"
    worker.ready()  # and the pool is whole again


def _cwd(pid: int) -> Path | None:
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return None


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_the_deadline_holds_in_the_worker(worker: Worker, tmp_path: Path):
    chart = write_chart(tmp_path / "repo", template=RUNAWAY, config="limits: {deadlineSeconds: 1.5}\n")
    worker.ready()
    served = worker.generate(chart, "app-prod", "prod")
    assert served.returncode == ExitCode.RENDER
    assert served.stdout == ""
    assert "gave up after 1.5 s (deadline 1.5 s" in served.stderr


def test_a_stale_worker_is_not_used_and_stops(tmp_path: Path, example_repo: Path):
    code = tmp_path / "code"
    shutil_copy(ROOT / "cmp", code / "cmp")
    directory = tmp_path / "run"
    directory.mkdir(mode=0o700)
    socket = directory / "worker.sock"
    env = base_env(tmp_path, PYTHONPATH=str(code))
    proc = subprocess.Popen([sys.executable, "-m", "cmp", "serve", "--socket", str(socket)], env=env,
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        stale = Worker(proc, socket, env)
        stale.ready()
        before = children(proc.pid)
        fresh = stale.generate(example_repo / "charts" / "webapp", "webapp-prod", "prod")
        assert fresh.returncode == 0, fresh.stderr
        assert wait_until(lambda: children(proc.pid) - before)  # the same code: the worker rendered
        stale.ready()
        upgraded = code / "cmp" / "commands" / "generate.py"  # what `pip install -U` does to the files:
        upgraded.write_text(upgraded.read_text() + "\nimport sys\nsys.stderr.write('upgraded code\\n')\n")
        result = stale.generate(example_repo / "charts" / "webapp", "webapp-prod", "prod")
        assert result.returncode == 0, result.stderr
        assert "upgraded code" in result.stderr  # rendered by the client itself, by the new code
        assert proc.wait(30) == 0  # the worker notices within its check interval and leaves
        assert "stale" in proc.stderr.read() if proc.stderr else False
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


def shutil_copy(source: Path, dest: Path) -> None:
    import shutil

    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__"))


def test_the_socket_and_its_directory_are_ours_alone(worker: Worker, example_repo: Path):
    worker.ready()
    assert stat.S_IMODE(worker.socket.stat().st_mode) == 0o600
    assert stat.S_IMODE(worker.socket.parent.stat().st_mode) == 0o700
    worker.socket.parent.chmod(0o755)  # someone else could now replace the socket: not trusted
    before = children(worker.proc.pid)
    result = worker.generate(example_repo / "charts" / "webapp", "webapp-prod", "prod")
    assert result.returncode == 0
    assert children(worker.proc.pid) == before
    worker.socket.parent.chmod(0o700)


def test_serve_refuses_a_directory_others_can_write(tmp_path: Path):
    directory = tmp_path / "shared"
    directory.mkdir()
    directory.chmod(0o777)
    proc = subprocess.run([sys.executable, "-m", "cmp", "serve", "--socket", str(directory / "w.sock")],
                          env=base_env(tmp_path), capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == ExitCode.INPUT
    assert "must be a directory owned by uid" in proc.stderr
    assert not (directory / "w.sock").exists()


def test_a_different_environment_is_declined_and_rendered_by_the_client(worker: Worker, example_repo: Path):
    worker.ready()
    chart = example_repo / "charts" / "webapp"
    expected = worker.generate(chart, "webapp-prod", "prod", GITOPS_CMP_WORKER="off").stdout
    before = children(worker.proc.pid)
    result = worker.generate(chart, "webapp-prod", "prod", HELM_DEBUG="1")  # Helm's runtime read the worker's
    assert (result.returncode, result.stdout) == (0, expected)
    assert wait_until(lambda: children(worker.proc.pid) != before)  # it asked; the child declined and left


def test_without_a_worker_generate_renders_itself(tmp_path: Path, example_repo: Path):
    env = base_env(tmp_path, GITOPS_CMP_SOCKET=str(tmp_path / "nothing" / "worker.sock"),
                   ARGOCD_APP_NAME="webapp-prod", ARGOCD_APP_NAMESPACE="webapp-prod", ARGOCD_ENV_ENVIRONMENT="prod")
    proc = subprocess.run([sys.executable, "-m", "cmp", "generate"], cwd=example_repo / "charts" / "webapp", env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "\"Deployment\"" in proc.stdout or "kind: Deployment" in proc.stdout


CLIENT_IMPORTS = """
import os, sys
from cmp import client
code = client.via_worker(["generate"], {**os.environ, "GITOPS_CMP_SOCKET": sys.argv[1], "ARGOCD_APP_NAME": "webapp-prod",
                                        "ARGOCD_APP_NAMESPACE": "webapp-prod", "ARGOCD_ENV_ENVIRONMENT": "prod"})
print(code, sorted(m for m in sys.modules if m.startswith(("cmp.", "yaml", "helm_python", "argparse", "json"))))
"""


def test_the_client_imports_no_pipeline(worker: Worker, example_repo: Path):
    worker.ready()

    def served_by_the_worker() -> bool:  # on a loaded machine a busy worker makes the client render itself
        proc = subprocess.run([sys.executable, "-c", CLIENT_IMPORTS, str(worker.socket)], env=worker.env,
                              cwd=example_repo / "charts" / "webapp", capture_output=True, text=True, timeout=60,
                              check=False)
        assert "\"Deployment\"" in proc.stdout or "kind: Deployment" in proc.stdout  # written by the client
        return proc.stdout.splitlines()[-1] == "0 ['cmp.client']"

    assert wait_until(served_by_the_worker)


def test_spawn_mode_starts_a_worker_for_the_next_generates(tmp_path: Path, example_repo: Path):
    directory = tmp_path / "run"  # absent: serve creates it, private
    socket = directory / "worker.sock"
    env = base_env(tmp_path, GITOPS_CMP_WORKER="spawn", GITOPS_CMP_SOCKET=str(socket), ARGOCD_APP_NAME="webapp-prod",
                   ARGOCD_APP_NAMESPACE="webapp-prod", ARGOCD_ENV_ENVIRONMENT="prod")
    chart = example_repo / "charts" / "webapp"
    try:
        first = subprocess.run([sys.executable, "-m", "cmp", "generate"], cwd=chart, env=env, capture_output=True,
                               text=True, timeout=120, check=False)
        assert first.returncode == 0, first.stderr
        assert wait_until(lambda: bool(_serving(socket)) and socket.exists())
        (server,) = _serving(socket)
        assert Path(f"/proc/{server}/cwd").resolve() == Path("/")  # not the repository's directory
        assert "ARGOCD_APP_NAME" not in Path(f"/proc/{server}/environ").read_bytes().decode()
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        Worker(_Proc(server), socket, env).ready()
        before = children(server)
        second = subprocess.run([sys.executable, "-m", "cmp", "generate"], cwd=chart, env=env, capture_output=True,
                                text=True, timeout=120, check=False)
        assert (second.returncode, second.stdout) == (0, first.stdout)
        assert wait_until(lambda: children(server) - before)  # through the worker
    finally:
        for pid in _serving(socket):
            os.kill(pid, signal.SIGTERM)


class _Proc:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.stderr = None

    def poll(self) -> None:
        return None


def _serving(socket: Path) -> list[int]:
    """The `serve` parent for this socket (its children share the command line but not the session lead)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
                stat_fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if b"serve" in cmdline and str(socket).encode() in cmdline and int(stat_fields[3]) == int(entry.name):
                found.append(int(entry.name))  # pgid == pid: the session's leader, the parent
    return found


@pytest.mark.parametrize("argv", [["render", "charts/webapp", "--env", "prod"], ["init", "charts/webapp"]],
                         ids=["render", "init with an argument"])
def test_the_worker_serves_the_plugins_two_commands_and_nothing_else(worker: Worker, example_repo: Path,
                                                                      argv: list[str]):
    """A same-uid peer that speaks the protocol cannot have the worker run another command."""
    import marshal
    import socket
    import struct

    from cmp import client

    worker.ready()
    request = marshal.dumps((argv, dict(worker.env), ("utf-8", "strict"), ("utf-8", "strict")))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(60)
        conn.connect(str(worker.socket))
        client._read_frame(conn)
        cwd = os.open(example_repo, os.O_RDONLY | os.O_DIRECTORY)
        try:
            socket.send_fds(conn, [struct.pack("!I", len(request)) + request], [cwd])
        finally:
            os.close(cwd)
        message, fds, _, _ = socket.recv_fds(conn, client.RESULT.size, 2)
    assert (message, fds) == (b"", [])
    served = worker.generate(example_repo / "charts" / "webapp", "webapp-prod", "prod")
    assert served.returncode == 0, served.stderr


def test_the_plugins_init_of_a_chart_with_dependencies_is_served_by_the_worker(worker: Worker, tmp_path: Path):
    """init lists a chart's dependencies with Helm: through the worker, whose engine is loaded, instead
    of loading it in the init process (about 65 ms of CPU before every sync of such a chart)."""
    chart = write_chart(tmp_path / "repo", template="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    with (chart / "Chart.yaml").open("a") as meta:
        meta.write("dependencies:\n  - {name: redis, version: 1.0.0, repository: 'https://charts.example.invalid'}\n")
    (chart / "charts" / "redis").mkdir(parents=True)  # vendored, unpacked: nothing to download
    (chart / "charts" / "redis" / "Chart.yaml").write_text("apiVersion: v2\nname: redis\nversion: 1.0.0\n")
    worker.ready()
    before = children(worker.proc.pid)
    env = {**worker.env, "GITOPS_CMP_SOCKET": str(worker.socket)}
    served = subprocess.run([sys.executable, "-X", "importtime", "-m", "cmp", "init"], cwd=chart, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert (served.returncode, served.stdout) == (0, "")
    assert wait_until(lambda: children(worker.proc.pid) - before, 30)
    assert "cmp.main" not in served.stderr and "helm_python" not in served.stderr, "init ran in its own process"


def test_the_worker_answers_the_same_inputs_from_its_memo_with_the_same_bytes(worker: Worker, example_repo: Path):
    worker.ready()
    chart = example_repo / "charts" / "webapp"
    alone = worker.generate(chart, "webapp-prod", "prod", GITOPS_CMP_WORKER="off")
    results = []  # on a loaded machine a busy worker makes the client render itself: ask until answered
    assert wait_until(lambda: '"memo": "hit"' in results_append(results, worker.generate(chart, "webapp-prod", "prod")))
    first, second = results[0], results[-1]
    assert '"memo": "hit"' not in first.stderr
    assert (first.returncode, first.stdout) == (second.returncode, second.stdout) == (0, alone.stdout)
    assert without_time(second.stderr).replace(', "memo": "hit"', "") == without_time(alone.stderr)
    other = worker.generate(chart, "webapp-prod-2", "prod")  # another app of the same chart and env
    assert '"memo": "hit"' not in other.stderr and "webapp-prod-2" in other.stdout


def results_append(results: list[subprocess.CompletedProcess[str]], result: subprocess.CompletedProcess[str]) -> str:
    results.append(result)
    return result.stderr


def test_a_worker_without_a_memo_renders_every_request(tmp_path: Path, example_repo: Path):
    directory = tmp_path / "run"
    directory.mkdir(mode=0o700)
    env = base_env(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "cmp", "serve", "--socket", str(directory / "w.sock"),
                             "--memo-bytes", "0"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        worker = Worker(proc, directory / "w.sock", env)
        worker.ready()
        results = [worker.generate(example_repo / "charts" / "webapp", "webapp-prod", "prod") for _ in range(3)]
        assert all(r.returncode == 0 and '"memo"' not in r.stderr for r in results)
        assert not (directory / "memo").exists()
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def modes(directory: Path) -> set[int]:
    """The modes of the entries in `directory`; one the worker replaces meanwhile (its temporary
    file, renamed into place) is skipped."""
    found = set()
    for entry in directory.iterdir():
        try:
            found.add(stat.S_IMODE(entry.stat().st_mode))
        except FileNotFoundError:
            continue
    return found


def test_the_memo_is_private_and_a_starting_worker_empties_it(tmp_path: Path, example_repo: Path):
    directory = tmp_path / "run"
    (directory / "memo").mkdir(parents=True, mode=0o700)
    directory.chmod(0o700)
    (directory / "memo" / "left-by-an-older-worker").write_bytes(b"x")
    env = base_env(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "cmp", "serve", "--socket", str(directory / "w.sock")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        worker = Worker(proc, directory / "w.sock", env)
        worker.ready()
        assert not (directory / "memo" / "left-by-an-older-worker").exists()
        assert wait_until(lambda: worker.generate(example_repo / "charts" / "webapp", "webapp-prod", "prod").returncode == 0
                          and wait_until(lambda: any((directory / "memo").iterdir()), 2))
        assert stat.S_IMODE((directory / "memo").stat().st_mode) == 0o700
        assert modes(directory / "memo") == {0o600}
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_a_large_chart_is_kept_although_its_client_has_gone_before_the_keeping_ends(worker: Worker, tmp_path: Path):
    # The client closes the connection as soon as it has the answer; the child's watch on that
    # connection once stopped the memo's housekeeping with SIGTERM, so only tiny charts were kept.
    chart = write_chart(tmp_path / "repo", template="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c0}\n"
                        "data: {a: {{ .Values.a | quote }}}\n", values="a: x\n")
    for i in range(1, 300):
        (chart / "templates" / f"cm{i}.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n"
            "data: {" + ", ".join(f"k{j}: {{{{ .Values.a | upper | quote }}}}" for j in range(20)) + "}\n")
    worker.ready()
    results: list[subprocess.CompletedProcess[str]] = []
    assert wait_until(lambda: '"memo": "hit"' in results_append(results, worker.generate(chart, "app-prod", "prod")), 120)
    assert results[-1].stdout == worker.generate(chart, "app-prod", "prod", GITOPS_CMP_WORKER="off").stdout
