"""The process's edge: `gitops-cmp generate` hands its render to a resident worker when one answers.

Argo CD starts `gitops-cmp generate` as a fresh process for every app and commit, and most of a
small chart's cost is start-up (the interpreter, our imports, Helm's Go runtime). `gitops-cmp serve`
keeps that warm (cmp/commands/serve.py). This module is all a generate imports before it knows
whether a worker answers: the stdlib's os, sys, _socket, marshal and struct, never the pipeline.

A worker is used only when it can change nothing: it must be ours (the socket in a directory only
our uid can write, its peer credentials our uid) and the same code (a fingerprint of both
packages' files, the interpreter and its version), answer within HELLO_SECONDS, accept the
request (its environment equal to ours but for the per-request variables), and hand back an exit
code with the render's stdout and stderr. Anything else (absent, busy, stale, declined, dead
mid-render) and this process renders itself, exactly as without a worker: nothing the worker did
has reached stdout or stderr by then, because it writes into memory files it passes back.
"""

from __future__ import annotations

import _socket  # the C module: socket.py would import selectors and enum for helpers this never uses
import marshal
import os
import struct
import sys
from collections.abc import Mapping

PROTOCOL = b"gitops-cmp-worker/1"
HELLO_SECONDS = 0.2  # an idle worker answers in well under 1 ms; longer means busy: render here
# Variables a render reads per request (Argo CD's build env, ours); every other one must be the
# worker's own, since Helm's Go runtime read the environment when the worker loaded it.
PER_REQUEST = ("ARGOCD_", "KUBE_", "GITOPS_CMP_", "PARAM_")
SHELL_NOISE = frozenset({"PWD", "OLDPWD", "SHLVL", "_", "COLUMNS", "LINES", "PYTHONDONTWRITEBYTECODE"})
RESULT = struct.Struct("!ci")
# What a worker runs: the plugin's two commands, exactly as Argo CD calls them (plugin.yaml).
SERVED = (["generate"], ["init"])


def entry() -> None:
    """The console script and `python -m cmp`: a worker's result, else the whole command here."""
    argv = sys.argv[1:]
    if argv == ["init"] and declares_no_dependencies("."):
        os._exit(0)  # what the whole init does for such a chart, without loading Helm to learn it
    if argv in SERVED:
        code = via_worker(argv, os.environ)
        if code is not None:
            os._exit(code)
    from cmp.main import entry as in_process

    in_process()


CHART_FILE_BYTES = 1 << 20  # a larger Chart.yaml is left to the whole init


