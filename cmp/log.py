"""structlog on stderr: JSON in the sidecar and CI, readable key=value on a terminal."""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


def configure(json_output: bool | None = None) -> None:
    structlog = _import_structlog()

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


class _DeferredModule(types.ModuleType):
    """A stand-in bound by modules imported while it sat in sys.modules; the first attribute
    access imports the real module and hands the attribute over."""

    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module(self.__name__), name)


def _import_structlog() -> types.ModuleType:
    # structlog imports asyncio (about 20 ms, an eighth of a small render's process) only for its
    # async loggers, which gitops-cmp never uses: it gets a stand-in during its own import only.
    if "structlog" in sys.modules or "asyncio" in sys.modules:
        return importlib.import_module("structlog")
    stub = _DeferredModule("asyncio")
    sys.modules["asyncio"] = stub
    try:
        return importlib.import_module("structlog")
    finally:
        if sys.modules.get("asyncio") is stub:
            del sys.modules["asyncio"]


def logger() -> Any:
    import structlog

    return structlog.get_logger("gitops-cmp")
