"""Azure: storage account keys in connection strings, and SAS signatures in URLs or strings."""

from __future__ import annotations

import re

from cmp.secrets.detector import Detector

_VALUE = re.compile(r"(?:AccountKey=|sig=)([^;&\s\"']+)")


def _value(match: re.Match[str]) -> str | None:
    found = _VALUE.search(match.group())
    return found.group(1) if found else None


DETECTORS = (
    Detector("Azure storage account key", r"AccountKey=[A-Za-z0-9+/]{86}==", "AccountKey=", 0, _value),
    *(Detector("Azure SAS signature", r"[?&;]sig=[A-Za-z0-9%+/]{40,}={0,2}", f"{sep}sig=", 0, _value)
      for sep in (r"\?", "&", ";")),
)
