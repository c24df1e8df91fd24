from __future__ import annotations

from pathlib import Path

import pytest

from cmp.pipeline.inputs import is_template, merge_values


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("templates/deployment.yaml", True),
        ("templates/_helpers.tpl", True),
        ("templates/sub/dir/x.yaml", True),
        ("charts/redis/templates/sa.yaml", True),
        ("charts/redis/charts/common/templates/_labels.tpl", True),
        ("values/templates.yaml", False),
        ("files/templates/x.yaml", False),
        ("charts/redis/files/templates/x.yaml", False),
        ("templates", False),
        ("Chart.yaml", False),
    ],
)
def test_templates_of_the_chart_and_its_vendored_subcharts(rel: str, expected: bool):
    assert is_template(Path(rel)) is expected


def test_merge_values_is_helms_merge_maps():
    base = {"a": {"b": 1, "c": 2}, "list": [1, 2], "s": "x"}
    override = {"a": {"c": 3, "d": 4}, "list": [3], "s": {"now": "a map"}}
    assert merge_values(base, override) == {"a": {"b": 1, "c": 3, "d": 4}, "list": [3], "s": {"now": "a map"}}
    assert base == {"a": {"b": 1, "c": 2}, "list": [1, 2], "s": "x"}  # inputs untouched
