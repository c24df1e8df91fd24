"""Pins the Helm adapter against the pinned helm-python-sdk wheel: if a new wheel changes any of
this, these tests say so before a render silently changes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import helm_python
import pytest
import yaml
from support import ROOT

from cmp.errors import InputError, RenderError
from cmp.pipeline import helm

CAPS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
data:
  version: {{ .Capabilities.KubeVersion.Version | quote }}
  groupVersion: {{ .Capabilities.APIVersions.Has "example.com/v1" | quote }}
  kind: {{ .Capabilities.APIVersions.Has "example.com/v1/Widget" | quote }}
  value: {{ .Values.value | quote }}
"""


def make_chart(root: Path, templates: dict[str, str], meta: str = "") -> Path:
    chart = root / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: pin\nversion: 0.1.0\n{meta}")
    (chart / "values.yaml").write_text("value: default\n")
    for name, text in templates.items():
        (chart / "templates" / name).write_text(text)
    return chart


def render(chart: Path, values=None, **kw):
    options = {"release": "rel", "namespace": "ns", "kube_version": None, "api_versions": (), "shown": "chart"}
    options.update(kw)
    return helm.render(chart, values or {}, **options)


def data(templates: dict[str, str]) -> dict[str, str]:
    return yaml.safe_load(templates["pin/templates/cm.yaml"])["data"]


