"""Prefixes the maintained catalog (catalog.py) has no rule for: Twilio API keys (`SK` + 32 hex) and
Fly.io org and macaroon tokens (`fo1_`, `fm1a_`, `fm1r_`, `fm2_`; the catalog knows only `FlyV1 ...`).

Only formats whose prefix alone identifies them belong here; the rest are found by their key name.
"""

from __future__ import annotations

from cmp.secrets.detector import Detector

DETECTORS = (
    Detector("Twilio API key", r"\bSK[0-9a-f]{32}\b", r"SK(?=[0-9a-f]{32})"),
    Detector("Fly.io token", r"\bfo1_[\w-]{43}(?![\w-])", r"_(?<=fo1_)", 3),
    Detector("Fly.io token", r"\bfm(?:1[ar]|2)_[A-Za-z0-9+/]{100,}={0,3}", r"_(?<=fm1a_|fm1r_)", 4),
    Detector("Fly.io token", r"\bfm(?:1[ar]|2)_[A-Za-z0-9+/]{100,}={0,3}", r"_(?<=fm2_)", 3),
)
