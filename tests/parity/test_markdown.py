"""The PR comment: summary table first, sections by priority, under GitHub's limit, no diff cut."""

from __future__ import annotations

import re

from cmp.exitcodes import ExitCode
from cmp.parity.diff import Change
from cmp.parity.markdown import GITHUB_COMMENT_LIMIT, to_markdown
from cmp.parity.report import Report
from cmp.parity.worker import AppResult, Status


def change(name: str, lines: int, kind: str = "modified", new: str = "new") -> Change:
    body = "".join(f"-  key{i}: old\n+  key{i}: {new}\n" for i in range(lines))
    return Change(name, kind, ({"op": "replace", "path": "/data/key0", "value": "new"},),
                  f"--- base/{name}\n+++ head/{name}\n@@ -1 +1 @@\n{body}")


def report(*apps: AppResult) -> Report:
    return Report(tuple(apps), (), "0123456789abcdef", None, 1.0)


def diff_blocks(text: str) -> list[str]:
    return re.findall(r"^(`{3,})diff\n(.*?)\n\1$", text, re.S | re.M)


def test_small_report_shows_everything():
    text = to_markdown(report(AppResult("web", Status.CHANGED, "apps/web.yaml", (change("v1/ConfigMap c", 2),)),
                              AppResult("ok", Status.UNCHANGED, "apps/ok.yaml")))
    assert text.startswith("### gitops-cmp parity\n")
    assert "| <code>web</code> | ✏️ changed | 1 modified |" in text
    assert "| 1 more | ✅ unchanged |" in text
    assert [b[1] for b in diff_blocks(text)] == [change("v1/ConfigMap c", 2).diff.rstrip()]
    assert "left out" not in text


def test_many_large_diffs_are_summarised_never_cut():
    apps = [AppResult(f"app{i:03d}", Status.CHANGED, "a",
                      tuple(change(f"v1/ConfigMap c{j}", 120, new=f"n{i}-{j}") for j in range(4))) for i in range(60)]
    text = to_markdown(report(*apps))
    assert len(text) < GITHUB_COMMENT_LIMIT
    whole = {c.diff.rstrip() for a in apps for c in a.changes}
    shown = diff_blocks(text)
    assert shown and all(body in whole for _, body in shown)
    assert "diff not shown: +120 −120 lines" in text or "left out" in text
    assert text.count("<details") == text.count("</details>")
    for i in range(60):
        assert f"| <code>app{i:03d}</code> |" in text


def test_failed_apps_come_first_and_open():
    apps = [AppResult("a-changed", Status.CHANGED, "a", (change("x", 1),)),
            AppResult("z-failed", Status.FAILED, "z", reason="charts/z: a | b\n    detail",
                      failure="render", code=ExitCode.RENDER)]
    text = to_markdown(report(*apps))
    assert text.index("<code>z-failed</code>") < text.index("<code>a-changed</code>")
    assert "<details open><summary><code>z-failed</code>" in text
    assert "| render: charts/z: a \\| b |" in text  # the table cell escapes the pipe
    assert "charts/z: a | b\n    detail\n" in text  # the section shows the whole reason
    assert "**Parity failed**" in text


def test_thousands_of_apps_keep_the_table_within_half_the_budget():
    apps = [AppResult(f"service-number-{i:05d}", Status.ADDED, "a", (change("x", 1, "added"),)) for i in range(3000)]
    text = to_markdown(report(*apps))
    assert len(text) < GITHUB_COMMENT_LIMIT
    table = text.split("\n\n<details", 1)[0]
    assert len(table) <= GITHUB_COMMENT_LIMIT // 2 + 200
    assert re.search(r"\| … \d+ more rows \|", text)
    assert "app section(s) left out" in text


def test_a_diff_containing_a_fence_cannot_break_out():
    tricky = Change("v1/ConfigMap c", "modified", (), "--- a\n+++ b\n@@ -1 +1 @@\n-x: |\n+x: ```\n")
    text = to_markdown(report(AppResult("web", Status.CHANGED, "a", (tricky,))))
    assert "````diff\n" in text and "\n````\n" in text


def test_a_broken_apps_name_cannot_break_the_markup():
    name = "apps/x.yaml | <b>`"
    text = to_markdown(report(AppResult(name, Status.FAILED, "a", reason="r", failure="input", code=ExitCode.INPUT)))
    assert "<code>apps/x.yaml &#124; &lt;b&gt;`</code> | ❌ failed" in text
    assert "<b>" not in text


def test_custom_budget_is_respected():
    apps = [AppResult(f"app{i}", Status.CHANGED, "a", (change("c", 50),)) for i in range(20)]
    assert len(to_markdown(report(*apps), budget=10_000)) <= 10_000


def test_one_change_in_many_apps_is_shown_once():
    apps = [AppResult(f"web-{env}", Status.CHANGED, "a", (change(f"apps/v1/Deployment web-{env}/web", 3),))
            for env in ("dev", "prod", "qa")]
    text = to_markdown(report(*apps))
    assert len(diff_blocks(text)) == 1
    assert "the same change in 2 other app(s): web-prod, web-qa" in text
    assert "`apps/v1/Deployment web-qa/web`: the same change as web-dev: apps/v1/Deployment web-dev/web" in text
