"""GitHub tokens: classic and fine-grained personal access tokens, OAuth, app installation, refresh."""

from __future__ import annotations

from cmp.secrets.detector import Detector

DETECTORS = (
    Detector("GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{60,90})\b"),
)
