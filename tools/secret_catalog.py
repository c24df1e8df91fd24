"""Regenerate cmp/secrets/catalog.py: the maintained rule set the secret scan runs, as Python `re` data.

Source: the rule catalog bundled, pinned, in the PyPI wheel `kingfisher-secret-scanner` (Apache-2.0):
the Betterleaks rules (the gitleaks successor's catalog, MIT) and the Veles detectors of Google's
OSV-SCALIBR (Apache-2.0), read through the wheel's own inspection API. Install
the exact version into a scratch target and point this script at it:

    pip install --no-deps --target /tmp/kf kingfisher-secret-scanner==1.5.0
    PYTHONPATH=. python tools/secret_catalog.py /tmp/kf

Kept: rules whose secret carries its own name (a literal of 3+ characters, or 2 with a symbol, inside
the secret group: `hf_`, `xoxb-`, `glpat-`, `AKIA`, `Q~`): those find a secret under any key. Left to the walker's name
classifier (cmp/secrets/names.py): context rules whose secret is only told apart by an identifier
beside it (`jfrog ... = <73 alnum>`). Rules whose Go RE2 syntax Python cannot read, and rules that
backtrack super-linearly in Python's engine on hostile text (RE2 never does), are counted and left
out (the probe is timed: run it on an idle machine). The catalog's own filters on the secret (stopword regexes, substrings, an entropy floor)
are kept; filters on paths and other attributes are not (they do not apply to a render).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from secret_peers import go_regex  # noqa: E402

PACKAGE = "kingfisher-secret-scanner"
OUT = ROOT / "cmp" / "secrets" / "catalog.py"
NOTICE = ROOT / "cmp" / "secrets" / "CATALOG-NOTICE"


def required(nodes: Any) -> set[str] | None:
    """Lowercase literals of which one occurs in every match of `nodes` (the longest found), or None.
    A small character class inside a literal run multiplies it: `gh[su]_` gives {ghs_, ghu_}."""
    run: set[str] = set()
    found: list[set[str]] = []

    def flush() -> None:
        if run and max(map(len, run)):
            found.append(set(run))
        run.clear()

    for op, arg in nodes:
        if op is C.LITERAL:
            run.update({""} if not run else set())
            run_items = {r + chr(arg).lower() for r in run}
            run.clear()
            run.update(run_items)
            continue
        alternatives = _literal_alternatives(op, arg)
        if alternatives is not None and len(alternatives) * max(len(run), 1) <= 8:
            run_items = {r + a for r in (run or {""}) for a in alternatives}
            run.clear()
            run.update(run_items)
            continue
        if op is C.IN and arg and all(o is C.LITERAL for o, _ in arg):
            chars = {chr(a).lower() for _, a in arg}
            if len(chars) * max(len(run), 1) <= 8:
                run_items = {r + c for r in (run or {""}) for c in chars}
                run.clear()
                run.update(run_items)
                continue
        flush()
        if op is C.SUBPATTERN:
            sub = required(arg[-1])
        elif op is C.BRANCH:
            subs = [required(b) for b in arg[1]]
            sub = set().union(*subs) if all(subs) else None  # type: ignore[arg-type]
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) and arg[0] >= 1:
            sub = required(arg[2])
        else:
            sub = None
        if sub:
            found.append(sub)
    flush()
    # The rarest literal makes the best prefilter: one with a symbol (`sk_`, `xoxb-`) before a longer word
    # (`live`, `test`, `prod` are everywhere in a render).
    return max(found, key=_rarity) if found else None


def leading(nodes: Any) -> set[str]:
    """The literals a match of `nodes` starts with (`\\b(ghp_...)` -> {"ghp_"}); empty when it starts
    with anything else. A keyword that starts the secret is found only at the start of a token."""
    run: set[str] = {""}
    for op, arg in nodes:
        if op is C.AT:
            continue
        if op is C.SUBPATTERN and not any(run):
            inner = leading(arg[-1])
            return inner
        if op is C.LITERAL:
            run = {r + chr(arg).lower() for r in run}
            continue
        alternatives = _literal_alternatives(op, arg)
        if alternatives is None and op is C.IN and arg and all(o is C.LITERAL for o, _ in arg):
            alternatives = {chr(a).lower() for _, a in arg}
        if alternatives is None or len(alternatives) * len(run) > 8:
            break
        run = {r + a for r in run for a in alternatives}
    return run if all(run) else set()


def _literal_alternatives(op: Any, arg: Any) -> set[str] | None:
    """`(?:sk|rk)` as {"sk", "rk"}: a group or branch whose every alternative is a plain literal."""
    if op is C.SUBPATTERN and len(arg[-1]) == 1:
        return _literal_alternatives(*arg[-1][0])
    if op is C.SUBPATTERN and all(o is C.LITERAL for o, _ in arg[-1]):
        return {"".join(chr(a).lower() for _, a in arg[-1])}
    if op is C.BRANCH and all(all(o is C.LITERAL for o, _ in b) for b in arg[1]):
        return {"".join(chr(a).lower() for _, a in b) for b in arg[1]}
    return None


# Fragments every render is full of: no use as a prefilter, whatever the rule.
_COMMON = frozenset({"://", "com/", "http", "https", "key", "api", "token", "secret", "test", "live", "prod",
                     "server", "client", "www.", ".com"})


def _rarity(literals: set[str]) -> tuple[int, int]:
    """How rare the rarest-but-one literal of a set is in ordinary text: length, a symbol counting as two
    letters (`sk_` beats `live`; `beamer` beats `b_`)."""
    if literals & _COMMON:
        return 0, 0
    return min(len(k) + sum(not c.isalnum() for c in k) for k in literals), -len(literals)


def usable(keywords: set[str]) -> bool:
    """Rare enough to prefilter a render: 3+ characters, or 2 with an unusual symbol (`q~`, not `s.`)."""
    return all(len(k) >= 3 or (len(k) == 2 and any(c in "~$+" for c in k)) for k in keywords)


def scoped(pattern: str) -> str:
    """`(?i)x` as `(?i:x)`: the engine joins a rule's reject regexes into one alternation."""
    lead = re.match(r"\(\?([aiLmsux]+)\)", pattern)
    return f"(?{lead.group(1)}:{pattern[lead.end():]})" if lead else pattern


