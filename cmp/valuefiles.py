"""The plugin's extra value files, read in one place and one way for every caller.

Two inputs name them; Helm merges them after values/<env>.yaml, in this order:
- "env": the VALUE_FILES plugin env entry (ARGOCD_ENV_VALUE_FILES in the sidecar), comma- or
  newline-separated (blanks between separators are dropped: `a.yaml,\\nb.yaml` is two files);
- "parameters": each `valueFiles` plugin parameter (in ARGOCD_APP_PARAMETERS), holding exactly one
  of `array` (a list of file names, none blank) or `string` (comma- or newline-separated, as above).

`read` returns the files and every problem, each naming its input, its fault and the entry at
fault. A render (`generate`, `render --app`, `parity`) raises on the first (`files_or_raise`); the
app-source rule reports each as a finding, so `check` fails where the sidecar would. Whatever is
malformed or ambiguous is a problem: nothing is skipped or defaulted.
"""

import re
from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

from cmp import yamlio
from cmp.errors import InputError

Input = Literal["env", "parameters"]  # also the key under spec.source.plugin that holds it
Fault = Literal["not-a-list", "not-a-mapping", "no-array-or-string", "not-strings", "odd-array", "odd-string",
                "array-and-string", "blank-entry", "nul-byte"]


class Problem(NamedTuple):
    input: Input
    fault: Fault
    found: Any  # what is at fault: the parameters, a parameter, a field of one, or an entry
    at: int = 0  # 1-based: the parameter (not-a-mapping) or the array entry (blank-entry) at fault


class ValueFiles(NamedTuple):
    files: tuple[str, ...]  # in the order Helm merges them; no entry at fault
    problems: tuple[Problem, ...]  # in the order the inputs hold them


_REASONS: dict[Fault, str] = {
    "not-a-list": "expected a list of parameters",
    "not-a-mapping": "parameter {at} must be a mapping {{name, string | array | map}}, found {kind}",
    "no-array-or-string": "valueFiles must be an array or a string",
    "not-strings": "valueFiles entries must be strings",
    "odd-array": "valueFiles array must be a list of strings, found {kind}",
    "odd-string": "valueFiles string must be a string, found {kind}",
    "array-and-string": "valueFiles has both an array and a string: give only one",
    "blank-entry": "valueFiles array entry {at} is blank",
    "nul-byte": "{found!r} is not a usable path (NUL byte)",
}


def split_list(value: str) -> tuple[str, ...]:
    """A list from a plugin env var: comma- or newline-separated, blanks dropped."""
    return tuple(part.strip() for part in re.split(r"[,\n]", value) if part.strip())


def read(env: str = "", parameters: Any = None) -> ValueFiles:
    """The files VALUE_FILES (`env`) names, then those of each valueFiles parameter (None: none)."""
    files: list[str] = []
    problems: list[Problem] = []
    _usable("env", split_list(env), files, problems)
    params, bad = _mappings(parameters)
    problems += [bad] if bad else []
    for param in params:
        if param.get("name") == "valueFiles":
            entries, bad = _entries(param)
            problems += [bad] if bad else []
            _usable("parameters", entries, files, problems)
    return ValueFiles(tuple(files), tuple(problems))


def reason(problem: Problem) -> str:
    """What is wrong, in one line that names the key and the entry (not the input: callers name it)."""
    return _REASONS[problem.fault].format(found=problem.found, at=problem.at, kind=yamlio.kind(problem.found))


def files_or_raise(found: ValueFiles, sources: Mapping[Input, str]) -> tuple[str, ...]:
    """The files, or an InputError for the first problem, naming the input as `sources` does."""
    if found.problems:
        problem = found.problems[0]
        raise InputError(f"{sources[problem.input]}: {reason(problem)}")
    return found.files


def check_path_entry(entry: str, source: str) -> str:
    """`entry`, which names a file or directory (a value file, spec.source.path), unless no path can hold it."""
    if "\0" in entry:
        raise InputError(f"{source}: " + _REASONS["nul-byte"].format(found=entry))
    return entry


def plugin_env(value: Any) -> tuple[dict[str, str], tuple[str, ...]]:
    """spec.source.plugin.env as the sidecar gets it (ARGOCD_ENV_<name>), and what is wrong with its
    shape: Argo CD takes only a list of {name, value} strings, so anything else is refused."""
    if value is None:
        return {}, ()
    if not isinstance(value, list):
        return {}, (f"plugin.env must be a list of {{name, value}}, found {yamlio.kind(value)}",)
    env: dict[str, str] = {}
    problems = ["plugin.env entries must be mappings"] if not all(isinstance(e, dict) for e in value) else []
    for entry in (e for e in value if isinstance(e, dict)):
        name, text = entry.get("name"), entry.get("value")
        if not isinstance(name, str):
            problems.append(f"plugin.env entries need a string name, found {yamlio.kind(name)}")
        elif text is not None and not isinstance(text, str):
            problems.append(f"plugin env {name} must be a string, found {yamlio.kind(text)}")
        else:
            env[name] = text or ""
    return env, tuple(problems)


def _mappings(parameters: Any) -> tuple[list[dict[str, Any]], Problem | None]:
    """The parameters that are mappings, and the first fault of the list, if any."""
    if parameters is None:
        return [], None
    if not isinstance(parameters, list):
        return [], Problem("parameters", "not-a-list", parameters)
    odd = next(((at, p) for at, p in enumerate(parameters, 1) if not isinstance(p, dict)), None)
    found = [p for p in parameters if isinstance(p, dict)]
    return found, None if odd is None else Problem("parameters", "not-a-mapping", odd[1], odd[0])


def _entries(param: dict[str, Any]) -> tuple[tuple[str, ...], Problem | None]:
    """The entries one valueFiles parameter names, or why it names none."""
    array, string = param.get("array"), param.get("string")
    fault = _fault(array, string)
    if fault:
        return (), Problem("parameters", fault[0], param if fault[1] is None else fault[1])
    return tuple(array) if isinstance(array, list) else split_list(str(string)), None


def _fault(array: Any, string: Any) -> tuple[Fault, Any] | None:
    """What is wrong with a valueFiles parameter's fields, and the field at fault (None: the parameter)."""
    if array is not None and not isinstance(array, list):
        return "odd-array", array
    if array is not None and not all(isinstance(v, str) for v in array):
        return "not-strings", array
    if string is not None and not isinstance(string, str):
        return "odd-string", string
    if array is not None and string is not None:
        return "array-and-string", None  # which of the two its author meant is a guess
    if array is None and string is None:
        return "no-array-or-string", None
    return None


def _usable(source: Input, entries: tuple[str, ...], files: list[str], problems: list[Problem]) -> None:
    """Add each entry to `files`, or its fault to `problems`."""
    for at, entry in enumerate(entries, 1):
        if not entry.strip():  # only an array can hold one: split_list drops blanks
            problems.append(Problem(source, "blank-entry", entry, at))
        elif "\0" in entry:
            problems.append(Problem(source, "nul-byte", entry))
        else:
            files.append(entry)

