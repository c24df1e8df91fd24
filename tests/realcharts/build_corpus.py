"""Extract the corpus that index.yaml describes from fetched repositories (maintainer tool, not a test).

    python tests/realcharts/build_corpus.py OUT_DIR [--mirror DIR]

Each repository is a bare git directory `<mirror>/<owner>+<name>/repo` (what the search tool's
`fetch` leaves). For every chart: `git archive` of its path at its commit into
`OUT_DIR/<name>/chart/`, each dependency the same way into `chart/charts/<dep>/` (recursively),
the licence of every repository involved into `OUT_DIR/<name>/licenses/<owner>+<name>`. Files
that no render reads (READMEs, images, unit tests, CI scripts) are left out to keep the corpus
small; `ci/*.yaml` stays: those are the cases.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
INDEX = HERE / "index.yaml"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp")
# Top-level entries of a chart that Helm never reads for a render of these charts.
DROPPED_TOP = {"README.md", "README.md.gotmpl", "CHANGELOG.md", "Changelog.md", "CONTRIBUTING.md", "UPGRADE.md",
               "VALUES.md", "unittests", "tests", "test", "changelog", "docs", "hack", "examples", ".github", ".editorconfig", ".gitignore",
               "Makefile", "OWNERS", "OWNERS_ALIASES", "artifacthub-repo.yml", "EXAMPLES.md", "RELEASE-NOTES.md"}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--only", action="append", default=[], help="build only these charts")
    args = parser.parse_args(argv)
    index = yaml.safe_load(INDEX.read_text())
    for entry in index["charts"]:
        if args.only and entry["name"] not in args.only:
            continue
        dest = args.out / entry["name"]
        if dest.exists():
            shutil.rmtree(dest)
        extract(entry, dest / "chart", args.mirror)
        for repo, source in licences(entry):
            lic = dest / "licenses" / repo.replace("/", "+")
            lic.parent.mkdir(parents=True, exist_ok=True)
            lic.write_bytes(git(args.mirror, repo, "show", f"{source['commit']}:{source['licenceFile']}"))
        print(f"{entry['name']}: {size(dest) // 1024} KiB", file=sys.stderr)
    print(f"total: {size(args.out) / 1e6:.1f} MB", file=sys.stderr)
    return 0


def extract(entry: dict[str, Any], dest: Path, mirror: Path) -> None:
    path = entry["path"].strip("/")
    prefix = "" if path in ("", ".") else path + "/"
    data = git(mirror, entry["repo"], "archive", "--format=tar", entry["commit"], *([prefix] if prefix else []))
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in archive:
            rel = member.name[len(prefix):] if member.name.startswith(prefix) else None
            if not rel or not (member.isfile() or member.issym()) or dropped(PurePosixPath(rel)):
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if member.issym():
                target.symlink_to(member.linkname)
            else:
                stream = archive.extractfile(member)
                assert stream is not None
                target.write_bytes(stream.read())
    for dep in entry.get("dependencies") or []:
        sub = dest / "charts" / dep["name"]
        if sub.exists():
            shutil.rmtree(sub)
        extract(dep, sub, mirror)


def dropped(rel: PurePosixPath) -> bool:
    if rel.parts[0] in DROPPED_TOP or (len(rel.parts) == 1 and rel.suffix == ".md"):
        return True
    if rel.parts[0] == "ci" and rel.suffix not in (".yaml", ".yml"):
        return True
    return rel.suffix.lower() in IMAGE_SUFFIXES


def licences(entry: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    seen: dict[str, dict[str, Any]] = {}
    stack = [entry]
    while stack:
        source = stack.pop()
        seen.setdefault(source["repo"], source)
        stack.extend(source.get("dependencies") or [])
    return sorted(seen.items())


def git(mirror: Path, repo: str, *args: str) -> bytes:
    git_dir = mirror / repo.replace("/", "+") / "repo"
    return subprocess.run(["git", "--git-dir", str(git_dir), *args], check=True, capture_output=True).stdout


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