def group_nodes(nodes: Any, group: int) -> Any:
    for op, arg in nodes:
        children = ([arg[-1]] if op is C.SUBPATTERN else arg[1] if op is C.BRANCH
                    else [arg[2]] if op in (C.MAX_REPEAT, C.MIN_REPEAT) else [])
        if op is C.SUBPATTERN and arg[0] == group:
            return arg[-1]
        for child in children:
            hit = group_nodes(child, group)
            if hit is not None:
                return hit
    return None


def secret_filters(tree: Any) -> tuple[list[str], list[str], float]:
    """(reject regexes, reject substrings, entropy floor) from a Betterleaks filter expression."""
    regexes: list[str] = []
    substrings: list[str] = []
    floor = 0.0

    def on_secret(node: Any) -> bool:
        return (isinstance(node, dict) and node.get("kind") == "member"
                and node.get("property", {}).get("value") == "secret")

    def walk(node: Any) -> None:
        nonlocal floor
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        if node.get("kind") == "call" and node["callee"].get("value") in ("matchesAny", "containsAny"):
            args = node.get("arguments", [])
            if len(args) == 2 and on_secret(args[0]) and args[1].get("kind") == "array":
                values = [n["value"] for n in args[1]["nodes"] if n.get("kind") == "string"]
                (regexes if node["callee"]["value"] == "matchesAny" else substrings).extend(values)
            return
        if node.get("kind") == "binary" and node.get("operator") == "<=":
            left, right = node.get("left", {}), node.get("right", {})
            if (left.get("kind") == "call" and left["callee"].get("value") == "entropy"
                    and on_secret((left.get("arguments") or [None])[0]) and right.get("kind") in ("float", "int")):
                floor = max(floor, float(right["value"]))
            return
        if node.get("kind") == "binary" and node.get("operator") == "||":
            walk(node.get("left"))
            walk(node.get("right"))

    walk(tree)
    return regexes, substrings, floor


def main(target: str) -> int:
    sys.path.insert(0, target)
    from importlib.metadata import version

    import kingfisher_sdk

    pinned = version(PACKAGE)
    rules = kingfisher_sdk.Rules(confidence="low")
    kept: list[tuple[Any, ...]] = []
    counts = {"context rules (left to the name classifier)": 0, "not readable by Python re": 0,
              "super-linear in Python's backtracking engine": 0}
    for meta in rules.metadata():
        detail = rules.detail(meta["id"])
        try:
            pattern = go_regex(detail["pattern"])
            compiled = re.compile(pattern)
            parsed = P.parse(pattern)
            rejects, substrings, floor = secret_filters(_filter_tree(detail.get("betterleaks_filter")))
            for reject in rejects:
                re.compile(scoped(go_regex(reject)))
        except (re.error, ValueError, SyntaxError):
            counts["not readable by Python re"] += 1
            continue
        group = (int(detail.get("betterleaks_secret_group") or 0) or compiled.groupindex.get("TOKEN")
                 or (1 if compiled.groups else 0))
        inside = group_nodes(parsed, group) if group else parsed
        named = required(inside) if inside is not None else None
        if not named or not usable(named):
            counts["context rules (left to the name classifier)"] += 1
            continue
        # The secret names itself; the prefilter takes the rarest literal of the whole pattern (`beamer`
        # before `b_`, `mongodb` before `://`).
        whole = required(parsed)
        keywords = whole if whole and usable(whole) and _rarity(whole) > _rarity(named) else named
        starts = keywords == leading(parsed if keywords is whole else inside)
        if backtracks(compiled, sorted(keywords)[0]):
            counts["super-linear in Python's backtracking engine"] += 1
            continue
        entropy = max(float(detail.get("min_entropy") or 0.0), floor)
        kept.append((meta["id"].removeprefix("betterleaks.").replace("veles.secrets/", "veles/"), pattern, group, round(entropy, 2),
                     tuple(sorted(keywords)), tuple(scoped(go_regex(r)) for r in rejects), tuple(substrings),
                     starts))
    write(pinned, kept, counts)
    NOTICE.write_text(_notice(target, pinned))
    print(f"{len(kept)} rules kept from {PACKAGE} {pinned}; left out: {counts}")
    return 0


