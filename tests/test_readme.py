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


def test_quickstart_has_exactly_the_two_commands_and_says_where_to_run_them():
    quick = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", quick, re.S)
    assert [b.strip() for b in blocks] == [
        "pip install . && gitops-cmp render examples/gitops-repo/charts/webapp --env prod",
        "pip install '.[dev]' && python -m pytest",
    ]
    assert "`python3 -m venv .venv && .\n.venv/bin/activate`" in quick  # PEP 668 systems refuse a bare pip install


def test_ci_runs_the_readme_test_command():
    assert "pip install '.[dev]' && python -m pytest" in (ROOT / ".ci" / "run").read_text()


def test_quickstart_names_the_platforms_of_the_pinned_helm_wheel():
    quick = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    pinned = re.search(r'"helm-python-sdk==([\d.]+)"', (ROOT / "pyproject.toml").read_text())
    assert pinned and f"`helm-python-sdk` {pinned.group(1)}" in quick  # re-check the list when the pin moves
    for platform in ("Linux x86_64", "aarch64", "macOS on Apple silicon", "Windows x86_64", "Alpine"):
        assert platform in quick
