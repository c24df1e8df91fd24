"""PEM private keys (RSA, EC, DSA, OpenSSH, PKCS#8, encrypted, PGP), also inside JSON with escaped newlines.

Public certificates and public keys are not secrets and never match: only `PRIVATE KEY` headers do,
and only with a key body after them (a header followed by `...` is documentation).
"""

from __future__ import annotations

import re

from cmp.secrets.detector import Detector

_MIN_BODY = 64


def _block(match: re.Match[str]) -> str | None:
    text = match.string
    begin = text.rfind("-----BEGIN", max(0, match.start() - 40), match.start())
    if begin == -1:
        return None
    end = text.find("-----END", match.end())
    stop = end if end != -1 else min(len(text), match.end() + 8192)
    body = text[match.end():stop]
    if sum(c.isalnum() or c in "+/=" for c in body) - 2 * body.count("\\n") < _MIN_BODY:
        return None
    return text[begin:stop]


DETECTORS = (
    # The match starts at "PRIVATE KEY": the header's key type varies in length, the anchor does not.
    Detector("PEM private key", r"PRIVATE KEY(?: BLOCK)?-----", "PRIVATE KEY", 0, _block),
)
