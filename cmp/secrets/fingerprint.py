"""The short, stable fingerprint an allowlist entry names instead of the value."""

from __future__ import annotations

import hashlib

LENGTH = 12
# Iterated and salted so a fingerprint costs more than a plain hash to brute-force from a word list;
# it is still a hint about the value, which is why only a 48-bit prefix is ever shown.
_SALT = b"gitops-cmp/secret-value/v1"
_ROUNDS = 2000


def fingerprint(value: str) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", value.encode("utf-8", "surrogatepass"), _SALT, _ROUNDS)
    return digest.hex()[:LENGTH]
