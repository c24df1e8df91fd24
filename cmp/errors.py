"""Errors a user can fix. Each prints as one clear line (plus an indented detail) and maps to an exit code.

Anything that is not a CmpError is a bug and exits with ExitCode.INTERNAL.
"""

from __future__ import annotations

from cmp.exitcodes import ExitCode


class CmpError(Exception):
    exit_code: ExitCode = ExitCode.INPUT

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        if not self.detail:
            return self.message
        indented = "\n".join(f"    {line}" for line in self.detail.rstrip().splitlines())
        return f"{self.message}\n{indented}"


class InputError(CmpError):
    """A file, value, flag or environment variable the user must fix."""

    exit_code = ExitCode.INPUT


class RenderError(CmpError):
    """Helm could not render the chart; `detail` carries Helm's own message verbatim."""

    exit_code = ExitCode.RENDER


class Interrupted(CmpError):
    exit_code = ExitCode.INTERRUPTED


class Abort(BaseException):
    """Stops the whole command with `error` (a runaway past the deadline or the memory bound): a
    BaseException, so that no rule's `except CmpError`/`except Exception` makes it one more finding."""

    def __init__(self, error: CmpError) -> None:
        super().__init__(str(error))
        self.error = error
