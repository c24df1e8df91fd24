"""Fixtures for the sidecar image tests: a Docker engine, a local base image, a host wheelhouse, the
image built from the real Dockerfile, and a runner that starts it the way Argo CD's pod does.

No registry is reachable where these run, so the base image is a Debian bookworm built with
debootstrap (Python 3.11, as in python:3.11-slim-bookworm) and cached in the engine between runs;
GITOPS_CMP_TEST_BASE_IMAGE names another local Python 3.11 image instead. The wheelhouse is built
on the host and the image is built with no network at all, through the Dockerfile's offline path.
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import tomllib
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
from support import ROOT

BASE_IMAGE = "gitops-cmp-test-base:bookworm"
IMAGE = "gitops-cmp:test"
REQUIRE_DOCKER = "GITOPS_CMP_REQUIRE_DOCKER"
# Where argocd-cmp-server unpacks each request: $TMPDIR/_cmp_server/<random>.
REPO_MOUNT = "/tmp/_cmp_server/5f0c9d2e"
# Not part of a slim Python image; dropped so that each container (a full copy on the vfs driver)
# starts faster.
TRIM = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "var/cache/apt",
        "var/lib/apt/lists")


@dataclass(frozen=True)
class ContainerRun:
    code: int
    out: bytes
    err: str


def unavailable(reason: str) -> NoReturn:
    """Skip, or fail where the container tests must run (CI sets GITOPS_CMP_REQUIRE_DOCKER=1)."""
    if os.environ.get(REQUIRE_DOCKER) == "1":
        pytest.fail(f"{reason} ({REQUIRE_DOCKER}=1: the container tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def engine() -> Iterator[Any]:
    try:
        import docker
    except ImportError:
        unavailable("the docker SDK is not installed (pip install '.[dev]')")
    try:
        client = docker.from_env(timeout=600)
    except docker.errors.DockerException as exc:
        reason = f"no Docker engine reachable ({exc}); .ci/run shows how to start one"
    else:
        yield client
        client.close()
        return
    # The half-built client leaves an open socket to the garbage collector: let it go quietly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    unavailable(reason)


@pytest.fixture(scope="session")
def base_image(engine: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    override = os.environ.get("GITOPS_CMP_TEST_BASE_IMAGE")
    if override:
        return override
    if engine.images.list(name=BASE_IMAGE):
        return BASE_IMAGE
    if shutil.which("debootstrap") is None or os.geteuid() != 0:
        unavailable(f"no image {BASE_IMAGE} and no way to build it: debootstrap needs root"
                    " (or set GITOPS_CMP_TEST_BASE_IMAGE to a local Python 3.11 image)")
    rootfs = tmp_path_factory.mktemp("base") / "rootfs"
    debootstrap = subprocess.run(
        ["debootstrap", "--variant=minbase", "--include=python3,python3-venv", "bookworm", str(rootfs)],
        capture_output=True, text=True, check=False,
    )
    if debootstrap.returncode != 0:
        unavailable(f"debootstrap failed: {(debootstrap.stdout + debootstrap.stderr)[-2000:]}")
    for path in TRIM:
        shutil.rmtree(rootfs / path, ignore_errors=True)
    repository, tag = BASE_IMAGE.split(":")
    with subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE) as tar:
        engine.api.import_image_from_stream(tar.stdout, repository=repository, tag=tag)
    shutil.rmtree(rootfs)
    if tar.returncode != 0:
        engine.images.remove(BASE_IMAGE)
        pytest.fail(f"tar of the debootstrap tree failed (exit {tar.returncode})", pytrace=False)
    return BASE_IMAGE


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of the pinned deps and the build backend, for this Python (bookworm's is 3.11)."""
    if sys.version_info[:2] != (3, 11) and not os.environ.get("GITOPS_CMP_TEST_BASE_IMAGE"):
        unavailable(f"the host wheelhouse would be for Python {sys.version_info[0]}.{sys.version_info[1]};"
                    " the bookworm base image has 3.11")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = [*pyproject["project"]["dependencies"], *pyproject["build-system"]["requires"]]
    dest = tmp_path_factory.mktemp("wheelhouse")
    pip = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(dest),
                          "-c", str(ROOT / "constraints.txt"), *wanted],
                         capture_output=True, text=True, check=False)
    if pip.returncode != 0:
        unavailable(f"pip wheel failed: {pip.stderr[-2000:]}")
    return dest


@pytest.fixture(scope="session")
def sidecar_image(engine: Any, base_image: str, wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The real Dockerfile, built offline (no network) from a copy of the checkout plus the wheelhouse."""
    import docker

    context = tmp_path_factory.mktemp("context") / "gitops-cmp"
    shutil.copytree(ROOT, context, ignore=shutil.ignore_patterns(
        ".git", "__pycache__", ".*_cache", ".hypothesis", "*.egg-info", "build", "dist", ".venv", "wheelhouse"))
    shutil.copytree(wheelhouse, context / "wheelhouse")
    try:
        image, _ = engine.images.build(path=str(context), tag=IMAGE, buildargs={"BASE_IMAGE": base_image},
                                       network_mode="none", rm=True, forcerm=True)
    except docker.errors.BuildError as exc:
        log = "".join(str(chunk.get("stream", chunk.get("error", ""))) for chunk in exc.build_log)
        pytest.fail(f"docker build failed: {exc.msg}\n{log[-4000:]}", pytrace=False)
    return image


@pytest.fixture(scope="session")
def sidecar(engine: Any, sidecar_image: Any) -> Callable[..., ContainerRun]:
    """Run a command in the image as the sidecar runs: read-only root, tmpfs /tmp, no network."""

    def run(*argv: str, env: Mapping[str, str] | None = None, repo: Path | None = None, app_path: str = "",
            user: str | None = "999", entrypoint: Sequence[str] = ("gitops-cmp",),
            mounts: Mapping[Path, str] | None = None, mem_limit: str | None = None) -> ContainerRun:
        """`mounts`: host dir -> path in the container, read-only (a ConfigMap's volume); `mem_limit`:
        the container's memory limit (swap included), as a pod's resources.limits.memory."""
        volumes = {str(repo): {"bind": REPO_MOUNT, "mode": "rw"}} if repo else {}
        volumes |= {str(host): {"bind": path, "mode": "ro"} for host, path in (mounts or {}).items()}
        container = engine.containers.create(
            sidecar_image.id, command=list(argv), entrypoint=list(entrypoint), user=user or "",
            environment=dict(env or {}), read_only=True, tmpfs={"/tmp": "rw,mode=1777"},
            network_mode="none", working_dir=f"{REPO_MOUNT}/{app_path}".rstrip("/") if repo else None,
            volumes=volumes or None, mem_limit=mem_limit, memswap_limit=mem_limit,
        )
        try:
            container.start()
            code = container.wait(timeout=300)["StatusCode"]
            return ContainerRun(code, container.logs(stdout=True, stderr=False),
                                container.logs(stdout=False, stderr=True).decode())
        finally:
            container.remove(force=True)

    return run


@pytest.fixture
def argocd_copy(tmp_path: Path) -> Callable[[Path], Path]:
    """A copy of a repo as argocd-cmp-server unpacks it: files 0644, dirs 0755, owned by the sidecar."""

    def copy(src: Path) -> Path:
        dest = tmp_path / "repo"
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".git"))
        for path in (dest, *dest.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
            if os.geteuid() == 0:
                os.chown(path, 999, 999)
        return dest

    return copy
