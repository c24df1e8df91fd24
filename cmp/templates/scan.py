"""Where a chart's output depends on WHICH environment renders it, found on the template AST.

A small abstract interpreter walks every template of a chart as Helm would run it: dot, `$` and
variables hold abstract values (the root context, a `.Values` path, a `.Release` field, a dict
built with `dict`, a literal, a helper's output). Identities (configured `.Values` keys at any
nesting, `.Release.Name`, `.Release.Namespace`) flow through variables, string functions,
`include`d helpers and dict fields. A Hit is recorded where template logic decides on them:

- compare: `eq`/`ne`/`has`/`hasPrefix`/`regexMatch`/... between an identity and anything, or
  between a dynamic value and an env-name literal (release fields only against env literals);
- select: `index`/`pluck`/`get`/`dig`/`hasKey`/... keyed by an identity.

Identities are `.Values` paths: configured keys (suffix match), keys inferred from the chart's
per-env value files (`Settings.inferred`), and keys named as an identity (`env`, `deployEnv`,
`environment.name`, `global.env_name`) unless the chart's values.yaml holds a map or list there
(`Settings.containers`: container env vars). A boolean switch (`.Values.production`) is a
setting the values files carry, not the environment's name: it is never a finding.

It never raises on any input; a template that does not parse is a `syntax` Hit.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

from cmp.templates.nodes import (Action, Bool, Branch, Chain, Command, Comment, Define, Dot, Field,
                                 Identifier, Nil, Node, Number, Operand, Pipe, Source, String,
                                 Template, Text, Tree, Variable, walk)
from cmp.templates import parse
from cmp.templates.parser import collector_paused

COMPARE = frozenset({"eq", "ne", "lt", "le", "gt", "ge"})
NEEDLE_FIRST = frozenset({"hasPrefix", "hasSuffix", "contains", "has", "mustHas"})
REGEX = frozenset({"regexMatch", "mustRegexMatch", "regexFind", "mustRegexFind", "regexFindAll",
                   "mustRegexFindAll"})
LOGIC = frozenset({"and", "or", "not"})
# Functions whose result is (a piece of) their string arguments: identity flows through them.
DERIVE = frozenset({
    "default", "coalesce", "lower", "upper", "title", "untitle", "trim", "trimAll", "trimPrefix",
    "trimSuffix", "trunc", "quote", "squote", "toString", "replace", "nospace", "kebabcase",
    "snakecase", "camelcase", "substr", "abbrev", "required", "first", "last", "mustFirst",
    "mustLast", "regexReplaceAll", "regexReplaceAllLiteral", "ternary",
})
# Functions that build a string (or list) of which an identity is one part: `printf "%s-%s" $app
# $env` names a resource, it is not the environment. Such a value counts like a release field:
# only against an env-name literal. (`printf "%s" $env` alone is the identity itself.)
COMPOSE = frozenset({"printf", "print", "println", "cat", "join", "splitList", "split", "list"})
BUILT = "a string built from "
# Keys whose values are enumerations of something else that shares words with env names:
# `eq .Values.server.mode "dev"` is a dev *mode*, not the dev environment.
NON_ENV_KEY_WORDS = frozenset({"mode", "type", "kind", "level", "method", "driver", "format",
                               "strategy", "provider", "policy", "flavor", "flavour", "edition",
                               "variant", "channel"})
# A key names the environment when its last word is one of these (`deployEnv`, `targetEnvironment`,
# `stage`), or when it is a name/code under one (`environment.name`, `env_name`, `stageCode`).
IDENTITY_WORDS = frozenset({"env", "environment", "stage"})
NAME_WORDS = frozenset({"name", "id", "code", "short", "key", "slug"})
# ... but not container env vars and other lists named after env: `extraEnv`, `initContainerEnv`.
NOT_IDENTITY_WORDS = frozenset({"extra", "additional", "container", "containers", "pod", "init",
                                "sidecar", "secret", "secrets", "vars", "var", "variables", "from"})
# Functions whose result is their argument: a dict survives `toJson | fromJson`.
PASS = frozenset({"toJson", "fromJson", "mustToJson", "mustFromJson", "toYaml", "fromYaml",
                  "toPrettyJson", "toRawJson", "deepCopy", "mustDeepCopy"})
SELECT = frozenset({"index", "pick", "omit", "pluck", "get", "hasKey", "dig"})  # selector_keys
# Every function `call` treats otherwise than "its value is unknown" (tests/templates/test_scan.py
# checks that it names each one `call`, `call_value` and `selector_keys` compare with).
INTERPRETED = (COMPARE | NEEDLE_FIRST | REGEX | LOGIC | SELECT | COMPOSE | PASS | DERIVE
               | {"ternary", "set", "include", "tpl", "dict", "list", "merge", "mustMerge"})
RELEASE_IDENTITIES = frozenset({"Name", "Namespace"})
MAX_CALL_DEPTH = 30
MAX_CONTEXTS = 16  # distinct contexts one helper is analysed with


# NamedTuples, like the AST nodes: every render's start-up creates these classes, and a
# NamedTuple class is about a fifth of the cost of a frozen dataclass to create.
class Settings(NamedTuple):
    env_words: frozenset[str]
    identity_keys: tuple[tuple[str, ...], ...]
    inferred: frozenset[tuple[str, ...]] = frozenset()  # values paths that hold the env's own name
    containers: frozenset[tuple[str, ...]] = frozenset()  # values paths that hold a map or a list
    templated: frozenset[tuple[tuple[str, ...], str]] = frozenset()  # value strings holding `{{`

    @staticmethod
    def of(env_words: Iterable[str], identity_keys: Iterable[str],
           inferred: Iterable[tuple[str, ...]] = (), containers: Iterable[tuple[str, ...]] = (),
           templated: Iterable[tuple[tuple[str, ...], str]] = ()) -> "Settings":
        return Settings(frozenset(w.lower() for w in env_words),
                        tuple(tuple(k.split(".")) for k in identity_keys if k),
                        frozenset(inferred), frozenset(containers), frozenset(templated))

    def is_identity(self, path: tuple[str, ...]) -> bool:
        """Whether the `.Values` path (list elements as "[]") names the environment."""
        if path in self.inferred:
            return True
        for key in self.identity_keys:
            if path[-len(key):] == key:  # a shorter path has a shorter slice
                return True
        return path not in self.containers and identity_named(path)


def identity_named(path: tuple[str, ...]) -> bool:
    if not path or path[-1] == "[]":
        return False
    words = split_words(path[-1])
    if len(words) > 1 and words[-1] in NAME_WORDS:
        words = words[:-1]
    elif words and words[-1] in NAME_WORDS and len(path) > 1:
        words = split_words(path[-2])
    return bool(words) and words[-1] in IDENTITY_WORDS and not NOT_IDENTITY_WORDS & set(words)


class Hit(NamedTuple):
    file: str
    offset: int
    end: int
    kind: str  # compare | select | syntax
    expression: str  # as written, on one line
    why: str
    neutralisable: bool  # only configured values keys are involved: strip mode makes it constant


class ScanResult(NamedTuple):
    hits: tuple[Hit, ...]
    trees: dict[str, Tree]  # every file scanned (templates and tpl'd files), by name


# ---- abstract values --------------------------------------------------------------------------


class Val(NamedTuple):
    kind: str  # root | values | release | files | dict | lit | const | file | any
    path: tuple[str, ...] = ()
    items: tuple[tuple[str, "Val"], ...] = ()
    lits: tuple[str, ...] = ()
    origins: frozenset[str] = frozenset()  # identities this value derives from
    key: str = ""  # the last key it was read from, for NON_ENV_KEY_WORDS

    @property
    def dynamic(self) -> bool:
        return self.kind not in ("lit", "const")

    @property
    def empty(self) -> bool:
        """nil, "" or a sentinel such as "-": no environment is called that."""
        if self.kind == "lit":
            return all(not any(c.isalnum() for c in lit) for lit in self.lits)
        return self.kind == "const" and self.path == ("nil",)


ROOT = Val("root")
ANY = Val("any")
CONST = Val("const")
NIL = Val("const", path=("nil",))
# What a field of the root, of an unknown value or of a dict without that key names: `.Values` of an
# unknown context (a helper's dot, a merged dict) is the chart's values.
SPECIAL = {"Values": Val("values"), "Release": Val("release"), "Files": Val("files")}


def derive(values: Sequence[Val]) -> Val:
    """A value computed from `values` by a string function: identities flow through."""
    if not any(v.dynamic or v.origins for v in values):  # a literal assigned over an identity keeps it
        return CONST
    keyed = [v.key for v in values if v.key and v.dynamic]
    return Val("any", origins=frozenset().union(*(v.origins for v in values)), key=keyed[-1] if keyed else "")


def compose(values: Sequence[Val]) -> Val:
    """A value built from `values`: the identities in it become mentions (see COMPOSE)."""
    built = derive(values)
    if not built.origins:
        return built
    return built._replace(origins=frozenset(o if o.startswith(BUILT) else BUILT + o for o in built.origins))


def helper_output(printed: Sequence[Val]) -> Val:
    """What `include` returns: a helper that prints a dict (`{{ dict ... | toJson }}`, on one branch
    or several) returns it, so the caller reads its fields; otherwise what it prints, derived."""
    dicts = [v for v in printed if v.kind == "dict"]
    if dicts and not any(v.origins for v in printed if v.kind != "dict"):
        return Val("dict", items=tuple(item for d in dicts for item in d.items))
    return derive(printed) if printed else CONST


@lru_cache(maxsize=4096)  # asked for each values path a chart reads (is_identity) and each key compared
def split_words(name: str) -> tuple[str, ...]:
    spaced = _CAMEL.sub(r"\1 \2", name)
    return tuple(w.lower() for w in _NOT_ALNUM.split(spaced) if w)


_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")


# ---- the scanner ------------------------------------------------------------------------------


class _Frame(NamedTuple):
    file: str
    source: Source
    dot: Val
    vars: dict[str, Val]
    printed: list[Val]  # mutated: what the template prints, for include's value
    depth: int = 0


FileLoader = Callable[[str], "tuple[str, str] | None"]  # .Files.Get path -> (name, text)


def scan(files: Sequence[tuple[str, str]], settings: Settings, load: FileLoader | None = None) -> ScanResult:
    """Scan a chart's templates (name, text), as one template set. `load` reads a file that a
    template passes to `tpl` with `.Files.Get "path"`; such a file is a template too."""
    return scan_trees([(name, parse(text)) for name, text in files], settings, load)


def scan_trees(files: Sequence[tuple[str, Tree]], settings: Settings, load: FileLoader | None = None) -> ScanResult:
    """`scan` of templates already parsed (name, tree)."""
    scanner = _Scanner(settings, load)
    with collector_paused():  # the scan's values are tuples, dicts and lists without a cycle
        for name, tree in files:
            scanner.add(name, tree)
        scanner.run()
    return ScanResult(tuple(sorted(scanner.hits.values(), key=lambda h: (h.file, h.offset, h.kind))),
                      scanner.trees)


class _Scanner:
    def __init__(self, settings: Settings, load: FileLoader | None) -> None:
        self.settings = settings
        self.load = load
        self.trees: dict[str, Tree] = {}
        self.defines: dict[str, tuple[str, Source, tuple[Node, ...]]] = {}
        self.helper_output: dict[tuple[str, Val], Val] = {}
        self.contexts: dict[str, int] = {}
        self.running: set[tuple[str, Val]] = set()
        self.hits: dict[tuple[str, int, str], Hit] = {}
        self.order: list[str] = []
        # Values are immutable: one per values path (is_identity asked once) and per unknown field name.
        self.values: dict[tuple[str, ...], Val] = {}
        self.fields: dict[str, Val] = {}
        self.root_fields: dict[tuple[str, ...], Val] = {}  # resolve(ROOT, names): a function of the names
        self.literals: dict[str, Val] = {}

    def add(self, name: str, tree: Tree) -> None:
        self.trees[name] = tree
        self.order.append(name)
        if tree.error is not None:
            text = tree.source.text
            line_end = text.find("\n", tree.error.offset)
            self.record(name, tree.source, tree.error.offset, line_end if line_end >= 0 else len(text),
                        "syntax", tree.error.message, False)
        self.collect_defines(name, tree.source, tree.nodes)

    def collect_defines(self, name: str, source: Source, nodes: Iterable[Node]) -> None:
        # The parser accepts {{define}} only at the top level, and only `block` defines a template
        # elsewhere: without the word in the text, the top-level nodes hold every definition.
        for node in walk(nodes) if "block" in source.text else nodes:
            if isinstance(node, (Define, Template)) and node.body is not None:
                self.defines[node.name] = (name, source, node.body)

    def run(self) -> None:
        for name in list(self.order):
            tree = self.trees[name]
            self.walk(tree.nodes, _Frame(name, tree.source, ROOT, {"$": ROOT}, []))
        for name in list(self.defines):
            if not self.contexts.get(name):  # never included here: assume the chart's root context
                self.helper(name, ROOT, 0)

    # ---- hits ---------------------------------------------------------------------------

    def record(self, file: str, source: Source, start: int, end: int, kind: str, why: str,
               neutralisable: bool) -> None:
        key = (file, start, kind)
        if key not in self.hits:
            self.hits[key] = Hit(file, start, end, kind, source.snippet(start, end), why, neutralisable)

    def hit(self, frame: _Frame, start: int, end: int, kind: str, why: str, neutralisable: bool) -> None:
        self.record(frame.file, frame.source, start, end, kind, why, neutralisable)

    # ---- statements ---------------------------------------------------------------------

    def walk(self, nodes: Iterable[Node], frame: _Frame) -> None:
        for node in nodes:
            if type(node) is Text:  # most nodes; type tests: this runs for each node of a chart
                continue
            if type(node) is Action:
                if node.pipe.decls:
                    self.pipe(node.pipe, frame)
                else:
                    frame.printed.append(self.commands(node.pipe, frame))
            elif type(node) is Branch:
                self.branch(node, frame)
            elif type(node) is Template:
                ctx = self.pipe(node.pipe, frame) if node.pipe else CONST
                self.helper(node.name, ctx, frame.depth + 1)

    def branch(self, node: Branch, frame: _Frame) -> None:
        if node.keyword == "range":
            value = self.commands(node.pipe, frame)
            element = self.element(value)
            names = [d.name for d in node.pipe.decls]
            if len(names) == 2:
                frame.vars[names[0]] = Val("any", key="")
            if names:
                frame.vars[names[-1]] = element
            self.walk(node.body, replace_dot(frame, element))
        else:
            value = self.pipe(node.pipe, frame)
            inner = replace_dot(frame, value) if node.keyword == "with" else frame
            self.walk(node.body, inner)
        if node.else_body:
            self.walk(node.else_body, frame)

    # ---- expressions --------------------------------------------------------------------

    def pipe(self, pipe: Pipe, frame: _Frame) -> Val:
        value = self.commands(pipe, frame)
        for decl in pipe.decls:
            old = frame.vars.get(decl.name)
            frame.vars[decl.name] = merge(old, value) if pipe.is_assign and old else value
        return value

    def commands(self, pipe: Pipe, frame: _Frame) -> Val:
        value: Val | None = None
        commands = pipe.commands
        if commands:
            start = commands[0].pos  # a piped command is shown with what feeds it: `.Values.env | eq "prod"`
            for command in commands:
                value = self.command(command, value, frame, start)
        return value or ANY

    def command(self, command: Command, piped: Val | None, frame: _Frame, start: int) -> Val:
        first = command.args[0]
        if type(first) is Identifier:
            args = [self.operand(a, frame) for a in command.args[1:]]
            if piped is not None:
                args.append(piped)
            return self.call(first.name, args, command, frame, start)
        if len(command.args) > 1 or piped is not None:  # a method: `.Files.Get "x"`, `.Capabilities.APIVersions.Has "x"`
            args = [self.operand(a, frame) for a in command.args[1:]]
            if piped is not None:
                args.append(piped)
            return self.method(first, args, (frame, start, command.end))
        return self.operand(first, frame)

    def operand(self, node: Operand, frame: _Frame) -> Val:
        if type(node) is Field:
            if frame.dot is ROOT:  # most fields: `.Values.x` at the top of a template or in a helper given `.`
                known = self.root_fields.get(node.names)
                if known is None:
                    known = self.root_fields[node.names] = self.resolve(ROOT, node.names)
                return known
            return self.resolve(frame.dot, node.names)
        if type(node) is Variable:
            value = frame.vars.get(node.name, ANY)
            return self.resolve(value, node.fields) if node.fields else value
        if type(node) is String:
            return self.literal(node.value)
        if type(node) is Dot:
            return frame.dot
        if type(node) is Pipe:
            return self.commands(node, frame) if not node.decls else self.pipe(node, frame)
        return self.rare_operand(node, frame)

    def literal(self, text: str) -> Val:
        known = self.literals.get(text)
        if known is None:
            known = self.literals[text] = Val("lit", lits=(text,))
        return known

    def rare_operand(self, node: Operand, frame: _Frame) -> Val:
        if isinstance(node, Field):
            return self.resolve(frame.dot, node.names)
        if isinstance(node, Variable):
            return self.resolve(frame.vars.get(node.name, ANY), node.fields)
        if isinstance(node, Dot):
            return frame.dot
        if isinstance(node, String):
            return Val("lit", lits=(node.value,))
        if isinstance(node, Pipe):
            return self.commands(node, frame) if not node.decls else self.pipe(node, frame)
        if isinstance(node, Nil):
            return NIL
        if isinstance(node, (Bool, Number)):
            return CONST
        if isinstance(node, Chain):
            return self.resolve(self.operand(node.node, frame), node.fields)
        return self.call(node.name, [], Command(node.pos, node.end, (node,)), frame, node.pos)

    def method(self, first: Operand, args: list[Val], site: tuple[_Frame, int, int]) -> Val:
        frame = site[0]
        if isinstance(first, (Field, Variable)):
            names = first.names if isinstance(first, Field) else first.fields
            base = frame.dot if isinstance(first, Field) else frame.vars.get(first.name, ANY)
            if names[-1:] in (("Get",), ("Glob",)) and self.resolve(base, names[:-1]).kind == "files":
                self.select(f".Files.{names[-1]}", args[:1], site)  # a file picked by environment
                if names[-1] == "Get" and args and args[0].kind == "lit":
                    return Val("file", lits=args[0].lits)
        return ANY

    # ---- fields -------------------------------------------------------------------------

    def resolve(self, value: Val, names: Sequence[str]) -> Val:
        for name in names:
            value = self.field(value, name)
        return value

    def field(self, value: Val, name: str) -> Val:
        if value.kind == "values":
            return self.values_path((*value.path, name))
        if value.kind == "release":
            if name in RELEASE_IDENTITIES:
                return Val("any", origins=frozenset({f".Release.{name}"}), key=name)
            return ANY
        if value.kind == "dict":
            for key, item in value.items:
                if key == name:
                    return item
        if value.kind in ("root", "any", "dict") and name in SPECIAL:
            return SPECIAL[name]
        known = self.fields.get(name)
        if known is None:
            known = self.fields[name] = Val("any", key=name)
        return known

    def values_path(self, path: tuple[str, ...]) -> Val:
        known = self.values.get(path)
        if known is None:
            known = self.values[path] = self.path_value(path)
        return known

    def path_value(self, path: tuple[str, ...]) -> Val:
        if self.settings.is_identity(path):
            shown = ".Values." + ".".join(p for p in path if p != "[]")
            return Val("values", path, origins=frozenset({shown}), key=path[-1])
        return Val("values", path, key=path[-1])

    @staticmethod
    def element(value: Val) -> Val:
        if value.kind == "values":
            return Val("values", (*value.path, "[]"))
        if value.kind == "lit":
            return value
        return ANY

    # ---- calls --------------------------------------------------------------------------

    def call(self, name: str, args: list[Val], command: Command, frame: _Frame, start: int) -> Val:
        if name not in INTERPRETED:  # `nindent`, a chart's own function: decides nothing here
            return ANY
        site = (frame, start, command.end)
        if name in COMPARE:
            others = args[1:] if name == "eq" else args[1:2]  # `eq x a b` is x == a || x == b
            for other in others:
                self.compare(name, args[0], other, site)
            return CONST
        if name in NEEDLE_FIRST or name in REGEX:
            if len(args) >= 2:
                self.compare(name, args[0], args[1], site)
            return CONST if name not in REGEX else derive(args[1:2])
        if name in LOGIC:
            return derive(args) if name != "not" else CONST
        if name == "ternary" and len(args) == 3:
            return derive(args[:2])
        if name == "set" and len(args) == 3:
            self.set_item(command, args, frame)
        selector = selector_keys(name, args)
        if selector is not None:
            self.select(name, selector, site)
            return ANY if name != "hasKey" else CONST
        return self.call_value(name, args, site)

    def call_value(self, name: str, args: list[Val], site: tuple[_Frame, int, int]) -> Val:
        frame = site[0]
        if name == "include" and args and args[0].kind == "lit":
            return self.helper(args[0].lits[0], args[1] if len(args) > 1 else CONST, frame.depth + 1)
        if name == "tpl" and args and args[0].kind == "file":
            self.tpl_file(args[0].lits[0], args[1] if len(args) > 1 else ROOT, frame.depth + 1)
            return ANY
        if name == "tpl" and args and args[0].kind == "values":
            for path, text in sorted(self.settings.templated):
                if path == args[0].path:
                    self.tpl_value(path, text, args[1] if len(args) > 1 else ROOT, site)
            return ANY
        if name == "dict":
            items = tuple((k.lits[0], v) for k, v in zip(args[::2], args[1::2]) if k.kind == "lit")
            return Val("dict", items=items)
        if name == "list" and args and all(a.kind == "lit" for a in args):
            return Val("lit", lits=tuple(s for a in args for s in a.lits))
        if name in COMPOSE:
            whole = len(args) == 1 or name == "printf" and len(args) == 2 and args[0].lits in (("%s",), ("%v",))
            return derive(args[-1:]) if whole and name != "list" else compose(args)
        if name == "merge" or name == "mustMerge":
            return Val("dict", items=tuple(i for a in args if a.kind == "dict" for i in a.items))
        if name in PASS and args:
            return args[-1]
        if name in DERIVE:
            return derive(args)
        return ANY

    @staticmethod
    def set_item(command: Command, args: list[Val], frame: _Frame) -> None:
        """`set $d "key" value` changes the dict that $d holds: a later `$d.key` reads value."""
        target = command.args[1]
        if isinstance(target, Variable) and not target.fields and args[1].kind == "lit":
            old = frame.vars.get(target.name, ANY)
            items = tuple(i for i in old.items if i[0] != args[1].lits[0]) if old.kind == "dict" else ()
            frame.vars[target.name] = Val("dict", items=(*items, (args[1].lits[0], args[2])))

    # ---- helpers (define/include/template) and tpl'd files --------------------------------

    def helper(self, name: str, ctx: Val, depth: int) -> Val:
        key = (name, ctx)
        known = self.helper_output.get(key)
        if known is not None:
            return known
        definition = self.defines.get(name)
        if definition is None or key in self.running or depth > MAX_CALL_DEPTH:
            return ANY
        if self.contexts.get(name, 0) >= MAX_CONTEXTS:
            return ANY
        self.contexts[name] = self.contexts.get(name, 0) + 1
        file, source, body = definition
        frame = _Frame(file, source, ctx, {"$": ctx}, [], depth)
        self.running.add(key)
        self.walk(body, frame)
        self.running.discard(key)
        output = helper_output(frame.printed)
        self.helper_output[key] = output
        return output

    def tpl_file(self, path: str, ctx: Val, depth: int) -> None:
        if self.load is None or depth > MAX_CALL_DEPTH:
            return
        loaded = self.load(path)
        if loaded is None or loaded[0] in self.trees:
            return
        name, text = loaded
        tree = parse(text)
        self.add(name, tree)
        self.walk(tree.nodes, _Frame(name, tree.source, ctx, {"$": ctx}, [], depth))

    def tpl_value(self, path: tuple[str, ...], text: str, ctx: Val, site: tuple[_Frame, int, int]) -> None:
        """`tpl .Values.x .` renders a value string as a template: its decisions are made where
        tpl is called, and reported there."""
        frame, start, end = site
        if frame.depth > MAX_CALL_DEPTH:
            return
        tree = parse(text)
        shown = ".Values." + ".".join(path)
        outer, self.hits = self.hits, {}
        try:
            self.walk(tree.nodes, _Frame(shown, tree.source, ctx, {"$": ctx}, [], frame.depth + 1))
        finally:
            inner, self.hits = self.hits, outer
        for hit in inner.values():
            if hit.file == shown:
                self.hit(frame, start, end, hit.kind, f"`tpl` renders {shown}, where `{hit.expression}`:"
                         f" {hit.why}", hit.neutralisable)
            else:  # a helper the value string includes
                self.hits.setdefault((hit.file, hit.offset, hit.kind), hit)

    # ---- the policy: what counts ----------------------------------------------------------

    def compare(self, func: str, a: Val, b: Val, site: tuple[_Frame, int, int]) -> None:
        frame, start, end = site
        if a.empty or b.empty:
            return  # `ne .Values.env ""` (or "-") asks whether it is set, not which it is
        regex = func in REGEX
        literal = next((s for v in (a, b) if v.kind == "lit" for s in v.lits if self.env_literal(s, regex)), None)
        origins = a.origins | b.origins
        strong = {o for o in origins if o.startswith(".Values")}
        if strong:
            other = b if strong & a.origins else a
            self.hit(frame, start, end, "compare",
                     f"it compares env identity {', '.join(sorted(strong))} with {describe(other)}",
                     origins == strong)
        elif origins and literal is not None:
            self.hit(frame, start, end, "compare",
                     f"it compares {', '.join(sorted(origins))} with env name {literal!r}", False)
        elif literal is not None:
            dynamic = a if a.kind != "lit" else b
            if dynamic.dynamic and not self.non_env_key(dynamic.key):
                self.hit(frame, start, end, "compare",
                         f"it compares {describe(dynamic)} with env name {literal!r} (envWords)", False)

    def select(self, func: str, keys: list[Val], site: tuple[_Frame, int, int]) -> None:
        frame, start, end = site
        # A key built from the release's name (`index $ports (printf "%s-redis" (include
        # "x.fullname" .))`: a map keyed by the full name) picks this release's entry, not an env's;
        # one built from a values identity (`.Files.Get (printf "conf/%s.yaml" .Values.env)`) does.
        origins = frozenset(o for k in keys for o in k.origins if not o.startswith(BUILT + ".Release"))
        if origins:
            strong = all(o.removeprefix(BUILT).startswith(".Values") for o in origins)
            self.hit(frame, start, end, "select",
                     f"`{func}` selects config by env identity {', '.join(sorted(origins))}", strong)

    def env_literal(self, text: str, regex: bool) -> bool:
        if regex:
            text = re.sub(r"\[[^\]]*\]|\\.|\{\d*,?\d*\}", " ", text)
        words = [w.lower() for w in re.split(r"[^A-Za-z0-9]+", text) if w]
        return bool(words) and all(w in self.settings.env_words for w in words)

    @staticmethod
    def non_env_key(key: str) -> bool:
        return non_env_key(key)


def non_env_key(key: str) -> bool:
    """A key that names a mode, type or kind: its values share words with env names."""
    return any(w in NON_ENV_KEY_WORDS for w in split_words(key))


def selector_keys(name: str, args: list[Val]) -> list[Val] | None:
    """The arguments a selecting function uses as keys, or None when `name` does not select."""
    if name == "index" or name in ("pick", "omit"):
        return args[1:]
    if name in ("pluck",):
        return args[:1]
    if name in ("get", "hasKey"):
        return args[1:2]
    if name == "dig":
        return args[:-2]
    return None


def describe(value: Val) -> str:
    if value.kind == "lit":
        return repr(value.lits[0]) if len(value.lits) == 1 else f"[{', '.join(map(repr, value.lits))}]"
    if value.origins:
        return ", ".join(sorted(value.origins))
    if value.kind == "values":
        return ".Values." + ".".join(p for p in value.path if p != "[]")
    return f".{value.key}" if value.key else "a computed value"


def merge(old: Val, new: Val) -> Val:
    """`$x = new` after `$x := old`: either may reach a later use."""
    if not old.origins:
        return new
    return new._replace(origins=old.origins | new.origins)


def replace_dot(frame: _Frame, dot: Val) -> _Frame:
    return _Frame(frame.file, frame.source, dot, frame.vars, frame.printed, frame.depth)
