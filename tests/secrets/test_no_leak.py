"""No planted secret ever reaches stdout, stderr or the structured logs, whatever way a render fails.

Each render below plants distinct secrets (a value file, Secret data base64, a .dockerconfigjson,
an env literal, an annotation, an argv flag), fails (policy, Helm, broken YAML, duplicate key),
and everything the process wrote is searched for every planted value and its encodings.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT

SECRETS = {
    "values": "Vf7qLm2Xc9RtZp4K",
    "secret_data": "Sd8wNe3Yb6QuHj1P",
    "registry": "ghp_R3gTk9Lm2Xc9RtZp4KVf7qLm2Xc9RtZp4K9a",
    "env": "Ev5rTy8Uo1PaSd4F",
    "annotation": "An7mKj4Hg2FdSa9L",
    "flag": "Fl6pOi3Uy9TrEw2Q",
}


def encodings(value: str) -> set[str]:
    raw = value.encode()
    forms = {value, base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("=")}
    forms.add(base64.b64encode(b"org-bot:" + raw).decode())  # a registry `auth` field
    return forms | {f.rstrip("=") for f in forms}


FORBIDDEN = {form: name for name, value in SECRETS.items() for form in encodings(value)}

TEMPLATES = {
    "secret.yaml": """\
apiVersion: v1
kind: Secret
metadata: {name: {{ .Release.Name }}-db}
data:
  password: {{ .Values.db.password | b64enc }}
---
apiVersion: v1
kind: Secret
metadata: {name: {{ .Release.Name }}-pull}
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: {{ dict "auths" (dict "ghcr.io" (dict "auth" (printf "org-bot:%s" .Values.pull | b64enc)))
                        | toJson | b64enc }}
""",
    "deployment.yaml": f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ .Release.Name }}}}
  annotations: {{vendor.io/api-token: {SECRETS["annotation"]}}}
spec:
  selector: {{matchLabels: {{app: w}}}}
  template:
    metadata: {{labels: {{app: w}}}}
    spec:
      containers:
        - name: w
          image: ghcr.io/org/w:1.0.0
          args: ["--db-password", "{SECRETS["flag"]}"]
          env:
            - {{name: API_TOKEN, value: "{SECRETS["env"]}"}}
""",
}
VALUES = f"""\
smtp:
  password: {SECRETS["values"]}
db:
  password: {SECRETS["secret_data"]}
pull: {SECRETS["registry"]}
"""


def chart(root: Path, *, values: str = VALUES, extra: dict[str, str] | None = None) -> Path:
    chart_dir = root / "charts" / "w"
    (chart_dir / "templates").mkdir(parents=True)
    (chart_dir / "values").mkdir()
    (root / ".gitops-cmp.yaml").write_text("{}\n")
    (chart_dir / "Chart.yaml").write_text("apiVersion: v2\nname: w\nversion: 0.1.0\n")
    (chart_dir / "values" / "dev.yaml").write_text(values)
    for name, text in {**TEMPLATES, **(extra or {})}.items():
        (chart_dir / "templates" / name).write_text(text)
    return chart_dir


def assert_no_leak(*outputs: str) -> None:
    for output in outputs:
        leaked = sorted({name for form, name in FORBIDDEN.items() if form in output})
        assert not leaked, f"planted secrets leaked: {leaked}"


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_policy_failure_reports_every_secret_and_prints_none(tmp_path: Path, cli, log_format: str):
    result = cli("--log-format", log_format, "render", str(chart(tmp_path)), "--env", "dev")
    assert (result.code, result.out) == (1, "")
    assert_no_leak(result.out, result.err)
    findings = [line for line in result.err.splitlines() if "(secret-value)" in line]
    # values: smtp, db and pull; output: Secret data, .dockerconfigjson, annotation, flag, env
    assert len(findings) == 8, result.err
    assert all("[fingerprint " in line for line in findings)
    if log_format == "json":
        events = [json.loads(line) for line in result.err.splitlines() if line.startswith("{")]
        assert [e["event"] for e in events] == ["render"] and events[0]["blocked"] is True


