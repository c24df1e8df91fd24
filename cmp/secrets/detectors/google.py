"""Google Cloud: API keys and OAuth client secrets (service-account keys are PEM private keys)."""

from __future__ import annotations

from cmp.secrets.detector import Detector

DETECTORS = (
    Detector("Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b", "AIza"),
    Detector("Google OAuth client secret", r"\bGOCSPX-[0-9A-Za-z_-]{28}\b", r"-(?<=GOCSPX-)", 6),
)
