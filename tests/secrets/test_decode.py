from __future__ import annotations

import base64
import json

from cmp.secrets import decode


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_maybe_base64_decodes_text_only():
    assert decode.maybe_base64(b64("-----BEGIN CERTIFICATE-----\nMIIB")) == "-----BEGIN CERTIFICATE-----\nMIIB"
    assert decode.maybe_base64(base64.b64encode(bytes(range(200, 236))).decode()) is None  # binary
    assert decode.maybe_base64("e652733a942505681aab55611518f364cffabdc1") is None  # hex: lowercase, skipped
    assert decode.maybe_base64("webapp-prod-db-credentials-abc") is None  # not base64
    assert decode.maybe_base64(b64("short")) is None  # too short to bother


def test_base64_bytes_accepts_folded_lines_and_rejects_garbage():
    assert decode.base64_bytes(b64("hello world") + "\n") == b"hello world"
    assert decode.base64_bytes("not base64!") is None


def test_registry_hosts_names_registries_with_credentials():
    config = {"auths": {"ghcr.io": {"auth": b64("bot:token")}, "quay.io": {}, "docker.io": {"password": "x"}}}
    assert decode.registry_hosts(json.dumps(config)) == ["docker.io", "ghcr.io"]
    assert decode.registry_hosts(json.dumps({"ghcr.io": {"auth": "abc"}})) == ["ghcr.io"]  # legacy .dockercfg
    assert decode.registry_hosts('{"auths": {"ghcr.io": {"auth": ""}}}') == []
    assert decode.registry_hosts("not json with \"auth") == []
