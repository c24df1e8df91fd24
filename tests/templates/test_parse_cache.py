"""The parse cache (cmp.templates.ParseCache): a remembered tree is exactly the tree a fresh parse
of the same text builds, a different text never gets another's tree, and the byte bound holds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cmp import templates
from cmp.templates import TREE_BYTES_PER_CHAR, ParseCache, parser

DEPLOYMENT = '{{ if eq .Values.env "prod" }}replicas: 3{{ else }}replicas: 1{{ end }}\n'


def test_a_remembered_tree_is_the_fresh_parse_and_is_reused():
    cache = ParseCache(1024**2)
    first = cache.parse(DEPLOYMENT)
    assert first == parser.parse(DEPLOYMENT)
    assert cache.parse(DEPLOYMENT) is first
    assert cache.parse("".join(list(DEPLOYMENT))) is first  # keyed by the text, not the object


def test_a_text_differing_in_one_character_gets_its_own_tree():
    cache = ParseCache(1024**2)
    prod = cache.parse(DEPLOYMENT)
    dev = DEPLOYMENT.replace('"prod"', '"prxd"')
    tree = cache.parse(dev)
    assert tree is not prod
    assert tree == parser.parse(dev)
    assert tree.source.text == dev
    assert cache.parse(DEPLOYMENT) is prod


def test_a_syntax_error_is_remembered_as_the_error():
    cache = ParseCache(1024**2)
    broken = "{{ if .x }}no end"
    assert cache.parse(broken) == parser.parse(broken)
    assert cache.parse(broken).error is not None


def test_the_byte_bound_evicts_the_least_recently_used():
    a, b, c = ("{{ .a }}" + "x" * 92), ("{{ .b }}" + "y" * 92), ("{{ .c }}" + "z" * 92)
    cache = ParseCache(2 * 100 * TREE_BYTES_PER_CHAR)
    tree_a = cache.parse(a)
    cache.parse(b)
    assert cache.parse(a) is tree_a  # a is now the most recent
    cache.parse(c)  # over the bound: b goes
    assert len(cache) == 2 and cache.bytes <= cache.max_bytes
    assert cache.parse(a) is tree_a
    assert cache.parse(b) == parser.parse(b)


def test_a_text_over_the_whole_bound_is_parsed_but_not_kept():
    cache = ParseCache(10 * TREE_BYTES_PER_CHAR)
    text = "{{ .Values.much.longer.than.ten }}"
    assert cache.parse(text) == parser.parse(text)
    assert len(cache) == 0 and cache.bytes == 0


def test_no_bound_means_nothing_is_remembered():
    cache = ParseCache(0)
    assert cache.parse(DEPLOYMENT) == parser.parse(DEPLOYMENT)
    assert len(cache) == 0


def _immutable(value: object) -> bool:
    if isinstance(value, tuple):
        return all(_immutable(v) for v in value)
    return isinstance(value, (str, int, float, bool, type(None)))


@given(st.lists(st.sampled_from(["{{", "}}", " if ", " end ", ".a", "$x", ":=", "|", '"s"', "-", "(", ")",
                                 "\n", "x", " else ", " range ", "/*", "*/"]), max_size=30))
def test_any_tree_is_immutable_and_equals_a_fresh_parse(parts):
    text = "{{ " + "".join(parts)
    cache = ParseCache(1024**2)
    tree = cache.parse(text)
    assert _immutable(tree)  # sharing a tree between renders is safe only because nothing can change it
    assert cache.parse(text) == parser.parse(text)


def test_the_package_parse_remembers_only_once_asked(monkeypatch):
    monkeypatch.setattr(templates, "_CACHE", ParseCache(0))
    text = "{{ .Values.remember.me }}"
    assert templates.parse(text) is not templates.parse(text)
    templates.remember_parses()
    assert templates.parse(text) is templates.parse(text)


def test_remembering_parses_drops_the_trees_after_the_block(monkeypatch):
    monkeypatch.setattr(templates, "_CACHE", ParseCache(0))
    text = "{{ .Values.for.the.block }}"
    with templates.remembering_parses():
        assert templates.parse(text) is templates.parse(text)
    assert len(templates._CACHE) == 0 and templates._CACHE.max_bytes == 0
    assert templates.parse(text) is not templates.parse(text)
