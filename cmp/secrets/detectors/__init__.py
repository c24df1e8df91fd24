"""The registry of credential families: every module's DETECTORS, joined into one compiled regex, then
the maintained catalog (cmp/secrets/maintained.py) for every vendor prefix the families do not cover.

Adding a family is adding a module here; the (payload, label) table in
tests/secrets/test_detectors.py proves its pattern, anchor and lead together. A vendor token format
belongs in the catalog (regenerated from upstream by tools/secret_catalog.py), not here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import NamedTuple

from cmp.secrets import maintained
from cmp.secrets.detector import Detector
from cmp.secrets.embedded import lower
from cmp.secrets.shapes import is_filler
from cmp.secrets.detectors import aws, azure, google, http_auth, jwt, pem, saas, stripe, url

# What the maintained catalog (cmp/secrets/catalog.py) lacks or cannot judge: structure (PEM bodies, URL
# userinfo, Authorization headers, JWT headers, Azure connection strings) and the few prefixes it has no
# rule for (AWS key IDs: its keywords are too short to prefilter; Twilio; Google OAuth; Stripe webhooks).
FAMILIES = (aws, pem, stripe, jwt, google, azure, saas, http_auth, url)
DETECTORS: tuple[Detector, ...] = tuple(d for family in FAMILIES for d in family.DETECTORS)
# No family matches fewer characters than this (the shortest is a URL with user, password and host).
MIN_LENGTH = 12
_SPAN = 2048  # no credential match is longer; a PEM body is cut out by its own extract


def _split_first(anchor: str) -> tuple[str, str]:
    """(first literal character, the rest of the anchor regex)."""
    return (anchor[1], anchor[2:]) if anchor.startswith("\\") else (anchor[0], anchor[1:])


# Detectors by the first character of their anchor.
_BY_FIRST: dict[str, list[Detector]] = {}
for _d in DETECTORS:
    _BY_FIRST.setdefault(_split_first(_d.anchor)[0], []).append(_d)

# One branch per first character, each a literal, so the engine jumps between the few characters
# that can start an anchor: most text has none and costs a few ns per character.
ANCHORS = re.compile("|".join(
    re.escape(first) + "(?:" + "|".join(dict.fromkeys(_split_first(d.anchor)[1] for d in group)) + ")"
    for first, group in _BY_FIRST.items()
))


# The full patterns and the anchors are compiled on first use, not at import (~3.5 ms a render):
# they are needed only once ANCHORS has found something, and most renders hold no anchor at all.
@cache
def _combined() -> re.Pattern[str]:
    """Every pattern in one alternation; group `d<i>` is DETECTORS[i]."""
    return re.compile("|".join(f"(?P<d{i}>{d.pattern})" for i, d in enumerate(DETECTORS)))


@cache
def _leads(first: str) -> tuple[tuple[re.Pattern[str], int], ...]:
    """At an anchor starting with `first`: each anchor regex that may match there, with its lead
    (the match starts `lead` characters before the anchor)."""
    return tuple((re.compile(d.anchor), d.lead) for d in _BY_FIRST[first])


class Match(NamedTuple):
    label: str
    secret: str
    offset: int  # where the match starts in the scanned text


def find(text: str, lowered: str | None = None, *, hand_kept: bool = True, catalog: bool = True) -> Iterator[Match]:
    """Every credential in `text`: the hand-kept families' (leftmost first; matches an `extract`
    rejects are skipped), then the maintained catalog's that none of those already covers.
    `hand_kept=False`: the caller knows ANCHORS finds nothing in `text`; `catalog=False`: the caller
    knows `lowered` holds no catalog keyword (each search would find nothing, at the cost of a pass)."""
    if len(text) < MIN_LENGTH:
        return
    found = list(_hand_kept(text)) if hand_kept else []
    yield from found
    if not catalog:
        return
    for label, secret, offset in maintained.find(text, lowered if lowered is not None else lower(text)):
        if not any(secret in m.secret or m.secret in secret for m in found):
            yield Match(label, secret, offset)


def _hand_kept(text: str) -> Iterator[Match]:
    done = 0
    for anchor in ANCHORS.finditer(text):
        at = anchor.start()
        if at < done:
            continue
        leads = sorted({lead for spec, lead in _leads(text[at]) if spec.match(text, at)}, reverse=True)
        for lead in leads:
            if at - lead < done:
                continue
            match = _combined().match(text, at - lead, min(len(text), at - lead + _SPAN))
            if match is None or match.end() <= at:
                continue
            done = match.end()
            found = _accept(match)
            if found:
                yield found
            break


def _accept(match: re.Match[str]) -> Match | None:
    detector = DETECTORS[int(match.lastgroup[1:])] if match.lastgroup else None
    secret = detector.secret(match) if detector else None
    if detector is None or not secret or is_filler(secret):
        return None
    return Match(detector.label, secret, match.start())
