"""The JSON report (SPEC shape plus timings and reasons), the text report, the exit code."""

from __future__ import annotations

import json
import re

import pytest

from cmp.application import Skipped
from cmp.exitcodes import ExitCode
from cmp.findings import Finding, Severity
from cmp.parity.diff import Change
from cmp.parity.report import Report, to_json, to_text
from cmp.parity.worker import AppResult, Status

CHANGE = Change("apps/v1/Deployment web", "modified", ({"op": "replace", "path": "/spec/replicas", "value": 3},),
                "--- base/x\n+++ head/x\n@@ -1 +1 @@\n-  replicas: 2\n+  replicas: 3\n")
FINDING = Finding("charts/web/templates/d.yaml", 0, 0, "pinned-images", Severity.ERROR, "floating tag")


def failed(name: str, code: ExitCode) -> AppResult:
    return AppResult(name, Status.FAILED, "a", reason="why", failure="x", code=code)


def test_json_shape():
    report = Report((AppResult("web", Status.CHANGED, "apps/web.yaml", (CHANGE,), timings_ms={"head": 4.2}),
                     AppResult("bad", Status.FAILED, "apps/bad.yaml", reason="3 policy violation(s)",
                               failure="policy", code=ExitCode.POLICY, findings=(FINDING,))),
                    (Skipped("root", "directory source", "apps/root.yaml"),), "abc", "1/2", 1.23456)
    data = json.loads(to_json(report))
    assert data["apps"][0] == {"name": "web", "status": "changed", "source": "apps/web.yaml",
                               "changes": [{"resource": "apps/v1/Deployment web", "change": "modified",
                                            "patch": [{"op": "replace", "path": "/spec/replicas", "value": 3}],
                                            "diff": data["apps"][0]["changes"][0]["diff"]}],
                               "timings_ms": {"head": 4.2}}
    assert "+  replicas: 3" in data["apps"][0]["changes"][0]["diff"]  # for `parity --merge`'s markdown
    assert data["apps"][1]["reason"] == "3 policy violation(s)" and data["apps"][1]["failure"] == "policy"
    assert data["apps"][1]["findings"][0]["rule"] == "pinned-images"
    assert data["skipped"] == [{"name": "root", "source": "apps/root.yaml", "reason": "directory source"}]
    assert data["summary"] == {"failed": 1, "changed": 1, "removed": 0, "added": 0, "unchanged": 0, "skipped": 1}
    assert (data["base"], data["shard"], data["exit_code"], data["seconds"]) == ("abc", "1/2", 1, 1.235)


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        pytest.param([], ExitCode.OK, id="none"),
        pytest.param([ExitCode.POLICY], ExitCode.POLICY, id="policy"),
        pytest.param([ExitCode.POLICY, ExitCode.INPUT], ExitCode.INPUT, id="input-over-policy"),
        pytest.param([ExitCode.INPUT, ExitCode.RENDER, ExitCode.POLICY], ExitCode.RENDER, id="render-over-all"),
        pytest.param([ExitCode.RENDER, ExitCode.INTERNAL], ExitCode.INTERNAL, id="internal"),
    ],
)
def test_exit_code_is_the_most_serious_failure(codes, expected):
    apps = [failed(f"a{i}", c) for i, c in enumerate(codes)] + [AppResult("ok", Status.UNCHANGED, "a")]
    assert Report(tuple(apps), (), None, None, 0).exit_code == expected


def test_text_report():
    report = Report((AppResult("web", Status.CHANGED, "a", (CHANGE,)),
                     AppResult("gone", Status.REMOVED, "a", (Change("v1/Service s", "removed", (), "--- x\n"),)),
                     AppResult("bad", Status.FAILED, "a", reason="first line\n    detail", failure="render",
                               code=ExitCode.RENDER)), (), "abcdef0123456789", None, 0)
    assert to_text(report) == (
        "changed   web   resources: 1 modified\n"
        "  ~ apps/v1/Deployment web\n"
        "    --- base/x\n    +++ head/x\n    @@ -1 +1 @@\n    -  replicas: 2\n    +  replicas: 3\n"
        "removed   gone  resources: 1 removed\n"
        "  - v1/Service s\n"
        "failed    bad   render: first line\n"
        "        detail\n"
        "parity: 3 apps · 1 failed · 1 changed · 1 removed · 0 added · 0 unchanged · 0 skipped (base abcdef012345)\n"
    )


def test_text_shows_one_change_in_many_apps_once():
    apps = tuple(AppResult(f"web-{env}", Status.CHANGED, "a",
                           (Change(f"apps/v1/Deployment web-{env}", CHANGE.change, CHANGE.patch, CHANGE.diff),))
                 for env in ("dev", "prod"))
    text = to_text(Report(apps, (), "abc", None, 1.0))
    assert text.count("+  replicas: 3") == 1
    assert "~ apps/v1/Deployment web-dev (the same change in 1 other app(s): web-prod)" in text
    assert ("~ apps/v1/Deployment web-prod: the same change as web-dev: apps/v1/Deployment web-dev (diff above)"
            in text)


def test_text_colours_only_when_asked():
    report = Report((AppResult("web", Status.CHANGED, "a", (CHANGE,)), failed("bad", ExitCode.POLICY)), (), "abc",
                    None, 1.0)
    plain = to_text(report)
    coloured = to_text(report, colour=True)
    assert "\x1b[" not in plain
    assert "\x1b[32m+  replicas: 3\x1b[0m" in coloured and "\x1b[31m-  replicas: 2\x1b[0m" in coloured
    assert "\x1b[31mfailed   \x1b[0m bad" in coloured
    assert re.sub(r"\x1b\[\d+m", "", coloured) == plain


@pytest.mark.parametrize(("choice", "tty", "no_color", "expected"), [
    ("auto", True, "", True), ("auto", False, "", False), ("auto", True, "1", False),
    ("always", False, "", True), ("never", True, "", False),
])
def test_colour_is_for_terminals_unless_told(choice, tty, no_color, expected):
    import io

    from cmp.commands.parity import use_colour

    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    assert use_colour(choice, Stream(), {"NO_COLOR": no_color} if no_color else {}) is expected
