"""Slack: bot, user, app and configuration tokens, and incoming-webhook / workflow URLs."""

from __future__ import annotations

from cmp.secrets.detector import Detector

DETECTORS = (
    Detector("Slack token", r"\bxox[abposre]-[0-9A-Za-z]{6,}(?:-[0-9A-Za-z]{4,}){1,4}\b", r"-(?<=xox[abposre]-)", 4),
    Detector("Slack webhook URL", r"https://hooks\.slack\.com/(?:services|workflows|triggers)"
                                  r"/[A-Za-z0-9_]{8,}/[A-Za-z0-9_]{8,}/[A-Za-z0-9_]{16,}",
              r"k\.com(?<=hooks\.slack\.com)", len("https://hooks.slac")),
)
