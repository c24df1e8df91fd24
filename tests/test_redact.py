"""cmp.redact: names stay readable, credentials used as names do not, Helm's words lose the values."""

from __future__ import annotations

import pytest

from cmp.redact import REDACTED, Redactor, is_name, name, names_in, pointer_part


@pytest.mark.parametrize("text", ["postgresPassword", "SMTP_PASSWORD", "ConnectionStrings__Default", ".dockerconfigjson",
                                  "app.kubernetes.io/name", "nginx.ingress.kubernetes.io/configuration-snippet",
                                  "a", "db", "x509", "v1beta1", "networking.k8s.io", "AES256GCM", "--db-password"])
def test_names_are_names(text: str):
    assert is_name(text) and name(text) == repr(text) and names_in(f"key {text!r} x") == f"key {text!r} x"


@pytest.mark.parametrize("text", ["Jd3WXz5UPf6gYe2hGq8CYl5Q", "Xk3mQ9zPpassword", "Hq3uMz8Wd2Lp", "a8f3k2m9",
                                  "ghp_R3gTk9Lm2Xc9RtZp4KVf7qLm2Xc9RtZp4K9a", "Jd3WXz5UPf6gYe2hGq8CYl5Q_TOKEN",
                                  "has space", "quote'd"])
def test_credentials_used_as_names_are_fingerprinted(text: str):
    assert not is_name(text)
    for shown in (name(text), names_in(f"embedded key {text!r} (line 2)"), pointer_part(text)):
        assert text not in shown and "<fingerprint " in shown


def test_a_required_message_keeps_the_templates_words_and_location():
    redactor = Redactor([{"smtp": {"host": "Mx8pQ2rTz"}}], ['{{ required (printf "smtp.host %s is required" .x) .y }}'])
    message = "execution error at (w/templates/r.yaml:1:3): smtp.host Mx8pQ2rTz is required\nsecond line MX8PQ2RTZ"
    # The message goes on over lines: words the template does not spell go there too.
    assert redactor.text(message) == f"execution error at (w/templates/r.yaml:1:3): smtp.host {REDACTED} is required\n" \
                                     f"{REDACTED} {REDACTED} {REDACTED}"


def test_helm_words_stay_and_values_or_their_pieces_go_in_any_case():
    redactor = Redactor([{"a": "{{ Zz9ShortXy }}", "b": ["prefix-Qw7eRt5yUi-suffix"]}], [])
    message = 'template: w/templates/t.yaml:1:3: cannot parse "{{ zz9shortxy }}": function "Qw7eRt5yUi" not defined'
    assert redactor.text(message) == f'template: w/templates/t.yaml:1:3: cannot parse "{REDACTED}": function "{REDACTED}" not defined'


def test_short_scalars_and_names_of_templates_are_not_taken_out():
    redactor = Redactor([{"env": "dev", "path": "templates"}], [])
    assert redactor.text("at (w/templates/x.yaml:2:1): dev") == "at (w/templates/x.yaml:2:1): dev"
