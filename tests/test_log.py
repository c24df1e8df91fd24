from __future__ import annotations

import json
import subprocess
import sys

from support import ROOT

LOG_ONCE = """
import sys
from cmp import log
log.configure(True)
log.logger().info("render", objects=4)
print(sorted(m for m in ("asyncio", "inspect", "uuid", "structlog.stdlib", "structlog.threadlocal")
             if m in sys.modules))
import dataclasses, structlog
Plain = dataclasses.make_dataclass("Plain", ["a"])  # no docstring: dataclasses asks inspect for one
print(structlog.stdlib.BoundLogger.__name__, structlog.threadlocal.__name__, Plain.__doc__)
"""


def test_a_log_event_pays_for_none_of_structlogs_unused_integrations():
    proc = subprocess.run([sys.executable, "-c", LOG_ONCE], capture_output=True, text=True, check=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    event = json.loads(proc.stderr)
    assert (event["event"], event["objects"], event["level"]) == ("render", 4, "info")
    imported, later = proc.stdout.splitlines()
    assert imported == "[]"
    assert later == "BoundLogger structlog.threadlocal Plain(a: 'typing.Any')"  # through to the real modules


def test_an_optional_package_structlog_tries_may_use_a_stand_in_module(tmp_path):
    # structlog imports rich or better_exceptions when installed; rich does `from inspect import ...`
    # while inspect's stand-in is in place: the stand-in must step aside, not recurse
    (tmp_path / "rich").mkdir()
    (tmp_path / "rich" / "__init__.py").write_text("from inspect import isclass\n")
    proc = subprocess.run([sys.executable, "-c", LOG_ONCE], capture_output=True, text=True, check=False,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{tmp_path}:{ROOT}"})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stderr)["event"] == "render"
