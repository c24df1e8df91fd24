"""Stage 6: the one YAML stream Argo CD reads, built only after every check passed."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

from cmp.pipeline.manifests import Manifest


def stream(manifests: Iterable[Manifest]) -> str:
    """`helm template`'s format: each document introduced by `---` and its `# Source:`."""
    return "".join(f"---\n# Source: {m.source}\n{m.text}\n" for m in manifests)


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
