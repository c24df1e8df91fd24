"""AWS access key IDs: long-term (AKIA) and temporary (ASIA) keys, and the rarer ABIA/ACCA.

A secret access key has no shape of its own (40 base64 characters); it is found by its name
(`aws_secret_access_key`, `AWS_SECRET_ACCESS_KEY`, `secretAccessKey`). User, role and group IDs
(AIDA, AROA, AGPA) identify, they do not authenticate, and are not matched.
"""

from __future__ import annotations

import re

from cmp.secrets.detector import Detector


def _key_id(match: re.Match[str]) -> str | None:
    # AWS documents AKIAIOSFODNN7EXAMPLE-style keys; they open no account.
    return None if match.group().endswith("EXAMPLE") else match.group()


DETECTORS = tuple(
    Detector("AWS access key ID", r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Z0-9])", prefix, 0, _key_id)
    for prefix in ("AKIA", "ASIA", "ABIA", "ACCA")
)
