"""Stripe: secret and restricted API keys (live and test) and webhook signing secrets.

Publishable keys (`pk_live_...`) ship to browsers by design and are not secrets.
"""

from __future__ import annotations

from cmp.secrets.detector import Detector

_KEY = r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{20,}\b"

DETECTORS = (
    Detector("Stripe API key", _KEY, "_live_", 2),
    Detector("Stripe API key", _KEY, "_test_", 2),
    Detector("Stripe webhook secret", r"\bwhsec_[0-9A-Za-z]{24,}\b", r"_(?<=whsec_)", 5),
)