# Hostile text around a keyword: RE2 (Go) matches in linear time, Python's engine backtracks, and a
# pattern such as `[a-z0-9-]+-[a-z0-9-]+-PRD-` is quadratic on a long run of `-`.
_HOSTILE = ("a", "a.", "A1", "-", " ", "aB3_", "=", "/", "0", "_")
_PROBE = 8000
_BUDGET = 0.02  # seconds at the long probe; a linear pattern takes well under 5 ms


def backtracks(pattern: re.Pattern[str], keyword: str) -> bool:
    """Whether the pattern takes super-linear time on a keyword beside a long hostile run: slow on the
    long probe, and more than 8x slower than on a quarter of it (linear: 4x; quadratic: 16x). Each
    timing is the best of three, so a busy machine does not drop a linear rule."""
    for unit in _HOSTILE:
        if _seconds(pattern, keyword, unit, _PROBE) > _BUDGET:
            if _seconds(pattern, keyword, unit, _PROBE) > 8 * _seconds(pattern, keyword, unit, _PROBE // 4):
                return True
    return False


def _seconds(pattern: re.Pattern[str], keyword: str, unit: str, length: int) -> float:
    import time

    run = unit * (length // len(unit))
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for text in (keyword + run, run + keyword, run + keyword + run):
            for _ in pattern.finditer(text):
                pass
        best = min(best, time.perf_counter() - started)
    return best


def _filter_tree(text: Any) -> Any:
    if not text or text == "None":
        return None
    if isinstance(text, (dict, list)):
        return text
    return eval(str(text), {"__builtins__": {}}, {"True": True, "False": False, "None": None})  # noqa: S307 - repr of plain data


def write(pinned: str, kept: list[tuple[Any, ...]], counts: dict[str, int]) -> None:
    # Most rules carry the same global stopword list: it is written once as COMMON_REJECTS (applied to
    # every rule), and a rule keeps only its own extras.
    reject_sets = [set(k[5]) for k in kept if k[5]]
    common = tuple(r for r in kept[0][5] if all(r in s for s in reject_sets)) if reject_sets else ()
    lines = []
    for rid, pattern, group, entropy, keywords, rejects, substrings, starts in kept:
        extra = tuple(r for r in rejects if r not in common)
        lines.append(f"    ({rid!r}, {pattern!r}, {group}, {entropy}, {keywords!r}, {extra!r}, {substrings!r},"
                     f" {starts}),")
    header = f'''"""Generated by tools/secret_catalog.py from {PACKAGE} {pinned} (PyPI): the Betterleaks and Veles
rules whose secret names itself, translated to Python `re`. Do not edit; regenerate. Licences: CATALOG-NOTICE.

{len(kept)} rules kept; left out: {json.dumps(counts)}.
A rule: (id, regex, secret group, entropy floor, keywords (lowercase; one occurs in every match),
reject regexes on the secret beyond COMMON_REJECTS, reject substrings of the secret, whether a match
starts with its keyword (then only a keyword at the start of a token counts)).
"""

SOURCE = "{PACKAGE} {pinned}"
'''
    body = f"COMMON_REJECTS = {common!r}\n"
    OUT.write_text(header + body + "RULES = (\n" + "\n".join(lines) + "\n)\n")


def _notice(target: str, pinned: str) -> str:
    licences = next(Path(target).glob("kingfisher_secret_scanner-*.dist-info/licenses"))
    notice = (licences / "NOTICE").read_text()
    start = notice.index("Veles / OSV-SCALIBR")
    end = notice.find("\n----", start)
    return (f"cmp/secrets/catalog.py is derived from the rule catalog bundled in {PACKAGE} {pinned}\n"
            "(Copyright 2025-2026 MongoDB, Inc.; Apache License 2.0), whose catalog is sourced from\n"
            "Veles / OSV-SCALIBR and Betterleaks under the following licences:\n\n"
            + notice[start:end if end != -1 else None].strip() + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
