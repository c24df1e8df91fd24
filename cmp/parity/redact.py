"""Secret-like fields are never printed: reports show where a secret changed, never its value.

Masked: every value under a Secret's `data`/`stringData`; any value under a key that looks
sensitive (password, token, apiKey, ...); the `value` of an env-style `{name, value}` entry whose
name looks sensitive. References to secrets (`secretKeyRef`, `secretName`, ESO's `secretKey`)
are names, not values, and stay readable.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "<redacted>"
REDACTED_CHANGED = "<redacted: changed>"
_SENSITIVE = re.compile(
    r"pass(word|wd|phrase)?|secret|token|api[-_]?key|private[-_]?key|credential|auth|bearer|"
    r"session[-_]?key|signing[-_]?key|access[-_]?key|client[-_]?key|dsn|connection[-_]?string|cookie",
    re.IGNORECASE,
)
# Keys that name or point at a secret rather than hold one.
_REFERENCE = re.compile(
    r"(ref|refs|name|names|selector|path|file|enabled|interval|type|mode|policy|store|template|"
    r"keyref|secretkey|provider|version)$",
    re.IGNORECASE,
)
# Kubernetes fields that match the pattern but are settings, not secrets.
_SETTINGS = {"automountServiceAccountToken", "serviceAccountToken", "authority", "author"}
_MISSING = object()


def is_sensitive_key(key: str) -> bool:
    return key not in _SETTINGS and bool(_SENSITIVE.search(key)) and not _REFERENCE.search(key)


def redact(obj: dict[str, Any], other: dict[str, Any] | None = None) -> dict[str, Any]:
    """`obj` with secret-like values masked. With `other` (the same resource on the other side of a
    diff), a masked value that differs from its counterpart reads `<redacted: changed>`."""
    secret = obj.get("kind") == "Secret" and str(obj.get("apiVersion")) == "v1"
    out: dict[str, Any] = {}
    for key, value in obj.items():
        counterpart = other.get(key, _MISSING) if isinstance(other, dict) else _MISSING
        if secret and key in ("data", "stringData") and isinstance(value, dict):
            out[key] = {k: _mask(v, _child(counterpart, k)) for k, v in value.items()}
        else:
            out[key] = _walk(key, value, counterpart)
    return out


def _walk(key: Any, value: Any, other: Any) -> Any:
    if isinstance(key, str) and is_sensitive_key(key):
        return _mask(value, other)
    if isinstance(value, dict):
        env_style = isinstance(value.get("name"), str) and is_sensitive_key(value["name"])
        return {
            k: _mask(v, _child(other, k)) if env_style and k == "value" else _walk(k, v, _child(other, k))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_walk(None, v, _child(other, i)) for i, v in enumerate(value)]
    return value


def _child(other: Any, key: Any) -> Any:
    if isinstance(other, dict):
        return other.get(key, _MISSING)
    if isinstance(other, list) and isinstance(key, int) and key < len(other):
        return other[key]
    return _MISSING


def _mask(value: Any, other: Any) -> Any:
    if value is None or value == "" or isinstance(value, bool):
        return value  # not a secret, and showing it helps review
    if other is _MISSING or other == value:
        return REDACTED
    return REDACTED_CHANGED
