"""Each credential family as a (payload, label or None) table: the detector's contract, one line a case."""

from __future__ import annotations

import re

import pytest

from cmp.secrets import detectors

PEM_BODY = "\n".join(["MIIEpAIBAAKCAQEAvVCKol8ruljtrNaLqPWS71hCmFX3iQiLJl2S3NoyfnjUHhLio"] * 3)


@pytest.mark.parametrize(("payload", "label"), [
    pytest.param("AKIAPTGZ6JFEBZSDOXRL", "AWS access key ID", id="aws-key-id"),
    pytest.param("id=ASIAGQNBQRMKTSXFVYPL;", "AWS access key ID", id="aws-temporary-key-id-inside-text"),
    pytest.param("AKIAIOSFODNN7EXAMPLE", None, id="aws-documented-example"),
    pytest.param("XAKIAPTGZ6JFEBZSDOXRL", None, id="aws-prefix-inside-a-word"),
    pytest.param("AIDAJQABLZS4A3QDU576Q", None, id="aws-user-id-is-not-a-credential"),
    pytest.param(f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----", "PEM private key",
                 id="pem-rsa"),
    pytest.param(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}\n", "PEM private key", id="pem-openssh"),
    pytest.param('{"private_key": "-----BEGIN PRIVATE KEY-----\\n' + PEM_BODY.replace("\n", "\\n") + '\\n"}',
                 "PEM private key", id="pem-in-gcp-service-account-json"),
    pytest.param("-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----", None, id="pem-header-in-docs"),
    pytest.param(f"-----BEGIN PUBLIC KEY-----\n{PEM_BODY}\n-----END PUBLIC KEY-----", None, id="pem-public-key"),
    pytest.param(f"-----BEGIN CERTIFICATE-----\n{PEM_BODY}\n-----END CERTIFICATE-----", None, id="pem-certificate"),
    pytest.param("ghp_nB6nhdddVkMRjMcIFLpuch1HsXAPmEmpCAFc", "credential (catalog rule github", id="github-classic-pat"),
    pytest.param("github_pat_11AQCDXFG0" + "x1Y2z3" * 11 + "abQ7r9", "credential (catalog rule github", id="github-fine-grained-pat"),
    pytest.param("ghp_short", None, id="github-too-short"),
    pytest.param("ghp_" + "x" * 36, None, id="github-placeholder-after-the-prefix"),
    pytest.param("hf_" + "XXXXXXXX" * 4 + "XX", None, id="huggingface-placeholder"),
    pytest.param("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", "credential (catalog rule huggingface", id="huggingface"),
    pytest.param("bP88Q~rcBcYjzzOhg1Hnn76Wm3jGgakZiZ.8vMgR", "credential (catalog rule azure-ad-client-secret",
                 id="azure-ad-client-secret"),
    pytest.param("xoxe.xoxp-1-" + "Mi0yLTEyMzQ1Njc4OTAxMi0x" * 7 + "Q7rZ9Tw2Kp4Vb6Nc8Xd0Ye2F", "credential (catalog rule",
                 id="slack-config-access-token"),
    pytest.param("fo1_" + "q7Rz9Tw2Kp4Vb6Nc8Xd0Ye2Fg5Hj3Lm1Qs_Ut-Wv7Xy", "Fly.io token", id="flyio-org-token"),
    pytest.param("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", None, id="jwt-header-alone"),
    *(pytest.param(f"{prefix}-{body}", "credential (catalog rule gitlab", id=f"gitlab-{prefix}")
      for prefix, body in (("glrt", "OoZf-Xl3AvRL8O1BIRY-"), ("gldt", "OoZf-Xl3AvRL8O1BIRY-"),
                           ("glcbt", "64_OoZf-Xl3AvRL8O1BIRY-"), ("glptt", "5f0c1e9a7b3d2c4e6f8a0b1c3d5e7f9a2b4c6d8e"),
                           ("gloas", "OoZf-Xl3AvRL8O1BIRY-" * 3 + "q7Rz"), ("glft", "OoZf-Xl3AvRL8O1BIRY-"),
                           ("glimt", "OoZf-Xl3AvRL8O1BIRY-q7Rz9"), ("glagent", "OoZf-Xl3AvRL8O1BIRY-" * 2 + "q7Rz9Tw2Kp"))),
    pytest.param("GR1348941OoZf-Xl3AvRL8O1BIRYx", "credential (catalog rule gitlab", id="gitlab-registration"),
    pytest.param("ABIAPTGZ6JFEBZSDOXRL", "AWS access key ID", id="aws-abia"),
    pytest.param("ACCAPTGZ6JFEBZSDOXRL", "AWS access key ID", id="aws-acca"),
    pytest.param("glpat-OoZf-Xl3AvRL8O1BIRY-", "credential (catalog rule gitlab", id="gitlab-pat"),
    pytest.param('token = "glrt-C14F2B-yeeGGFAD1HsPg"', "credential (catalog rule gitlab", id="gitlab-runner-token"),
    pytest.param("xoxb-713476182522-2575480204181-FYTMEHeHpA2swoXl3OaRdN6u", "credential (catalog rule slack", id="slack-bot-token"),
    pytest.param("https://hooks.slack.com/services/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",
                 "credential (catalog rule slack-webhook-url", id="slack-webhook"),
    pytest.param("https://hooks.slack.com/services/", None, id="slack-webhook-base-url"),
    pytest.param("sk_live_e2r9OQmcz5NiX9rQ2d3kSODKEVz7ynZa", "credential (catalog rule stripe", id="stripe-secret-key"),
    pytest.param("rk_test_e2r9OQmcz5NiX9rQ2d3kSODKEVz7ynZa", "credential (catalog rule stripe", id="stripe-restricted-test-key"),
    pytest.param("pk_live_n7kaN4qhzZXYy4oJd48mkQMv05JXYE6H", None, id="stripe-publishable-key"),
    pytest.param("whsec_e2r9OQmcz5NiX9rQ2d3kSODKEVz7ynZa", "Stripe webhook secret", id="stripe-webhook-secret"),
    pytest.param("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ3ZWJhcHAifQ.7N44YsGURr3kswKVzSljZwQVPwMcc",
                 "JSON Web Token", id="jwt"),
    pytest.param("eyJmb28iOiJiYXIiLCJiYXoiOjF9.eyJzdWIiOiJ3ZWJhcHAifQ.7N44YsGURr3kswKVzSljZwQVPwMcc", None,
                 id="jwt-shaped-without-alg"),
    pytest.param("postgres://webapp:neP8Tkwf@db:5432/webapp", "URL with an embedded password", id="url-password"),
    pytest.param("https://ci-bot:glpat-OoZf-Xl3AvRL8O1BIRY-@gitlab.example.com/org/repo.git",
                 "URL with an embedded password", id="url-with-token-as-password"),
    pytest.param("postgres://webapp:$(DB_PASSWORD)@db:5432/webapp", None, id="url-k8s-expansion"),
    pytest.param("postgres://webapp:${DB_PASSWORD}@db:5432/webapp", None, id="url-env-placeholder"),
    pytest.param("postgres://{{ .username }}:{{ .password }}@db/webapp", None, id="url-templated"),
    pytest.param("https://deploy-bot@github.com/org/webapp.git", None, id="url-user-only"),
    pytest.param("redis://redis-master:6379/0", None, id="url-port-only"),
    pytest.param("AIza9iWvuGYMZQvXh2dJcMtkuobDDb9x5WRwyn8", "credential (catalog rule gcp-api-key", id="google-api-key"),
    pytest.param("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", "Google OAuth client secret", id="google-oauth-secret"),
    pytest.param("DefaultEndpointsProtocol=https;AccountName=app;AccountKey=" + "a1B2" * 21 + "aB==;",
                 "Azure storage account key", id="azure-storage-connection-string"),
    pytest.param("https://app.blob.core.windows.net/c?sv=2022-11-02&sig=q8Vz3fR1mK0pLw7sX2nB5tY9hJ4cD6gE1aU0iO3e%3D",
                 "Azure SAS signature", id="azure-sas"),
    pytest.param("npm_N56wt7P15AMVc0OnqL2ZQLtY5EO1vZ1f5p5u", "credential (catalog rule npm", id="npm-token"),
    pytest.param("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", "credential (catalog rule ",
                 id="sendgrid"),
    pytest.param("sk-proj-" + "a1B2c3D4e5" * 2 + "T3BlbkFJ" + "f6G7h8I9j0" * 2, "credential (catalog rule openai", id="openai"),
    pytest.param('proxy_set_header Authorization "Bearer u+k2Rq8ZtW5mVx1Bn7Lc";', "HTTP Authorization credential",
                 id="authorization-bearer"),
    pytest.param("Authorization: Bearer $(API_TOKEN)", None, id="authorization-placeholder"),
    pytest.param("AUTHORIZATION=Basic d2ViYXBwOm5lUDhUa3dmI0Zlemo=", "HTTP Authorization credential",
                 id="authorization-uppercase"),
    pytest.param("authorization: basic d2ViYXBwOm5lUDhUa3dmI0Zlemo=", "HTTP Authorization credential",
                 id="authorization-lowercase"),
    *(pytest.param(f"https://a.blob.core.windows.net/c{sep}sig=q8Vz3fR1mK0pLw7sX2nB5tY9hJ4cD6gE1aU0iO3e%3D",
                   "Azure SAS signature", id=f"azure-sas-after-{name}") for sep, name in (("&", "amp"), (";", "semi"))),
    pytest.param("https://hooks.slack.com/workflows/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",
                 "credential (catalog rule slack-webhook-url", id="slack-workflow"),
    pytest.param("sk_test_e2r9OQmcz5NiX9rQ2d3kSODKEVz7ynZa", "credential (catalog rule stripe", id="stripe-test-key"),
    pytest.param("SKda560fd8adda68820c894a252686f3a0", "Twilio API key", id="twilio"),
    pytest.param("pypi-AgEIcHlwaS5vcmc" + "Xk9vB2mQ7pL4sR8t" * 4, "credential (catalog rule pypi", id="pypi"),
    pytest.param("two: AKIAPTGZ6JFEBZSDOXRL and ghp_nB6nhdddVkMRjMcIFLpuch1HsXAPmEmpCAFc", "AWS access key ID",
                 id="first-of-two"),
    pytest.param("ghcr.io/org/webapp@sha256:154b797b6bcb376b5600369af19c54cebb0e4e0d63a912f5157a00cd7414597d", None,
                 id="image-digest"),
    pytest.param("e652733a942505681aab55611518f364cffabdc1", None, id="git-sha"),
    pytest.param("6a2f9a3c-1b7e-4f4e-9a53-2c9f1d0b7e41", None, id="uuid"),
    pytest.param("arn:aws:iam::123456789012:role/webapp-prod", None, id="iam-role-arn"),
])
def test_detector(payload: str, label: str | None):
    """`label` names the family (the catalog's labels by the start of their rule id)."""
    found = [m.label for m in detectors.find(payload)]
    if label is None:
        assert found == []
    else:
        assert found and found[0].startswith(label), found


def test_every_credential_in_a_text_is_found_hand_kept_families_first():
    text = "a=AKIAPTGZ6JFEBZSDOXRL b=ghp_nB6nhdddVkMRjMcIFLpuch1HsXAPmEmpCAFc c=postgres://u:hunter22@db/x"
    assert [m.label for m in detectors.find(text)] == ["AWS access key ID", "URL with an embedded password",
                                                        "credential (catalog rule github-pat)"]


def test_no_match_contains_the_whole_text_by_accident():
    # The secret a detector cuts out is what gets fingerprinted: never the surrounding text.
    match = next(detectors.find("DATABASE_URL=postgres://webapp:neP8Tkwf@db:5432/webapp"))
    assert match.secret == "neP8Tkwf"


def test_patterns_use_no_capturing_groups():
    # The registry joins every pattern into one regex and finds the detector by its named group.
    for detector in detectors.DETECTORS:
        assert re.compile(detector.pattern).groups == 0, detector.label


def test_short_strings_are_skipped():
    assert list(detectors.find("AKIA")) == []