def test_wheel_is_the_pinned_one():
    pin = re.search(r'"helm-python-sdk==([^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert helm_python.__version__ == pin
    assert f"helm-python-sdk=={pin}\n" in (ROOT / "constraints.txt").read_text()  # the image builds with it
    assert helm_python.helm_sdk_version().startswith("v4.2.")  # Argo CD 3.5 bundles Helm 4.2.x


def test_kube_version_and_api_versions_reach_capabilities(tmp_path: Path):
    chart = make_chart(tmp_path, {"cm.yaml": CAPS})
    templates, _ = render(chart, kube_version="1.30.2", api_versions=("example.com/v1", "example.com/v1/Widget"))
    assert data(templates) == {"version": "v1.30.2", "groupVersion": "true", "kind": "true", "value": "default"}


def test_without_cluster_info_helm_uses_its_defaults(tmp_path: Path):
    chart = make_chart(tmp_path, {"cm.yaml": CAPS})
    templates, _ = render(chart, values={"value": "user"})
    assert data(templates) == {"version": "v1.36.0", "groupVersion": "false", "kind": "false", "value": "user"}


def test_release_and_namespace_are_passed(tmp_path: Path):
    chart = make_chart(tmp_path, {"cm.yaml": CAPS})
    templates, _ = render(chart, release="webapp-prod", namespace="webapp-prod")
    meta = yaml.safe_load(templates["pin/templates/cm.yaml"])["metadata"]
    assert meta == {"name": "webapp-prod", "namespace": "webapp-prod"}


def test_helm_returns_notes_and_omits_partials_so_manifests_must_drop_notes(tmp_path: Path):
    chart = make_chart(tmp_path, {"cm.yaml": CAPS, "NOTES.txt": "hello", "_h.tpl": '{{ define "x" }}y{{ end }}'})
    templates, _ = render(chart)
    assert sorted(templates) == ["pin/templates/NOTES.txt", "pin/templates/cm.yaml"]


def test_crds_come_back_separately_with_their_file_names(tmp_path: Path):
    chart = make_chart(tmp_path, {"cm.yaml": CAPS})
    (chart / "crds").mkdir()
    (chart / "crds" / "w.yaml").write_text("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: w}\n")
    templates, crds = render(chart)
    assert [c["filename"] for c in crds] == ["pin/crds/w.yaml"]
    assert not any("crds" in t for t in templates)


def test_a_garbage_kube_version_is_an_input_error(tmp_path: Path):
    chart = make_chart(tmp_path, {"cm.yaml": CAPS})
    with pytest.raises(InputError, match="Helm rejected the render options") as exc:
        render(chart, kube_version="not-a-version")
    assert "not-a-version" in exc.value.detail


def test_fail_message_reaches_the_user_verbatim(tmp_path: Path):
    chart = make_chart(tmp_path, {"cm.yaml": '{{ fail "set image.tag in values/prod.yaml" }}'})
    with pytest.raises(RenderError) as exc:
        render(chart)
    assert exc.value.detail == "execution error at (pin/templates/cm.yaml:1:3): set image.tag in values/prod.yaml"


def test_helm_renders_without_a_missing_dependency_so_the_adapter_refuses(tmp_path: Path):
    meta = "dependencies:\n  - name: redis\n    version: 1.0.0\n    repository: file://../redis\n"
    chart = make_chart(tmp_path, {"cm.yaml": CAPS}, meta)
    assert helm_python.dependency_list(chart)[0]["status"] == "missing"
    with pytest.raises(RenderError, match=r"1 of 1 dependencies not vendored .*'redis' .* is missing.*gitops-cmp init"):
        render(chart)


def test_every_missing_dependency_is_named_in_one_error(tmp_path: Path):
    meta = "dependencies:\n" + "".join(f"  - name: {n}\n    version: 1.0.0\n    repository: file://../{n}\n"
                                       for n in ("redis", "postgresql", "common"))
    chart = make_chart(tmp_path, {"cm.yaml": CAPS}, meta)
    with pytest.raises(RenderError) as exc:
        render(chart)
    assert "3 of 3 dependencies not vendored" in exc.value.message
    for name in ("redis", "postgresql", "common"):
        assert f"'{name}' (file://../{name}, version 1.0.0) is missing" in exc.value.message


def test_a_vendored_dependency_outside_the_constraint_renders_as_with_helm(tmp_path: Path):
    """`helm template` renders a subchart whose version Chart.yaml does not ask for; so do we."""
    sub = tmp_path / "chart" / "charts" / "redis"
    meta = "dependencies:\n  - name: redis\n    version: 2.x.x\n    repository: oci://registry.example/charts\n"
    chart = make_chart(tmp_path, {"cm.yaml": CAPS}, meta)
    (sub / "templates").mkdir(parents=True)
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: redis\nversion: 1.0.0\n")
    (sub / "templates" / "sa.yaml").write_text("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: redis}\n")
    assert helm_python.dependency_list(chart)[0]["status"] == "wrong version"

    templates, _ = render(chart)

    assert "pin/charts/redis/templates/sa.yaml" in templates


def test_vendor_dependencies_builds_a_file_dependency(tmp_path: Path):
    sub = tmp_path / "redis"
    (sub / "templates").mkdir(parents=True)
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: redis\nversion: 1.0.0\n")
    (sub / "templates" / "sa.yaml").write_text("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: redis}\n")
    meta = "dependencies:\n  - name: redis\n    version: 1.0.0\n    repository: file://../redis\n"
    chart = make_chart(tmp_path, {"cm.yaml": CAPS}, meta)

    assert helm.vendor_dependencies(chart, "chart") == ["redis"]
    assert helm.vendor_dependencies(chart, "chart") == []  # vendored: a no-op
    templates, _ = render(chart)
    assert "pin/charts/redis/templates/sa.yaml" in templates


def test_invalid_release_name_is_an_input_error(tmp_path: Path):
    chart = make_chart(tmp_path, {"cm.yaml": CAPS})
    with pytest.raises(InputError, match="invalid release name"):
        render(chart, release="Bad_Name!")


def test_values_that_json_cannot_carry_are_an_input_error(tmp_path: Path):
    chart = make_chart(tmp_path, {"cm.yaml": CAPS})
    with pytest.raises(InputError, match="cannot be passed to Helm"):
        render(chart, values={"value": float("nan")})


WARM_UP = """
import sys, threading
from cmp.pipeline import helm
helm.warm_up()
loader = next(t for t in threading.enumerate() if t.name == "gitops-cmp-helm-load")
loader.join(60)
print("helm_python" in sys.modules)
"""


def test_warm_up_loads_the_engine_in_the_background(tmp_path: Path):
    proc = subprocess.run([sys.executable, "-c", WARM_UP], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "True\n", "")


def test_an_engine_that_cannot_load_is_reported_once_by_the_render_not_by_the_warm_up(tmp_path: Path):
    broken = tmp_path / "libhelm_c.so"
    broken.write_text("not a shared library\n")  # HELM_C_LIB: the wheel's documented override
    chart = ROOT / "examples" / "gitops-repo" / "charts" / "webapp"
    env = {**os.environ, "HELM_C_LIB": str(broken), "ARGOCD_APP_NAME": "webapp-prod",
           "ARGOCD_APP_NAMESPACE": "webapp-prod", "ARGOCD_ENV_ENVIRONMENT": "prod", "ARGOCD_APP_PARAMETERS": "null"}
    proc = subprocess.run([sys.executable, "-m", "cmp", "generate"], capture_output=True, text=True, cwd=chart,
                          env=env, check=False)
    assert (proc.returncode, proc.stdout) == (4, "")
    assert "Exception in thread" not in proc.stderr
    assert proc.stderr.count("could not load it") == 1


def test_helm_version_is_the_engines_minor_version_not_a_full_one(tmp_path: Path):
    """`.Capabilities.HelmVersion` comes from the engine's build: the library is not stamped with
    Helm's release version, so it reports `v4.2` (its Helm SDK is helm_sdk_version(), v4.2.x) where
    the `helm` CLI of that release reports `v4.2.x` and a git commit. A wheel that stamps it fails
    this test: then update README (Compatibility)."""
    template = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: v}\n"
                "data: {v: {{ .Capabilities.HelmVersion.Version | quote }}, c: {{ .Capabilities.HelmVersion.GitCommit | quote }},"
                " ok: {{ semverCompare \">=3.9.0\" .Capabilities.HelmVersion.Version | quote }}}\n")
    templates, _ = render(make_chart(tmp_path, {"cm.yaml": template}))
    assert data(templates) == {"v": "v4.2", "c": "", "ok": "true"}
    assert helm_python.helm_sdk_version().startswith("v4.2.")


