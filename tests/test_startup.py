"""What a sync's `generate` process imports: start-up is product cost (cmp/__init__.py), so the set
of modules is pinned here, by name and by count (deterministic, unlike a clock); and the profile
command bench/README.md documents works."""

from __future__ import annotations

import json
import pstats
import subprocess
import sys
from pathlib import Path

from support import EXAMPLE, ROOT

GENERATE = """
import json, sys
from cmp.main import main
code = main(["generate"])
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""

# Imported by a library on the generate path for what gitops-cmp never uses, or by a stdlib module
# only for what we ask of another: each was a measured cost (bench/README.md).
NEVER = ("structlog", "asyncio", "inspect", "uuid", "shutil", "hashlib", "_hashlib", "subprocess", "dataclasses",
         "typing_extensions", "zlib", "bz2", "lzma", "email", "http")

# The generate path's modules, stdlib and helm_python's included, measured when this was pinned
# (191 on Python 3.11 with helm-python-sdk 0.2.2; 214 before structlog left it), plus room for a few: a larger jump is a new
# import to justify in bench/README.md (`python bench/startup.py` shows where it comes from).
BUDGET = 200


def _generate_modules(tmp_path) -> dict:
    out = tmp_path / "modules.json"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path), "ARGOCD_APP_NAME": "webapp-prod",
           "ARGOCD_APP_NAMESPACE": "webapp-prod", "ARGOCD_ENV_ENVIRONMENT": "prod", "ARGOCD_APP_PARAMETERS": "null"}
    proc = subprocess.run([sys.executable, "-c", GENERATE, str(out)], cwd=EXAMPLE / "charts" / "webapp", env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stderr.splitlines()[-1])["event"] == "render"
    return json.loads(out.read_text())


def test_generate_imports_nothing_it_does_not_use(tmp_path):
    modules = _generate_modules(tmp_path)["modules"]
    assert [m for m in modules if m.split(".")[0] in NEVER] == []


def test_generate_stays_within_its_import_budget(tmp_path):
    modules = _generate_modules(tmp_path)["modules"]
    assert len(modules) <= BUDGET, f"{len(modules)} modules; new since the budget: see bench/startup.py"


def test_the_documented_profile_command_profiles_the_render(tmp_path):
    # bench/README.md, "Profile a render": os._exit and the render thread used to leave it empty
    out = tmp_path / "generate.prof"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path), "ARGOCD_APP_NAME": "webapp-prod",
           "ARGOCD_APP_NAMESPACE": "webapp-prod", "ARGOCD_ENV_ENVIRONMENT": "prod"}
    proc = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "cmp", "generate"],
                          cwd=EXAMPLE / "charts" / "webapp", env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    functions = {(Path(file).name, name) for file, _, name in pstats.Stats(str(out)).stats}
    assert ("run.py", "render") in functions  # the pipeline, which runs in a thread without a profiler
    assert ("helm.py", "render") in functions
