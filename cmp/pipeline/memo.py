"""A resident worker's memory of judged renders: the same inputs, the same judged result.

Argo CD asks the plugin again for every app on every new commit of the repository, after a hard
refresh and whenever its own cache lets an entry go; in a monorepo most of those renders read
exactly the files and settings a render before them read. `gitops-cmp serve` keeps the results of
judged renders (emitted or blocked) in files under its private directory, and a render whose inputs
are byte for byte those of a kept one returns the kept result instead of rendering again.

What makes a result reusable is the key: a SHA-256 over everything the render reads after the
input stage (cmp/pipeline/inputs.py) has confined and read it: every chart file Helm is handed,
every value file, the request (environment, release, namespace, cluster version and API versions,
the app's name, paths relative to the repository root), the effective policy, the allow list and
the code itself (the worker's fingerprint: both packages' files and the interpreter). The walk over
those values is generic, so a field added to them later joins the key by itself, and a value of a
type it does not know makes the render uncacheable rather than cached by a partial key. Nothing
else reaches a render, so a different app can only be given a kept result when its render would
have produced those same bytes.

Never kept: renders that failed (errors are rendered again), and renders whose bytes differ from
one render of the same inputs to the next. A chart that may call a function the
nondeterministic-template rule names (random values, the clock, new keys; `lookup` is the same
nothing every time) in a template, or in a value or plain file a template could hand to `tpl`, is
kept only once two renders of the same inputs gave the same result, and then for ten minutes
(`settle`). Corrupt, cut short or foreign entries are misses.

Two partial entries serve renders that are not kept whole, each a function of text alone: a chart's
parsed templates (`parsed`, by the templates' texts) and the parsed documents of its last render's
output (`OutputDocs`, by each document's text). The store's total size is bounded
(`serve --memo-bytes`); the least recently used entries go first.
"""

from __future__ import annotations

import enum
import marshal
import os
import pickle
from pathlib import PurePath, PurePosixPath
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple, TypeGuard

from cmp.chartmodel import is_archive, is_template
from cmp.findings import Finding, Severity

if TYPE_CHECKING:
    from cmp.config import AllowEntry, RepoConfig
    from cmp.pipeline.inputs import Inputs
    from cmp.pipeline.run import RenderResult
    from cmp.templates.nodes import Tree

MAGIC = b"gitops-cmp-memo/1\n"
RESULT, CANDIDATE, VARIES = "result", "candidate", "varies"  # the kinds of entry
VARIES_SUFFIX = ".varies"
TREES = "trees"  # a chart's parsed templates (`parsed`)
DOCS = "docs"  # the documents a chart's last render gave, parsed (`OutputDocs`)
# Calls that may vary without being the rule's: `tpl` can build any call from strings (`printf`),
# sprig's `keys` and `values` list a map in Go's random order, `getHostByName` asks DNS. A chart
# that calls one is kept only once two renders agree.
UNSURE = frozenset({"tpl", "keys", "values", "getHostByName"})
CONFIRMED_SECONDS = 600.0  # a result confirmed by two renders, for a chart that calls `now`, say
# Derived from fields that are hashed already: the templates' text is in `files`, a value file's
# data is parsed from its text, the trees from the templates.
DERIVED = {("Inputs", "templates"), ("Inputs", "trees"), ("ValueFile", "data")}


class Store(NamedTuple):
    directory: str  # private to this uid (the worker's directory)
    max_bytes: int
    code: bytes  # the worker's fingerprint


STORE: Store | None = None  # set by `gitops-cmp serve` in its render processes only


def configure(store: Store | None) -> None:
    global STORE
    STORE = store


class Uncacheable(Exception):
    """A value the key cannot describe exactly: the render is not kept."""


def key(gathered: Inputs, allow: tuple[AllowEntry, ...]) -> str | None:
    """The render's inputs as one hash, or None: no store, or inputs the key cannot describe."""
    if STORE is None:
        return None
    from hashlib import sha256

    root = gathered.request.repo_root.resolve()  # not itself part of the key: paths below it are, relative
    digest = sha256(MAGIC)
    try:
        _feed(digest, STORE.code, root)
        _feed(digest, gathered, root)
        _feed(digest, allow, root)
        _feed(digest, _beyond_inputs(gathered), root)
    except Uncacheable:
        return None
    return digest.hexdigest()


