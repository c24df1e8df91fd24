from __future__ import annotations

import pytest

from cmp.secrets.shapes import (
    entropy,
    is_filler,
    is_identifier,
    is_literal,
    is_placeholder,
    is_public_material,
    is_stand_in,
    looks_random,
)


@pytest.mark.parametrize("value", [
    "${DB_PASSWORD}", "$(DB_PASSWORD)", "$DB_PASSWORD", "$dex.github.clientSecret", "<your-token>",
    "<path:secret/data/app#password>", "{{ .password }}", "prefix-{{ .Values.x }}", "********", "xxxxxxxx",
    "...", "REPLACE_ME", "redacted", "ref+awssm://prod/db#password", "",
    "AKIAIOSFODNN7EXAMPLE", "null", "${{ secrets.TOKEN }}",
])
def test_placeholders(value: str):
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["hunter22", "changeme", "neP8Tkwf#FezjRrN", "password123", "s3cr3t-{x}"])
def test_not_placeholders(value: str):
    assert not is_placeholder(value)


def test_public_material():
    assert is_public_material("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----")
    assert is_public_material("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkV deploy@ci")
    assert not is_public_material("-----BEGIN CERTIFICATE-----\n...\n-----BEGIN EC PRIVATE KEY-----\n...")
    assert not is_public_material("hunter22")


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param("hunter22", "hunter22", id="string"),
    pytest.param("  padded  ", "padded", id="stripped"),
    pytest.param(84721936, "84721936", id="integer"),
    pytest.param(12, None, id="short-integer"),
    pytest.param(True, None, id="boolean"),
    pytest.param(None, None, id="null"),
    pytest.param("abc", None, id="too-short"),
    pytest.param("true", None, id="boolean-word"),
    pytest.param("/run/secrets/db/password", None, id="path"),
    pytest.param("DB_PASSWORD", None, id="env-var-name"),
    pytest.param("${DB_PASSWORD}", None, id="placeholder"),
    pytest.param({"a": 1}, None, id="mapping"),
])
def test_is_literal(value: object, expected: str | None):
    assert is_literal(value) == expected


@pytest.mark.parametrize(("value", "random"), [
    pytest.param("q8Vz3fR1mK0pLw7sX2nB5tY9hJ4cD6gE", True, id="base62-key"),
    pytest.param("da560fd8adda68820c894a252686f3a0", True, id="hex-token"),
    pytest.param("dXNlcjpwYXNz", True, id="short-base64"),
    pytest.param("webapp-tls", False, id="resource-name"),
    pytest.param("prod/webapp/db", False, id="secrets-manager-key"),
    pytest.param("6a2f9a3c-1b7e-4f4e-9a53-2c9f1d0b7e41", False, id="uuid"),
    pytest.param("sha256:154b797b6bcb376b5600369af19c54cebb0e4e0d63a912f5157a00cd7414597d", False, id="digest"),
    pytest.param("arn:aws:iam::123456789012:role/webapp", False, id="arn"),
    pytest.param("Authentication Required", False, id="prose"),
    pytest.param("aaaaaaaaaaaa1", False, id="low-entropy"),
])
def test_looks_random(value: str, random: bool):
    assert (looks_random(value) is not None) is random


def test_identifiers_and_entropy():
    assert is_identifier("db-credentials") and is_identifier("DB_PASSWORD")
    assert not is_identifier("da560fd8adda68820c894a252686f3a0")
    assert entropy("aaaa") == 0 and entropy("abcd") == 2


@pytest.mark.parametrize(("value", "filler"), [
    ("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", True),
    ("xoxp-572370529330-573807301142-572331691188-####################", True),
    ("glc_111111111111111111111111111111111111111111=", True),
    ("ops_eyJzaWduSW5B..[Redacted]", True),
    ("{SumoAccessKey}", True),
    ("dapi123456789012345678a9bc01234defg5", True),
    ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", True),
    ("YourPingdomApiToken", False),  # a placeholder word, not a filled-in format (is_placeholder has it)
    ("hunter22", False),
    ("12345678", False),  # a weak password is still a password: runs count only in long values
    ("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", False),
])
def test_fillers(value: str, filler: bool):
    assert is_filler(value) is filler


def test_vendor_style_placeholders():
    assert is_placeholder("YourPingdomApiToken") and is_placeholder("YOUR_API_KEY")
    assert not is_stand_in("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")  # a Secret holding it still has data


@pytest.mark.parametrize("value", ["SalesResults-1.2", "DOC_Vector_5_32", "AbCeFG123"])
def test_names_and_short_values_are_not_random(value: str):
    assert looks_random(value) is None
