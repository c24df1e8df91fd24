"""A chart's files as the pipeline and the rules share them: the types `inputs` reads them into
(SourceFile, ValueFile; cmp.pipeline.chartfiles does the reading), which paths of a chart are
templates and packaged subcharts, and which names may not be written into the manifest stream.
No stage module: inputs and archives both build on it.
"""

import re
from pathlib import Path, PurePath
from typing import Any, NamedTuple


class SourceFile(NamedTuple):
    path: Path
    display: str  # repo-relative, what findings and errors name
    text: str


class ValueFile(NamedTuple):
    path: Path
    display: str
    text: str
    data: dict[str, Any]


# Control characters, line breaks (YAML's too: NEL, LS, PS) and the BOM. A file or chart name is
# written into `# Source:` comments, findings and logs: none may start a new line or document there.
UNSAFE_NAME = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def is_notes(path: str) -> bool:
    """A template Helm renders no object from: as Helm's action package decides, by the name's
    suffix (`strings.HasSuffix(name, "NOTES.txt")`), whatever the directory."""
    return path.endswith("NOTES.txt")


def is_template(rel: PurePath) -> bool:
    """templates/... of the chart, or of a subchart vendored as a directory (charts/<sub>/templates/...)."""
    parts = rel.parts
    if "templates" not in parts[:-1]:
        return False
    return _in_charts(parts[: parts.index("templates")])


def is_archive(rel: PurePath) -> bool:
    """A subchart packaged by `helm dependency build`: charts/<name>-<version>.tgz, of the chart or a subchart."""
    parts = rel.parts
    return rel.suffix == ".tgz" and parts[-2:-1] == ("charts",) and _in_charts(parts[:-2])


def _in_charts(prefix: tuple[str, ...]) -> bool:
    """`prefix` is the chart itself or a subchart directory: (), (charts, <sub>), (charts, <sub>, charts, <sub>), ..."""
    return len(prefix) % 2 == 0 and all(part == "charts" for part in prefix[::2])