def _beyond_inputs(gathered: Inputs) -> Any:
    """What a render rule reads besides `Inputs`: env-conditional learns the identity keys from
    every environment's value files beside the chart's (values-*.yaml, values/, envs/...), which
    Helm is not handed and `.helmignore` may hide from it. (A rule that starts reading more must
    add it here: tests/pipeline/test_memo.py changes each such file.)"""
    from cmp.rules import env_conditional

    return env_conditional.chart_value_files(gathered)


def _feed(digest: Any, value: Any, root: PurePath | None) -> None:  # noqa: C901 - one case per type
    update = digest.update
    if isinstance(value, bytes):
        update(b"b%d:" % len(value))
        update(value)
    elif isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
        update(b"s%d:" % len(data))
        update(data)
    elif isinstance(value, bool) or value is None:
        update(b"k" + repr(value).encode())
    elif isinstance(value, enum.Enum):
        _feed(digest, f"{type(value).__name__}.{value.name}", root)
    elif isinstance(value, (int, float)):
        update(b"%s%s;" % (type(value).__name__.encode(), repr(value).encode()))
    elif isinstance(value, PurePath):
        _feed(digest, _relative(value, root), root)
    elif isinstance(value, tuple) and hasattr(value, "_fields"):
        name = type(value).__name__
        update(b"n" + name.encode() + b"(")
        for field, item in zip(value._fields, value):
            if (name, field) not in DERIVED:
                _feed(digest, field, root)
                _feed(digest, item, root)
        update(b")")
    elif isinstance(value, (tuple, list)):
        update(b"%s%d[" % (b"t" if isinstance(value, tuple) else b"l", len(value)))
        for item in value:
            _feed(digest, item, root)
        update(b"]")
    elif isinstance(value, dict):
        update(b"d%d{" % len(value))
        for name, item in value.items():  # in order: Helm merges and iterates values as written
            _feed(digest, name, root)
            _feed(digest, item, root)
        update(b"}")
    elif isinstance(value, frozenset):
        _feed(digest, sorted(value, key=repr), root)
    else:
        raise Uncacheable(type(value).__name__)


def _relative(path: PurePath, root: PurePath | None) -> str:
    """Paths below the repository root by their place in it: Argo CD extracts each request's copy
    of the repository into a new directory."""
    if root is not None and (path == root or root in path.parents):
        return "<repo>/" + path.relative_to(root).as_posix()
    return "/" + path.as_posix()


def parsed(gathered: Inputs, key: str | None = None) -> tuple[Tree, ...]:
    """The chart's templates parsed (cmp.templates.parse_all), from the store when this worker
    parsed exactly these template texts before: a commit that changes only values (the usual
    change in a GitOps repository) then skips the parse, the largest part of a large chart's
    render. A parse is a function of the text alone; the entry is checked against the texts.
    `key`: templates_key(gathered), when the caller has it already."""
    global _TREES_PENDING
    from cmp.templates import parse_all

    name = "t" + (key or templates_key(gathered))
    entry = _read(name)
    if entry is not None and entry[0] == TREES and isinstance(entry[2], bytes):
        trees = _unpickled_trees(entry[2], gathered)
        if trees is not None:
            return trees
    trees = parse_all(gathered)
    _TREES_PENDING = (name, trees)
    return trees


_TREES_PENDING: tuple[str, tuple[Tree, ...]] | None = None


def templates_key(gathered: Inputs) -> str:
    """A SHA-256 of the code and the chart's template texts, all that a parse of them depends on: the
    store names the chart's parsed templates ("t") and its last render's parsed documents ("o") by it."""
    from hashlib import sha256

    digest = sha256(MAGIC + TREES.encode())
    _feed(digest, _store().code, None)
    _feed(digest, tuple(t.text for t in gathered.templates), None)
    return digest.hexdigest()


def _keep_trees(pending: tuple[str, tuple[Tree, ...]]) -> None:
    name, trees = pending
    _write(name, (TREES, 0.0, pickle.dumps(trees, protocol=pickle.HIGHEST_PROTOCOL)))


