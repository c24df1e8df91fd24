from __future__ import annotations

import base64
import subprocess
import sys
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cmp.secrets import scan
from cmp.secrets.scan import Hit, scan_object, scan_objects, scan_text, scan_values


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def paths(hits: list[Hit]) -> list[tuple[str | int, ...]]:
    return sorted((h.path for h in hits), key=str)


@pytest.mark.parametrize(("data", "expected"), [
    pytest.param({"auth": {"password": "hunter22"}}, [("auth", "password")], id="sensitive-name"),
    pytest.param({"env": [{"name": "API_TOKEN", "value": "Xk9vB2mQ7pL4"}]}, [("env", 0, "value")], id="name-value"),
    pytest.param({"tolerations": [{"key": "dedicated", "value": "infra-nodes-01"}]}, [], id="key-value-harmless"),
    pytest.param({"args": ["--password", "hunter22", "--verbose"]}, [("args", 1)], id="flag-then-value"),
    pytest.param({"args": ["--password", "--verbose"]}, [], id="flag-without-value"),
    pytest.param({"cmd": "mysql --user app --password hunter22 db"}, [("cmd",)], id="flag-inside-a-command"),
    pytest.param({"opts": "-Dspring.datasource.password=hunter22 -Xmx1g"}, [("opts",)], id="embedded-pair"),
    pytest.param({"note": "The password: used to log in"}, [], id="prose-is-not-a-pair"),
    pytest.param({".npmrc": "//registry.npmjs.org/:_authToken=743b294a-cd03-11ec-9d64-0242ac120002\n"}, [(".npmrc",)],
                 id="npmrc-auth-token-is-no-comment"),
    pytest.param({"config": "basic_auth:\n  #password: veryverysecret\n  password_file: /run/pw\n"}, [],
                 id="commented-out-config-line"),
    pytest.param({"pdc": {"clusterSecretKey": "cluster", "tokenSecretKey": "token"}}, [], id="secret-key-names-a-key"),
    pytest.param({"minio": {"secretKey": "supersecret"}}, [("minio", "secretKey")], id="bare-secret-key-is-a-secret"),
    pytest.param({"curl": "curl -H 'Authorization: Basic eyJhbGciOiJIUzI1NiJ9xx'"}, [], id="basic-not-user-password"),
    pytest.param({"description": "password=hunter22"}, [], id="descriptions-are-prose"),
    pytest.param({"GITHUB_TOKEN": "ghp_nB6nhdddVkMRjMcIFLpuch1HsXAPmEmpCAFc"}, [("GITHUB_TOKEN",)], id="one-hit-per-value"),
    pytest.param({"extraObjects": [{"apiVersion": "v1", "kind": "Secret", "data": {"a": b64("hunter22")}}]},
                 [("extraObjects", 0, "data", "a")], id="secret-object-inside-values"),
    pytest.param({"blob": b64("aws_secret_access_key = F8JlMaLNy02K35uDNHfkf7J8Rszi0z4JxT3PzPmh")}, [("blob",)],
                 id="inside-base64"),
    pytest.param({"credentials": "[default]\naws_access_key_id = AKIAPTGZ6JFEBZSDOXRL\n"
                                  "aws_secret_access_key = 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\n"},
                 [("credentials",), ("credentials",)], id="aws-credentials-file"),
    pytest.param({"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, [], id="aws-documented-example"),
    pytest.param({"config": "İ" * 40 + "\npassword=hunter22\n"}, [("config",)], id="unicode-that-lowercases-longer"),
    pytest.param({"a": None, "b": 3, "c": True, "d": [], "e": {}}, [], id="nothing"),
])
def test_scan_values(data: object, expected: list[tuple[str | int, ...]]):
    assert paths(scan_values(data)) == sorted(expected, key=str)


def test_secret_entries_are_findings_except_public_and_empty():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
              "data": {"ca.crt": b64("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
                       "empty": "", "password": b64("hunter22"), "bad": "%%%"},
              "stringData": {"token": "${TOKEN}", "user": "webapp"}}
    hits = scan_object(secret)
    assert paths(hits) == [("data", "bad"), ("data", "password"), ("stringData", "user")]
    assert "not valid base64" in next(h.label for h in hits if h.path == ("data", "bad"))


def test_external_secret_references_are_not_scanned_but_its_template_is():
    es = {"apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret",
          "spec": {"data": [{"secretKey": "apiKey", "remoteRef": {"key": "prod/x", "property": "q8Vz3fR1mK0pLw7s"}}],
                   "target": {"template": {"data": {"apiKey": "q8Vz3fR1mK0pLw7s", "dsn": "{{ .dsn }}"}}}}}
    assert paths(scan_object(es)) == [("spec", "target", "template", "data", "apiKey")]


def test_text_scan_pairs_names_with_values_on_the_next_line():
    text = "env:\n  - name: DB_PASSWORD\n    value: hunter22\n  - name: HOST\n    value: db\n"
    assert [h.line for h in scan_text(text)] == [3]


def test_same_value_same_fingerprint_different_value_different():
    one, two, three = (scan_values({"password": v})[0].fingerprint for v in ("hunter22", "hunter22", "hunter23"))
    assert one == two != three and len(one) == 12


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs")), min_size=4, max_size=40)
       .map(lambda s: "§" + s))  # § appears in no label, so a match can only be the value
def test_a_hit_never_carries_the_value(value: str):
    for hit in scan_values({"password": value, "env": [{"name": "API_TOKEN", "value": value}]}):
        assert value.strip() not in hit.label


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=60),
                     st.sampled_from(["Secret", "v1", "password", "data", "value", "name", "--token", "AKIA",
                                      '{"auths": {"x": {"auth": "YTpi"}}}', "postgres://a:b@c", "a=b\nsecret=c"]))
