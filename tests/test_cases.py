"""Golden cases for the whole pipeline: every tests/cases/<group>/<name>/case.yaml is one case.

A case folder holds the inputs (a chart, value files, Applications), `case.yaml`:

    args: [render, chart, --env, prod]   # gitops-cmp argv, run with cwd = the case (or `cwd:`)
    env: {ARGOCD_APP_NAME: ...}          # optional environment (generate cases)
    cwd: chart                           # optional, relative to the case
    exit: 0                              # expected exit code
    repo: example                        # optional: run against a copy of examples/gitops-repo

and `expected.yaml` (exact stdout) or `expected_stderr.txt` (exact stderr, structlog JSON lines
removed). On a mismatch the harness writes got.yaml / got_stderr.txt next to the case and the
assertion shows a unified diff. A failing case must have an empty stdout, always.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from support import ROOT, golden_workspace


CASES = ROOT / "tests" / "cases"


def _cases() -> list[Path]:
    return sorted(p.parent for p in CASES.glob("**/case.yaml"))


def _id(case: Path) -> str:
    return case.relative_to(CASES).as_posix()


@pytest.mark.parametrize("case", _cases(), ids=_id)
def test_case(case: Path, tmp_path: Path, cli, argocd_env, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, work = golden_workspace(case, tmp_path)
    argocd_env(**{k: str(v) for k, v in (spec.get("env") or {}).items()})
    monkeypatch.chdir(work / spec.get("cwd", "."))
    before = _snapshot(work)

    result = cli(*[str(a) for a in spec["args"]])

    assert _snapshot(work) == before, "a render must not change the repository"

    err = "".join(line for line in result.err.splitlines(keepends=True) if not line.startswith("{"))
    expected_code = spec.get("exit", 0)
    if expected_code != 0:
        assert result.out == "", "a failing render must write nothing on stdout"
    _compare(case, "expected.yaml", "got.yaml", result.out)
    _compare(case, "expected_stderr.txt", "got_stderr.txt", err)
    assert result.code == expected_code, result.err


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in root.rglob("*")}


def _compare(case: Path, expected_name: str, got_name: str, got: str) -> None:
    expected_path = case / expected_name
    if not expected_path.exists():
        return
    expected = expected_path.read_text()
    if got == expected:
        (case / got_name).unlink(missing_ok=True)
        return
    (case / got_name).write_text(got)
    diff = "".join(difflib.unified_diff(expected.splitlines(True), got.splitlines(True),
                                        expected_name, got_name))
    pytest.fail(f"{_id(case)}: {expected_name} differs (got written to {got_name}):\n{diff}")
