"""AWS: access key IDs (long-term AKIA, temporary ASIA, ...) and secret access keys next to their name."""

from __future__ import annotations

import re

from cmp.secrets.detector import Detector

_SECRET_VALUE = re.compile(r"[A-Za-z0-9/+]{40}$")


def _key_id(match: re.Match[str]) -> str | None:
    # AWS documents AKIAIOSFODNN7EXAMPLE-style keys; they open no account.
    return None if match.group().endswith("EXAMPLE") else match.group()


def _secret_key(match: re.Match[str]) -> str | None:
    value = _SECRET_VALUE.search(match.group())
    if value is None or "EXAMPLEKEY" in value.group():
        return None
    return value.group()


DETECTORS = (
    Detector("AWS access key ID", r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA)[A-Z2-7]{16}(?![A-Z0-9])",
             _key_id),
    Detector(
        "AWS secret access key",
        r"(?i:aws)[\w.-]{0,20}?(?i:secret)[\w.-]{0,20}?['\"]?\s*[:=]\s*['\"]?[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])",
        _secret_key,
    ),
)
