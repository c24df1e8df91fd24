"""GitLab tokens: personal/project/group access, runner authentication, deploy, pipeline trigger, registration."""

from __future__ import annotations

from cmp.secrets.detector import Detector

DETECTORS = (
    Detector("GitLab token", r"\b(?:gl(?:pat|rt|dt|cbt|ptt|oas|ft|imt|agent)-[A-Za-z0-9_-]{20,}"
                             r"|GR1348941[A-Za-z0-9_-]{20})(?![A-Za-z0-9_-])"),
)
