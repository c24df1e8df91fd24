"""`gitops-cmp serve`: a resident render worker for `generate` (README: "Resident worker").

A parent process imports the whole pipeline once and keeps a pool of forked children, each of which
loads Helm's engine before it waits (in a burst, only once its request needs it: a result the memo
kept is answered without it), answers exactly one request on a private unix socket (the plugin's
`generate`, or its `init` of a chart that declares dependencies), runs it by calling the same
`main(argv)` in the request's directory and environment, passes back the exit code and its stdout
and stderr (memory files), and exits. Nothing of one render's process is left
for the next: each request gets a process no other request touched. What is kept is the judged
result (cmp/pipeline/memo.py), by a key over every input byte: a later render with exactly those
inputs gets that result, any other renders. The parent never loads the Go engine (a forked Go
runtime does not work), and forks a fresh child for each one used.

The client side, and why a worker can never change a sync's result, is cmp/client.py.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from cmp.errors import InputError

HELP = "a resident render worker that `generate` hands its renders to (optional; see the README)"
_WARM_PACKAGES = ("cmp.commands", "cmp.pipeline", "cmp.rules", "cmp.secrets", "cmp.templates")
STALE_CHECK_SECONDS = 5.0
MEMO_BYTES = 128 << 20


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("serve", help=HELP, description=HELP + ".")
    parser.add_argument("--socket", metavar="PATH",
                        help="unix socket (default: GITOPS_CMP_SOCKET, else gitops-cmp-<uid>/worker.sock under"
                        " XDG_RUNTIME_DIR, TMPDIR or /tmp); its directory must be ours and private")
    parser.add_argument("--workers", type=int, default=2, metavar="N",
                        help="renders ready at once (default 2); more concurrent generates render themselves")
    parser.add_argument("--memo-bytes", type=int, default=MEMO_BYTES, metavar="N",
                        help="keep judged renders, up to N bytes in all, under the socket's directory, and answer a"
                        " render whose inputs are byte for byte those of a kept one with its result (default"
                        f" {MEMO_BYTES // (1 << 20)} MiB; 0: render every request)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import fcntl
    import socket

    from cmp import client

    if args.workers < 1:
        raise InputError("serve: --workers must be at least 1")
    if args.memo_bytes < 0:
        raise InputError("serve: --memo-bytes must be 0 or more")
    path = args.socket or client.socket_path(os.environ)
    directory = os.path.dirname(os.path.abspath(path))
    _make_private_dir(directory)
    lock = os.open(os.path.join(directory, "serve.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise InputError(f"serve: another gitops-cmp serve is running on {directory}") from None
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    old_umask = os.umask(0o177)  # the socket is created 0600, never briefly open to others
    try:
        listener.bind(path)
    finally:
        os.umask(old_umask)
    listener.listen(64)
    listener.setblocking(False)  # children wait in poll(); the one that loses a race to accept waits again
    memo = _fresh_memo(directory) if args.memo_bytes else None
    try:
        return _serve(listener, path, args.workers, client.fingerprint(), memo, args.memo_bytes)
    finally:
        listener.close()
        if os.path.exists(path):
            os.unlink(path)


def _make_private_dir(directory: str) -> None:
    from cmp import client

    try:
        os.mkdir(directory, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise InputError(f"serve: cannot create {directory}: {exc.strerror}") from None
    if not client.is_private(directory):
        raise InputError(f"serve: {directory} must be a directory owned by uid {os.getuid()} and closed to"
                         " others (mode 0700), not a link; generate would not trust a socket in it")


def _fresh_memo(directory: str) -> str:
    """memo/ in the worker's private directory, emptied: what an earlier worker kept was judged by
    code that may have changed since (its key names the code, so this is only housekeeping)."""
    memo = os.path.join(directory, "memo")
    _make_private_dir(memo)
    with os.scandir(memo) as entries:
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.path)
    return memo


def _warm() -> None:
    """Import every module a render may use (never helm_python: the Go runtime must not be forked)."""
    import importlib
    import pkgutil

    import cmp.main

    cmp.main.build_parser("generate")
    for package_name in _WARM_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, package_name + "."):
            importlib.import_module(info.name)
    if "helm_python" in sys.modules:
        raise RuntimeError("the Helm engine was loaded in the worker's parent")


def _serve(listener: Any, path: str, workers: int, fingerprint: bytes, memo: str | None, memo_bytes: int) -> int:
    import gc
    import signal
    import time

    from cmp import log

    _warm()
    if memo is not None:
        from cmp.pipeline import memo as render_memo

        render_memo.configure(render_memo.Store(memo, memo_bytes, fingerprint))
    gc.freeze()  # the warm heap stays shared with the children instead of being copied by a collection
    base_env = dict(os.environ)
    watched: set[int] = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
    signal.pthread_sigmask(signal.SIG_BLOCK, watched)
    children: set[int] = set()
    alive = os.pipe()  # the children's read end reaches EOF when this process is gone, however it ends
    log.logger().info("serve", socket=path, workers=workers, pid=os.getpid(), memo_bytes=memo_bytes if memo else 0)
    reason = "stopped"
    next_check = time.monotonic() + STALE_CHECK_SECONDS
    try:
        while True:
            while len(children) < workers:
                children.add(_fork_child(listener, alive, fingerprint, base_env, watched))
            info = signal.sigtimedwait(watched, STALE_CHECK_SECONDS)
            if info is not None and info.si_signo != signal.SIGCHLD:
                reason = f"stopped by {signal.Signals(info.si_signo).name}"
                break
            _reap(children)
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + STALE_CHECK_SECONDS
                if fingerprint != _fingerprint_now():
                    reason = "stale: the installed code changed"
                    break
    finally:
        for pid in children:
            # SIGKILL, not SIGTERM: a render stopped by SIGTERM would answer "stopped", while a child
            # that just ends makes its client render by itself, and the sync goes on
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
    log.logger().info("serve", socket=path, result=reason)
    return 0


def _fingerprint_now() -> bytes:
    from cmp import client

    return client.fingerprint()


def _reap(children: set[int]) -> None:
    while children:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            children.clear()
            return
        if pid == 0:
            return
        children.discard(pid)


def _fork_child(listener: Any, alive: tuple[int, int], fingerprint: bytes, base_env: dict[str, str],
                watched: set[int]) -> int:
    alive_r, alive_w = alive
    pid = os.fork()
    if pid:
        return pid
    code = 4
    try:
        os.close(alive_w)
        code = _serve_one(listener, alive_r, fingerprint, base_env, watched)
    except BaseException:  # noqa: BLE001 - a child never returns into the parent's loop
        code = 4
    finally:
        os._exit(code)


def _serve_one(listener: Any, alive: int, fingerprint: bytes, base_env: dict[str, str], watched: set[int]) -> int:
    """A child: take one request, render it as `generate` in-process would, exit. Helm's engine
    (about 45 ms of CPU to load) is loaded before the child waits, unless a request is waiting
    already: in a burst the child takes it at once and loads the engine only if the render needs
    Helm, so a result its memo kept is answered without it."""
    import select
    import signal

    from cmp import client

    poller = select.poll()
    poller.register(listener.fileno(), select.POLLIN)
    poller.register(alive, select.POLLIN)
    if poller.poll(0):
        from cmp.pipeline import helm

        helm.defer_loading()  # and generate's warm_up with it: the render loads the engine if it renders
    else:
        import helm_python  # noqa: F401 - idle: the engine, loaded before a request arrives
    # After the engine: SIGTERM must end an idle child, as it ends an in-process generate (whose
    # render installs the usual handler); Go's runtime keeps these when it loads after them.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, watched)
    while True:
        ready = {fd for fd, _ in poller.poll()}
        if alive in ready:
            return 0  # the parent is gone: nobody would replace this child or stop it
        try:
            conn = listener.accept()[0]
            conn.setblocking(True)
        except BlockingIOError:
            continue  # another child took that client
        request = _take_request(conn, fingerprint)
        if request is not None:
            break
        conn.close()  # the client left before asking (it gave up waiting): still unused, wait again
    listener.close()
    os.close(alive)
    argv, environ, out_encoding, err_encoding, cwd = request
    if client.comparable_env(environ) != client.comparable_env(base_env):
        conn.sendall(b"D")  # a different environment: Helm's runtime read ours, so the client renders
        return 0
    return _render(conn, argv, environ, out_encoding, err_encoding, cwd)


def _take_request(conn: Any, fingerprint: bytes) -> tuple[Any, ...] | None:
    import marshal
    import socket
    import struct

    from cmp import client

    try:
        if client.peer_uid(conn) != os.getuid():
            return None
        hello = client.PROTOCOL + b"\0" + fingerprint
        conn.sendall(struct.pack("!I", len(hello)) + hello)
        header, fds, _, _ = socket.recv_fds(conn, 4, 1)
        if len(header) < 4 or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            return None
        header += client.read_exactly(conn, 4 - len(header))
        size = struct.unpack("!I", header)[0]
        argv, environ, out_encoding, err_encoding = marshal.loads(client.read_exactly(conn, size))
    except (OSError, EOFError, ValueError, TypeError, struct.error):
        return None
    if argv not in client.SERVED or not _is_env(environ) or not (_is_encoding(out_encoding) and _is_encoding(err_encoding)):
        os.close(fds[0])  # the worker serves the plugin's init and generate steps and nothing else
        return None
    return argv, environ, out_encoding, err_encoding, fds[0]


def _is_env(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _is_encoding(value: object) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and all(isinstance(part, str) for part in value)


def _render(conn: Any, argv: list[str], environ: dict[str, str], out_encoding: tuple[str, str],
            err_encoding: tuple[str, str], cwd: int) -> int:
    import signal
    import socket
    import threading

    from cmp import client
    from cmp.main import main

    os.fchdir(cwd)
    os.close(cwd)
    os.environ.clear()
    os.environ.update(environ)
    out, err = os.memfd_create("gitops-cmp-stdout"), os.memfd_create("gitops-cmp-stderr")
    os.dup2(out, 1)
    os.dup2(err, 2)
    sys.stdout = open(1, "w", encoding=out_encoding[0], errors=out_encoding[1], closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding=err_encoding[0], errors=err_encoding[1], closefd=False)  # noqa: SIM115

    def client_gone() -> None:
        # The client sends nothing more: the connection ends only when it does (Argo CD killed its
        # process group at the deadline): stop this render as SIGTERM stops an in-process one.
        try:
            conn.recv(1)
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=client_gone, name="gitops-cmp-client-watch", daemon=True).start()
    code = main(argv)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        return code
    # The result is handed over, and what follows is the memo's housekeeping: the client closing the
    # connection must not stop it (client_gone's SIGTERM would reach a thread that does not block it).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        socket.send_fds(conn, [client.RESULT.pack(b"R", int(code))], [out, err])
    except OSError:
        pass
    after_answer(code)
    return 0


def after_answer(code: int) -> None:
    """Keep the render's result (cmp/pipeline/memo.py) only when `generate` answered with it: after
    the deadline, the memory bound or a signal, the abandoned render thread may still offer one."""
    from cmp.exitcodes import ExitCode
    from cmp.pipeline import memo

    if code in (ExitCode.OK, ExitCode.POLICY):
        memo.settle()  # after the answer: the client does not wait for it
    else:
        memo.drop()
