"""HTTP credentials written out in a header: `Authorization: Bearer <token>` or `Basic <base64>`."""

from __future__ import annotations

import re

from cmp.secrets.detector import Detector
from cmp.secrets.shapes import is_placeholder

_CREDENTIAL = re.compile(r"(?i:bearer|basic)\s+(\S+)$")
_PATTERN = r"(?i:authorization)['\"]?\s*[:=]?\s*['\"]?(?i:bearer|basic)\s+[A-Za-z0-9._~+/=-]{16,}"


def _credential(match: re.Match[str]) -> str | None:
    found = _CREDENTIAL.search(match.group())
    if found is None or is_placeholder(found.group(1)):
        return None
    return found.group(1)


# Anchored on the rare `z`, not the common `a`.
DETECTORS = (
    Detector("HTTP Authorization credential", _PATTERN, r"zation(?<=[Aa]uthorization)", len("authori"), _credential),
    Detector("HTTP Authorization credential", _PATTERN, r"ZATION(?<=AUTHORIZATION)", len("AUTHORI"), _credential),
)
