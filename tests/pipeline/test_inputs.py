from __future__ import annotations

import gzip
import io
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from support import EXAMPLE, ROOT, write_chart

from cmp.config import Limits, RepoConfig
from cmp.context import RenderRequest
from cmp.errors import InputError
from cmp.chartmodel import is_archive, is_template
from cmp.pipeline.inputs import gather, merge_values


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("templates/deployment.yaml", True),
        ("templates/_helpers.tpl", True),
        ("templates/sub/dir/x.yaml", True),
        ("charts/redis/templates/sa.yaml", True),
        ("charts/redis/charts/common/templates/_labels.tpl", True),
        ("values/templates.yaml", False),
        ("files/templates/x.yaml", False),
        ("charts/redis/files/templates/x.yaml", False),
        ("templates", False),
        ("Chart.yaml", False),
    ],
)
def test_templates_of_the_chart_and_its_vendored_subcharts(rel: str, expected: bool):
    assert is_template(Path(rel)) is expected


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("charts/common-1.0.0.tgz", True),
        ("charts/redis/charts/common-1.0.0.tgz", True),
        ("common-1.0.0.tgz", False),
        ("files/charts/common-1.0.0.tgz", False),
        ("charts/redis/common-1.0.0.tgz", False),
        ("charts/common-1.0.0.tar.gz", False),  # Helm loads only .tgz from charts/
    ],
)
def test_subcharts_packaged_by_helm_dependency_build(rel: str, expected: bool):
    assert is_archive(Path(rel)) is expected


def test_merge_values_is_helms_merge_maps():
    base = {"a": {"b": 1, "c": 2}, "list": [1, 2], "s": "x"}
    override = {"a": {"c": 3, "d": 4}, "list": [3], "s": {"now": "a map"}}
    assert merge_values(base, override) == {"a": {"b": 1, "c": 3, "d": 4}, "list": [3], "s": {"now": "a map"}}
    assert base == {"a": {"b": 1, "c": 2}, "list": [1, 2], "s": "x"}  # inputs untouched


# ---- subcharts packaged as .tgz ---------------------------------------------------------------


Member = tuple[tarfile.TarInfo, bytes]


def _member(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = "") -> Member:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname = kind, len(data), link
    return info, data


def _tgz(*members: Member) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return out.getvalue()


def _gather_with(tmp_path: Path, archive: bytes, limits: Limits = Limits()):
    chart = write_chart(tmp_path, template="kind: ConfigMap\n")
    (chart / "charts").mkdir()
    (chart / "charts" / "common-1.0.0.tgz").write_bytes(archive)
    request = RenderRequest(tmp_path, chart, "prod", None, None)
    return gather(request, RepoConfig(limits=limits))


CHART_YAML = _member("common/Chart.yaml", b"apiVersion: v2\nname: common\nversion: 1.0.0\n")


def test_templates_of_packaged_subcharts_and_of_archives_inside_them_are_read(tmp_path: Path):
    inner = _tgz(_member("labels/templates/_l.tpl", b"inner"))
    archive = _tgz(CHART_YAML, _member("common/templates/x.yaml", b"outer"), _member("common/files/y.yaml", b"no"),
                   _member("common/charts/labels-0.1.0.tgz", inner))
    found = {t.display: t.text for t in _gather_with(tmp_path, archive).templates}
    assert found == {
        "chart/templates/cm.yaml": "kind: ConfigMap\n",
        "chart/charts/common-1.0.0.tgz:common/templates/x.yaml": "outer",
        "chart/charts/common-1.0.0.tgz:common/charts/labels-0.1.0.tgz:labels/templates/_l.tpl": "inner",
    }


@pytest.mark.parametrize(
    ("archive", "error"),
    [
        pytest.param(_tgz(_member("common/../../etc/x.yaml", b"x")),
                     "common-1.0.0.tgz:common/../../etc/x.yaml: archive member path leads outside the chart",
                     id="dotdot"),
        pytest.param(_tgz(_member("/common/templates/x.yaml", b"x")),
                     "common-1.0.0.tgz:/common/templates/x.yaml: archive member has an absolute path", id="absolute"),
        pytest.param(_tgz(_member("common/templates/x.yaml", kind=tarfile.SYMTYPE, link="/etc/passwd")),
                     "common-1.0.0.tgz:common/templates/x.yaml: is a symlink (to /etc/passwd)", id="symlink"),
        pytest.param(_tgz(_member("common/templates/x.yaml", kind=tarfile.LNKTYPE, link="common/Chart.yaml")),
                     "common-1.0.0.tgz:common/templates/x.yaml: is a hard link", id="hardlink"),
        pytest.param(_tgz(_member("common/dev", kind=tarfile.CHRTYPE)),
                     "common-1.0.0.tgz:common/dev: is a device or fifo", id="device"),
        pytest.param(_tgz(_member("common/templates/x.yaml", b"x" * 2000)),
                     "common-1.0.0.tgz:common/templates/x.yaml: 2000 bytes is over the 1000-byte limit",
                     id="oversized-template"),
        pytest.param(_tgz(_member("common/templates/x.yaml", b"a: \xff\n")),
                     "common-1.0.0.tgz:common/templates/x.yaml:1: not valid UTF-8", id="not-utf8"),
        pytest.param(_tgz(*[_member(f"common/files/{n}.bin", b"0" * 9000) for n in range(12)]),
                     "common-1.0.0.tgz: chart is over the 100000-byte limit once unpacked", id="unpacks-too-big"),
        pytest.param(_tgz(*[_member(f"common/{n}") for n in range(250)]),
                     "common-1.0.0.tgz: chart is over the 100000-byte limit once unpacked", id="empty-member-bomb"),
        pytest.param(b"PK\x03\x04 a zip file", "common-1.0.0.tgz: not a packaged chart", id="not-gzip"),
        pytest.param(gzip.compress(b"plain text, not a tar archive" * 30), "common-1.0.0.tgz: not a packaged chart",
                     id="gzip-not-tar"),
        pytest.param(_tgz(CHART_YAML)[:40], "common-1.0.0.tgz: corrupt archive", id="truncated-gzip"),
        pytest.param(_tgz(CHART_YAML)[:30] + b"\x00" * 30 + _tgz(CHART_YAML)[60:], "common-1.0.0.tgz: corrupt archive",
                     id="corrupt-gzip"),
    ],
)
def test_a_hostile_or_broken_archive_is_one_input_error_naming_it(tmp_path: Path, archive: bytes, error: str):
    with pytest.raises(InputError) as caught:
        _gather_with(tmp_path, archive, Limits(max_file_bytes=1000, max_chart_bytes=100_000))
    assert str(caught.value).startswith(f"chart/charts/{error}"), str(caught.value)
    assert "\n" not in str(caught.value)


