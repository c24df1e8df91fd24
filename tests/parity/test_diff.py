"""Rendered streams -> resources -> RFC 6902 patches base to head."""

from __future__ import annotations

import copy

import jsonpatch
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmp.errors import CmpError
from cmp.parity import diff

STREAM = """\
---
# Source: app/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: web
data:
  color: blue
---
# Source: app/templates/list.yaml
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Service, metadata: {name: a}}
  - {apiVersion: v1, kind: Service, metadata: {name: a}}
"""


def test_resources_are_named_by_group_version_kind_namespace_name():
    assert list(diff.resources(STREAM, "s")) == ["v1/ConfigMap web/settings", "v1/Service a", "v1/Service a #2"]


def test_yaml_only_values_become_json():
    found = diff.resources("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {1: 2}\n", "s")
    assert found["v1/ConfigMap x"]["data"] == {"1": 2}


def test_modified_added_removed():
    base = {"a": {"kind": "ConfigMap", "data": {"x": "1", "y": "2"}}, "gone": {"kind": "ConfigMap"}}
    head = {"a": {"kind": "ConfigMap", "data": {"x": "1", "y": "3", "z": "4"}}, "new": {"kind": "Service"}}
    changes = diff.changes(base, head)
    assert [(c.resource, c.change) for c in changes] == [("a", "modified"), ("new", "added"), ("gone", "removed")]
    assert sorted(changes[0].patch, key=lambda op: op["path"]) == [
        {"op": "replace", "path": "/data/y", "value": "3"}, {"op": "add", "path": "/data/z", "value": "4"}]
    assert list(changes[1].patch) == [{"op": "add", "path": "/kind", "value": "Service"}]
    assert list(changes[2].patch) == [{"op": "remove", "path": "/kind"}]
    assert changes[0].diff.splitlines()[:2] == ["--- base/a", "+++ head/a"]
    assert changes[0].counts == (2, 1)


def test_unchanged_resources_have_no_change():
    same = {"a": {"kind": "ConfigMap", "data": {"x": "1"}}}
    assert diff.changes(same, copy.deepcopy(same)) == ()


def test_json_pointer_escapes_slashes_and_tildes():
    base = {"r": {"metadata": {"labels": {"app.kubernetes.io/name": "a", "x~y": "1"}}}}
    head = {"r": {"metadata": {"labels": {"app.kubernetes.io/name": "b", "x~y": "2"}}}}
    paths = sorted(op["path"] for op in diff.changes(base, head)[0].patch)
    assert paths == ["/metadata/labels/app.kubernetes.io~1name", "/metadata/labels/x~0y"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from("abcdef"), inner, max_size=4),
    max_leaves=20,
)
objects = st.dictionaries(st.sampled_from(["kind", "spec", "data", "metadata"]), json_values, max_size=4)


@settings(max_examples=150, deadline=None)
@given(before=objects, after=objects)
def test_the_patch_takes_base_to_head(before, after):
    """Without secret-like keys in play, applying the reported patch to base gives head exactly."""
    changes = diff.changes({"r": before}, {"r": after})
    if before == after:
        assert changes == ()
        return
    assert jsonpatch.apply_patch(before, list(changes[0].patch)) == after


@pytest.mark.parametrize("kind", ["added", "removed"])
def test_whole_resource_patches_start_from_or_end_in_nothing(kind):
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}}
    base, head = ({}, {"r": obj}) if kind == "added" else ({"r": obj}, {})
    change = diff.changes(base, head)[0]
    if kind == "added":
        assert jsonpatch.apply_patch({}, list(change.patch)) == obj
    else:
        assert jsonpatch.apply_patch(obj, list(change.patch)) == {}


def test_one_parse_for_two_equal_renders_gives_what_two_parses_give():
    stream = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: '1'}\n---\n"
              "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: b},"
              " spec: {ratio: .nan}}\n")
    before, after = diff.resources_twice(stream, "s")
    assert list(before) == list(after) == list(diff.resources(stream, "s"))
    assert all(before[k] is not after[k] for k in before)  # nothing shared: a change to one is not in the other
    two_parses = diff.changes(diff.resources(stream, "s"), diff.resources(stream, "s"))
    assert diff.changes(before, after) == two_parses  # .nan is not equal to itself: one parse must not hide that


@pytest.mark.parametrize("ratio", ["0.5", ".nan", ".NaN", ".NAN", ".inf", "-.Inf", "'.nan'"])
def test_the_changes_of_two_equal_renders_are_those_of_two_parses(ratio: str):
    """changes_of_equal skips the copy unless the text may hold a NaN (not equal to itself)."""
    stream = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: '1'}\n---\n"
              "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: b},"
              f" spec: {{ratio: {ratio}}}}}\n")
    two_parses = diff.changes(diff.resources(stream, "s"), diff.resources(stream, "s"))
    assert diff.changes_of_equal(stream, "s") == two_parses


def test_the_changes_of_two_equal_renders_that_do_not_parse_are_an_error():
    with pytest.raises(CmpError):
        diff.changes_of_equal("a: [\n", "s")
