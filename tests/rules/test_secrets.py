"""secret-value: the rule's hooks on inline snippets, value files read by the real input stage, and a repo."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from support import tgz

from cmp import verdict
from cmp.config import AllowEntry, RepoConfig
from cmp.context import RenderRequest
from cmp.findings import Finding, Severity
from cmp.pipeline import inputs, manifests
from cmp.rules import RENDER_RULES, RULES, secrets

SOURCE = "webapp/templates/x.yaml"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n"


def render_findings(text: str) -> list[Finding]:
    return [f for m in manifests.split(SOURCE, text) for f in secrets.manifest_findings(m)]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("text", [
    pytest.param("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {LOG_LEVEL: info}\n", id="plain"),
    pytest.param("apiVersion: v1\nkind: Secret\nmetadata: {name: s, annotations: {kubernetes.io/service-account.name: a}}"
                 "\ntype: kubernetes.io/service-account-token\n", id="secret-without-data"),
    pytest.param("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {}\nstringData: {password: ''}\n",
                 id="secret-with-empty-data"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: a:1, env: [{name: "
                 "DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}]}]}\n", id="secret-key-ref"),
    pytest.param("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: w\n  annotations:\n"
                 "    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/w\n", id="irsa-role-arn"),
])
def test_noop(text: str):
    assert render_findings(text) == []


@pytest.mark.parametrize(("text", "where"), [
    pytest.param(f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\ndata: {{password: {b64('hunter22')}}}\n",
                 "v1/Secret s /data/password", id="secret-data"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {API_TOKEN: Xk9vB2mQ7pL4sR8t}\n",
                 "v1/ConfigMap c /data/API_TOKEN", id="configmap-data"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n"
                 "    vendor.io/api-token: Xk9vB2mQ7pL4sR8t\n", "v1/ConfigMap c /metadata/annotations/vendor.io~1api-token",
                 id="annotation"),
    pytest.param("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n"
                 "  data: {key: AKIAPTGZ6JFEBZSDOXRL}\n", "v1/ConfigMap c /items/0/data/key", id="list-item"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\nmetadata: [odd]\ndata: {API_TOKEN: Xk9vB2mQ7pL4sR8t}\n",
                 "v1/ConfigMap /data/API_TOKEN", id="malformed-metadata"),
])
def test_flags(text: str, where: str):
    (finding,) = render_findings(text)
    assert (finding.path, finding.line, finding.rule, finding.severity) == (SOURCE, 0, "secret-value", Severity.ERROR)
    assert finding.message.startswith(f"{where}: ")
    assert finding.fingerprint and f"[fingerprint {finding.fingerprint}]" in finding.message
    assert "hunter22" not in finding.message and "Xk9vB2mQ7pL4sR8t" not in finding.message


def chart(root: Path, values: str, env_values: str) -> RenderRequest:
    chart_dir = root / "charts" / "web"
    (chart_dir / "values").mkdir(parents=True)
    (chart_dir / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart_dir / "values.yaml").write_text(values)
    (chart_dir / "values" / "prod.yaml").write_text(env_values)
    return RenderRequest(repo_root=root, chart_dir=chart_dir, env="prod", release=None, namespace=None)


def test_check_inputs_scans_every_value_file_with_lines(tmp_path: Path):
    request = chart(tmp_path, "auth:\n  password: ''\n  existingSecret: db\n",
                    "replicas: 3\nauth:\n  # typed in by hand\n  password: hunter22\n")
    found = list(secrets.check_inputs(inputs.gather(request, RepoConfig())))
    assert [(f.path, f.line) for f in found] == [("charts/web/values/prod.yaml", 4)]
    assert found[0].message.startswith("/auth/password: literal value under sensitive name 'password'")


def test_allowlist_silences_exactly_one_fingerprint(tmp_path: Path):
    request = chart(tmp_path, "a: {token: Xk9vB2mQ7pL4sR8t}\n", "b: {token: Yk9vB2mQ7pL4sR8t}\n")
    found = list(secrets.check_inputs(inputs.gather(request, RepoConfig())))
    first = next(f for f in found if f.path.endswith("values.yaml"))
    entry = AllowEntry("charts/web/values*.yaml", "secret-value", "test fixture", first.fingerprint)
    allowed = verdict.judge(found, (entry,))
    assert [f for f, _ in allowed.silenced] == [first] and len(allowed.findings) == 1


def test_check_repo_scans_values_manifests_and_templates(tmp_path: Path):
    (tmp_path / "charts" / "web" / "templates").mkdir(parents=True)
    (tmp_path / "charts" / "web" / "values.yaml").write_text("db:\n  password: hunter22\n")
    (tmp_path / "charts" / "web" / "templates" / "cm.yaml").write_text(
        "kind: ConfigMap\ndata:\n  name: {{ .Release.Name }}\n  url: postgres://a:hunter22@db/a\n")
    (tmp_path / "platform").mkdir()
    (tmp_path / "platform" / "repo.yaml").write_text(
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n---\napiVersion: v1\nkind: Secret\n"
        "metadata: {name: repo}\nstringData:\n  url: https://github.com/org/repo\n")
    found = sorted(secrets.check_repo(tmp_path, RepoConfig()))
    assert [(f.path, f.line) for f in found] == [
        ("charts/web/templates/cm.yaml", 4), ("charts/web/values.yaml", 2), ("platform/repo.yaml", 10)]


def test_check_repo_reports_files_too_large_to_scan(tmp_path: Path):
    (tmp_path / "big.yaml").write_text("a: " + "b" * 64 + "\n")
    config = RepoConfig(limits=RepoConfig().limits.__class__(max_file_bytes=16))
    (finding,) = secrets.check_repo(tmp_path, config)
    assert finding.severity is Severity.WARNING and "not scanned" in finding.message


def test_registered_with_docs():
    rule = RULES["secret-value"]
    assert rule.check_inputs and rule.check_output and rule.check_repo and "PASS:" in rule.doc


def test_pointer_escapes_per_rfc6901():
    assert secrets.pointer(("metadata", "annotations", "a/b~c", 0)) == "/metadata/annotations/a~1b~0c/0"


def test_check_silences_allowlisted_fingerprints_and_reports_stale_entries(tmp_path: Path, cli):
    chart(tmp_path, "db: {password: ''}\n", "db: {password: hunter22}\n")
    (tmp_path / "charts" / "web" / "templates").mkdir()
    (tmp_path / "charts" / "web" / "templates" / "cm.yaml").write_text(CONFIGMAP)
    first = cli("check", str(tmp_path), "--format", "json")
    (finding,) = json.loads(first.out)["findings"]
    fingerprint = finding["message"].split("[fingerprint ")[1][:12]
    (tmp_path / ".gitops-cmp.yaml").write_text(
        f"allow:\n  - {{path: charts/web/values/prod.yaml, rule: secret-value, fingerprint: {fingerprint},"
        " reason: fixture}\n"
        "  - {path: charts/web/values/prod.yaml, rule: secret-value, fingerprint: aaaaaaaaaaaa, reason: rotated}\n")
    second = cli("check", str(tmp_path), "--format", "json")
    assert second.code == 0, second.out
    (stale,) = json.loads(second.out)["findings"]
    assert stale["rule"] == "stale-allow" and "with fingerprint aaaaaaaaaaaa matched nothing" in stale["message"]
    assert "hunter22" not in first.out + first.err + second.out + second.err


# ---- YAML inside subcharts packaged as charts/*.tgz -----------------------------------------------

PACKAGED = "charts/web/charts/db-1.0.0.tgz"


def packaged(root: Path, files: dict[str, bytes], where: str = PACKAGED) -> None:
    (root / where).parent.mkdir(parents=True, exist_ok=True)
    (root / where).write_bytes(tgz({"db/Chart.yaml": b"apiVersion: v2\nname: db\nversion: 1.0.0\n", **files}))


def test_check_repo_scans_yaml_inside_packaged_subcharts_and_archives_inside_them(tmp_path: Path):
    inner = tgz({"cache/values.yaml": b"auth:\n  token: Xk9vB2mQ7pL4sR8t\n", "cache/README.md": b"password: hunter22\n"})
    packaged(tmp_path, {"db/values.yaml": b"image: db\nauth:\n  password: hunter22\n",
                        "db/values/prod.yaml": b"auth: {existingSecret: db}\n",
                        "db/templates/cm.yaml": b"data:\n  k: {{ .Values.x }}\n  url: postgres://a:hunter22@db/a\n",
                        "db/charts/cache-0.1.0.tgz": inner})
    packaged(tmp_path, {"clean/values.yaml": b"auth: {password: ''}\n"}, "charts/web/charts/clean-1.0.0.tgz")
    packaged(tmp_path, {"db/values.yaml": b"password: hunter22\n"}, "backup/db-1.0.0.tgz")  # not a subchart
    found = sorted(secrets.check_repo(tmp_path, RepoConfig()))
    assert [(f.path, f.line, f.severity) for f in found] == [
        (f"{PACKAGED}:db/charts/cache-0.1.0.tgz:cache/values.yaml", 2, Severity.ERROR),
        (f"{PACKAGED}:db/templates/cm.yaml", 3, Severity.ERROR),
        (f"{PACKAGED}:db/values.yaml", 3, Severity.ERROR)]
    assert found[2].message.startswith("/auth/password: ") and found[2].fingerprint
    assert not any("hunter22" in f.message or "Xk9vB2mQ7pL4sR8t" in f.message for f in found)


@pytest.mark.parametrize(("archive", "error"), [
    pytest.param(b"PK\x03\x04 a zip file", "not a packaged chart", id="not-gzip"),
    pytest.param(tgz({"db/values.yaml": b"a: " + b"b" * 64 + b"\n"})[:40], "corrupt archive", id="truncated"),
    pytest.param(tgz({"db/values.yaml": b"a: " + b"b" * 64 + b"\n"}),
                 "db/values.yaml: 68 bytes is over the 64-byte limit", id="member-over-max-file-bytes"),
    pytest.param(tgz({f"db/files/{n}.bin": b"0" * 6000 for n in range(4)}),
                 "chart is over the 20000-byte limit once unpacked", id="over-max-chart-bytes"),
    pytest.param(tgz({"db/values.yaml": b"a: \xff\n"}), "db/values.yaml:1: not valid UTF-8", id="not-utf8"),
])
def test_an_archive_that_cannot_be_read_is_a_finding_and_the_scan_goes_on(tmp_path: Path, archive: bytes,
                                                                            error: str):
    (tmp_path / "charts" / "web" / "charts").mkdir(parents=True)
    (tmp_path / PACKAGED).write_bytes(archive)
    (tmp_path / "charts" / "web" / "values.yaml").write_text("password: hunter22\n")
    limits = RepoConfig().limits._replace(max_file_bytes=64, max_chart_bytes=20_000)
    unreadable, other = sorted(secrets.check_repo(tmp_path, RepoConfig(limits=limits)))
    assert (unreadable.path, unreadable.severity) == (PACKAGED, Severity.ERROR)
    assert unreadable.message.startswith(f"not scanned for secrets: {PACKAGED}") and error in unreadable.message
    assert other.path == "charts/web/values.yaml"


def test_check_reports_a_packaged_secret_by_archive_member_and_line_and_allows_it(tmp_path: Path, cli):
    chart(tmp_path, "db: {enabled: true}\n", "replicas: 2\n")
    (tmp_path / "charts" / "web" / "templates").mkdir()
    (tmp_path / "charts" / "web" / "templates" / "cm.yaml").write_text(CONFIGMAP)  # check renders it
    (tmp_path / ".gitops-cmp.yaml").write_text("{}\n")
    packaged(tmp_path, {"db/values.yaml": b"image: db\nauth:\n  password: Vf7qLm2Xc9RtZp4K\n"})
    packaged(tmp_path, {"clean/values.yaml": b"auth: {existingSecret: db}\n"}, "charts/web/charts/clean-1.0.0.tgz")
    outputs = []
    for fmt in ("text", "json", "sarif", "github"):
        result = cli("check", str(tmp_path), "--format", fmt)
        assert result.code == 1, result.out + result.err
        outputs += [result.out, result.err]
    assert f"{PACKAGED}:db/values.yaml:3:" in outputs[0]
    (finding,) = json.loads(outputs[2])["findings"]
    assert (finding["path"], finding["line"], finding["rule"]) == (f"{PACKAGED}:db/values.yaml", 3, "secret-value")
    fingerprint = finding["message"].split("[fingerprint ")[1][:12]
    (tmp_path / ".gitops-cmp.yaml").write_text(
        f"allow:\n  - {{path: 'charts/web/charts/db-*.tgz:*/values.yaml', rule: secret-value,"
        f" fingerprint: {fingerprint}, reason: vendored default, never rendered}}\n")
    allowed = cli("check", str(tmp_path), "--format", "json")
    assert allowed.code == 0 and json.loads(allowed.out)["findings"] == [], allowed.out
    secret = "Vf7qLm2Xc9RtZp4K"
    for output in [*outputs, allowed.out, allowed.err]:
        assert secret not in output and base64.b64encode(secret.encode()).decode() not in output
