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
    """A stand-in bound by modules imported while it sat in sys.modules; an attribute access
    imports the real module and hands the attribute over."""

    def __getattr__(self, name: str) -> Any:
        # Used while structlog is still importing (an optional package it tries, such as rich, may
        # import one of these): the stand-in steps aside, or the import would find it again.
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


# Imported by structlog's package for what gitops-cmp never uses: async loggers (asyncio, about
# 20 ms), the stdlib logging bridge, thread-local context (uuid, platform) and Twisted (3 ms
# together), and `inspect` (with ast and dis, 4-5 ms), which dataclasses imports for classes
# without a docstring, and structlog's all have one. Each gets a stand-in during structlog's own
# import only; a later use of one goes through the stand-in to the real module.
_UNUSED = ("asyncio", "inspect", "structlog.stdlib", "structlog.threadlocal", "structlog.twisted")


def _import_structlog() -> types.ModuleType:
    if "structlog" in sys.modules:
        return importlib.import_module("structlog")
    stubs = {name: _DeferredModule(name) for name in _UNUSED if name not in sys.modules}
    sys.modules.update(stubs)
    try:
        return importlib.import_module("structlog")
    finally:
        for name, stub in stubs.items():
            if sys.modules.get(name) is stub:
                del sys.modules[name]


def logger() -> Any:
    import structlog

    return structlog.get_logger("gitops-cmp")
