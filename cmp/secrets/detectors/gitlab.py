"""GitLab tokens: personal/project/group access, runner authentication, deploy, CI build, pipeline
trigger, OAuth app secrets, feed, incoming mail, agent; and legacy runner registration tokens."""

from __future__ import annotations

from cmp.secrets.detector import Detector

_BODY = r"-[A-Za-z0-9_-]{20,}(?![A-Za-z0-9_-])"

DETECTORS = (
    *(Detector("GitLab token", rf"\b{prefix}{_BODY}", f"-(?<={prefix}-)", len(prefix))
      for prefix in ("glpat", "glrt", "gldt", "glcbt", "glptt", "gloas", "glft", "glimt", "glagent")),
    Detector("GitLab token", r"\bGR1348941[A-Za-z0-9_-]{20}(?![A-Za-z0-9_-])", "GR1348941"),
)