def test_a_null_default_is_dropped_by_the_engine(tmp_path: Path):
    """The engine removes a key whose default in the chart's values.yaml is null before templates
    see it; `helm template` of the reference Helm (v4.1.4) keeps it (`hasKey` true). README,
    Compatibility: a chart that tests for such a key renders differently. A wheel that changes it fails here."""
    template = ('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: v}\n'
                'data: {a: {{ hasKey .Values "a" | quote }}, x: {{ hasKey .Values.nested "x" | quote }}}\n')
    chart = make_chart(tmp_path, {"cm.yaml": template})
    (chart / "values.yaml").write_text("a: null\nnested: {x: ~, y: 1}\n")
    templates, _ = render(chart)
    assert data(templates) == {"a": "false", "x": "false"}


def test_a_chart_that_declares_no_dependency_is_not_asked_for_its_loaded_subcharts(tmp_path: Path, monkeypatch):
    """check_loaded_dependencies looks among the loaded subcharts only for the declared ones: parity
    renders thousands of charts without any, and each question is a call into Helm."""
    from cmp.pipeline import chartfiles

    def loaded(meta: str) -> helm_python.Chart:
        chart = make_chart(tmp_path / str(len(meta)), {"cm.yaml": CAPS}, meta)
        files = chartfiles.collect(chart, tmp_path, 10**7, lambda name, path: None)
        return helm_python.Chart.load_archive(chartfiles.archive(files, None))

    plain = loaded("")
    declared = loaded("dependencies:\n  - name: redis\n    version: 1.0.0\n    repository: file://../redis\n")
    monkeypatch.setattr(type(plain), "dependencies", property(lambda self: pytest.fail("asked")))
    helm.check_loaded_dependencies(plain, "chart")
    with pytest.raises(pytest.fail.Exception, match="asked"):
        helm.check_loaded_dependencies(declared, "chart")
