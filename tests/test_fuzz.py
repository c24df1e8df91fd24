"""Properties under arbitrary input (hypothesis): the loader only ever raises InputError, and
whatever values a chart gets, a successful render's stream parses the way Argo CD parses it."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmp import yamlio
from cmp.context import RenderRequest
from cmp.errors import CmpError, InputError
from cmp.pipeline.run import render

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(st.binary(max_size=2048))
def test_loader_raises_only_input_error_on_arbitrary_bytes(data: bytes):
    try:
        yamlio.load_all(yamlio.decode(data, "fuzz.yaml"), "fuzz.yaml")
    except InputError:
        pass


YAMLISH = st.one_of(
    st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#%@`\n\t ,?0123456789.~")), max_size=300),
    # explicit tags and anchors, whose constructors fail in their own ways
    st.lists(st.sampled_from(["a: ", "- ", "!!int ", "!!float ", "!!bool ", "!!str ", "!!null ", "!!map ", "!!seq ",
                              "!!binary ", "&x ", "*x ", "abc", "0x", "1e9", "maybe", "{", "}", "[", "]", ", ",
                              "\n", "  ", "? ", ": ", "<<: "]), max_size=40).map("".join),
)


@FUZZ
@given(YAMLISH)
def test_loader_raises_only_input_error_on_yaml_shaped_text(text: str):
    try:
        yamlio.load_all(text, "fuzz.yaml")
    except InputError:
        pass


KEYS = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,10}", fullmatch=True)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.text(max_size=40),
                    st.floats(allow_nan=False, allow_infinity=False, width=32))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(KEYS, inner, max_size=4)), max_leaves=20)

TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: fuzz
data:
  payload: {{ toJson .Values.payload | quote }}
  {{- range $k, $v := .Values.labels }}
  {{ $k }}: {{ $v | toString | quote }}
  {{- end }}
"""


def chart(root: Path) -> Path:
    c = root / "chart"
    if not c.exists():
        (c / "templates").mkdir(parents=True)
        (c / "values").mkdir()
        (c / "Chart.yaml").write_text("apiVersion: v2\nname: fuzz\nversion: 0.1.0\n")
        (c / "templates" / "cm.yaml").write_text(TEMPLATE)
        (root / ".gitops-cmp.yaml").write_text("{}\n")
    return c


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=VALUES, labels=st.dictionaries(KEYS, st.text(max_size=20), max_size=5))
def test_any_rendered_stream_parses_as_argo_cd_parses_it(tmp_path: Path, payload, labels):
    c = chart(tmp_path)
    values = {"payload": payload, "labels": labels}
    (c / "values" / "prod.yaml").write_text(json.dumps(values))  # JSON is YAML
    request = RenderRequest(repo_root=tmp_path, chart_dir=c, env="prod", release=None, namespace=None)
    try:
        result = render(request)
    except CmpError:
        return  # failing closed is always allowed; emitting something unparsable is not
    docs = [d for d in yaml.safe_load_all(result.stream) if d is not None]
    assert len(docs) == result.objects == 1
    assert all(isinstance(d, dict) and d.get("kind") and d.get("apiVersion") for d in docs)
    # Helm's JSON numbers are float64: compare numbers as floats, everything else exactly.
    assert as_floats(json.loads(docs[0]["data"]["payload"])) == as_floats(payload)


def as_floats(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return [as_floats(v) for v in value]
    return {k: as_floats(v) for k, v in value.items()}


JSONISH = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20)),
                       lambda inner: st.one_of(st.lists(inner, max_size=4),
                                               st.dictionaries(st.text(max_size=12), inner, max_size=5)),
                       max_leaves=25)
CONFIG_KEYS = ["environments", "envWords", "envIdentityKeys", "envConditionalMode", "strictEnvironments",
               "allow", "limits", "repoURLs"]


@FUZZ
@given(st.dictionaries(st.sampled_from(CONFIG_KEYS), JSONISH, max_size=5))
def test_repo_config_raises_only_input_error_on_any_shape(data):
    from cmp import config

    try:
        config.parse(data, ".gitops-cmp.yaml")
    except InputError:
        pass


APP_PATHS = ["metadata", "metadata.name", "spec", "spec.source", "spec.source.path", "spec.source.repoURL",
             "spec.source.plugin", "spec.source.plugin.name", "spec.source.plugin.env", "spec.source.plugin.parameters",
             "spec.source.helm", "spec.source.helm.valueFiles", "spec.destination", "spec.destination.namespace"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(APP_PATHS), JSONISH), min_size=1, max_size=3))
def test_application_parse_raises_only_input_error_on_any_shape(edits):
    from cmp import application

    doc = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
           "metadata": {"name": "a"}, "spec": {"source": {"path": "charts/a", "plugin": {"name": "gitops-helm-v1",
                                                          "env": [{"name": "ENVIRONMENT", "value": "prod"}]}},
                                               "destination": {"namespace": "a"}}}
    for path, value in edits:
        node = doc
        *parents, last = path.split(".")
        for key in parents:
            node = node.setdefault(key, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node[last] = value
    try:
        application.parse(doc, "a.yaml", frozenset({"https://x"}))
    except InputError:
        pass
