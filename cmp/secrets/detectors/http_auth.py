"""HTTP credentials written out in a header: `Authorization: Bearer <token>` or `Basic <base64>`.

A Basic credential must decode to `user:password` (a JWT header after `Basic` is a mistake, not a login).
"""

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
    if match.group().lower().rstrip().rsplit(None, 2)[-2].endswith("basic") and not _user_password(found.group(1)):
        return None  # Basic credentials are base64 of `user:password`; anything else is not one
    return found.group(1)


def _user_password(encoded: str) -> bool:
    from cmp.secrets.decode import as_text, base64_bytes

    data = base64_bytes(encoded)
    text = as_text(data) if data is not None else None
    return text is not None and ":" in text


# Anchored on the rare `z`, not the common `a`.
DETECTORS = (
    Detector("HTTP Authorization credential", _PATTERN, r"zation(?<=[Aa]uthorization)", len("authori"), _credential),
    Detector("HTTP Authorization credential", _PATTERN, r"ZATION(?<=AUTHORIZATION)", len("AUTHORI"), _credential),
)