def declares_no_dependencies(chart_dir: str) -> bool:
    """The plugin's init (`gitops-cmp init`, before every generate) has nothing to vendor: the chart
    declares no dependency, so the whole init (Python's imports and Helm's engine, about 70 ms of
    CPU) would exit 0 having done nothing. True only when that is certain from the bytes: Chart.yaml
    is a regular file (not a link) that never spells `dependencies` in any case (Helm reads it with
    Go's encoding/json, which matches `Dependencies` too), holds no escape (a quoted key could spell
    it with one), no NUL (UTF-16 or 32 text) and nothing but ASCII after a byte order mark (Go folds
    `ſ` to `s`), and there is no requirements.yaml (where apiVersion v1 charts list them). Anything
    else: the whole init decides."""
    if any(os.path.lexists(os.path.join(chart_dir, name)) for name in ("requirements.yaml", "requirements.yml")):
        return False
    try:
        fd = os.open(os.path.join(chart_dir, "Chart.yaml"), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not _is_regular(fd):
            return False
        data = os.read(fd, CHART_FILE_BYTES + 1)
    finally:
        os.close(fd)
    text = data.removeprefix(b"\xef\xbb\xbf")
    return (len(data) <= CHART_FILE_BYTES and text.isascii()
            and not any(part in text.lower() for part in (b"dependencies", b"\\", b"\0")))


def _is_regular(fd: int) -> bool:
    import stat

    return stat.S_ISREG(os.fstat(fd).st_mode)


def socket_path(environ: Mapping[str, str]) -> str:
    """GITOPS_CMP_SOCKET, else worker.sock in gitops-cmp-<uid>/ under XDG_RUNTIME_DIR or TMPDIR or /tmp."""
    explicit = environ.get("GITOPS_CMP_SOCKET")
    if explicit:
        return explicit
    base = environ.get("XDG_RUNTIME_DIR") or environ.get("TMPDIR") or "/tmp"
    return os.path.join(base, f"gitops-cmp-{os.getuid()}", "worker.sock")


def is_private(directory: str) -> bool:
    """A real directory (not a link) owned by us that no one else can enter or write."""
    try:
        st = os.lstat(directory)
    except OSError:
        return False
    return (st.st_mode & 0o170000) == 0o040000 and st.st_uid == os.getuid() and st.st_mode & 0o077 == 0


def fingerprint() -> bytes:
    """What the code is: every file of cmp/ and helm_python/ by name, size and mtime, and the interpreter
    (the file itself: `python` and `python3` in one venv are links to one interpreter, and a worker
    started with one must serve clients started with the other)."""
    parts = [os.path.realpath(sys.executable), sys.version]
    package = os.path.dirname(os.path.abspath(__file__))
    helm = next((os.path.join(p, "helm_python") for p in sys.path if os.path.isdir(os.path.join(p or ".", "helm_python"))), "")
    for top in (package, helm):
        parts.append(top)
        stack = [top] if top else []
        while stack:
            with os.scandir(stack.pop()) as entries:
                for entry in sorted(entries, key=lambda e: e.name):
                    if entry.name == "__pycache__":
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    else:
                        st = entry.stat()
                        parts.append(f"{entry.path}:{st.st_size}:{st.st_mtime_ns}")
    return marshal.dumps(parts)


def comparable_env(environ: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if not k.startswith(PER_REQUEST) and k not in SHELL_NOISE}


def via_worker(argv: list[str], environ: Mapping[str, str]) -> int | None:
    """The exit code of the worker's render, its output written here; None: render in this process."""
    mode = environ.get("GITOPS_CMP_WORKER", "auto")
    if mode == "off" or sys.getprofile() is not None or sys.gettrace() is not None:
        return None
    if os.isatty(1) or os.isatty(2):  # a terminal changes the log format: not worth the difference
        return None
    path = socket_path(environ)
    conn = _connect(path)
    if conn is None:
        if mode == "spawn":
            spawn(path, environ)
        return None
    try:
        with _stop_on_signals(conn):  # from before the worker may start rendering
            # The request goes first: this process's fingerprint is computed while the worker
            # renders. A worker that turns out to be another version gets the connection closed,
            # which stops its render; nothing of it is used.
            _send_request(conn, argv, environ)
            if _read_frame(conn) != PROTOCOL + b"\0" + fingerprint():
                if mode == "spawn":
                    spawn(path, environ)  # a stale worker stops by itself soon; this one takes over then
                return None
            conn.settimeout(None)
            message, fds = _receive(conn)
        return _result(message, fds)
    except (OSError, ValueError, EOFError, struct.error):
        return None
    finally:
        conn.close()


def _connect(path: str) -> _socket.socket | None:
    if not is_private(os.path.dirname(path)):
        return None
    conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        conn.settimeout(HELLO_SECONDS)
        conn.connect(path)
        if peer_uid(conn) != os.getuid():
            raise OSError("the worker is not ours")
    except OSError:
        conn.close()
        return None
    return conn


def peer_uid(conn: _socket.socket) -> int:
    creds = conn.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", creds)[1])


def _send_request(conn: _socket.socket, argv: list[str], environ: Mapping[str, str]) -> None:
    """The request frame, with the descriptor of this process's directory (the app's)."""
    request = marshal.dumps((argv, dict(environ), _encoding(sys.stdout), _encoding(sys.stderr)))
    cwd = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    try:
        frame = struct.pack("!I", len(request)) + request
        sent = conn.sendmsg([frame], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, struct.pack("i", cwd))])
        conn.sendall(frame[sent:])
    finally:
        os.close(cwd)


