"""What an error or a finding may show of a hostile repository's text (SPEC "Nothing echoed").

stderr is shown in the Argo CD UI. So:
- a key, tag or flag name read from a file is shown (`name`, `pointer`) only when it is shaped like
  a name; anything else (a token, a random string, a credential used as a key) is shown as the
  fingerprint findings use, which an allow entry can name;
- a message written by Helm (`Redactor`) keeps its structure (template path, line, column, the
  function, Helm's own words) and loses every part that came from the values: any word that holds,
  or is part of, a scalar of the request's value files, and in a `fail`/`required` message every
  word the chart's templates do not spell out themselves (what `printf`, `upper`, `b64enc`, `trunc`
  computed from a value).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

REDACTED = "<redacted>"
MIN_SCALAR = 4  # shorter scalars (`dev`, `80`, `on`) are not secrets, and are everywhere in messages
MIN_FRAGMENT = 6  # a message word this long that is part of a scalar is taken as cut out of it
_NAME = re.compile(r"[A-Za-z0-9_.:/~@-]{1,253}")
_SEGMENT = re.compile(r"[_.:/~@-]+")
_PIECE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")
_CUT = "\0"  # stands for a redacted part until the message is done: no word holds it
_WORD = re.compile(r"[^\s\0\"'`()<>\[\]{},;=|*&!%@#]+")
# `execution error at (<template>:<line>:<col>): <message>`: the form of `fail` and `required`.
_EXECUTION_ERROR = re.compile(r"(execution error at \([^()\s]+:\d+:\d+\): )(.*)")
# What Go's %q and a regexp error quote: a double-quoted string, or a backquoted one, on one line.
_GO_QUOTED = re.compile(r'("(?:[^"\\\n]|\\.)*"|`[^`\n]*`)')
# A template as Helm names it, with its line and column: file names are not values.
_LOCATION = re.compile(r"((?<![\w.-])[\w.-]+/(?:charts/[\w.-]+/)*templates/[\w./-]+(?::\d+){0,2})")


def is_name(text: str) -> bool:
    """Shaped like a key or flag name (`smtp`, `postgresPassword`, `SMTP_PASSWORD`, `.dockerconfigjson`,
    `app.kubernetes.io/name`), not like a credential. A name is made of words: split at separators
    and case changes, at least half of it is in pieces of 3 or more characters, and no 6 characters
    in a row are in shorter pieces (`Xk3mQ9z`: what random text splits into)."""
    if not _NAME.fullmatch(text):
        return False
    from cmp.secrets import detectors

    if next(detectors.find(text), None) is not None:
        return False
    pieces = _PIECE.findall(text)
    letters = sum(len(p) for p in pieces)
    if letters <= 4:
        return True
    run = longest = 0
    for piece in _SEGMENT.split(text):
        for part in _PIECE.findall(piece):
            run = run + len(part) if len(part) < 3 else 0
            longest = max(longest, run)
        run = 0
    return longest < 6 and sum(len(p) for p in pieces if len(p) >= 3) * 2 >= letters


def name(text: str) -> str:
    """`'text'` when it is a name, else `<fingerprint fp>` (never the text)."""
    return repr(text) if is_name(text) else _fingerprinted(text)


def names_in(label: str) -> str:
    """A finding's label with every quoted name in it (`sensitive name 'X'`, `embedded key 'X'`,
    `flag '--X'`) shown as `name` shows it."""
    return _QUOTED.sub(lambda m: _quoted(m.group(1) if m.group(1) is not None else m.group(2)), label)


def _quoted(text: str) -> str:
    bare = text.lstrip("-")
    return repr(text) if bare and is_name(bare) else _fingerprinted(text)


def pointer_part(text: str) -> str:
    """One component of a JSON pointer a message shows."""
    return text if is_name(text) or text.isdigit() else _fingerprinted(text)


def _fingerprinted(text: str) -> str:
    from cmp.secrets.fingerprint import fingerprint

    return f"<fingerprint {fingerprint(text)}>"


class Redactor:
    """Takes the values out of Helm's messages; built on the error path only."""

    def __init__(self, values: Iterable[Any], templates: Iterable[str]) -> None:
        scalars: set[str] = set()
        for data in values:
            scalars.update(_scalars(data))
        self.scalars = sorted((s for s in scalars if len(s) >= MIN_SCALAR), key=len, reverse=True)
        self.joined = _CUT.join(self.scalars)
        self.template_words = {w.lower() for text in templates for w in _WORD.findall(text)}

    def text(self, message: str) -> str:
        return re.sub(f"{_CUT}+", REDACTED, self._text(message.replace(_CUT, "")))

    def _text(self, message: str) -> str:
        lines: list[str] = []
        literal_only = False  # inside a `fail`/`required` message, which may span lines
        for line in message.split("\n"):
            found = _EXECUTION_ERROR.search(line)
            if found:  # only words the template spells out survive in its message
                lines.append(self._words(line[:found.start(2)], False) + self._words(found.group(2), True))
                literal_only = True
            else:
                lines.append(self._words(line, literal_only))
        return "\n".join(lines)

    def _words(self, text: str, literal_only: bool) -> str:
        """`text` with values taken out; where Helm names a template (`w/templates/x.yaml:3:7`) stays.
        What Go quotes (`"..."`, a backquoted regexp) is a name or text computed at render time (a
        template or function name from `include`/`tpl`, a pattern): there, a long word the chart's
        templates do not spell out is taken out too, whatever computed it (`b64enc`, `printf "%x"`)."""
        spans = _GO_QUOTED.split(text)
        return "".join(self._located(span, literal_only, quoted=i % 2 == 1) for i, span in enumerate(spans))

    def _located(self, text: str, literal_only: bool, quoted: bool) -> str:
        pieces = _LOCATION.split(text)
        return "".join(piece if i % 2 else self._piece(piece, literal_only, quoted) for i, piece in enumerate(pieces))

    def _piece(self, text: str, literal_only: bool, quoted: bool = False) -> str:
        folded = text.lower()
        for scalar in self.scalars:  # a value anywhere, even glued to other text
            if scalar in folded:
                text, folded = _cut(text, folded, scalar)
        return _WORD.sub(lambda m: self._word(m.group(0), literal_only, quoted), text)

    def _word(self, word: str, literal_only: bool, quoted: bool = False) -> str:
        folded = word.lower()
        if literal_only and folded not in self.template_words and not _is_number(folded):
            return _CUT
        if quoted and len(folded) >= MIN_FRAGMENT and folded not in self.template_words and not _is_number(folded):
            return _CUT
        if len(folded) >= MIN_FRAGMENT and folded in self.joined and folded not in self.template_words:
            return _CUT
        return word


def _cut(text: str, folded: str, scalar: str) -> tuple[str, str]:
    parts: list[str] = []
    start = 0
    for at in _find_all(folded, scalar):
        parts.append(text[start:at])
        parts.append(_CUT)
        start = at + len(scalar)
    parts.append(text[start:])
    joined = "".join(parts)
    return joined, joined.lower()


def _find_all(text: str, part: str) -> Iterator[int]:
    at = text.find(part)
    while at >= 0:
        yield at
        at = text.find(part, at + len(part))


def _is_number(word: str) -> bool:
    return word.replace(".", "", 1).isdigit()


def _scalars(data: Any) -> Iterator[str]:
    """Every scalar of a values tree as lowercase text, and every key that is not a name."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, child in node.items():
                key_text = str(key)
                if not is_name(key_text):
                    yield key_text.lower()
                stack.append(child)
        elif isinstance(node, list):
            stack.extend(node)
        elif node is not None and not isinstance(node, bool):
            yield str(node).lower()
