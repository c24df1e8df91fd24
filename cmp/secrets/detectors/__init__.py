"""The registry of credential families: every module's DETECTORS, joined into one compiled regex.

Adding a family is adding a module here; tests/secrets/test_detectors.py holds each one's
(payload, should_flag) table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from cmp.secrets.detector import Detector
from cmp.secrets.detectors import aws, azure, github, gitlab, google, http_auth, jwt, pem, saas, slack, stripe, url

FAMILIES = (aws, pem, github, gitlab, slack, stripe, jwt, google, azure, saas, http_auth, url)
DETECTORS: tuple[Detector, ...] = tuple(d for family in FAMILIES for d in family.DETECTORS)
# No family matches fewer characters than this (the shortest is a URL with user, password and host).
MIN_LENGTH = 12

_COMBINED = re.compile("|".join(f"(?P<d{i}>{d.pattern})" for i, d in enumerate(DETECTORS)))


@dataclass(frozen=True)
class Match:
    label: str
    secret: str
    offset: int  # where the match starts in the scanned text


def find(text: str) -> Iterator[Match]:
    """Every credential in `text`, leftmost first; matches an `extract` rejects are skipped."""
    if len(text) < MIN_LENGTH:
        return
    for match in _COMBINED.finditer(text):
        detector = DETECTORS[int(match.lastgroup[1:])] if match.lastgroup else None
        if detector is None:
            continue
        secret = detector.secret(match)
        if secret:
            yield Match(detector.label, secret, match.start())
