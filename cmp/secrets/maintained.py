"""The maintained rule set (catalog.py: Betterleaks' and Veles' rules whose secret names itself) run over text.

One keyword pass over the lowercased text (an Aho-Corasick automaton of every rule's keywords) picks
the rules that can match; only those are compiled (once per process) and run. A match is a secret only
past the floors that cut the false blocks line scanners are known for:

- the rule's entropy floor and its stopwords (and the catalog's common ones: `true`, `${VAR}`, ...);
- a placeholder after the vendor prefix (`ghp_xxxx...`, `hf_000000...`, `sk-...REPLACE_ME`, `EXAMPLE`,
  half the secret one character, an alphabet or digit run: `shapes.is_filler`, `shapes.is_placeholder`);
- structure: a JSON Web Token has three segments, a header decoding to JSON that names an algorithm and
  a JSON payload.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from typing import Any

from cmp.secrets import catalog
from cmp.secrets.shapes import is_placeholder

_MIN_SECRET = 8
# The window a rule runs in around a keyword: the longest catalog secret is under 1 KB, and no
# pattern reaches further back than an identifier and a separator before its keyword.
_BEFORE = 512
_AFTER = 2048
_FILLER = re.compile(r"(?i:example|placeholder|replace|your[_-]|dummy|changeme)")
# Six letters of the alphabet in order inside a token (`sk-ant-...klmnopqrstuvwx...`): a filled-in format.
_ALPHABET_RUN = re.compile("|".join("abcdefghijklmnopqrstuvwxyz"[i:i + 6] for i in range(21)))
_JWT_RULES = frozenset({"jwt", "jwt-base64"})


@cache
def _automaton() -> Any:
    """Every rule's keywords in one Aho-Corasick automaton (pyahocorasick, C): one pass over a 2 MB
    render costs ~40 ms where a regex alternation of the same ~290 words costs ~160 ms."""
    import ahocorasick  # type: ignore[import-not-found]  # no stubs; a C extension

    index: dict[str, list[int]] = {}
    for i, rule in enumerate(catalog.RULES):
        for keyword in rule[4]:
            index.setdefault(keyword, []).append(i)
    automaton = ahocorasick.Automaton()
    for keyword, rules in index.items():
        # A keyword that starts its rules' matches (`ghp_`, `re_`) counts only at the start of a token:
        # `feature_flags` holds `re_`, and a render is full of such words.
        anchored = all(catalog.RULES[i][7] for i in rules) and keyword[0].isalnum()
        automaton.add_word(keyword, (tuple(rules), len(keyword) if anchored else 0))
    automaton.make_automaton()
    return automaton


def keyword_ends(lowered: str) -> Iterator[tuple[int, tuple[int, ...]]]:
    """(end offset of a keyword, the rules it names) for every keyword in lowercased text."""
    if len(lowered) < 2:
        return
    for end, (rules, length) in _automaton().iter(lowered):
        before = end - length
        if length and before >= 0 and (lowered[before].isalnum() or lowered[before] == "_"):
            continue
        yield end, rules


@cache
def _rule(index: int) -> re.Pattern[str]:
    return re.compile(catalog.RULES[index][1])


@cache
def _rejects(index: int) -> re.Pattern[str] | None:
    extra = catalog.RULES[index][5]
    return re.compile("|".join(f"(?:{r})" for r in extra)) if extra else None


@cache
def _common_rejects() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{r})" for r in catalog.COMMON_REJECTS))


def label(index: int) -> str:
    return f"credential (catalog rule {catalog.RULES[index][0]})"


def find(text: str, lowered: str) -> Iterator[tuple[str, str, int]]:
    """(label, secret, offset) of every secret the catalog finds in `text` (`lowered` is `text`
    lowercased, position for position). Each rule runs only in a window around its keywords, so a
    long string costs a rule what its keywords' neighbourhoods cost, whatever the pattern."""
    ends: dict[int, list[int]] = {}
    for end, rules in keyword_ends(lowered):
        for index in rules:
            ends.setdefault(index, []).append(end)
    for index in sorted(ends):
        group = catalog.RULES[index][2]
        for start, stop in _regions(ends[index], len(text)):
            for match in _rule(index).finditer(text, start, stop):
                secret = match.group(group) if group <= (match.re.groups or 0) else match.group()
                if secret and accept(index, secret):
                    yield label(index), secret, match.start(group)


def _regions(ends: list[int], length: int) -> Iterator[tuple[int, int]]:
    """The windows around keyword ends (in order), overlapping ones merged: each character is searched
    once per rule, however many keywords crowd it."""
    start, stop = -1, -1
    for end in ends:
        low, high = max(0, end - _BEFORE), min(length, end + _AFTER)
        if low <= stop:
            stop = high
            continue
        if stop > start:
            yield start, stop
        start, stop = low, high
    if stop > start:
        yield start, stop


def accept(index: int, secret: str) -> bool:
    rid, _, _, floor, _, _, substrings, _ = catalog.RULES[index]
    if len(secret) < _MIN_SECRET or (floor and entropy(secret) < floor):
        return False
    if _common_rejects().search(secret) or any(s in secret for s in substrings):
        return False
    rejects = _rejects(index)
    if rejects is not None and rejects.search(secret):
        return False
    if _FILLER.search(secret) or _ALPHABET_RUN.search(secret.lower()) or is_placeholder(secret) or "{{" in secret:
        return False
    return rid not in _JWT_RULES or _jwt_shaped(secret)


def entropy(value: str) -> float:
    """Shannon entropy in bits per character, as gitleaks and Betterleaks compute their floors."""
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in Counter(value).values())


def _jwt_shaped(token: str) -> bool:
    """header.payload.signature (empty for `"alg": "none"`), the header JSON naming an algorithm, the
    payload JSON."""
    import base64
    import binascii

    parts = token.split(".")
    if len(parts) != 3:
        return False
    try:
        header, payload = (base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)) for p in parts[:2])
    except (binascii.Error, ValueError):
        return False
    return b'"alg"' in header and payload.lstrip().startswith(b"{")
