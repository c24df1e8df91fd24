"""Secret-like fields never reach a report: masked in patches and diffs, changes still visible."""

from __future__ import annotations

import json

import pytest

from cmp.parity import diff
from cmp.parity.redact import REDACTED, REDACTED_CHANGED, is_sensitive_key, redact


@pytest.mark.parametrize("key", ["password", "DB_PASSWORD", "apiKey", "api_key", "clientSecret", "token",
                                 "privateKey", "authorization", "aws_secret_access_key", "passphrase"])
def test_sensitive_keys(key):
    assert is_sensitive_key(key)


@pytest.mark.parametrize("key", ["secretKeyRef", "secretName", "secretStoreRef", "secretKey", "name", "image",
                                 "automountServiceAccountToken", "tokenSecretRef", "passwordSecretName"])
def test_references_and_settings_stay_readable(key):
    assert not is_sensitive_key(key)


def test_secret_data_and_string_data_are_masked():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
              "data": {"a": "aHVudGVyMg=="}, "stringData": {"b": "hunter2"}, "type": "Opaque"}
    assert redact(secret) == {**secret, "data": {"a": REDACTED}, "stringData": {"b": REDACTED}}


def test_env_style_entries_mask_the_value_of_a_sensitive_name():
    pod = {"kind": "Deployment", "spec": {"containers": [{"env": [
        {"name": "API_TOKEN", "value": "t0k"}, {"name": "COLOR", "value": "blue"},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]}]}}
    env = redact(pod)["spec"]["containers"][0]["env"]
    assert env == [{"name": "API_TOKEN", "value": REDACTED}, {"name": "COLOR", "value": "blue"},
                   {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]


def test_nested_values_under_a_sensitive_key_are_masked_whole():
    assert redact({"kind": "X", "auth": {"user": "u", "pass": "p"}})["auth"] == REDACTED


def test_empty_and_boolean_values_are_shown():
    assert redact({"kind": "X", "password": "", "token": None, "tokenEnabled": True, "authEnabled": False}) == \
        {"kind": "X", "password": "", "token": None, "tokenEnabled": True, "authEnabled": False}


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
