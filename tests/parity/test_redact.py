"""Secret-like fields never reach a report: masked in patches and diffs by the secret scan's own
classifier (cmp.secrets), changes still visible."""

from __future__ import annotations

import json
import re

import pytest
from support import ROOT

from cmp import yamlio
from cmp.parity import diff
from cmp.parity.redact import REDACTED, REDACTED_CHANGED, redact, redact_pair
from cmp.secrets.scan import scan_object

RANDOM = "Vf7qLm2Xc9RtZp4K"
LEAK_CORPUS = sorted(p for p in (ROOT / "tests" / "corpus" / "secrets" / "leaks").glob("*.yaml")
                     if "\n# scan: manifests\n" in "\n" + p.read_text())


def config_map(**data: object) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": data}


@pytest.mark.parametrize("key", ["password", "DB_PASSWORD", "apiKey", "api_key", "clientSecret", "token",
                                 "privateKey", "authorization", "aws_secret_access_key", "passphrase"])
def test_sensitive_names_are_masked(key):
    assert redact(config_map(**{key: RANDOM}))["data"] == {key: REDACTED}


@pytest.mark.parametrize(("key", "value"), [
    pytest.param("DATABASE_URL", "postgres://app:Sup3rS3cretPw9x@db:5432/app", id="url-with-password"),
    pytest.param("description", "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", id="github-token"),
    pytest.param("settings", "log_level=debug\ndb.password=Sup3rS3cretPw9x\n", id="embedded-pair"),
])
def test_credential_shaped_values_are_masked_whatever_the_key(key, value):
    assert redact(config_map(**{key: value}))["data"] == {key: REDACTED}


@pytest.mark.parametrize(("key", "value"), [
    ("secretName", "db-creds"), ("secretKeyRef", {"name": "db", "key": "password"}), ("image", "nginx:1.27"),
    ("automountServiceAccountToken", False), ("tokenSecretRef", {"name": "t", "key": "token"}),
    ("passwordFile", "/run/secrets/db"), ("PASSWORD_MIN_LENGTH", "12"), ("password", "${DB_PASSWORD}"),
])
def test_references_settings_and_placeholders_stay_readable(key, value):
    assert redact(config_map(**{key: value}))["data"] == {key: value}


@pytest.mark.parametrize("path", LEAK_CORPUS, ids=lambda p: p.stem)
def test_whatever_the_secret_scan_finds_redaction_masks(path):
    """One classifier: over the secret corpus's leaks, a redacted object holds nothing the scan finds."""
    objects = [d for d in yamlio.load_all(re.sub(r"^# Source: .*$", "", path.read_text(), flags=re.M), path.name)
               if isinstance(d, dict)]
    for obj in objects:
        hits = scan_object(redact(diff.jsonable(obj)))
        assert hits == [], hits


def test_secret_data_and_string_data_are_masked():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
              "data": {"a": "aHVudGVyMg=="}, "stringData": {"b": "hunter2"}, "type": "Opaque"}
    assert redact(secret) == {**secret, "data": {"a": REDACTED}, "stringData": {"b": REDACTED}}


def test_env_style_entries_mask_the_value_of_a_sensitive_name():
    pod = {"kind": "Deployment", "spec": {"containers": [{"env": [
        {"name": "API_TOKEN", "value": RANDOM}, {"name": "COLOR", "value": "blue"},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]}]}}
    env = redact(pod)["spec"]["containers"][0]["env"]
    assert env == [{"name": "API_TOKEN", "value": REDACTED}, {"name": "COLOR", "value": "blue"},
                   {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]


def test_a_secret_on_either_side_is_masked_on_both():
    """Head replaced base's literal with a placeholder: base's value must not show as a removed line."""
    before, after = redact_pair(config_map(token=RANDOM, color="blue"), config_map(token="${TOKEN}", color="red"))
    assert before["data"] == {"token": REDACTED, "color": "blue"}
    assert after["data"] == {"token": REDACTED_CHANGED, "color": "red"}


def test_empty_and_boolean_values_are_shown():
    secret = {"apiVersion": "v1", "kind": "Secret", "stringData": {"password": "", "token": None, "on": True}}
    assert redact(secret) == secret


def test_a_changed_secret_shows_as_changed_without_its_value():
    base = {"r": {"apiVersion": "v1", "kind": "Secret", "data": {"a": "b2xk", "same": "eA=="}}}
    head = {"r": {"apiVersion": "v1", "kind": "Secret", "data": {"a": "bmV3", "same": "eA==", "added": "bmV3"}}}
    change = diff.changes(base, head)[0]
    assert sorted(change.patch, key=lambda op: op["path"]) == [
        {"op": "replace", "path": "/data/a", "value": REDACTED_CHANGED},
        {"op": "add", "path": "/data/added", "value": REDACTED}]
    printed = json.dumps(change.patch) + change.diff
    for value in ("b2xk", "bmV3", "eA=="):
        assert value not in printed
    assert f"+  a: '{REDACTED_CHANGED}'" in change.diff


def test_a_removed_secret_is_masked():
    base = {"r": {"apiVersion": "v1", "kind": "Secret", "stringData": {"password": "hunter2"}}}
    change = diff.changes(base, {})[0]
    assert "hunter2" not in json.dumps(change.patch) + change.diff
