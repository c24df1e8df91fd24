from __future__ import annotations

import io
import json
import re

import structlog

from cmp import log

EVENT = {"app": "webapp-prod", "objects": 4, "blocked": False, "duration_ms": 12.5, "digest": "sha256:ab"}


def _structlog_line(**fields) -> str:
    """The event as the previous structlog configuration wrote it: the contract's reference."""
    out = io.StringIO()
    structlog.configure(
        processors=[structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso", utc=True),
                    structlog.processors.JSONRenderer(sort_keys=True)],
        logger_factory=structlog.PrintLoggerFactory(out), cache_logger_on_first_use=False,
    )
    try:
        structlog.get_logger("gitops-cmp").info("render", **fields)
    finally:
        structlog.reset_defaults()
    return out.getvalue()


def _our_line(monkeypatch, json_output: bool | None, **fields) -> str:
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    log.configure(json_output)
    log.logger().info("render", **fields)
    return err.getvalue()


def _without_time(line: str) -> str:
    return re.sub(r'"timestamp": "[^"]+"', '"timestamp": T', line)


def test_the_json_line_is_the_one_structlog_wrote(monkeypatch):
    ours = _our_line(monkeypatch, True, **EVENT)
    assert _without_time(ours) == _without_time(_structlog_line(**EVENT))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z", json.loads(ours)["timestamp"])


def test_an_unserialisable_value_is_its_repr_as_structlog_wrote_it(monkeypatch):
    ours = _our_line(monkeypatch, True, path=object)
    assert _without_time(ours) == _without_time(_structlog_line(path=object))


def test_auto_is_json_when_stderr_is_not_a_terminal(monkeypatch):
    assert json.loads(_our_line(monkeypatch, None, objects=4))["objects"] == 4


def test_a_terminal_gets_structlogs_console_format(monkeypatch):
    line = _our_line(monkeypatch, False, objects=4)
    assert re.fullmatch(r"\S+Z \[info\s*\] render\s+objects=4\n", line), line
