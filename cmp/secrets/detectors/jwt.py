"""JSON Web Tokens: three base64url segments whose header decodes to JSON naming an algorithm."""

from __future__ import annotations

import base64
import binascii
import re

from cmp.secrets.detector import Detector


def _token(match: re.Match[str]) -> str | None:
    header = match.group().split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))
    except (binascii.Error, ValueError):
        return None
    return match.group() if b'"alg"' in decoded else None


DETECTORS = (
    Detector("JSON Web Token", r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}",
             r"J(?<=eyJ)", 2, _token),
)
