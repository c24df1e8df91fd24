"""Recall and precision of env-conditional detection on public charts nobody here wrote.

index.yaml names each chart (repository, pinned commit, licence) and labels lines of its
templates by hand. The templates are not copied here: they are read at the pinned commit from a
fetched mirror of the repository (a bare git directory under $GITOPS_CMP_MIRRORS, default
/work/.mirror/<owner>+<name>/repo). A chart whose mirror is absent is skipped and named; the
figures need all of them, so the test of the figures skips unless every mirror is present.

Each chart is scanned whole (its helpers take part), with the identity inferred from its own
value files, as `check` would; only the listed files are scored. A finding on a `pos` line is a
true positive, a `pos` line without one a miss, a finding on any other line of a listed file
(except `ignore` lines) a false positive. Run with -s to see the table.
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from cmp import yamlio
from cmp.config import RepoConfig
from cmp.rules.env_conditional import settings as rule_settings
from cmp.templates.scan import scan

HERE = Path(__file__).parent
INDEX: list[dict[str, Any]] = yamlio.load_one((HERE / "index.yaml").read_text(), "index.yaml")
MIRRORS = Path(os.environ.get("GITOPS_CMP_MIRRORS", "/work/.mirror"))
VALUE_SUFFIXES = (".yaml", ".yml")


def git_dir(repo: str) -> Path | None:
    base = MIRRORS / repo.replace("/", "+") / "repo"
    for candidate in (base / ".git", base):
        if (candidate / "objects").is_dir():
            return candidate
    return None


def git(gd: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(gd), *args], capture_output=True, check=True,
                          text=True, errors="replace").stdout


def chart_texts(entry: dict[str, Any], gd: Path) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(templates, value files) of the chart at the pinned commit, as (repo path, text)."""
    chart = entry["chart"].strip("/")
    prefix = "" if chart == "." else chart + "/"
    names = git(gd, "ls-tree", "-r", "--name-only", entry["commit"], "--", prefix or ".").splitlines()
    templates, values = [], {}
    for name in names:
        rel = PurePosixPath(name[len(prefix):])
        if rel.parts[0] == "templates" and rel.suffix not in (".png", ".tgz", ".md"):
            templates.append((name, git(gd, "show", f"{entry['commit']}:{name}")))
        elif rel.suffix in VALUE_SUFFIXES and rel.parts[0] not in ("templates", "charts", "crds"):
            values[str(rel)] = git(gd, "show", f"{entry['commit']}:{name}")
    return templates, values


def findings(entry: dict[str, Any], gd: Path) -> dict[str, set[int]]:
    templates, values = chart_texts(entry, gd)
    config = RepoConfig()
    settings = rule_settings(config, values_texts(values))
    hits = scan(templates, settings).hits
    texts = dict(templates)
    prefix = "" if entry["chart"].strip("/") == "." else entry["chart"].strip("/") + "/"
    lines: dict[str, set[int]] = {}
    for hit in hits:
        if hit.kind == "syntax":
            continue
        line = texts[hit.file][: hit.offset].count("\n") + 1
        lines.setdefault(hit.file[len(prefix):], set()).add(line)
    return lines


def values_texts(values: dict[str, str]) -> dict[str, Any]:
    parsed = {}
    for name, text in values.items():
        try:
            parsed[name] = yamlio.load_one(text, name)
        except Exception:  # a broken or multi-document file in someone's repo: not evidence
            continue
    return parsed


def score() -> tuple[Counter[str], list[str], list[str]]:
    totals: Counter[str] = Counter()
    rows, missing = [], []
    for entry in INDEX:
        gd = git_dir(entry["repo"])
        if gd is None:
            missing.append(entry["repo"])
            continue
        found = findings(entry, gd)
        per: Counter[str] = Counter()
        for path, labels in entry["files"].items():
            pos, neg, ignore = (set(labels.get(k) or ()) for k in ("pos", "neg", "ignore"))
            hit = found.get(path, set()) - ignore
            per["tp"] += len(hit & pos)
            per["fn"] += len(pos - hit)
            per["fp"] += len(hit - pos)
            per["neg"] += len(neg)
            per["neg_flagged"] += len(hit & neg)
            for line in sorted(pos - hit):
                rows.append(f"  miss  {entry['repo']}:{entry['chart']}/{path}:{line}")
            for line in sorted(hit - pos):
                rows.append(f"  false {entry['repo']}:{entry['chart']}/{path}:{line}")
        totals.update(per)
        totals["charts"] += 1
    return totals, rows, missing


def figures(totals: Counter[str]) -> tuple[float, float]:
    tp, fn, fp = totals["tp"], totals["fn"], totals["fp"]
    return tp / max(tp + fn, 1), tp / max(tp + fp, 1)


def test_index_is_big_and_pinned():
    assert sum(len(f.get("pos") or ()) for e in INDEX for f in e["files"].values()) >= 100
    assert len({e["repo"] for e in INDEX}) >= 20
    for entry in INDEX:
        assert len(entry["commit"]) == 40 and entry["licence"], entry["repo"]


@pytest.mark.skipif(any(git_dir(e["repo"]) is None for e in INDEX),
                    reason=f"public chart mirrors absent under {MIRRORS} (fetch them to measure)")
def test_recall_and_precision_on_public_charts():
    totals, rows, _ = score()
    recall, precision = figures(totals)
    print("\n".join(rows) + f"\npublic charts: {totals['charts']} charts, {totals['tp'] + totals['fn']} env"
          f" conditionals, {totals['neg']} labelled look-alikes ({totals['neg_flagged']} flagged)"
          f"\nrecall {recall:.3f}  precision {precision:.3f}  (tp {totals['tp']} fn {totals['fn']} fp {totals['fp']})")
    assert recall >= 0.95
    assert precision >= 0.95
