"""Go's YAML, as Argo CD reads a plugin's stdout and Helm reads a values file: an oracle for tests.

Builds tests/security/goyaml/main.go offline from Debian's packaged Go sources (golang-go,
golang-gopkg-yaml.v2-dev, golang-github-ghodss-yaml-dev; .ci/run installs them) once per session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from support import ROOT

SOURCE = ROOT / "tests" / "security" / "goyaml" / "main.go"
GOPATH = Path("/usr/share/gocode")
PACKAGES = ("gopkg.in/yaml.v2", "github.com/ghodss/yaml")


def missing() -> str | None:
    """Why the oracle cannot be built here, or None."""
    if shutil.which("go") is None:
        return "no Go toolchain (apt-get install golang-go)"
    absent = [p for p in PACKAGES if not (GOPATH / "src" / p).is_dir()]
    if absent:
        return f"Go sources missing under {GOPATH}: {', '.join(absent)} (apt-get install golang-gopkg-yaml.v2-dev golang-github-ghodss-yaml-dev)"
    return None


def build(workdir: Path) -> Path:
    binary = workdir / "goyaml"
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": str(GOPATH), "GOFLAGS": "",
           "GOCACHE": str(workdir / "gocache"), "CGO_ENABLED": "0"}
    subprocess.run(["go", "build", "-o", str(binary), str(SOURCE)], check=True, env=env, cwd=workdir,
                   capture_output=True, timeout=600)
    return binary


class Oracle:
    def __init__(self, binary: Path) -> None:
        self.binary = binary

    def stream(self, text: str) -> list[Any] | str:
        """The objects Argo CD reads from a plugin's stdout, or Go's error message."""
        return self._run(text, "stream")

    def values(self, text: str) -> Any:
        """The document Helm reads from a values file, or Go's error message."""
        result = self._run(text, "one")
        return result if isinstance(result, str) else result[0]

    def _run(self, text: str, mode: str) -> list[Any] | str:
        done = subprocess.run([str(self.binary), mode], input=text.encode(), capture_output=True, check=True,
                              timeout=60)
        out = json.loads(done.stdout)
        return out["error"] if "error" in out else out["docs"]


_BUILT: dict[str, Oracle] = {}


def oracle(tmp_path_factory: Any) -> Oracle:
    """The oracle, built once per test session; skips the test (with the reason) where it cannot be built."""
    import pytest

    reason = missing()
    if reason:
        if os.environ.get("GITOPS_CMP_REQUIRE_GO"):
            pytest.fail(f"GITOPS_CMP_REQUIRE_GO is set but {reason}")
        pytest.skip(reason)
    if "oracle" not in _BUILT:
        _BUILT["oracle"] = Oracle(build(tmp_path_factory.mktemp("goyaml")))
    return _BUILT["oracle"]


def normal(value: Any) -> Any:
    """JSON values compared as numbers, not as the text Go or Python print them with (Go prints the
    float 2**64 as 18446744073709552000)."""
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normal(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value