_KEYS = st.one_of(st.sampled_from(["kind", "apiVersion", "data", "stringData", "name", "value", "key", "password",
                                   "metadata", "spec", "args", "env"]), st.text(max_size=12), st.integers())
_TREES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_KEYS, inner, max_size=5),
                      max_leaves=30)


@given(_TREES)
def test_any_tree_scans_without_raising(tree: object):
    scan_values(tree)
    if isinstance(tree, dict):
        scan_object(tree)


@given(st.text(max_size=400))
def test_any_text_scans_without_raising(text: str):
    scan_text(text)


# Pieces that meet at the edges of strings: `api` + `key` (the sensitive-word search spans one \x00
# between two strings of one object), characters that lowercase longer (İ) or by context (Σ), the
# separators themselves, credential anchors, catalog keywords, pairs, base64 and registry configs.
_EDGES = st.lists(st.sampled_from(["api", "key", "Key=", "İ", "Σ", "a", "\x00", "\n", " ", "=", "password=",
                                   "hunter22x", "ghp_", "nB6nhdddVkMRjMcIFLpuch1HsXAPmEmpCAFc", "AKIAPTGZ6JFEBZSDOXRL",
                                   "\u212a", "to\u212aen=", "token", ": ", '"auth', b64("password=hunter22"), "-----BEGIN", "_"]),
                  max_size=12).map("".join)
_OBJECTS = st.lists(st.dictionaries(st.sampled_from(["apiVersion", "kind", "data", "value", "name", "note", "x",
                                                    "description"]),
                                    st.one_of(_EDGES, st.lists(_EDGES, max_size=3)), max_size=5), max_size=6)


@given(_OBJECTS)
def test_objects_scanned_together_hit_what_each_scanned_alone_hits(objects: list[dict[str, object]]):
    assert scan_objects(objects) == [scan_object(obj) for obj in objects]


def _joined_hits(objects: list[dict[str, object]]) -> list[list[Hit]]:
    """The scan as it was before each distinct string was searched once: every string of every
    object joined, searched, then judged where the passes found something (scan._batch_joined)."""
    walks = []
    for obj in objects:
        walk = scan._Walk()
        walk.node(scan._without_references(obj))
        walks.append(walk)
    scan._batch_joined(walks)
    return [scan._dedupe(walk.hits) for walk in walks]


@given(_OBJECTS)
def test_strings_judged_once_hit_what_the_joined_scan_hits(objects: list[dict[str, object]]):
    assert scan_objects(objects) == _joined_hits(objects)


@given(_OBJECTS, st.integers(1, 6))
def test_strings_judged_in_an_earlier_batch_hit_what_the_joined_scan_hits(objects: list[dict[str, object]],
                                                                          batch: int):
    # Each object again, in batches of a few strings: the later ones read what the earlier ones found.
    objects = objects + objects[::-1]
    with mock.patch.object(scan, "_BATCH_STRINGS", batch):
        assert scan_objects(objects) == _joined_hits(objects)


