"""Look inside encoded values: base64 (Secret `data`, caBundle-like fields) and Docker registry configs."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

_STANDARD = re.compile(r"[A-Za-z0-9+/]+={0,2}")
MIN_ENCODED = 24  # below this a base64 string is too short to carry a credential worth decoding


def base64_bytes(value: str) -> bytes | None:
    compact = "".join(value.split())
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def as_text(data: bytes) -> str | None:
    """UTF-8 text that is mostly printable; None for binary (keystores, random bytes, hashes)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(c.isprintable() or c in "\n\r\t" for c in text)
    return text if printable >= 0.95 * len(text) else None


def maybe_base64(value: str) -> str | None:
    """The decoded text of a string that is plausibly base64 of text, else None. Cheap for non-candidates."""
    # The pattern first: it stops at the first character base64 has not (a space, a dash), islower reads all.
    if len(value) < MIN_ENCODED or len(value) % 4 or not _STANDARD.fullmatch(value) or value.islower():
        return None
    data = base64_bytes(value)
    return as_text(data) if data else None


def registry_hosts(text: str) -> list[str]:
    """Registries a Docker config (`.dockerconfigjson` / `.dockercfg`) holds credentials for."""
    if not text.lstrip().startswith("{") or ('"auth' not in text and '"password"' not in text):
        return []
    try:
        config = json.loads(text)
    except ValueError:
        return []
    if not isinstance(config, dict):
        return []
    auths: Any = config.get("auths", config)
    if not isinstance(auths, dict):
        return []
    return sorted(str(host) for host, entry in auths.items() if _has_credential(entry))


def _has_credential(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    return any(isinstance(entry.get(k), str) and entry[k].strip()
               for k in ("auth", "password", "identitytoken", "registrytoken"))
