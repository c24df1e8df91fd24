from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmp import yamlio
from cmp.errors import RenderError
from cmp.pipeline import emit, manifests


def kinds(found):
    return [(m.kind, m.obj["metadata"]["name"]) for m in found]


def test_documents_split_where_helm_splits_them():
    text = "apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\n# comment only\n---  \napiVersion: v1\nkind: B\nmetadata: {name: b}\n"
    found = list(manifests.split("c/templates/x.yaml", text))
    assert kinds(found) == [("A", "a"), ("B", "b")]
    assert [m.doc_index for m in found] == [0, 2]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("---\na: 1\n---\nb: 2\n", id="leading-separator"),
        pytest.param("---\n---\n", id="separator-right-after-the-leading-one"),
        pytest.param("  \n---x\n", id="whitespace-then-separator-at-the-start"),
        pytest.param("a: 1  \n\t\n---  \n\nb: 2", id="whitespace-around-the-separator-is-taken"),
        pytest.param("a: |\n  x\n---b\n", id="dashes-glued-to-text"),
        pytest.param("a\n---\n---b\n----\n", id="back-to-back"),
        pytest.param("a:\u00a0\n---\u2028b", id="unicode-whitespace"),
        pytest.param("a: 1\n  ---\n", id="indented-dashes-do-not-split"),
        pytest.param("", id="empty"),
    ],
)
def test_split_documents_splits_where_the_helm_regex_splits(text):
    assert manifests.split_documents(text) == re.split(manifests.SEPARATOR, text)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["---", "-", "\n", " ", "\t", "\r", "\x0b", "\x1c", "\u00a0", "\u2028", "a", "k: v"]),
                max_size=40).map("".join))
def test_split_documents_matches_the_helm_regex_on_any_text(text):
    assert manifests.split_documents(text) == re.split(manifests.SEPARATOR, text)


def test_order_is_crds_then_helm_install_order_then_unknown_kinds_by_name():
    templates = {
        "c/templates/z.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n",
        "c/templates/a.yaml": "apiVersion: x/v1\nkind: Zebra\nmetadata: {name: z}\n---\napiVersion: x/v1\nkind: Alpha\nmetadata: {name: al}\n",
        "c/templates/m.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ns}\n",
        "c/templates/NOTES.txt": "not yaml: [",
    }
    crds = [{"filename": "c/crds/w.yaml", "data": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: w}\n"}]
    found = manifests.collect(templates, crds)
    assert kinds(found) == [("CustomResourceDefinition", "w"), ("Namespace", "ns"), ("Service", "s"),
                            ("Deployment", "d"), ("Alpha", "al"), ("Zebra", "z")]


def test_list_items_are_objects():
    text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n"
    (found,) = manifests.split("c/templates/l.yaml", text)
    assert [o["metadata"]["name"] for o in found.objects()] == ["a", "b"]


def test_hooks_are_recognised_by_annotation():
    text = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  annotations: {helm.sh/hook: pre-install}\n"
    (found,) = manifests.split("c/templates/j.yaml", text)
    assert found.is_hook


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("kind: ConfigMap\nmetadata: {name: a}\n", "document 1 has no apiVersion", id="no-apiVersion"),
        pytest.param("apiVersion: v1\nmetadata: {name: a}\n", "document 1 has no kind", id="no-kind"),
        pytest.param("just a string\n", "document 1 is a string, not a Kubernetes object", id="scalar"),
        pytest.param("apiVersion: v1\nkind: List\nitems: [{a: 1}]\n", "list item 0 has no apiVersion/kind", id="bad-list-item"),
        pytest.param("apiVersion: v1\nkind: A\n...\nkind: B\n", "not valid YAML", id="content-after-document-end"),
        # Go's YAML would hand Argo CD the decoded text, which the secret scan never saw.
        pytest.param("apiVersion: v1\nkind: Pod\nspec: {containers: [{env: [{name: DB_PASSWORD,"
                     " value: !!binary U2VjcjN0UGFzc3dvcmQ=}]}]}\n", "not valid YAML", id="binary-tag"),
    ],
)
def test_non_objects_are_render_errors(text: str, message: str):
    with pytest.raises(RenderError, match=message):
        list(manifests.split("c/templates/x.yaml", text))


