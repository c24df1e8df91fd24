"""The one finding type every rule yields, and the result every command decides its exit code from."""

from enum import Enum
from typing import Any, NamedTuple


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


class Finding(NamedTuple):
    """A rule's verdict on one place. `message` never carries a secret value; `fingerprint` may
    carry a short hash of it so an allowlist entry can name exactly one value."""

    path: str
    line: int
    column: int
    rule: str
    severity: Severity
    message: str
    fingerprint: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = self._asdict()
        data["severity"] = self.severity.value
        if self.fingerprint is None:
            del data["fingerprint"]
        return data

    def format(self) -> str:
        """`path:line:col: [level] message (rule)`, the parsable form editors understand."""
        where = self.path
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        return f"{where}: [{self.severity.value}] {self.message} ({self.rule})"


def has_errors(findings: tuple[Finding, ...] | list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)