def _receive(conn: _socket.socket) -> tuple[bytes, list[int]]:
    """The result message and the descriptors passed with it (stdout's and stderr's memory files)."""
    fd_size = struct.calcsize("i")
    message, ancillary, _, _ = conn.recvmsg(RESULT.size, _socket.CMSG_SPACE(2 * fd_size))
    fds: list[int] = []
    for level, kind, data in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            usable = len(data) - len(data) % fd_size
            fds.extend(struct.unpack(f"{usable // fd_size}i", data[:usable]))
    return message, fds


def _result(message: bytes, fds: list[int]) -> int | None:
    try:
        if len(message) != RESULT.size or len(fds) != 2:
            return None  # declined, or it died mid-render: nothing of it was written
        kind, code = RESULT.unpack(message)
        if kind != b"R":
            return None
        return _write_out(fds[0], fds[1], code)
    finally:
        for fd in fds:
            os.close(fd)


class _Stopped(Exception):
    def __init__(self, signum: int) -> None:
        self.signum = signum


class _stop_on_signals:
    """SIGTERM/SIGINT while the worker renders: closing the connection stops that render, and this
    process ends as an in-process render would (stderr line, exit 130)."""

    def __init__(self, conn: _socket.socket) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        import signal

        def stop(signum: int, frame: object) -> None:
            raise _Stopped(signum)

        self.previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        import signal

        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        if isinstance(exc, _Stopped):
            self.conn.close()
            name = "SIGTERM" if exc.signum == signal.SIGTERM else "SIGINT"
            os.write(2, f"gitops-cmp: error: stopped by {name}; nothing was emitted\n".encode())
            os._exit(130)


def _write_out(out: int, err: int, code: int) -> int:
    _copy(err, 2)
    try:
        _copy(out, 1)
    except BrokenPipeError:  # `| head`: a reader that stops early is not an error (as in-process)
        pass
    except OSError as exc:
        os.write(2, f"gitops-cmp: error: could not write the output to stdout ({exc.strerror or exc});"
                 " what was written is incomplete\n".encode())
        return 3
    return code


def _copy(source: int, target: int) -> None:
    os.lseek(source, 0, os.SEEK_SET)
    while chunk := os.read(source, 1 << 20):
        view = memoryview(chunk)
        while view:
            view = view[os.write(target, view):]


def _read_frame(conn: _socket.socket) -> bytes:
    size = struct.unpack("!I", read_exactly(conn, 4))[0]
    if size > 1 << 20:
        raise ValueError("frame too large")
    return read_exactly(conn, size)


def read_exactly(conn: _socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise EOFError("closed")
        data += chunk
    return data


def _encoding(stream: object) -> tuple[str, str]:
    return (getattr(stream, "encoding", None) or "utf-8", getattr(stream, "errors", None) or "strict")


def spawn(path: str, environ: Mapping[str, str]) -> None:
    """Start `gitops-cmp serve` on `path` for the next generates; this one renders itself.

    In its own session (Argo CD kills the generate's process group at its deadline), with none of
    this process's descriptors (Argo CD waits until its pipes close), in `/` without the current
    directory on sys.path (`-P`: cwd is the app dir of a repository we do not trust), and without
    this request's variables. A second serve on the same directory exits at once (a lock)."""
    import subprocess

    env = {k: v for k, v in environ.items() if not k.startswith(PER_REQUEST)}
    try:
        subprocess.Popen([sys.executable, "-P", "-m", "cmp", "serve", "--socket", path], cwd="/", env=env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True)
    except OSError:
        pass
