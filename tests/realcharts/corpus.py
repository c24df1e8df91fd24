"""Where the real-chart corpus lives, and its cases (tests import this as `realcharts.corpus`).

The charts themselves are public material fetched from their repositories (index.yaml names
repository, commit, path and licence of each; build_corpus.py extracts them). They are found, in
this order: `$GITOPS_CMP_REALCHARTS`; `tests/realcharts/charts/` in this tree; `shared/realcharts/`
beside the repository or one level up (CI runs in a clone with `shared/` beside it); else, on a
machine that holds the fetched repositories (`$GITOPS_CMP_MIRRORS`, default `/work/.mirror`), it is
built once from them with build_corpus.py into a cache directory named by index.yaml's digest.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
INDEX = HERE / "index.yaml"
EXPECTED = HERE / "expected.yaml"
VARIABLE = "GITOPS_CMP_REALCHARTS"


class Case(NamedTuple):
    chart: str  # the index name
    chart_dir: Path
    values: Path | None  # a ci/ value file, or None for the chart's defaults

    @property
    def id(self) -> str:
        return f"{self.chart}/{self.values.name if self.values else 'defaults'}"


def index() -> list[dict[str, Any]]:
    charts: list[dict[str, Any]] = yaml.safe_load(INDEX.read_text())["charts"]
    return charts


def candidates() -> list[Path]:
    found = [Path(os.environ[VARIABLE])] if os.environ.get(VARIABLE) else []
    return [*found, HERE / "charts", REPO.parent / "shared" / "realcharts", REPO.parent.parent / "shared" / "realcharts"]


def root() -> Path | None:
    """The corpus directory, or None when this machine has none (the caller says where it looked)."""
    found = next((p for p in candidates() if _complete(p)), None)
    return found or _built_from_mirrors()


def _complete(base: Path) -> bool:
    return all((base / entry["name"] / "chart" / "Chart.yaml").is_file() for entry in index())


def mirrors() -> Path:
    return Path(os.environ.get("GITOPS_CMP_MIRRORS", "/work/.mirror"))


def _repos(entry: dict[str, Any]) -> set[str]:
    return {entry["repo"]}.union(*(_repos(dep) for dep in entry.get("dependencies") or []))


def _built_from_mirrors() -> Path | None:
    """Build the corpus from the fetched repositories when every one of them is here; the result is
    cached per index.yaml, so later runs (and the other tests) reuse it."""
    needed = set().union(*(_repos(entry) for entry in index()))
    if not all((mirrors() / repo.replace("/", "+") / "repo").is_dir() for repo in needed):
        return None
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gitops-cmp"
    built = cache / f"realcharts-{hashlib.sha256(INDEX.read_bytes()).hexdigest()[:12]}"
    if _complete(built):
        return built
    from realcharts import build_corpus

    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="realcharts-", dir=cache))
    if build_corpus.main([str(staging), "--mirror", str(mirrors())]) != 0 or not _complete(staging):
        return None
    try:
        staging.rename(built)
    except OSError:  # another run built it first
        pass
    return built if _complete(built) else None


def chart_dir(base: Path, name: str) -> Path:
    return base / name / "chart"


def cases(base: Path) -> list[Case]:
    """Each chart's defaults, then its ci/*.yaml value files by name."""
    found: list[Case] = []
    for entry in index():
        directory = chart_dir(base, entry["name"])
        found.append(Case(entry["name"], directory, None))
        ci = directory / "ci"
        if ci.is_dir():
            found.extend(Case(entry["name"], directory, p) for p in sorted(ci.iterdir())
                         if p.suffix in (".yaml", ".yml") and p.is_file())
    return found


def expected() -> dict[str, dict[str, Any]]:
    """case id -> {outcome, rules?, reason}: every case that is not `equal`."""
    data = yaml.safe_load(EXPECTED.read_text()) if EXPECTED.is_file() else None
    return dict((data or {}).get("cases") or {})
