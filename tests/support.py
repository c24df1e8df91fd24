"""Paths and helpers shared by tests (conftest.py holds the fixtures)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "gitops-repo"


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str
