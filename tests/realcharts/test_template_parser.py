"""Every template of the real-chart corpus lexes and parses exactly as with the implementation the
lexer and parser replaced (tests/templates/reference_parser.py): tokens, trees, node classes."""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

from templates import reference_parser

from cmp.templates.lexer import lex
from cmp.templates.parser import parse


def dump(value: Any) -> bytes:
    """The value's classes and fields as bytes (nodes of different classes with equal fields compare
    equal as tuples). Without pickle's memo, equal values give equal bytes however objects are shared."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(value)
    return out.getvalue()


def templates(root: Path) -> list[str]:
    return [p.read_text(errors="replace") for p in sorted(root.rglob("*")) if p.is_file() and "templates" in p.parts]


def test_dump_tells_node_classes_apart():
    from cmp.templates.nodes import Dot, Nil, Text

    assert Dot(1, 2) == Nil(1, 2) and dump((Dot(1, 2),)) != dump((Nil(1, 2),))
    assert dump((Text(0, 1), "a" * 3)) == dump((Text(0, 1), "".join(["a"] * 3)))


def test_every_corpus_template_lexes_and_parses_as_before(corpus_root: Path):
    texts = templates(corpus_root)
    assert len(texts) > 1900  # the 45 charts' templates, their subcharts' included
    for text in texts:
        assert lex(text) == reference_parser.lex(text)
        assert dump(parse(text)) == dump(reference_parser.parse(text))


def test_every_corpus_template_cut_short_parses_as_before(corpus_root: Path):
    """Each template cut inside two of its actions (an unclosed action, a missing {{end}}, half a
    token): the errors real text runs into."""
    for text in templates(corpus_root):
        starts = [i for i in range(len(text)) if text.startswith("{{", i)]
        for n, start in enumerate(starts[len(starts) // 3::len(starts) // 3 or 1][:2]):
            cut = text[:start + 3 + 3 * n]
            assert dump(parse(cut)) == dump(reference_parser.parse(cut)), len(cut)
