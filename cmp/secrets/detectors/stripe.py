"""Stripe webhook signing secrets (API keys are the maintained catalog's `stripe-access-token`).

Publishable keys (`pk_live_...`) ship to browsers by design and are not secrets.
"""

from __future__ import annotations

from cmp.secrets.detector import Detector

DETECTORS = (
    Detector("Stripe webhook secret", r"\bwhsec_[0-9A-Za-z]{24,}\b", r"_(?<=whsec_)", 5),
)
