from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cmp import yamlio
from cmp.errors import InputError

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"b{i}: &b{i} [{', '.join([('*a' if i == 0 else f'*b{i - 1}')] * 10)}]\n" for i in range(7)
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a: 1\n", [{"a": 1}], id="mapping"),
        pytest.param("d: 2024-01-01\n", [{"d": "2024-01-01"}], id="timestamps-stay-strings"),
        pytest.param("a: &x {b: 1}\nc:\n  <<: *x\n  b: 2\n", [{"a": {"b": 1}, "c": {"b": 2}}], id="merge-key-override-is-not-a-duplicate"),
        pytest.param("a: 1\n---\nb: 2\n", [{"a": 1}, {"b": 2}], id="multi-document"),
        pytest.param("", [], id="empty"),
    ],
)
def test_loads(text: str, expected: list):
    assert yamlio.load_all(text, "f.yaml") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("a: 1\nb:\n  c: 1\n  c: 2\n", r"f\.yaml:4:3: duplicate key 'c' \(first defined on line 3\)", id="duplicate-key"),
        pytest.param("a: !!python/object/apply:os.system [id]\n", r"f\.yaml:1:4: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'", id="python-tag"),
        pytest.param("a: [1,\n", r"f\.yaml:2:1: ", id="broken"),
        pytest.param(BOMB, r"f\.yaml:\d+: YAML expands to more than 1000000 nodes", id="billion-laughs"),
        pytest.param("a: " + "[" * 1500 + "]" * 1500 + "\n", r"f\.yaml:1:\d+: exceeded maximum nesting depth", id="deep-nesting"),
        pytest.param("a: &x " + "[" * 1001 + "]" * 1001 + "\nb: *x\n", r"f\.yaml: YAML nested deeper than 1000 levels|nesting depth", id="deep-nesting-with-anchor"),
        pytest.param("a: 1\n\tb: 2\n", r"f\.yaml:2:1: ", id="tab-indent"),
        pytest.param("a: !!binary aGVsbG8=\n", r"f\.yaml:1:4: tag !!binary is not allowed", id="binary-tag"),
        pytest.param("a: !!set {x}\n", r"f\.yaml:1:4: tag !!set is not allowed", id="set-tag"),
        pytest.param("a: 1\n---\nb: !!int abc\n", r"f\.yaml:3: a value does not match its explicit tag", id="bad-int"),
        pytest.param("a: !!float x\n", r"f\.yaml:1: a value does not match its explicit tag", id="bad-float"),
        pytest.param("a: !!bool maybe\n", r"f\.yaml:1: a value does not match its explicit tag", id="bad-bool"),
        pytest.param("a: !!timestamp 2024-01-01\n", r"f\.yaml:1:4: tag !!timestamp is not allowed", id="timestamp-tag"),
    ],
)
def test_rejects_with_file_line_and_reason(text: str, message: str):
    with pytest.raises(InputError, match=message):
        yamlio.load_all(text, "f.yaml")


def test_read_text_is_bounded_and_strict_utf8(tmp_path: Path):
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 100 + "\n")
    with pytest.raises(InputError, match=r"big.yaml: 104 bytes is over the 50-byte limit"):
        yamlio.read_text(big, "big.yaml", 50)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(InputError, match=r"latin.yaml:2: not valid UTF-8"):
        yamlio.read_text(latin, "latin.yaml", 1000)
    with pytest.raises(InputError, match="missing.yaml: file not found"):
        yamlio.read_text(tmp_path / "missing.yaml", "missing.yaml", 1000)


def constructed(text: str) -> str:
    """PyYAML's own constructor on our loader: the reference the direct route must match."""
    try:
        return repr(list(yaml.load_all(text, Loader=yamlio._Loader)))  # repr: nan, 1 vs True, key order
    except (yaml.YAMLError, ValueError):
        return "error"


def loaded(text: str) -> str:
    try:
        return repr(yamlio.load_all(text, "f.yaml"))
    except (InputError, ValueError):  # ValueError: `!!int abc` escapes the constructor as it is
        return "error"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a: x\nb: [1, 0x1F, 1.5, .inf, ~, null, true, on, '1', !!str 2]\nc: {d: [{e: f}]}\n", id="plain"),
        pytest.param("1: a\n0x1: b\n", id="int-keys-equal-as-numbers"),
        pytest.param("true: a\n1: b\non: c\n", id="bool-and-int-keys"),
        pytest.param(".nan: a\n.nan: b\n", id="nan-keys-are-duplicates-as-text"),
        pytest.param("~: a\nnull: b\n", id="null-keys"),
        pytest.param("a: 1\na: 2\n", id="duplicate-string-key"),
        pytest.param("'a': 1\na: 2\n", id="duplicate-after-quoting"),
        pytest.param("=: a\nb: 1\n", id="value-key"),
        pytest.param("a: {b: 1}\nc: {<<: {b: 1}, d: 2}\n", id="merge-key"),
        pytest.param("a: !!int 12\nb: !!float 1\nc: !!bool yes\nd: !!null ''\n", id="explicit-scalar-tags"),
        pytest.param("a: !!int abc\n", id="bad-explicit-int"),
        pytest.param("a: !custom x\n", id="unknown-tag"),
        pytest.param("a: !!str {b: 1}\n", id="str-tag-on-a-map"),
        pytest.param("[a, b]: 1\n", id="sequence-key"),
        pytest.param("a: |\n  lit\nb: >\n  folded\n", id="block-scalars"),
        pytest.param("---\n---\na: 1\n--- x\n", id="empty-documents-and-a-scalar"),
        pytest.param("a: " + "[" * 600 + "]" * 600 + "\n", id="deeper-than-the-direct-route-recurses"),
    ],
)
def test_the_direct_route_builds_what_the_constructor_builds(text: str):
    assert loaded(text) == constructed(text)


SCALARS = st.sampled_from(["a", "'a'", '"b"', "1", "0x1F", "1_000", "1.5", ".nan", ".inf", "~", "null", "true",
                           "on", "=", "2024-01-01", "!!str 1", "!!int 7", "!!float 1", "!!bool no", "!x y", "''"])
NODES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
    st.lists(st.tuples(st.one_of(SCALARS, st.just("<<")), inner), max_size=4).map(
        lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"),
), max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(st.lists(NODES, min_size=1, max_size=3).map("\n---\n".join))
def test_the_direct_route_matches_the_constructor_on_any_flow_document(text: str):
    assert loaded(text) == constructed(text)


def test_an_alias_is_the_same_object_as_its_anchor_as_the_constructor_builds_it():
    doc = yamlio.load_one("a: &x {b: [1]}\nc: *x\n", "f.yaml")
    assert doc["a"] is doc["c"]
