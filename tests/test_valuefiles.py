"""VALUE_FILES and the valueFiles parameter -> the files and every problem, in both readings."""

from __future__ import annotations

from typing import Any

import pytest

from cmp.valuefiles import Problem, ValueFiles, mappings, read, split_list

BOTH = pytest.mark.parametrize("reading", ["render", "check"])


def files_and_faults(found: ValueFiles) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return found.files, tuple(p.fault for p in found.problems)


@BOTH
def test_env_then_each_parameter_in_order(reading):
    parameters = [{"name": "valueFiles", "array": ["c.yaml"]}, {"name": "other", "string": "x.yaml"},
                  {"name": "valueFiles", "string": "d.yaml,\ne.yaml"}]
    found = read("a.yaml,\n b.yaml", parameters, reading)
    assert found == ValueFiles(("a.yaml", "b.yaml", "c.yaml", "d.yaml", "e.yaml"), ())


@BOTH
@pytest.mark.parametrize("parameters", [None, [], [{"name": "other"}]])
def test_nothing_named(reading, parameters: Any):
    assert read("", parameters, reading) == ValueFiles((), ())


@BOTH
def test_parameters_must_be_a_list(reading):
    assert read("a.yaml", {"name": "valueFiles"}, reading).problems == (
        Problem("parameters", "not-a-list", {"name": "valueFiles"}),)


def test_a_render_names_the_entry_with_a_nul_byte_and_its_input():
    found = read("a\0b", [{"name": "valueFiles", "array": ["c\0d"]}])
    assert found.problems == (Problem("env", "nul-byte", "a\0b"), Problem("parameters", "nul-byte", "c\0d"))


def test_problems_keep_the_order_of_the_parameters():
    found = read("", [{"name": "valueFiles", "array": ["a\0b"]}, {"name": "valueFiles", "array": [1]}])
    assert [p.fault for p in found.problems] == ["nul-byte", "not-strings"]


# The two readings differ here today; each is pinned until one is chosen (module docstring).
@pytest.mark.parametrize(
    ("parameters", "render", "check"),
    [
        pytest.param([{"name": "valueFiles"}], ((), ("no-array-or-string",)), ((), ()), id="neither-array-nor-string"),
        pytest.param([7, {"name": "valueFiles", "array": ["a.yaml"]}], (("a.yaml",), ()),
                     (("a.yaml",), ("not-a-mapping",)), id="non-mapping-parameter"),
        pytest.param([{"name": "valueFiles", "array": ["", " ", "a.yaml"]}], (("a.yaml",), ()),
                     (("", " ", "a.yaml"), ()), id="blank-entries"),
        pytest.param([{"name": "valueFiles", "array": [], "string": "a.yaml"}], ((), ()), (("a.yaml",), ()),
                     id="empty-array-and-a-string"),
        pytest.param([{"name": "valueFiles", "array": ["a.yaml"], "string": 5}], (("a.yaml",), ()),
                     ((), ("odd-shape",)), id="odd-string"),
        pytest.param([{"name": "valueFiles", "array": 5, "string": "a.yaml"}], (("a.yaml",), ()),
                     ((), ("odd-shape",)), id="odd-array"),
        pytest.param([{"name": "valueFiles", "array": [1]}], ((), ("not-strings",)), ((), ("odd-shape",)),
                     id="non-string-entry"),
        pytest.param([{"name": "valueFiles", "array": ["a\0b"]}], (("a\0b",), ("nul-byte",)), (("a\0b",), ()),
                     id="nul-byte"),
    ],
)
def test_where_the_readings_differ(parameters: list[Any], render: tuple, check: tuple):
    assert files_and_faults(read("", parameters, "render")) == render
    assert files_and_faults(read("", parameters, "check")) == check


@pytest.mark.parametrize(
    ("value", "found"),
    [(None, ([], None)), ({"a": 1}, ([], "not-a-list")), ([{"a": 1}, 2], ([{"a": 1}], "not-a-mapping")),
     ([{"a": 1}], ([{"a": 1}], None))],
)
def test_mappings(value: Any, found: tuple):
    assert mappings(value) == found


@pytest.mark.parametrize(("value", "items"), [("", ()), (" a , b\n\nc,", ("a", "b", "c"))])
def test_split_list(value: str, items: tuple[str, ...]):
    assert split_list(value) == items
