from __future__ import annotations

import pytest

from cmp.secrets.names import Sensitivity, classify, names_a_key, words

SURE, MAYBE, NONE = Sensitivity.SURE, Sensitivity.MAYBE, Sensitivity.NONE


@pytest.mark.parametrize(("name", "expected"), [
    pytest.param("password", SURE, id="password"),
    pytest.param("DB_PASSWORD", SURE, id="env-name"),
    pytest.param("dbpassword", SURE, id="fused-lowercase"),
    pytest.param("postgresPassword", SURE, id="camel"),
    pytest.param("SMTP_PASS", SURE, id="pass-as-a-word"),
    pytest.param("spring.datasource.password", SURE, id="dotted"),
    pytest.param("apiKey", SURE, id="api-key"),
    pytest.param("x-api-key", SURE, id="header-name"),
    pytest.param("apikey", SURE, id="fused-api-key"),
    pytest.param("client_secret", SURE, id="client-secret"),
    pytest.param("GITHUB_TOKEN", SURE, id="token"),
    pytest.param("monitoring.vendor.io/api-token", SURE, id="annotation-key"),
    pytest.param("Authorization", SURE, id="authorization"),
    pytest.param("privateKey", SURE, id="private-key"),
    pytest.param("secretKey", SURE, id="secret-key"),
    pytest.param("secret", MAYBE, id="bare-secret"),
    pytest.param("tlsSecret", MAYBE, id="qualified-secret"),
    pytest.param("key", MAYBE, id="bare-key"),
    pytest.param("accessKey", MAYBE, id="access-key"),
    pytest.param("auth", MAYBE, id="auth"),
    pytest.param("credentials", MAYBE, id="credentials"),
    pytest.param("secretKeyRef", NONE, id="secret-key-ref"),
    pytest.param("secretRef", NONE, id="secret-ref"),
    pytest.param("secretName", NONE, id="secret-name"),
    pytest.param("existingSecret", NONE, id="existing-secret"),
    pytest.param("existingSecretPasswordKey", NONE, id="existing-secret-password-key"),
    pytest.param("adminPasswordKey", NONE, id="key-naming-the-password"),
    pytest.param("passwordkey", NONE, id="fused-password-key"),
    pytest.param("PASSWORD_MIN_LENGTH", NONE, id="password-min-length"),
    pytest.param("passwordPolicy", NONE, id="password-policy"),
    pytest.param("DB_PASSWORD_FILE", NONE, id="file-convention"),
    pytest.param("tokenPath", NONE, id="token-path"),
    pytest.param("TOKEN_TTL", NONE, id="token-ttl"),
    pytest.param("MAX_TOKENS", NONE, id="max-tokens"),
    pytest.param("checksum/secret", NONE, id="checksum-annotation"),
    pytest.param("publicKey", NONE, id="public-key"),
    pytest.param("STRIPE_PUBLISHABLE_KEY", NONE, id="publishable-key"),
    pytest.param("remoteKey", NONE, id="eso-remote-key"),
    pytest.param("username", NONE, id="username"),
    pytest.param("caBundle", NONE, id="ca-bundle"),
    pytest.param("serviceAccountName", NONE, id="service-account-name"),
    pytest.param("", NONE, id="empty"),
])
def test_classify(name: str, expected: Sensitivity):
    assert classify(name) is expected


def test_words_split_camel_snake_dots_and_fused_heads():
    assert words("AWS_SECRET_ACCESS_KEY") == ["aws", "secret", "access", "key"]
    assert words("secretKeyRef") == ["secret", "key", "ref"]
    assert words("dbpassword") == ["db", "password"]
    assert words("APIKey") == ["api", "key"]


@pytest.mark.parametrize(("name", "names_key"), [
    ("clusterSecretKey", True), ("hostedGrafanaIdSecretKey", True), ("tokenSecretKey", True),
    ("secretKey", False), ("accessKey", False), ("adminPassword", False),
])
def test_names_a_key(name: str, names_key: bool):
    assert names_a_key(name) is names_key
