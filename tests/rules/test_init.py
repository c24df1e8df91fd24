from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support import EXAMPLE

from cmp.rules import RENDER_RULES, RULES, get


def test_a_render_runs_every_rule_with_a_render_hook_in_registry_order():
    has_render_hook = [r for r in RULES.values() if r.check_inputs or r.check_output or r.prepare_values]
    assert list(RENDER_RULES) == has_render_hook
    assert all(r.check_repo for r in RULES.values() if r not in RENDER_RULES)


def test_rules_are_found_by_id():
    assert get("app-source") is RULES["app-source"]
    assert RULES["app-source"].check_repo is not None


RENDER = """
import sys
from pathlib import Path
from cmp.context import RenderRequest
from cmp.pipeline.run import render
repo = Path(sys.argv[1])
result = render(RenderRequest(repo, repo / "charts/webapp", "prod", None, None))
check_only = ("cmp.rules.app_source", "cmp.rules.app_sync_policy", "cmp.secrets.files")
print(result.objects > 0, [m for m in check_only if m in sys.modules])
from cmp.rules import RULES
print([m for m in check_only if m in sys.modules])
"""


def test_a_render_does_not_import_what_only_a_repo_check_needs(tmp_path: Path):
    # every Argo CD sync renders in a fresh process: app-source, app-sync-policy and the walk over
    # the repository's files are `check`'s cost
    proc = subprocess.run([sys.executable, "-c", RENDER, str(EXAMPLE)], capture_output=True, text=True,
                          cwd=tmp_path, check=False)
    assert proc.stdout == "True []\n['cmp.rules.app_source', 'cmp.rules.app_sync_policy']\n", proc.stderr