class OutputDocs:
    """The documents of Helm's output parsed before, by their exact text: a render of the same chart
    (the same template texts: a commit that changes only values, or the chart's other environment)
    parses again only the documents whose text changed. Parsing is a function of the text alone, so
    a document is looked up by the SHA-256 of its text and its object read back from marshal's bytes,
    new for each use: no object is shared between renders or documents. Only documents that parsed
    are kept, with the repeated keys the parse reported, and only after a render that was not blocked
    (a blocked render's objects may hold the value that blocked it: they stay off the disk)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._known: dict[bytes, Any] | None = None
        self._kept: dict[bytes, tuple[bytes, tuple[tuple[int, int], ...]]] = {}  # read back from the store
        self._parsed: dict[bytes, tuple[Any, tuple[tuple[int, int], ...]]] = {}  # written at `keep`
        self.reused = 0

    def load_all(self, doc: str, source: str, duplicates: list[Any]) -> list[Any]:
        """yamlio.load_all(doc, source, duplicates), from the store when this text was parsed before."""
        from hashlib import sha256

        from cmp import yamlio

        digest = sha256(doc.encode("utf-8", "surrogatepass")).digest()
        kept = self._entry().get(digest)
        if _is_doc(kept):
            try:
                parsed = [marshal.loads(kept[0])]
            except (ValueError, TypeError, EOFError):
                parsed = None
            if parsed is not None:
                duplicates.extend(yamlio.Duplicate(line, first) for line, first in kept[1])
                self._kept[digest] = kept
                self.reused += 1
                return parsed
        found: list[yamlio.Duplicate] = []
        parsed = yamlio.load_all(doc, source, found)
        duplicates.extend(found)
        if len(parsed) == 1:
            # Written as parsed: nothing changes a rendered object after its parse (the rules read,
            # emit writes; tests/pipeline/test_run.py holds every render to it).
            self._parsed[digest] = (parsed[0], tuple((d.line, d.first) for d in found))
        return parsed

    def _entry(self) -> dict[bytes, Any]:
        if self._known is None:
            entry = _read(self._name)
            self._known = entry[2] if entry is not None and entry[0] == DOCS and isinstance(entry[2], dict) else {}
        return self._known

    def keep(self) -> None:
        """Write this render's documents, after its answer (`settle`)."""
        entry = dict(self._kept)
        for digest, (obj, duplicates) in self._parsed.items():
            try:
                entry[digest] = (marshal.dumps(obj), duplicates)
            except ValueError:  # a type marshal does not write: parsed again next time
                continue
        if entry:
            _write(self._name, (DOCS, 0.0, entry))


def _is_doc(kept: Any) -> TypeGuard[tuple[bytes, tuple[tuple[int, int], ...]]]:
    return (isinstance(kept, tuple) and len(kept) == 2 and isinstance(kept[0], bytes) and isinstance(kept[1], tuple)
            and all(isinstance(d, tuple) and len(d) == 2 and all(type(n) is int for n in d) for d in kept[1]))


def output_docs(key: str) -> OutputDocs:
    """The parsed documents of the last render of the chart whose templates_key is `key`, for
    manifests.collect; kept at `settle` when this render is kept."""
    global _DOCS_PENDING
    _DOCS_PENDING = OutputDocs("o" + key)
    return _DOCS_PENDING


_DOCS_PENDING: OutputDocs | None = None


def _blocked(result: RenderResult) -> bool:
    return any(f.severity is Severity.ERROR for f in result.findings)


class _TreesOnly(pickle.Unpickler):
    """Builds only the template nodes' classes: an entry naming anything else is refused."""

    def find_class(self, module: str, name: str) -> Any:
        from cmp.templates import nodes

        found = getattr(nodes, name, None) if module == nodes.__name__ else None
        if not (isinstance(found, type) and issubclass(found, tuple) and hasattr(found, "_fields")):
            raise pickle.UnpicklingError(f"{module}.{name} is not a template node")
        return found


def _unpickled_trees(data: bytes, gathered: Inputs) -> tuple[Tree, ...] | None:
    """Trees a worker of this code stored, or None. Unpickling builds only the template nodes'
    classes (anything else is refused), with the cycle collector paused: the trees hold no cycles,
    and a million new tuples would otherwise start one collection after another."""
    import gc
    import io

    from cmp.templates import nodes

    collecting = gc.isenabled()
    gc.disable()
    try:
        trees = _TreesOnly(io.BytesIO(data)).load()
    except (pickle.UnpicklingError, ValueError, TypeError, EOFError, AttributeError, IndexError, KeyError):
        return None
    finally:
        if collecting:
            gc.enable()
    if not (isinstance(trees, tuple) and len(trees) == len(gathered.templates)
            and all(isinstance(tree, nodes.Tree) and tree.source.text == template.text
                    for tree, template in zip(trees, gathered.templates))):
        return None
    return trees


