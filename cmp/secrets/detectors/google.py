"""Google Cloud OAuth client secrets (API keys are the maintained catalog's `gcp-api-key`, with its list of
keys Google publishes; service-account keys are PEM private keys)."""

from __future__ import annotations

from cmp.secrets.detector import Detector

DETECTORS = (
    Detector("Google OAuth client secret", r"\bGOCSPX-[0-9A-Za-z_-]{28}\b", r"G(?=OCSPX-)"),
)