def test_a_repeated_string_is_judged_at_each_of_its_paths_and_by_each_name():
    token = "ghp_nB6nhdddVkMRjMcIFLpuch1HsXAPmEmpCAFc"
    pair = "-Dspring.datasource.password=hunter22 -Xmx1g"
    objects = [{"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": token, "b": pair, "description": pair}},
               {"apiVersion": "v1", "kind": "ConfigMap", "data": {"c": [token, pair]}, "description": pair}]
    found = scan_objects(objects)
    assert found == _joined_hits(objects)
    assert [paths(hits) for hits in found] == [[("data", "a"), ("data", "b")], [("data", "c", 0), ("data", "c", 1)]]


DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "webapp-frontend"},
              "spec": {"template": {"spec": {"containers": [{
                  "name": "webapp", "image": "ghcr.io/org/webapp:1.4.2-alpine",
                  "env": [{"name": "LOG_FORMAT", "value": "json-structured"},
                          {"name": "DB_PASSWORD",
                           "valueFrom": {"secretKeyRef": {"name": "webapp-db", "key": "password"}}}],
                  "args": ["--listen-address", "0.0.0.0:8080"]}]}}}}


def test_a_clean_render_compiles_no_full_pattern_and_imports_no_hashlib():
    # Every sync is a fresh process: the detectors' alternation, the pair patterns and hashlib (~7 ms
    # of start-up together) are loaded only once a string needs them.
    code = (
        "import sys\n"
        "from cmp.secrets import detectors, embedded\n"
        "from cmp.secrets.scan import scan_object\n"
        f"assert scan_object({DEPLOYMENT!r}) == []\n"
        "print(detectors._combined.cache_info().currsize, embedded._pair_patterns.cache_info().currsize,\n"
        "      'hashlib' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", "0", "False"]


@pytest.mark.parametrize("data", [
    pytest.param({"env": [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "webapp-db", "key": "db-password"}}}]},
                 id="secret-key-ref-pair"),
    pytest.param({"auth": {"existingSecret": "pg", "existingSecretPasswordKey": "admin-password",
                           "secretKeys": {"adminPasswordKey": "admin-password"}}}, id="existing-secret-keys"),
    pytest.param({"adminPasswordSecretKey": "admin-password", "tokenSecretKey": "token"}, id="secret-key-names-a-key"),
    pytest.param({"volumes": [{"configMap": {"name": "cfg", "items": [{"key": "client-secret.json", "path": "s.json"}]}}]},
                 id="configmap-item-keys"),
    pytest.param({"tolerations": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists"},
                                  {"key": "CriticalAddonsOnly", "operator": "Exists"}]}, id="toleration-keys"),
    pytest.param({"envFrom": [{"secretRef": {"name": "app-secrets"}}]}, id="env-from-refs"),
    pytest.param({"annotations": {"artifacthub.io/signKey": "fingerprint: 0A1B2C3D4E5F60718293A4B5C6D7E8F901234567\n"
                                                            "url: https://example.com/pgp-public-key.asc\n"}},
                 id="artifacthub-sign-key"),
    pytest.param({"users": [{"name": "admin", "passwordMtime": "2024-05-01T10:20:30Z"}]}, id="password-mtime"),
    pytest.param({"rateLimit": {"tokensPerSecond": 100, "token_limit": "1000/minute"}}, id="rate-limits"),
    pytest.param({"enterpriseLicense": {"secretName": "vault-license", "secretKey": "license"}},
                 id="secret-key-beside-secret-name"),
    pytest.param({"server.properties": 'sasl.jaas.config=PlainLoginModule required username="inter_broker_user" '
                                       'password="interbroker-password-placeholder";\n'},
                 id="placeholder-an-init-container-substitutes"),
    pytest.param({"db": {"password": "ENC[AES256_GCM,data:Tr3Xq9bZ8w==,iv:Qm9vYmFyYmF6cXV4cXV1eA==,tag:Zm9vYg==,type:str]"}},
                 id="sops-ciphertext"),
    pytest.param({"github": {"token": "ghp_" + "x" * 36}, "slack": {"botToken": "xoxb-XXXXXXXXXXX-XXXXXXXXXXXXX"}},
                 id="vendor-prefix-placeholders"),
    pytest.param({"am.yml": "slack_configs:\n- api_url_file: /etc/am/slack\n  text: '{{ .CommonAnnotations.summary }}'\n"},
                 id="template-text-in-a-rendered-value"),
])
def test_references_and_placeholders_real_charts_write_pass(data: object):
    """The shapes issue 16 lists as blocked in real charts though they are no secret."""
    assert scan_values(data) == []
