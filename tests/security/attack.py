"""Attacker helpers for tests/security/ (fixtures over them are in conftest.py); see conftest's docstring."""

from __future__ import annotations

import base64
import json
import os
import random
import string
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from conftest import GIT_ENV
from support import ROOT, Run

WINDOW = 8  # a run of this many characters of a planted secret counts as a leak
_BLOCK = (string.ascii_uppercase, string.ascii_lowercase, string.digits, string.ascii_letters + string.digits)


def mint(rng: random.Random, length: int = 24) -> str:
    """A secret no output contains by chance: every 4 characters hold an upper, a lower and a digit,
    so no window of WINDOW characters looks like hex (digests), a word or a number."""
    return "".join(rng.choice(_BLOCK[i % 4]) for i in range(length))


def _base64_cores(data: bytes) -> set[str]:
    """What stays of `data`'s base64 whatever surrounds it: for each of the 3 alignments, the
    characters that encode bytes of `data` only (a partial first or last group is dropped)."""
    cores: set[str] = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode().rstrip("=")
        first = 4 if shift else 0
        full_bytes = (shift + len(data)) // 3 * 3
        last = full_bytes // 3 * 4
        core = encoded[first:last]
        if len(core) >= WINDOW:
            cores.add(core)
    return cores


def forms(secret: str) -> dict[str, str]:
    """Every encoding of `secret` an output may carry it in -> a name for the report."""
    raw = secret.encode()
    found = {secret: "raw", raw.hex(): "hex", raw.hex().upper(): "HEX"}
    for core in _base64_cores(raw):
        found[core] = "base64"
        found[core.replace("+", "-").replace("/", "_")] = "base64url"
    return found


def leaks(secret: str, text: str) -> list[str]:
    """How `text` carries `secret` (empty: it does not): whole or encoded, or any WINDOW-long part
    of it or of its encodings, case-insensitively."""
    folded = text.lower()
    found: list[str] = []
    for form, name in forms(secret).items():
        part = next((form[i:i + WINDOW] for i in range(len(form) - WINDOW + 1)
                     if form[i:i + WINDOW].lower() in folded), None)
        if part is not None:
            found.append(f"{name} {'whole' if form.lower() in folded else f'part {part!r}'}")
    return found


def assert_no_leak(secrets: Iterable[str], *texts: str | bytes) -> None:
    """No planted secret, whole, in part or encoded, in any of `texts` (stdout, stderr, logs, files)."""
    for index, text in enumerate(texts):
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        for secret in secrets:
            how = leaks(secret, text)
            assert not how, f"planted secret {secret!r} leaked into output #{index} ({', '.join(how)}):\n{text[-3000:]}"


def assert_no_leak_in(secrets: Iterable[str], directory: Path) -> None:
    """The same for every file under `directory` (reports, --out trees, logs)."""
    secrets = list(secrets)
    for path in sorted(p for p in directory.rglob("*") if p.is_file() and not p.is_symlink()):
        assert_no_leak(secrets, path.read_bytes())


class HostileRepo:
    """A repository as an attacker with push access shapes it. Paths are relative to `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.write(".gitops-cmp.yaml", "{}\n")

    def path(self, rel: str) -> Path:
        return self.root / rel

    def write(self, rel: str, content: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return path

    def symlink(self, rel: str, target: str | Path) -> Path:
        """A link at `rel` whose text is `target` exactly (relative or absolute, dangling or not)."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path)
        return path

    def config(self, text: str) -> Path:
        return self.write(".gitops-cmp.yaml", text)

    def chart(self, name: str = "app", *, templates: Mapping[str, str] | None = None,
              values: Mapping[str, str] | None = None, chart_values: str | None = None,
              files: Mapping[str, str | bytes] | None = None) -> Path:
        """charts/<name>: Chart.yaml, templates (default: one ConfigMap), values/<env>.yaml for each
        entry of `values` (default: prod and dev, empty), the chart's values.yaml, any other files."""
        base = f"charts/{name}"
        self.write(f"{base}/Chart.yaml", f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
        if templates is None:
            templates = {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}}\n"}
        for rel, text in templates.items():
            self.write(f"{base}/templates/{rel}", text)
        for env, text in (values if values is not None else {"prod": "{}\n", "dev": "{}\n"}).items():
            self.write(f"{base}/values/{env}.yaml", text)
        if chart_values is not None:
            self.write(f"{base}/values.yaml", chart_values)
        for rel, content in (files or {}).items():
            self.write(f"{base}/{rel}", content)
        return self.root / base

    def app(self, name: str, chart: str, env: str = "", *, value_files: Iterable[str] = (),
            namespace: str | None = None) -> Path:
        """apps/<name>.yaml: an Application of the plugin shape for charts/<chart>."""
        plugin: dict[str, Any] = {"name": "gitops-helm-v1"}
        plugin_env = [{"name": "ENVIRONMENT", "value": env}] if env else []
        if value_files:
            plugin_env.append({"name": "VALUE_FILES", "value": ",".join(value_files)})
        if plugin_env:
            plugin["env"] = plugin_env
        manifest = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": name},
                    "spec": {"source": {"path": f"charts/{chart}", "plugin": plugin},
                             "destination": {"namespace": namespace or name}}}
        return self.write(f"apps/{name}.yaml", json.dumps(manifest, indent=1) + "\n")  # JSON is YAML

    def git(self, *args: str) -> str:
        env = {**os.environ, **GIT_ENV}
        return subprocess.run(["git", *args], cwd=self.root, env=env, capture_output=True, text=True,
                              check=True, timeout=60).stdout

    def commit(self, message: str = "attack") -> str:
        """Commit everything (initialising the repository on first use); the new commit's sha."""
        if not (self.root / ".git").exists():
            self.git("init", "-q", "-b", "main")
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without Argo CD's or the cluster's variables, running this tree's code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOCD_", "KUBE_"))}
    env.update(PYTHONPATH=str(ROOT), **extra)
    return env


def run_process(*argv: str, cwd: Path | None = None, env: Mapping[str, str] | None = None,
                memory_bytes: int | None = None, timeout: float = 180) -> Run:
    """A real `python -m cmp` process: this tree's code, a clean environment plus `env`, and, with
    `memory_bytes`, an address-space limit (RLIMIT_AS)."""
    import resource

    def limit() -> None:
        if memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    done = subprocess.run([sys.executable, "-m", "cmp", *argv], cwd=cwd, env=clean_env(**(env or {})),
                          capture_output=True, text=True, timeout=timeout, preexec_fn=limit, check=False)
    return Run(done.returncode, done.stdout, done.stderr)


def generate_env(app: str, namespace: str = "ns", **env: str) -> dict[str, str]:
    """The build env argocd-cmp-server gives `generate` (ARGOCD_ENV_* are the plugin env entries)."""
    return {"ARGOCD_APP_NAME": app, "ARGOCD_APP_NAMESPACE": namespace, **env}
