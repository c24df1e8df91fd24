"""Stage 6: the one YAML stream Argo CD reads, built only after every check passed.

Each document is written from the object the rules judged, not from Helm's text: as JSON (YAML's
flow style, which Go's YAML reads back to the very same object), one line per object, after `---`
and a `# Source:` comment that cannot end the line early. So Argo CD can only apply what was checked.
"""

from __future__ import annotations

import importlib
import json
import re
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
    return "".join(f"---\n# Source: {comment(m.source)}\n{document(m)}\n" for m in manifests)


def document(manifest: Manifest) -> str:
    try:
        text = json.dumps(manifest.obj, ensure_ascii=False, allow_nan=False, check_circular=False)
    except ValueError:
        raise RenderError(f"{comment(manifest.source)}: rendered document {manifest.doc_index + 1} holds"
                          " .inf or .nan, which Argo CD cannot turn into JSON") from None
    if text.isascii() and "\x7f" not in text:  # both in C at memory speed: the usual case
        return text
    return _pattern(_NOT_YAML).sub(_escape, text)


def comment(text: str) -> str:
    """`text` on one line: control characters and line breaks written as `\\uXXXX`."""
    if text.isascii() and text.isprintable():
        return text
    return _pattern(_NOT_COMMENT).sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    return f"\\u{ord(found.group()):04x}"


def digest(text: str) -> str:
    """`sha256:` and the first 16 hex digits of the stream's SHA-256, as `sha256sum` prints them."""
    return "sha256:" + _sha256()(text.encode()).hexdigest()[:16]


def _sha256() -> Callable[[bytes], Any]:
    # CPython's own SHA-256: `import hashlib` loads OpenSSL first, 3-5 ms of every render's start-up.
    for name in ("_sha256", "_sha2"):  # Python 3.11; 3.12 and later
        try:
            return importlib.import_module(name).sha256
        except ImportError:
            continue
    import hashlib

    return hashlib.sha256
