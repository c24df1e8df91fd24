"""structlog on stderr: JSON in the sidecar and CI, readable key=value on a terminal."""

from __future__ import annotations

import sys
from typing import Any


def configure(json_output: bool | None = None) -> None:
    import structlog

    if json_output is None:
        json_output = not sys.stderr.isatty()
    renderer: Any = (
        structlog.processors.JSONRenderer(sort_keys=True)
        if json_output
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )


def logger() -> Any:
    import structlog

    return structlog.get_logger("gitops-cmp")
