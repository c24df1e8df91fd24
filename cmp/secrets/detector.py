"""What a credential-family module declares: a label, a regex, where to look for it, and optionally how
to cut the secret out of the match.

`anchor` is a short regex that starts with a literal character and occurs in every match, `lead`
characters after the match starts. The registry searches all anchors at once (fast: the engine
skips to the few characters that can start one) and tries the full patterns only there. Patterns
use only non-capturing groups: the registry joins them into one alternation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

Extract = Callable[["re.Match[str]"], "str | None"]


class Detector(NamedTuple):
    label: str  # what a finding calls it: "AWS access key ID"
    pattern: str
    anchor: str
    lead: int = 0
    # The secret inside the match (None drops the match: an example key, a placeholder password).
    # Without it the whole match is the secret.
    extract: Extract | None = None

    def secret(self, match: re.Match[str]) -> str | None:
        return self.extract(match) if self.extract else match.group()
