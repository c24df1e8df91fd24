"""The one exit-code table. The README's table is checked against this enum by a test."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # manifests written (render/generate) or no error findings (check)
    POLICY = 1  # the chart rendered but violates the standard (findings on stderr)
    INPUT = 2  # bad input or usage: a file, value, flag or env var the user must fix
    RENDER = 3  # Helm could not render the chart (template error, fail/required, missing dependency)
    INTERNAL = 4  # a bug in gitops-cmp: please report it with the stderr
    INTERRUPTED = 130  # SIGINT/SIGTERM: stopped before writing anything
