"""Other SaaS API tokens with an unambiguous prefix: npm, PyPI, SendGrid, OpenAI, Twilio.

Only formats whose prefix alone identifies them belong here; the rest are found by their key name.
"""

from __future__ import annotations

from cmp.secrets.detector import Detector

DETECTORS = (
    Detector("npm token", r"\bnpm_[A-Za-z0-9]{36}\b", r"_(?<=npm_)", 3),
    Detector("PyPI token", r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}", r"-(?<=pypi-)", 4),
    Detector("SendGrid API key", r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b", r"SG\."),
    Detector("OpenAI API key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}",
             r"-(?<=sk-)", 2),
    Detector("Twilio API key", r"\bSK[0-9a-f]{32}\b", r"SK(?=[0-9a-f]{32})"),
)
