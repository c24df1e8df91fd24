"""The plugin's extra value files, read in one place for every caller.

Two inputs name them; Helm merges them after values/<env>.yaml, in this order:
- "env": the VALUE_FILES plugin env entry (ARGOCD_ENV_VALUE_FILES in the sidecar), comma- or
  newline-separated;
- "parameters": the `valueFiles` plugin parameter (in ARGOCD_APP_PARAMETERS), an array or one
  comma-separated string.

`read` returns the files and every problem, each naming its input and its fault. A render
(`generate`, `render --app`, `parity`) raises on the first (`files_or_raise`); the app-source rule
reports each as a finding.

Two readings differ today, and both are pinned by tests until one is chosen:
- "render", what the plugin does: it uses what it can (a parameter's array if it is a list, else
  its string; blank entries dropped; parameters that are not mappings skipped) and stops where it
  cannot (no array or string, a non-string entry, a NUL byte);
- "check", what app-source inspects: any odd parameter or field is a problem and adds no file;
  entries stay as written (the rule reports a blank or NUL entry as a file it cannot find); an
  empty array falls back to the string.
"""

import re
from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

from cmp.errors import InputError

Input = Literal["env", "parameters"]  # also the key under spec.source.plugin that holds it
Fault = Literal["not-a-list", "not-a-mapping", "not-strings", "no-array-or-string", "odd-shape", "nul-byte"]
Reading = Literal["render", "check"]


class Problem(NamedTuple):
    input: Input
    fault: Fault
    found: Any  # what is at fault: the parameters, one valueFiles parameter, or an entry (nul-byte)


class ValueFiles(NamedTuple):
    files: tuple[str, ...]  # in the order Helm merges them
    problems: tuple[Problem, ...]  # in the order the inputs hold them


_REASONS: dict[Fault, str] = {  # what a render says of the faults of its reading
    "not-a-list": "expected a list of parameters",
    "not-strings": "valueFiles entries must be strings",
    "no-array-or-string": "valueFiles must be an array or a string",
    "nul-byte": "{found!r} is not a usable path (NUL byte)",
}


def split_list(value: str) -> tuple[str, ...]:
    """A list from a plugin env var: comma- or newline-separated, blanks dropped."""
    return tuple(part.strip() for part in re.split(r"[,\n]", value) if part.strip())


def read(env: str = "", parameters: Any = None, reading: Reading = "render") -> ValueFiles:
    """The files VALUE_FILES (`env`) names, then those of each valueFiles parameter (None: none)."""
    files = split_list(env)
    problems = _nul_bytes("env", files, reading)
    params, fault = mappings(parameters)
    if fault == "not-a-list" or (fault and reading == "check"):  # a render skips items that are not mappings
        problems.append(Problem("parameters", fault, parameters))
    for param in params:
        if param.get("name") == "valueFiles":
            entries, fault = _entries(param, reading)
            files += entries
            problems += [Problem("parameters", fault, param)] if fault else _nul_bytes("parameters", entries, reading)
    return ValueFiles(files, tuple(problems))


def files_or_raise(found: ValueFiles, sources: Mapping[Input, str]) -> tuple[str, ...]:
    """The files of a "render" reading, or an InputError for its first problem, naming the input as `sources` does."""
    if found.problems:
        problem = found.problems[0]
        raise InputError(f"{sources[problem.input]}: " + _REASONS[problem.fault].format(found=problem.found))
    return found.files


def check_path_entry(entry: str, source: str) -> str:
    """`entry`, which names a file or directory (a value file, spec.source.path), unless no path can hold it."""
    if "\0" in entry:
        raise InputError(f"{source}: " + _REASONS["nul-byte"].format(found=entry))
    return entry


def mappings(value: Any) -> tuple[list[dict[str, Any]], Fault | None]:
    """The mappings of a list field such as plugin.parameters or plugin.env (None: no list), and what
    is wrong with its shape, if anything."""
    if value is None:
        return [], None
    if not isinstance(value, list):
        return [], "not-a-list"
    found = [v for v in value if isinstance(v, dict)]
    return found, None if len(found) == len(value) else "not-a-mapping"


def _entries(param: dict[str, Any], reading: Reading) -> tuple[tuple[str, ...], Fault | None]:
    """The files one valueFiles parameter names, or why it names none."""
    array, string = param.get("array"), param.get("string")
    if reading == "check":
        if array is not None and not _strings(array) or string is not None and not isinstance(string, str):
            return (), "odd-shape"
        return tuple(array or split_list(string or "")), None
    if isinstance(array, list):
        return (tuple(v for v in array if v.strip()), None) if _strings(array) else ((), "not-strings")
    if isinstance(string, str):
        return split_list(string), None
    return (), "no-array-or-string"


def _nul_bytes(source: Input, entries: tuple[str, ...], reading: Reading) -> list[Problem]:
    if reading == "check":
        return []  # app-source reports such an entry where it looks for the file
    return [Problem(source, "nul-byte", entry) for entry in entries if "\0" in entry]


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
