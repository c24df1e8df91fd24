"""One event per command on stderr: a JSON line in the sidecar and CI, key=value on a terminal.

The JSON line is written here with the stdlib, because every sync pays for it: importing structlog
(with the integrations its package pulls in) cost more than Helm's render of a small chart. The line
has the shape structlog's JSONRenderer(sort_keys=True) gives after add_log_level and an ISO UTC
TimeStamper; tests/test_log.py pins it against structlog itself. On a terminal, structlog's
ConsoleRenderer formats the same event (a human is waiting there, not a sync).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import Any, TextIO

_json_output: bool | None = None
_stream: TextIO | None = None


def configure(json_output: bool | None = None) -> None:
    """JSON, console, or (None) JSON unless stderr is a terminal; events go to this stderr."""
    global _json_output, _stream
    _stream = sys.stderr
    _json_output = not _stream.isatty() if json_output is None else json_output


class Logger:
    def info(self, event: str, **fields: Any) -> None:
        _emit("info", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        _emit("warning", event, fields)


def logger() -> Logger:
    return Logger()


def event_dict(level: str, event: str, fields: dict[str, Any]) -> dict[str, Any]:
    timestamp = datetime.now(tz=timezone.utc).isoformat().replace("+00:00", "Z")
    return {**fields, "event": event, "level": level, "timestamp": timestamp}


def _emit(level: str, event: str, fields: dict[str, Any]) -> None:
    stream = _stream or sys.stderr
    record = event_dict(level, event, fields)
    json_output = _json_output if _json_output is not None else not stream.isatty()
    if json_output:
        line = json.dumps(record, sort_keys=True, default=repr)
    else:
        import structlog

        line = structlog.dev.ConsoleRenderer(colors=False)(None, level, record)
    print(line, file=stream, flush=True)