def stderr_mark() -> int | None:
    """Where fd 2 is: in a worker's render process a memory file. Helm's Go code writes warnings to
    fd 2 itself (`skipped value for ...: Not a table`); a kept result could not repeat them, so a
    render during which fd 2 moved is not kept."""
    try:
        return os.lseek(2, 0, os.SEEK_CUR)
    except OSError:
        return None


def offer(name: str, gathered: Inputs, trees: tuple[Tree, ...], result: RenderResult) -> None:
    """Keep `result` once the render's answer is on its way (`settle`): whether it may be kept costs
    a look at the chart's plain files and values, which the waiting sync need not pay for."""
    global _PENDING
    _PENDING = (name, gathered, trees, result)


_PENDING: tuple[str, Inputs, tuple[Tree, ...], RenderResult] | None = None


def settle() -> None:
    """Keep the offered result when the same inputs give it every time.

    A chart whose templates (or whose values or files that `tpl` could render) call no function
    that varies is kept at once. One that calls such a function may not reach the call with these
    inputs (argo-cd's `now` only stamps a password it was given, kube-prometheus-stack's grafana
    draws a random password only when none is set): its first render leaves a fingerprint of the
    result, and a second render of the same inputs with the same result keeps it for CONFIRMED_SECONDS;
    a different result marks the inputs as varying, and they are rendered every time."""
    parsed_now, docs_now = _TREES_PENDING, _DOCS_PENDING
    pending = drop()
    if pending is None or STORE is None:
        return
    name, gathered, trees, result = pending
    if not _blocked(result):  # a blocked chart's text and objects stay off the disk
        if parsed_now is not None:
            _keep_trees(parsed_now)
        if docs_now is not None:
            docs_now.keep()
    encoded = _encode(result)
    if always_same(gathered, trees):
        _write(name, (RESULT, 0.0, encoded))
        return
    import time
    from hashlib import sha256

    seen = sha256(marshal.dumps(encoded)).digest()
    if _read(name + VARIES_SUFFIX) is not None:
        return
    prior = _read(name)
    if prior is not None and prior[0] == CANDIDATE and prior[2] != seen:
        # A marker of its own, created once: a concurrent confirmation cannot overwrite it.
        _write(name + VARIES_SUFFIX, (VARIES, 0.0, b""), exclusive=True)
    elif prior is not None and prior[0] == CANDIDATE:
        _write(name, (RESULT, time.time() + CONFIRMED_SECONDS, encoded))
    else:
        _write(name, (CANDIDATE, 0.0, seen))


def drop() -> tuple[str, Inputs, tuple[Tree, ...], RenderResult] | None:
    """Forget the offered result (and return it): the render did not end in an answer, say it ran
    past the deadline and its thread offered it after `generate` had failed."""
    global _PENDING, _TREES_PENDING, _DOCS_PENDING
    _TREES_PENDING = _DOCS_PENDING = None
    pending, _PENDING = _PENDING, None
    return pending


def always_same(gathered: Inputs, trees: tuple[Tree, ...]) -> bool:
    """No template calls a function whose result may vary (the ones nondeterministic-template
    names, `lookup` aside, and the ones in UNSURE), and no value or plain chart file that `tpl`
    could render does. Best effort, not a trust boundary: a chart can hide such a call, and then
    gets the bytes already judged instead of new ones."""
    from cmp.rules import nondeterministic

    unsure = nondeterministic.VARYING | UNSURE
    if any(name in unsure for tree in trees for _, name in nondeterministic.called(tree)):
        return False
    for chart_file in gathered.files:
        rel = PurePosixPath(chart_file.rel)
        if is_template(rel):
            continue  # parsed: the trees above
        texts = _archive_texts(chart_file.data, gathered.config) if is_archive(rel) else [chart_file.data]
        if texts is None or not all(_text_same(text, unsure) for text in texts):
            return False
    values = [v.data for v in (gathered.base_values, *gathered.value_files) if v is not None]
    return all(_text_same(text, unsure) for text in _strings(values) if "{{" in text)


def _text_same(data: bytes | str, unsure: frozenset[str]) -> bool:
    """Text that a template may hand to `tpl` calls nothing in `unsure`."""
    from cmp.rules import nondeterministic
    from cmp.templates import parse

    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    return "{{" not in text or not any(name in unsure for _, name in nondeterministic.called(parse(text)))


