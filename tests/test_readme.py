"""The README is a contract: its exit-code table, commands and quickstart must match the code."""

from __future__ import annotations

import re

from support import ROOT

from cmp.exitcodes import ExitCode

README = (ROOT / "README.md").read_text()


def test_exit_code_table_matches_the_enum():
    section = README.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    codes = {int(m) for m in re.findall(r"^\| (\d+) \|", section, re.M)}
    assert codes == {int(c) for c in ExitCode}


def test_quickstart_has_exactly_the_two_commands():
    quick = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", quick, re.S)
    assert [b.strip() for b in blocks] == [
        "pip install . && gitops-cmp render examples/gitops-repo/charts/webapp --env prod",
        "pip install '.[dev]' && python -m pytest",
    ]


def test_ci_runs_the_readme_test_command():
    assert "pip install '.[dev]' && python -m pytest" in (ROOT / ".ci" / "run").read_text()
