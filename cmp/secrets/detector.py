"""What a credential-family module declares: a label, a regex, and optionally how to cut the secret out.

Patterns use only non-capturing groups: the registry joins them into one alternation, so a string
is searched once for every family at the same time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Extract = Callable[["re.Match[str]"], "str | None"]


@dataclass(frozen=True)
class Detector:
    label: str  # what a finding calls it: "AWS access key ID"
    pattern: str
    # The secret inside the match (None drops the match: an example key, a placeholder password).
    # Without it the whole match is the secret.
    extract: Extract | None = None

    def secret(self, match: re.Match[str]) -> str | None:
        return self.extract(match) if self.extract else match.group()
