"""Recall and precision of env-conditional detection on the corpus, by form.

positive.yaml: templates whose output depends on which environment renders them (each must
yield a finding); negative.yaml: look-alikes (none may). Cases marked expect_miss /
expect_false_positive are known limits: they are counted, and the marks keep them honest (a
mark that stops being true fails). Run with -s to see the table.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from cmp import yamlio
from cmp.config import DEFAULT_ENV_WORDS, DEFAULT_IDENTITY_KEYS
from cmp.templates.scan import Settings, scan

HERE = Path(__file__).parent
SETTINGS = Settings.of(DEFAULT_ENV_WORDS, DEFAULT_IDENTITY_KEYS)


def load(name: str) -> list[dict[str, str]]:
    cases = yamlio.load_one((HERE / name).read_text(), name)
    assert isinstance(cases, list)
    return cases


POSITIVE = load("positive.yaml")
NEGATIVE = load("negative.yaml")


def reported(case: dict[str, str]) -> bool:
    files = [("c/templates/_helpers.tpl", case["helpers"])] if case.get("helpers") else []
    files.append(("c/templates/t.yaml", case["template"]))
    hits = scan(files, SETTINGS).hits
    assert not [h for h in hits if h.kind == "syntax"], f"corpus case does not parse: {hits}"
    return bool(hits)


def test_corpus_is_big_enough():
    assert len(POSITIVE) >= 40 and len(NEGATIVE) >= 40


@pytest.mark.parametrize("case", POSITIVE, ids=lambda c: c["form"])
def test_positive(case):
    assert reported(case) is not case.get("expect_miss", False), case["template"]


@pytest.mark.parametrize("case", NEGATIVE, ids=lambda c: c["form"])
def test_negative(case):
    assert reported(case) is case.get("expect_false_positive", False), case["template"]


def scores() -> tuple[float, float, list[str]]:
    found, total, false_pos, negatives = Counter(), Counter(), Counter(), Counter()
    for case in POSITIVE:
        total[case["form"]] += 1
        found[case["form"]] += reported(case)
    for case in NEGATIVE:
        negatives[case["form"]] += 1
        false_pos[case["form"]] += reported(case)
    tp, fp = sum(found.values()), sum(false_pos.values())
    rows = [f"{'positive form':<30} found/total"]
    rows += [f"{form:<30} {found[form]}/{total[form]}" for form in sorted(total)]
    rows += [f"{'look-alike form':<30} reported/total"]
    rows += [f"{form:<30} {false_pos[form]}/{negatives[form]}" for form in sorted(negatives)]
    return tp / sum(total.values()), tp / (tp + fp), rows


def test_recall_and_precision_by_form():
    recall, precision, rows = scores()
    print("\n" + "\n".join(rows) + f"\nrecall {recall:.3f}  precision {precision:.3f}")
    assert recall >= 0.97
    assert precision >= 0.97
