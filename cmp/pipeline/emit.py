"""Stage 6: the one YAML stream Argo CD reads, built only after every check passed.

Each document is written from the object the rules judged, not from Helm's text: as JSON (YAML's
flow style, which Go's YAML reads back to the very same object), one line per object, after `---`
and a `# Source:` comment that cannot end the line early. So Argo CD can only apply what was checked.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any

from cmp.errors import RenderError
from cmp.pipeline.manifests import Manifest

# Characters JSON writes raw that YAML reads otherwise: NEL, LS, PS are line breaks to YAML 1.1,
# C1 controls, the BOM and noncharacters are not printable (Go's YAML refuses them).
_NOT_YAML = "[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]"
# A `# Source:` comment ends at the line: any control or line-break character is written escaped.
_NOT_COMMENT = "[^\x20-\x7e\xa0-\u2027\u202a-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
_compiled: dict[str, re.Pattern[str]] = {}  # compiled on first use: only non-ASCII text needs them


def _pattern(source: str) -> re.Pattern[str]:
    if source not in _compiled:
        _compiled[source] = re.compile(source)
    return _compiled[source]


def stream(manifests: Iterable[Manifest]) -> str:
    """`helm template`'s layout: each object introduced by `---` and its `# Source:`."""
    encode = _encoder()
    comments: dict[str, str] = {}  # a template renders many objects
    parts = []
    for m in manifests:
        source = comments.get(m.source)
        if source is None:
            source = comments[m.source] = comment(m.source)
        parts.append(f"---\n# Source: {source}\n{document(m, encode)}\n")
    return "".join(parts)


def document(manifest: Manifest, encode: Callable[[Any], str] | None = None) -> str:
    """The object as one line of JSON; `encode`: an _encoder() to reuse."""
    try:
        text = (encode or _encoder())(manifest.obj)
    except ValueError:
        raise RenderError(f"{comment(manifest.source)}: rendered document {manifest.doc_index + 1} holds"
                          " .inf or .nan, which Argo CD cannot turn into JSON") from None
    if text.isascii() and "\x7f" not in text:  # both in C at memory speed: the usual case
        return text
    return _pattern(_NOT_YAML).sub(_escape, text)


def _encoder() -> Callable[[Any], str]:
    """json.dumps(obj, ensure_ascii=False, allow_nan=False, check_circular=False), its C encoder built
    once: dumps builds a JSONEncoder and a C encoder per call, a quarter of the time of a small object."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # an interpreter without the _json accelerator
        return json.JSONEncoder(ensure_ascii=False, allow_nan=False, check_circular=False).encode
    # (markers, default, encoder, indent, key_separator, item_separator, sort_keys, skipkeys, allow_nan):
    # what JSONEncoder.iterencode passes for these settings.
    encoder = make(None, _not_json, json.encoder.encode_basestring, None, ": ", ", ", False, False, False)
    return lambda obj: "".join(encoder(obj, 0))


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def comment(text: str) -> str:
    """`text` on one line: control characters and line breaks written as `\\uXXXX`."""
    if text.isascii() and text.isprintable():
        return text
    return _pattern(_NOT_COMMENT).sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    return f"\\u{ord(found.group()):04x}"


def digest(text: str) -> str:
    """`sha256:` and the first 16 hex digits of the stream's SHA-256, as `sha256sum` prints them."""
    data = text.encode()
    return "sha256:" + _sha256(len(data))(data).hexdigest()[:16]


# Above this many bytes OpenSSL's SHA-256 (2.8 ms for 5 MB here) repays hashlib's import (about 3 ms)
# over CPython's own (15.7 ms for 5 MB).
OPENSSL_FROM = 1 << 20


def _sha256(size: int) -> Callable[[bytes], Any]:
    # CPython's own SHA-256 for a small stream: `import hashlib` loads OpenSSL first, 3-5 ms of every
    # render's start-up (unless a finding's fingerprint has loaded it already).
    if size >= OPENSSL_FROM or "hashlib" in sys.modules:
        import hashlib

        return hashlib.sha256
    for name in ("_sha256", "_sha2"):  # Python 3.11; 3.12 and later
        try:
            return importlib.import_module(name).sha256
        except ImportError:
            continue
    import hashlib

    return hashlib.sha256
