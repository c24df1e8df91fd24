"""Stage 6: the one YAML stream Argo CD reads, built only after every check passed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from cmp.pipeline.manifests import Manifest


def stream(manifests: Iterable[Manifest]) -> str:
    """`helm template`'s format: each document introduced by `---` and its `# Source:`."""
    return "".join(f"---\n# Source: {m.source}\n{m.text}\n" for m in manifests)


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]