# When the value files already fail the policy and Helm fails too, the findings decide (exit 1) and
# Helm's message is withheld: it may quote one of those values.
@pytest.mark.parametrize(("values", "extra", "code"), [
    pytest.param(VALUES, {"broken.yaml": "{{ .Values.db.password | nosuchfunc }}\n"}, 1, id="helm-parse-error"),
    pytest.param(VALUES, {"fail.yaml": '{{ required "smtp.host is required" .Values.smtp.host }}\n'}, 1,
                 id="helm-required"),
    pytest.param(VALUES, {"fail.yaml": '{{ fail (printf "bad password %s" .Values.smtp.password) }}\n'}, 1,
                 id="helm-fail-quoting-the-value"),
    pytest.param(VALUES.replace("smtp:\n", "smtp:\n  password: x\n", 1), None, 2, id="duplicate-key"),
    pytest.param(VALUES + f"broken: [{SECRETS['values']}\n", None, 2, id="broken-yaml"),
    pytest.param(VALUES + f"tab:\n\t{SECRETS['values']}\n", None, 2, id="tab-in-yaml"),
])
def test_other_failures_print_no_secret(tmp_path: Path, cli, values: str, extra: dict[str, str] | None,
                                        code: int):
    result = cli("render", str(chart(tmp_path, values=values, extra=extra)), "--env", "dev")
    assert result.code == code and result.out == "", result.err
    assert_no_leak(result.out, result.err)


def test_a_schema_error_quoting_a_secret_value_is_withheld(tmp_path: Path, cli):
    chart_dir = chart(tmp_path)
    (chart_dir / "values.schema.json").write_text(
        '{"properties": {"smtp": {"properties": {"password": {"type": "string", "pattern": "^[a-z]{3}$"}}}}}')
    result = cli("render", str(chart_dir), "--env", "dev")
    assert result.code == 1 and result.out == "", result.err
    assert "its message is withheld" in result.err
    assert_no_leak(result.out, result.err)


def test_check_reports_in_every_format_print_no_secret(tmp_path: Path, cli):
    chart(tmp_path)
    for fmt in ("text", "json", "sarif", "github"):
        result = cli("check", str(tmp_path), "--format", fmt)
        assert result.code == 1, result.err
        assert_no_leak(result.out, result.err)


def test_generate_in_a_real_process_prints_no_secret(tmp_path: Path):
    chart_dir = chart(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOCD_", "KUBE_"))}
    env.update(ARGOCD_APP_NAME="w", ARGOCD_APP_NAMESPACE="w", ARGOCD_ENV_ENVIRONMENT="dev",
               PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "cmp", "generate"], cwd=chart_dir, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert done.stderr.count("(secret-value)") == 8
    assert_no_leak(done.stdout, done.stderr)


APPLICATION = json.dumps({  # JSON is YAML
    "apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "w-dev"},
    "spec": {"source": {"path": "charts/w", "plugin": {"name": "gitops-helm-v1", "env": [
        {"name": "ENVIRONMENT", "value": "dev"}]}}, "destination": {"namespace": "w"}}})
# Every rule the planted values trip, allowed: the app passes, so its diff is printed and redaction
# is all that stands between the values and the report.
ALLOW_ALL = "allow:\n" + "".join(f"  - {{path: '*', rule: {rule}, reason: test}}\n"
                                 for rule in ("secret-value", "eso-standard", "pinned-images"))


@pytest.mark.parametrize("config", ["{}\n", ALLOW_ALL], ids=["policy-fails", "secrets-allowed"])
def test_parity_reports_in_every_format_print_no_secret(tmp_path: Path, cli, git, config: str):
    """Base renders harmless values, head the planted ones: every format, with and without a diff."""
    harmless = VALUES
    for name, value in SECRETS.items():
        harmless = harmless.replace(value, f"harmless-{name}")
    chart_dir = chart(tmp_path, values=harmless)
    (tmp_path / ".gitops-cmp.yaml").write_text(config)
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "w.yaml").write_text(APPLICATION)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    (chart_dir / "values" / "dev.yaml").write_text(VALUES)
    for fmt in ("text", "json", "markdown"):
        result = cli("parity", "--repo", str(tmp_path), "--base", "HEAD", "--format", fmt)
        assert result.code == (1 if config == "{}\n" else 0), result.err
        assert_no_leak(result.out, result.err)
        if config == ALLOW_ALL:
            assert "<redacted: changed>" in result.out  # the diff is there, its secrets masked
