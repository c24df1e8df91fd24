"""GitHub tokens: classic personal access (ghp_), OAuth (gho_), user-to-server (ghu_), installation (ghs_),
refresh (ghr_), and fine-grained personal access tokens (github_pat_)."""

from __future__ import annotations

from cmp.secrets.detector import Detector

DETECTORS = (
    Detector("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36}\b", r"_(?<=gh[pousr]_)", 3),
    Detector("GitHub token", r"\bgithub_pat_[A-Za-z0-9_]{60,90}\b", r"_(?<=github_pat_)", 10),
)
