"""URLs with a password in their userinfo: `postgres://app:s3cret@db:5432/app`, `https://user:pat@git...`.

A password that is a placeholder (`$(DB_PASSWORD)`, `${PASS}`, `{{ .password }}`, `<password>`, `***`)
is how a URL should be written, and passes. The match starts at `://`: schemes vary in length.
"""

from __future__ import annotations

import re

from cmp.secrets.detector import Detector
from cmp.secrets.shapes import is_placeholder

_USERINFO = re.compile(r"://([^\s:/@]*):([^\s@]+)@")


def _password(match: re.Match[str]) -> str | None:
    userinfo = _USERINFO.match(match.group())
    if userinfo is None:
        return None
    password = userinfo.group(2)
    if is_placeholder(password) or "{{" in match.group() or "$(" in password or "${" in password:
        return None
    return password


DETECTORS = (
    Detector("URL with an embedded password",
             r"(?<=[A-Za-z0-9+.-])://[^\s:/@\"'<>]{1,128}:[^\s/@\"'<>]{1,256}@[^\s/@\"'<>]+", "://", 0, _password),
)