def _archive_texts(data: bytes, config: RepoConfig) -> list[str] | None:
    """The plain files and values of a packaged subchart, read as the input stage reads its
    templates (cmp/pipeline/archives.py), or None: one it cannot read as text, a subchart packaged
    inside it among them, is never kept at once."""
    from cmp.errors import CmpError
    from cmp.pipeline import archives

    try:
        return [m.text for m in archives.members(data, "subchart", config.limits, lambda rel: not is_template(rel))]
    except CmpError:
        return None


def _strings(value: Any) -> Iterator[str]:
    """Every string in parsed values (keys too)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def load(name: str) -> RenderResult | None:
    """The kept result for `name`, or None: absent, not whole, not (or no longer) confirmed."""
    import time

    entry = _read(name)
    if entry is None or entry[0] != RESULT or (entry[1] and entry[1] < time.time()):
        return None
    if _read(name + VARIES_SUFFIX) is not None:
        return None
    try:
        result = _decode(entry[2])
    except (ValueError, TypeError, KeyError, IndexError):
        return None
    try:
        os.utime(os.path.join(_store().directory, name))  # recently used: evicted last
    except OSError:
        pass
    return result


def _store() -> Store:
    if STORE is None:
        raise RuntimeError("no memo store configured")
    return STORE


def _read(name: str) -> tuple[str, float, Any] | None:
    """(kind, expiry or 0, data) of the entry, or None: absent, cut short, not ours."""
    try:
        fd = os.open(os.path.join(_store().directory, name), os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as file:
            data = file.read()
    except OSError:
        return None
    from hashlib import sha256

    head = len(MAGIC) + 32
    if len(data) < head or data[: len(MAGIC)] != MAGIC or sha256(data[head:]).digest() != data[len(MAGIC):head]:
        return None
    try:
        kind, expires, content = marshal.loads(data[head:])
    except (ValueError, TypeError, EOFError):
        return None
    if kind not in (RESULT, CANDIDATE, VARIES, TREES, DOCS) or not isinstance(expires, float):
        return None
    return kind, expires, content


def _write(name: str, entry: tuple[str, float, Any], exclusive: bool = False) -> None:
    """Keep `entry` under `name` (`exclusive`: only if there is none); a full disk or a lost race
    only means it is not kept."""
    store = _store()
    from hashlib import sha256

    payload = marshal.dumps(entry)
    if len(payload) > store.max_bytes // 4:
        return  # one render never takes most of the store
    data = MAGIC + sha256(payload).digest() + payload
    path = os.path.join(store.directory, name)
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        if exclusive:
            os.link(temporary, path)  # fails if it exists
            os.unlink(temporary)
        else:
            os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return
    evict(store.directory, store.max_bytes)


def evict(directory: str, max_bytes: int) -> None:
    """Delete the least recently used entries until the store holds at most `max_bytes`."""
    entries = []
    total = 0
    try:
        with os.scandir(directory) as found:
            for entry in found:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                entries.append((st.st_mtime_ns, st.st_size, entry.path))
                total += st.st_size
    except OSError:
        return
    entries.sort()
    for _, size, path in entries:
        if total <= max_bytes:
            break
        try:
            os.unlink(path)
        except OSError:
            pass
        total -= size


def _encode(result: RenderResult) -> tuple[Any, ...]:
    findings = tuple((f.path, f.line, f.column, f.rule, f.severity.value, f.message, f.fingerprint)
                     for f in result.findings)
    # A blocked render's objects are never emitted, and may hold the value that blocked it: they are
    # not written to disk (its digest and count are kept for the log line).
    return ("" if _blocked(result) else result.stream, result.objects, findings, result.digest, result.env, result.release,
            result.namespace, result.policy)


def _decode(data: Any) -> RenderResult:
    from cmp.pipeline.run import RenderResult

    stream, objects, findings, digest, env, release, namespace, policy = data
    kept = tuple(Finding(path, line, column, rule, Severity(severity), message, fingerprint)
                 for path, line, column, rule, severity, message, fingerprint in findings)
    if not (isinstance(stream, str) and isinstance(objects, int) and isinstance(digest, str)):
        raise TypeError("not a kept render")
    return RenderResult(stream, objects, kept, digest, 0.0, env, release, namespace, policy, memo="hit")