def test_archives_nested_too_deep_are_refused(tmp_path: Path):
    archive = _tgz(_member("d/templates/x.yaml", b"x"))
    for depth in range(5):
        archive = _tgz(_member(f"c{depth}/charts/n-{depth}.tgz", archive))
    with pytest.raises(InputError, match="nested more than 4 deep"):
        _gather_with(tmp_path, archive)


RENDER = """
import sys
from pathlib import Path
from cmp.context import RenderRequest
from cmp.pipeline.run import render
repo = Path(sys.argv[1])
result = render(RenderRequest(repo, repo / "charts/webapp", "prod", None, None))
print(result.objects > 0, [m for m in ("tarfile", "gzip", "cmp.pipeline.archives") if m in sys.modules])
"""


def test_a_render_without_packaged_subcharts_does_not_import_tarfile():
    proc = subprocess.run([sys.executable, "-c", RENDER, str(EXAMPLE)], capture_output=True, text=True, check=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert proc.stdout == "True []\n", proc.stderr


# ---- size limits that fit real charts -----------------------------------------------------------

def _crd_template(size: int) -> str:
    """A CRD template of about `size` bytes, as generators write them (argo-cd's is 1.4 MB)."""
    props = "".join(f"        f{i}: {{type: string, description: generated field {i} of a large CRD schema}}\n"
                    for i in range(size // 80))
    return ("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: big.example.com}\n"
            "spec:\n  schema:\n    properties:\n" + props)


def test_a_generated_crd_of_several_megabytes_is_read_under_the_default_limits(tmp_path: Path):
    chart = write_chart(tmp_path, template=_crd_template(3 * 1024 * 1024))
    gathered = gather(RenderRequest(tmp_path, chart, "prod", None, None), RepoConfig())
    assert len(gathered.templates[0].text) > 3 * 1024 * 1024


def test_a_file_over_the_limit_is_one_error_naming_file_size_and_setting(tmp_path: Path):
    chart = write_chart(tmp_path, template=_crd_template(20_000))
    (chart / "templates" / "cm.yaml").rename(chart / "templates" / "crd-big.yaml")
    with pytest.raises(InputError) as caught:
        gather(RenderRequest(tmp_path, chart, "prod", None, None), RepoConfig(limits=Limits(max_file_bytes=10_000)))
    size = (chart / "templates" / "crd-big.yaml").stat().st_size
    assert str(caught.value) == f"chart/templates/crd-big.yaml: {size} bytes is over the 10000-byte limit (limits.maxFileBytes)"


def test_a_chart_over_the_limit_names_the_setting(tmp_path: Path):
    chart = write_chart(tmp_path, template=_crd_template(20_000))
    with pytest.raises(InputError, match=r"^chart: chart is over the (10000-)?byte limit \(limits.maxChartBytes\)$"):
        gather(RenderRequest(tmp_path, chart, "prod", None, None), RepoConfig(limits=Limits(max_chart_bytes=10_000)))


def test_template_names_are_the_displays_of_their_paths(tmp_path: Path):
    """inputs._templates names each template from the chart's display and its `/`-joined path in the
    chart: the same text as the display of its full path, for a chart below the root and at it."""
    from cmp.pipeline import chartfiles
    from cmp.pipeline.inputs import _templates, display

    chart = tmp_path / "charts" / "app"
    for rel in ("templates/a.yaml", "templates/sub/b.tpl", "charts/dep/templates/c.yaml", "values.yaml"):
        (chart / rel).parent.mkdir(parents=True, exist_ok=True)
        (chart / rel).write_text("x: 1\n")
    config = RepoConfig()
    for root in (tmp_path, chart):
        files = chartfiles.collect(chart, root, 10**7, lambda name, path: None)
        found = _templates(chart, files, root, config)
        assert [t.display for t in found] == [display(t.path, root) for t in found]
        assert len(found) == 3
