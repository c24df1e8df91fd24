"""Key/value pairs inside a string: config files (`.properties`, `.env`, YAML, INI, TOML, JSON),
connection strings, JVM `-D` options and command lines (`--password=...`, `--token ...`).

Only pairs whose key holds a sensitive word are looked at: the words are found first (one pass
over lowercased text), then each pair is matched at the start of the key that holds the word.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from functools import cache
from typing import NamedTuple

# Lowercased text. Covers every word `names.classify` can call sensitive (its heads and compounds).
# Grouped by first letter: the engine tries one branch per candidate character, not thirteen.
SENSITIVE = re.compile(
    r"p(?:ass|wd|w[_=:\"' -]|rivate)|s(?:ecret|as[=:])|token|a(?:pi.?key|uth)|cred|bearer|dsn"
    r"|key[\"'=:\s]"
)
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_KEY_CHARS = re.compile(r"[\w./-]*")
_KEY_REACH = 128


# The pair patterns are compiled on first use, not at import: only a string that holds a sensitive
# word and a separator needs them, and many renders have none.
@cache
def _pair_patterns() -> tuple[re.Pattern[str], ...]:
    """`key=value` / `key: value`, `--flag value`, and `"--flag", "value"` (a flow or JSON list), in the
    order they are tried."""
    pair = re.compile(
        r"""(?:-D|--?)?(?P<k>[A-Za-z_][\w./-]*)["']?[ \t]*(?:=|:(?=[ \t"']))[ \t]*(?P<q>["']?)"""
        r"""(?P<v>\$\{[^}\s]*\}|\$\([^)\s]*\)|\{\{.*?\}\}|[^\s"',;&}\]]+)(?P=q)"""
        r"""[ \t]*(?=$|[,;&}\]\r]|[ \t]+(?:-|\#|//))""",
        re.MULTILINE,
    )
    flag = re.compile(r"""--?(?P<k>[A-Za-z][\w-]*)[ \t]+(?P<q>["']?)(?P<v>[^\s"'-][^\s"']*)(?P=q)""")
    listed_flag = re.compile(
        r"""--?(?P<k>[A-Za-z][\w-]*)["'][ \t]*,[ \t]*(?P<q>["'])(?P<v>[^"'\n-][^"'\n]*)(?P=q)""")
    return pair, flag, listed_flag


@cache
def _text_name() -> re.Pattern[str]:
    """`- name: DB_PASSWORD` in raw YAML text (only `gitops-cmp check` reads templates as text)."""
    return re.compile(r"""^[ \t]*-?[ \t]*(?:name|key):[ \t]*["']?([\w.-]+)["']?[ \t]*$""")


class Pair(NamedTuple):
    key: str
    value: str
    offset: int  # where the pair starts in the text


def lower(text: str) -> str:
    """Lowercase with every position kept (`str.lower` turns a few characters, such as İ, into two)."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


def pairs(text: str) -> Iterator[Pair]:
    """Every `key=value`-like pair whose key holds a sensitive word, in order."""
    done = -1
    for word in SENSITIVE.finditer(lower(text)):
        at = key_start(text, word.start())
        if at <= done or _commented(text, at):
            continue
        for pattern in _pair_patterns():
            match = pattern.match(text, at)
            if match:
                done = at
                yield Pair(match.group("k"), match.group("v"), at)
                break


def _commented(text: str, at: int) -> bool:
    """The pair sits on a comment line (`#password: x`, `// token = y`, `; secret=z`): an example, not config.
    `//registry.npmjs.org/:_authToken=...` (an .npmrc line) is no comment."""
    start = max(text.rfind("\n", max(0, at - _KEY_REACH), at) + 1, at - _KEY_REACH)
    line = text[start:at].lstrip()
    return line.startswith(("#", ";", "// ")) or line == "//"


def key_start(text: str, position: int) -> int:
    """Where the key holding `position` begins (read backwards over key characters)."""
    before = text[max(0, position - _KEY_REACH):position][::-1]
    run = _KEY_CHARS.match(before)
    return position - (run.end() if run else 0)


def name_value_lines(text: str) -> Iterator[tuple[str, str, int]]:
    """In raw YAML text: `- name: DB_PASSWORD` followed by `value: hunter2`, as (name, value, line)."""
    pending = ""
    text_name = _text_name()
    for number, line in enumerate(text.splitlines(), 1):
        named = text_name.match(line)
        if named:
            pending = named.group(1)
            continue
        stripped = line.strip()
        if pending and stripped.startswith("value:"):
            yield pending, stripped[len("value:"):].split(" #", 1)[0].strip().strip("\"'"), number
        if stripped and not stripped.startswith(("value", "#")):
            pending = ""
