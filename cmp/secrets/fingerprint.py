"""The short, stable fingerprint an allowlist entry names instead of the value."""

from __future__ import annotations

import base64

LENGTH = 12
# Iterated and salted so a fingerprint costs more than a plain hash to brute-force from a word list;
# it is still a hint about the value, which is why only a 60-bit prefix is ever shown.
_SALT = b"gitops-cmp/secret-value/v1"
_ROUNDS = 2000


def fingerprint(value: str) -> str:
    """12 characters of lowercase base32: letters and 2-7, so YAML reads it back as a string
    (an all-digit hex prefix, one in 300, would turn into a number in `.gitops-cmp.yaml`)."""
    import hashlib  # here, not at the top: only a render with a finding pays its ~3 ms import

    digest = hashlib.pbkdf2_hmac("sha256", value.encode("utf-8", "surrogatepass"), _SALT, _ROUNDS)
    return base64.b32encode(digest).decode("ascii").lower()[:LENGTH]
