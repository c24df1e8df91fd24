"""PEM private keys (RSA, EC, DSA, OpenSSH, PKCS#8, encrypted, PGP), also inside JSON with escaped newlines.

Public certificates and public keys are not secrets and never match: only `PRIVATE KEY` headers do,
and only with a key body after them (a header followed by `...` is documentation).
"""

from __future__ import annotations

import re

from cmp.secrets.detector import Detector

_BODY = re.compile(r"(?:[A-Za-z0-9+/=]|\s|\\n)*")
_MIN_BODY = 64


def _block(match: re.Match[str]) -> str | None:
    text = match.string
    end = text.find("-----END", match.end())
    stop = end if end != -1 else min(len(text), match.end() + 8192)
    body = text[match.end():stop]
    if sum(c.isalnum() or c in "+/=" for c in body) - 2 * body.count("\\n") < _MIN_BODY:
        return None
    return text[match.start():stop]


DETECTORS = (
    Detector("PEM private key", r"-----BEGIN[A-Z0-9 ]{0,24}PRIVATE KEY(?: BLOCK)?-----", _block),
)