def test_a_duplicate_key_renders_as_argo_cd_applies_it_the_last_one_noted():
    [manifest] = manifests.split("c/templates/x.yaml", "apiVersion: v1\nkind: ConfigMap\nkind: Secret\n")
    assert manifest.obj == {"apiVersion": "v1", "kind": "Secret"}
    assert manifest.duplicates == (yamlio.Duplicate(line=3, first=2),)


def test_stream_is_helm_template_format_and_deterministic():
    rendered = {"c/templates/b.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: b}\n",
                "c/templates/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"}
    text = emit.stream(manifests.collect(rendered, []))
    assert text == ('---\n# Source: c/templates/b.yaml\n{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}}\n'
                    '---\n# Source: c/templates/a.yaml\n{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}\n')
    reordered = dict(reversed(list(rendered.items())))
    assert emit.stream(manifests.collect(reordered, [])) == text
    assert emit.digest(text) == "sha256:" + __import__("hashlib").sha256(text.encode()).hexdigest()[:16]


def test_signature_names_a_resource():
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "prod"}}
    assert manifests.signature(obj) == "apps/v1/Deployment prod/web"


def test_digest_of_a_large_stream_is_its_sha256_too():
    text = "x" * emit.OPENSSL_FROM + "é"
    assert emit.digest(text) == "sha256:" + __import__("hashlib").sha256(text.encode()).hexdigest()[:16]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**64, max_value=2**64) | st.floats(allow_nan=False,
                                                                                           allow_infinity=False)
    | st.text(), lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _JSON, max_size=5))
def test_a_document_is_json_dumps_of_its_object(obj):
    manifest = manifests.Manifest("c/templates/x.yaml", 0, "", obj)
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, check_circular=False)
    assert emit.stream([manifest]) == f"---\n# Source: c/templates/x.yaml\n{emit.document(manifest)}\n"
    assert emit.document(manifest) == re.sub(emit._NOT_YAML, lambda m: f"\\u{ord(m.group()):04x}", text)


def test_a_float_json_cannot_write_is_refused():
    with pytest.raises(RenderError, match="inf or .nan"):
        emit.stream([manifests.Manifest("c/templates/x.yaml", 0, "", {"a": float("inf")})])


def test_digest_does_not_load_openssl():
    # hashlib imports OpenSSL's bindings first: 3-5 ms of every render's start-up
    code = "import sys; from cmp.pipeline import emit; emit.digest('x'); print('_hashlib' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.stdout == "False\n", proc.stderr


def test_a_block_scalar_ending_a_document_keeps_its_line_break_as_in_helms_stream():
    """`helm template` trims each document and prints it followed by a newline, so Argo CD reads
    `data.x: |` at a document's end with its final line break (prometheus, loki, redis ConfigMaps)."""
    text = "kind: A\napiVersion: v1\nmetadata: {name: a}\ndata:\n  x: |\n    echo\n---\nkind: B\napiVersion: v1\nmetadata: {name: b}\n"
    found = list(manifests.split("c/templates/x.yaml", text))
    assert [m.obj.get("data") for m in found] == [{"x": "echo\n"}, None]


def test_whitespace_around_a_document_is_trimmed_as_helm_trims_it():
    text = "kind: A\napiVersion: v1\nmetadata: {name: a}\ndata:\n  x: |+\n    echo\n  \n  \n---\n"
    (found,) = manifests.split("c/templates/x.yaml", text)
    assert found.obj["data"] == {"x": "echo\n"}  # Helm's TrimSpace leaves nothing for `+` to keep
