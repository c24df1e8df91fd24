"""Issue 12, class 2: the rules must read YAML exactly as Argo CD (sigs.k8s.io/yaml, gopkg.in/yaml.v2)
and Helm read it. A table of the corners where YAML parsers disagree, each with Go's reading (taken
from the real Go parser, tests/security/goyaml/main.go): cmp.yamlio must read the same, or refuse
(REFUSED: fail closed where Go would accept something a reviewer cannot see). When Go is installed
(.ci/run installs it), the table itself is checked against Go, so it cannot drift from the oracle.
"""

from __future__ import annotations

import json
from typing import Any

import goyaml
import pytest
from security.attack import assert_no_leak
from support import EXAMPLE

from cmp import yamlio
from cmp.errors import InputError
from cmp.pipeline import emit, manifests

ERROR = "error"  # Go refuses it (Argo CD fails the sync; Helm fails the render): so must we
REFUSED = "refused"  # Go accepts it, we refuse it on purpose (the comment says why)

CORNERS = [
    ('merge-later-overrides-explicit', 'kind: ConfigMap\n<<: {kind: Secret}\n', [{'kind': 'Secret'}]),
    ('merge-earlier-loses-to-explicit', '<<: {kind: Secret}\nkind: ConfigMap\n', [{'kind': 'ConfigMap'}]),
    ('merge-list-first-wins', '<<: [{a: 1}, {a: 2, b: 2}]\n', [{'a': 1, 'b': 2}]),
    ('merge-alias', 'base: &b {a: 1, c: 3}\nx:\n  a: 2\n  <<: *b\n', [{'base': {'a': 1, 'c': 3}, 'x': {'a': 1, 'c': 3}}]),
    ('merge-nested-merge', 'x: {<<: {<<: {a: 1}, a: 2}, b: 3}\n', [{'x': {'a': 2, 'b': 3}}]),
    ('merge-quoted-key-is-a-key', "'<<': {a: 1}\n", [{'<<': {'a': 1}}]),
    ('merge-as-value', 'a: <<\n', [{'a': '<<'}]),
    ('merge-scalar', '<<: 1\n', ERROR),
    ('merge-alias-of-a-list', 'l: &l [{a: 1}]\nm: {<<: *l}\n', ERROR),
    ('merge-list-of-aliases', 'a: &a {x: 1}\nm: {<<: [*a]}\n', [{'a': {'x': 1}, 'm': {'x': 1}}]),
    ('merge-explicit-tag', '!!merge <<: {a: 1}\n', [{'a': 1}]),
    ('equals-plain', "a: =\nb: '='\n", [{'a': '=', 'b': '='}]),
    ('equals-key', '=: a\n', [{'=': 'a'}]),
    ('bool-y-n', 'a: y\nb: Y\nc: n\nd: N\n', [{'a': True, 'b': True, 'c': False, 'd': False}]),
    ('bool-yes-on-off', 'a: yes\nb: on\nc: off\nd: NO\ne: True\nf: tRUE\n', [{'a': True, 'b': True, 'c': False, 'd': False, 'e': True, 'f': 'tRUE'}]),
    ('bool-keys', 'y: 1\non: 2\nno: 3\n', [{'false': 3, 'true': 2}]),
    ('sexagesimal', 'a: 1:20\nb: 190:20:30.15\n', [{'a': '1:20', 'b': '190:20:30.15'}]),
    ('timestamp', 'a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\nc: 2001-12-14 21:59:43.10\n', [{'a': '2001-12-14', 'b': '2001-12-14t21:59:43.10-05:00', 'c': '2001-12-14 21:59:43.10'}]),
    ('binary-int', 'a: 0b1010\nb: -0b11\nc: 0b_1\n', [{'a': 10, 'b': -3, 'c': 1}]),
    ('octal', 'a: 017\nb: 0o17\nc: 08\nd: 0o8\ne: 00\n', [{'a': 15, 'b': 15, 'c': 8, 'd': '0o8', 'e': 0}]),
    ('hex', 'a: 0x1F\nb: 0X1f\nc: -0x10\nd: 0x\n', [{'a': 31, 'b': 31, 'c': -16, 'd': '0x'}]),
    ('underscore-ints', 'a: 1_000\nb: 1__0\nc: _1\nd: 1_\ne: 1_000.5\n', [{'a': 1000, 'b': 10, 'c': '_1', 'd': 1, 'e': 1000.5}]),
    ('floats', 'a: 1e3\nb: 1.5e-3\nc: .5\nd: 1.\ne: -.5\nf: +1\ng: 1e+3\nh: 1E3\ni: 6.02e23\n', [{'a': 1000, 'b': 0.0015, 'c': 0.5, 'd': 1, 'e': -0.5, 'f': 1, 'g': 1000, 'h': 1000, 'i': 6.02e+23}]),
    ('float-out-of-range', 'a: 1e400\nb: 1e-400\n', [{'a': '1e400', 'b': 0}]),
    ('big-ints', 'a: 9223372036854775807\nb: 9223372036854775808\nc: 18446744073709551615\nd: 18446744073709551616\ne: -9223372036854775809\n', [{'a': 9223372036854775807, 'b': 9223372036854775808, 'c': 18446744073709551615, 'd': 18446744073709552000, 'e': -9223372036854776000}]),
    ('inf', 'a: .inf\n', ERROR),
    ('nan', 'a: .nan\n', ERROR),
    ('inf-like-strings', 'a: inf\nb: +inf\nc: .iNf\nd: NaN\ne: infinity\n', [{'a': 'inf', 'b': '+inf', 'c': '.iNf', 'd': 'NaN', 'e': 'infinity'}]),
    ('null-forms', 'a: ~\nb: null\nc: Null\nd:\ne: NULL\nf: nULL\n', [{'a': None, 'b': None, 'c': None, 'd': None, 'e': None, 'f': 'nULL'}]),
    ('explicit-str', 'a: !!str 1\nb: !!str yes\nc: !!str\n', [{'a': '1', 'b': 'yes', 'c': ''}]),
    ('explicit-int-ok', "a: !!int '12'\nb: !!float 1\nc: !!bool yes\nd: !!null ''\n", [{'a': 12, 'b': 1, 'c': True, 'd': None}]),
    ('explicit-int-bad', 'a: !!int abc\n', ERROR),
    ('explicit-float-bad', 'a: !!float yes\n', ERROR),
    ('explicit-bool-bad', 'a: !!bool maybe\n', ERROR),
    ('unknown-tag', 'a: !foo bar\n', REFUSED),  # an application tag: Go drops it, a reviewer reading the file may not
    ('unknown-tag-on-map', 'a: !foo {b: 1}\n', REFUSED),  # same, on a map
    ('nonspecific-tag', 'a: ! 12\n', [{'a': '12'}]),
    ('binary-tag', 'a: !!binary aGVsbG8=\n', REFUSED),  # Go base64-decodes !!binary into a plain string no scan saw as such
    ('anchor-redefined', 'a: &x 1\nb: &x 2\nc: *x\n', REFUSED),  # Go lets the later anchor win for aliases after it; libyaml refuses, and so do we, naming the anchor
    ('duplicate-key-last-wins', 'a: 1\nb: 2\na: 3\n', [{'a': 3, 'b': 2}]),
    ('duplicate-int-keys', '1: a\n0x1: b\n', [{'1': 'b'}]),
    ('int-and-string-key-collide', "1: a\n'1': b\n", REFUSED),  # two Go keys, one JSON key: Go's pick is random
    ('float-keys', '1.5: a\n1e7: b\n0.1: c\n', [{'0.1': 'c', '1.5': 'a', '1e+07': 'b'}]),
    ('null-key', '~: a\n', ERROR),
    ('list-key', '[a]: 1\n', ERROR),
    ('block-scalar-with-separator', 'a: |\n  x\n  ---\n  y\n', [{'a': 'x\n---\ny\n'}]),
    ('document-end', 'a: 1\n...\n', [{'a': 1}]),
    ('document-end-then-content', 'a: 1\n...\nb: 2\n', REFUSED),  # Go reads the first document of a piece only; a second one is refused
    ('separator-with-content', 'a: 1\n--- b: 2\n', REFUSED),  # `--- x` inside a piece: Go reads the first document only
    ('bom', '\ufeffa: 1\n', [{'a': 1}]),
    ('nul', 'a: "x\x00y"\n', ERROR),
    ('nul-escape', 'a: "x\\0y"\n', [{'a': 'x\x00y'}]),
    ('unicode-line-separator', 'a: "x\u2028y"\n', [{'a': 'x\u2028y'}]),
    ('nel', 'a: x\x85y\n', ERROR),
    ('control-char', 'a: "x\x7fy"\n', ERROR),
    ('escapes', 'a: "\\u00e9\\U0001F600\\x41\\t"\n', [{'a': 'é😀A\t'}]),
    ('tab-separated', 'a:\t1\n', [{'a': 1}]),
    ('yaml-1.1-directive', '%YAML 1.1\n---\na: 1\n', ERROR),
    ('yaml-1.2-directive', '%YAML 1.2\n---\na: 1\n', ERROR),
    ('tag-directive', '%TAG !e! tag:example.com,2000:\n---\na: !e!foo 1\n', ERROR),
    ('comment-only', '# nothing\n', []),
    ('flow-seq-doc', '[1, 2]\n', [[1, 2]]),
    ('empty-flow-map-key', '{? : 1}\n', ERROR),
    ('complex-key-string', '? a\n: 1\n', [{'a': 1}]),
    ('multiline-plain', 'a: x\n  y\n', [{'a': 'x y'}]),
    ('folded-keep', 'a: >+\n  x\n\nb: 1\n', [{'a': 'x\n\n', 'b': 1}]),
    ('plus-minus-only', 'a: +\nb: -\nc: .\n', ERROR),
    ('leading-plus-int', 'a: +12\nb: +0x1F\n', [{'a': 12, 'b': 31}]),
]


