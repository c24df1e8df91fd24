"""Secret-like fields are never printed: reports show where a secret changed, never its value.

This is the second line of defence (an app whose render fails policy shows no diff at all), and it
judges with the secret scan's own classifier, cmp.secrets: a field is masked wherever
`scan_object` finds a secret on either side of the diff (a literal under a sensitive name or
`--flag`, an env entry named like a secret, a credential-shaped value such as a URL with a password
or a GitHub token, an embedded `key=value` pair, base64 that decodes to any of these). Every value
of a Secret's `data`/`stringData` is masked, public ones included. References to secrets
(`secretKeyRef`, `secretName`, ESO's `remoteRef`) are names, not values, and stay readable.
"""

from __future__ import annotations

from typing import Any

from cmp.secrets.scan import Path, scan_object

REDACTED = "<redacted>"
REDACTED_CHANGED = "<redacted: changed>"
_SECRET_PAYLOAD = ("data", "stringData")
_MISSING = object()


def secret_paths(obj: dict[str, Any]) -> set[Path]:
    """Where the secret scan finds a secret in `obj`, as JSON paths to leaves."""
    return {hit.path for hit in scan_object(obj)}


def redact_pair(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both sides of a modified resource, masked where either side holds a secret (a secret that
    head replaced with something harmless still must not show as a removed line). A masked head
    value that differs from base reads `<redacted: changed>`."""
    paths = secret_paths(before) | secret_paths(after)
    return _masked(before, _MISSING, paths), _masked(after, before, paths)


def redact(obj: dict[str, Any]) -> dict[str, Any]:
    """One side alone (a resource added or removed)."""
    return _masked(obj, _MISSING, secret_paths(obj))


def _masked(obj: dict[str, Any], other: Any, paths: set[Path]) -> dict[str, Any]:
    prefixes = {path[:i] for path in paths for i in range(1, len(path))}
    secret = obj.get("kind") == "Secret" and "apiVersion" in obj
    out: dict[str, Any] = {}
    for key, value in obj.items():
        counterpart = _child(other, key)
        if secret and key in _SECRET_PAYLOAD and isinstance(value, dict):
            out[key] = {k: _mask(v, _child(counterpart, k)) for k, v in value.items()}
        else:
            out[key] = _walk(value, counterpart, (key,), paths, prefixes)
    return out


def _walk(value: Any, other: Any, path: Path, paths: set[Path], prefixes: set[Path]) -> Any:
    if path in paths:
        return _mask(value, other)
    if path not in prefixes:
        return value  # nothing secret below: no need to copy
    if isinstance(value, dict):
        return {k: _walk(v, _child(other, k), (*path, k), paths, prefixes) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, _child(other, i), (*path, i), paths, prefixes) for i, v in enumerate(value)]
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
