from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cmp import appdocs, yamlio
from cmp.errors import InputError
from cmp.secrets import files

ROOT = Path(__file__).resolve().parents[1]

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
        pytest.param("a: 1\nb:\n  c: 1\n  c: 2\n", r"f\.yaml:4:3: duplicate key \(first defined on line 3\)", id="duplicate-key"),
        pytest.param("a: !!python/object/apply:os.system [id]\n", r"f\.yaml:1:4: an unknown tag is not allowed", id="python-tag"),
        pytest.param("a: [1,\n", r"f\.yaml:2:1: ", id="broken"),
        pytest.param(BOMB, r"f\.yaml:\d+: YAML expands to more than 1000000 nodes", id="billion-laughs"),
        pytest.param("a: " + "[" * 1500 + "]" * 1500 + "\n", r"f\.yaml:1:\d+: exceeded maximum nesting depth", id="deep-nesting"),
        pytest.param("a: &x " + "[" * 1001 + "]" * 1001 + "\nb: *x\n", r"f\.yaml: YAML nested deeper than 1000 levels|nesting depth", id="deep-nesting-with-anchor"),
        pytest.param("a: 1\n\tb: 2\n", r"f\.yaml:2:1: ", id="tab-indent"),
        pytest.param("a: !!binary aGVsbG8=\n", r"f\.yaml:1:4: !!binary is not allowed", id="binary-tag"),
        pytest.param("a: !!set {x}\n", r"f\.yaml:1:4: !!set is not allowed", id="set-tag"),
        pytest.param("a: 1\n---\nb: !!int abc\n", r"f\.yaml:3:4: the value does not match its explicit tag !!int", id="bad-int"),
        pytest.param("a: !!float x\n", r"f\.yaml:1:4: the value does not match its explicit tag !!float", id="bad-float"),
        pytest.param("a: !!bool maybe\n", r"f\.yaml:1:4: the value does not match its explicit tag !!bool", id="bad-bool"),
        pytest.param("a: !!timestamp 2024-01-01\n", r"f\.yaml:1:4: !!timestamp is not allowed", id="timestamp-tag"),
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


def test_an_alias_is_the_same_object_as_its_anchor_as_the_constructor_builds_it():
    doc = yamlio.load_one("a: &x {b: [1]}\nc: *x\n", "f.yaml")
    assert doc["a"] is doc["c"]


@pytest.mark.parametrize(("value", "kind", "spelled"), [
    (None, "null", "nothing"), (True, "a boolean", "true"), (False, "a boolean", "false"), (5, "a number", "5"),
    ("5s", "a string", '"5s"'), ('a"b', "a string", '"a\\"b"'), ([1], "a list", "a list"), ({}, "a mapping", "a mapping"),
])
def test_messages_name_values_in_yaml_words_not_python(value, kind, spelled):
    assert yamlio.kind(value) == kind and yamlio.spelled(value) == spelled


@pytest.mark.parametrize(("keep_empty", "end_markers", "spans"), [
    (True, False, [(2, 3), (4, 6), (7, 8), (9, 10)]),  # secrets: every `---` opens one, `...` is text
    (False, True, [(2, 3), (3, 4), (9, 10)]),  # Applications: documents with content, `--- {b: 2}` inline
])
def test_document_spans_is_the_one_splitter_both_callers_use(keep_empty: bool, end_markers: bool, spans):
    text = "# head\n---\na: 1\n--- {b: 2}\n...\n# c\n---\n# only a comment\n---\nc: 3\n"
    assert yamlio.document_spans(text, keep_empty=keep_empty, end_markers=end_markers) == spans
    lines = text.splitlines()
    if keep_empty:
        assert files.split(text) == [("\n".join(lines[s:e]), s + 1) for s, e in spans]
    else:
        assert appdocs.document_lines(text, len(spans)) == spans


def _node_path(text: str) -> list:
    with mock.patch.object(yamlio, "_load_plain", lambda text: None):
        return yamlio.load_all(text, "f.yaml")


def test_pyyaml_gives_the_fast_path_its_events_as_values():
    # Without the event builders in PyYAML's Cython module, every document would take the node path.
    assert yamlio._EVENTS_ARE_VALUES
    assert yamlio._load_plain("a: [1, '2', yes, {b: ~}]\n") == [{"a": [1, "2", True, {"b": None}]}]


@pytest.mark.parametrize("path", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples").rglob("*.yaml")
                                         if "templates" not in p.parts))
def test_the_fast_path_builds_what_the_node_path_builds_for_the_examples(path: str):
    text = (ROOT / path).read_text()
    fast = yamlio._load_plain(text)
    assert fast is not None or "&" in text or "!" in text or "<<" in text
    if fast is not None:
        assert repr(fast) == repr(_node_path(text))  # repr: 1 and True, 1 and 1.0 differ


_ATOMS = ["a", "b", "yes", "No", "on", "~", "null", "", "0x1F", "0o17", "08", "1_000", "1e3", ".5", "-.inf", ".NaN", "+1",
          "-0", "9223372036854775808", "18446744073709551616", "<<", "'q'", '"d\\u00e9"', "&x v", "*x", "!!str 1", "!t x",
          "! 1", "2024-01-01", "1:20", "=", "[1, 2]", "{k: v}", "|\n  block\n", ">-\n  folded\n", "'a: b'", "-", "true",
          "False", "0b101", "-0x1", "1.", "1.0e+3", '"a\\nb"', "key: val", "- x", "[a, {b: 1}]", "{<<: {a: 1}}"]


@settings(max_examples=400)
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from(_ATOMS), st.sampled_from(_ATOMS), st.integers(0, 3)),
                min_size=1, max_size=6))
def test_the_fast_path_builds_what_the_node_path_builds(lines: list[tuple[int, str, str, int]]):
    text = "".join(f"{'  ' * indent}{key}: {value}\n" if form < 2 else f"{'  ' * indent}- {value}\n"
                   if form == 2 else f"{'  ' * indent}{key}:\n" for indent, key, value, form in lines)
    fast = yamlio._load_plain(text)
    if fast is not None:
        assert repr(fast) == repr(_node_path(text))