def ours(text: str) -> Any:
    """What the render emits for `text` (JSON, as cmp.pipeline.emit writes objects), or ERROR."""
    try:
        docs = [d for d in yamlio.load_all(text, "f.yaml", duplicates=[]) if d is not None]
        return json.loads(json.dumps(docs, allow_nan=False))
    except (InputError, ValueError):
        return ERROR


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in CORNERS])
def test_cmp_reads_each_corner_as_go_does(text: str, expected: Any) -> None:
    got = ours(text)
    if expected in (ERROR, REFUSED):
        assert got == ERROR
    else:
        assert goyaml.normal(got) == goyaml.normal(expected)


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in CORNERS])
def test_the_table_is_what_go_reads(text: str, expected: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    go = goyaml.oracle(tmp_path_factory).stream(text)
    if expected == REFUSED:
        assert not isinstance(go, str), "Go refuses it too: mark it ERROR"
    elif expected == ERROR:
        assert isinstance(go, str), f"Go reads {go!r}"
    else:
        assert goyaml.normal(go) == goyaml.normal(expected)


def test_a_duplicate_key_in_rendered_output_is_kept_last_and_reported() -> None:
    found: list[yamlio.Duplicate] = []
    assert yamlio.load_all("kind: ConfigMap\nx: 1\nkind: Secret\n", "t.yaml", duplicates=found) == [
        {"kind": "Secret", "x": 1}]
    assert found == [yamlio.Duplicate(line=3, first=1)]


def test_a_duplicate_key_in_a_value_file_is_refused_without_its_value() -> None:
    with pytest.raises(InputError, match=r"^v\.yaml:3:1: duplicate key \(first defined on line 1\)$"):
        yamlio.load_one("password: ''\nx: 1\npassword: hunter2\n", "v.yaml")


def test_a_redefined_anchor_is_refused_by_name() -> None:
    with pytest.raises(InputError, match=r"anchor &pw is defined again \(first defined on line 1\)"):
        yamlio.load_one("a: &pw x\nb: &pw y\nc: *pw\n", "v.yaml")


# --- The emitted stream: Argo CD can only apply what the rules judged -------------------------------

def emitted(text: str) -> str:
    """The stream cmp emits for one rendered template `text`."""
    return emit.stream(manifests.split("app/templates/x.yaml", text))


OBJECTS = [pytest.param(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\ndata:\n  {line}", id=i)
           for i, line in [
               ("merge", "<<: {a: '1'}\n  a: '2'\n"), ("y-n", "a: y\n  b: n\n  'y': 'n'\n"),
               ("equals", "a: =\n  '=': b\n"), ("sexagesimal", "a: 1:20\n  b: 08\n"),
               ("separator-in-block", "a: |\n    x\n    ---\n    kind: Secret\n"),
               ("document-end-in-string", "a: \"x\\n...\\n\"\n"),
               ("comment-and-hash", "a: '# not a comment'\n  b: 'x #y'\n"),
               ("line-breaks", "a: \"\\u2028 \\u2029 \\x85 \\ufeff \\x7f \\x9f \\ufffe\"\n"),
               ("astral-and-escapes", "a: \"\\U0001F600 \\t \\0 \\e \\\\ \\\"\"\n"),
               ("numbers-as-strings", "a: '1e3'\n  b: '0x1F'\n  c: '.5'\n  d: '+1'\n  e: '1_000'\n  f: ''\n  g: '~'\n"),
               ("big-numbers", "a: 18446744073709551615\n  b: 1e300\n  c: -9223372036854775808\n  d: 0.1\n"),
               ("keys", "1: a\n  true: b\n  1.5: c\n  '<<': d\n  null_: e\n"),
               ("duplicate", "a: 1\n  a: 2\n"),
           ]]


@pytest.mark.parametrize("text", OBJECTS)
def test_go_reads_the_emitted_stream_as_the_objects_the_rules_judged(
        text: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    judged = [m.obj for m in manifests.split("app/templates/x.yaml", text)]
    go = goyaml.oracle(tmp_path_factory)
    assert goyaml.normal(go.stream(emitted(text))) == goyaml.normal(judged)
    # ... and the rules judged what native Helm + Argo CD would have applied from Helm's own text
    assert goyaml.normal(go.stream(f"---\n# Source: x\n{text}")) == goyaml.normal(judged)


def test_a_merge_key_cannot_turn_a_judged_configmap_into_a_secret(tmp_path_factory: pytest.TempPathFactory) -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n<<: {kind: Secret}\nstringData: {password: x}\n"
    [manifest] = manifests.split("app/templates/x.yaml", text)
    assert manifest.kind == "Secret"  # the rules see the Secret Argo CD would apply
    go = goyaml.oracle(tmp_path_factory)
    assert go.stream(emitted(text))[0]["kind"] == "Secret"


def test_the_example_repo_renders_the_objects_go_reads(cli, tmp_path_factory: pytest.TempPathFactory) -> None:
    go = goyaml.oracle(tmp_path_factory)
    for chart, env in [("webapp", "dev"), ("webapp", "prod")]:
        result = cli("render", str(EXAMPLE / "charts" / chart), "--env", env)
        assert result.code == 0, result.err
        ours = [d for d in yamlio.load_all(result.out, "stdout") if d is not None]
        assert ours and goyaml.normal(go.stream(result.out)) == goyaml.normal(ours)


def test_a_rendered_duplicate_key_renders_as_argo_cd_applies_it_and_the_warning_echoes_nothing(
        hostile_repo, cli, planted) -> None:
    secret = planted()
    chart = hostile_repo.chart("w", values={"dev": f"motd: {secret}\n"}, templates={
        "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n"
                   "  {{ .Values.motd }}: a\n  {{ .Values.motd }}: b\n"})
    result = cli("render", str(chart), "--env", "dev")
    assert result.code == 0, result.err
    assert [d["data"] for d in yamlio.load_all(result.out, "stdout") if d] == [{secret: "b"}]
    assert "duplicate-key" in result.err and "the later one is applied" in result.err
    assert_no_leak([secret], result.err)


def test_go_reads_every_real_chart_render_as_the_rules_judged_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Over the public-chart corpus (tests/realcharts/, each chart's defaults): Go's reading of the
    emitted stream is the list of objects the rules judged, and so is Go's reading of Helm's own text
    as `helm template` prints it (what native Helm + Argo CD would apply). The whole stream against
    the real Helm binary is tests/realcharts/test_differential.py's job, through kubectl."""
    corpus = pytest.importorskip("realcharts.corpus", reason="the real-chart corpus (tests/realcharts/) is not on this branch")
    base = corpus.root()
    if base is None:
        pytest.skip(f"no real-chart corpus on this machine (looked in {', '.join(map(str, corpus.candidates()))})")
    from cmp.config import load
    from cmp.context import RenderRequest
    from cmp.errors import CmpError
    from cmp.pipeline import inputs, run

    go = goyaml.oracle(tmp_path_factory)
    compared = 0
    for case in (c for c in corpus.cases(base) if c.values is None):
        request = RenderRequest(repo_root=case.chart_dir, chart_dir=case.chart_dir, env="prod", release="rel",
                                namespace="ns", env_file=False, app=case.id)
        try:
            gathered = inputs.gather(request, load(case.chart_dir))
            judged = run.render_objects(gathered, case.id)
        except CmpError:
            continue  # refused: nothing emitted
        objects = goyaml.normal([m.obj for m in judged])
        assert goyaml.normal(go.stream(emit.stream(judged))) == objects, case.id
        helm_text = "".join(f"---\n# Source: {m.source}\n{m.text}\n" for m in judged)
        assert goyaml.normal(go.stream(helm_text)) == objects, case.id
        compared += 1
    assert compared >= 30
