"""secret scan: what the secret-value and eso-standard rules cost on a ~2 MB render, in ms.

The chart is rendered once by the real pipeline (Helm in-process), then only the scans are timed:
`check_output` over every object and `check_inputs` over the value files, as every sync runs them.
The render mixes what real charts carry: workloads with env, args and checksum annotations,
ConfigMaps with embedded config files and dashboard JSON, ExternalSecrets, and a CRD whose
descriptions talk about passwords and tokens (the strings that make a naive scanner slow or noisy).

    python bench/secret_scan.py [REPEATS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cmp.config import RepoConfig  # noqa: E402
from cmp.context import RenderRequest  # noqa: E402
from cmp.pipeline import helm, inputs, manifests  # noqa: E402
from cmp.rules import eso, secrets  # noqa: E402

from _common import LARGE_TEMPLATE  # noqa: E402

WORKLOADS = """\
{{- range $i := until (int .Values.workloads) }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-{{ $i }}
  labels: {app.kubernetes.io/name: svc-{{ $i }}, app.kubernetes.io/part-of: bench}
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: svc-{{ $i }}}
  template:
    metadata:
      labels: {app.kubernetes.io/name: svc-{{ $i }}}
      annotations:
        checksum/config: {{ printf "config-%d" $i | sha256sum }}
        checksum/secret: {{ printf "secret-%d" $i | sha256sum }}
    spec:
      serviceAccountName: svc-{{ $i }}
      containers:
        {{- range $c := until 3 }}
        - name: c{{ $c }}
          image: ghcr.io/org/svc-{{ $i }}@sha256:{{ printf "image-%d-%d" $i $c | sha256sum }}
          args: ["--listen=:8080", "--log-level=info", "--token-file=/var/run/secrets/tokens/api", "--db-password=$(DB_PASSWORD)"]
          envFrom:
            - secretRef: {name: svc-{{ $i }}-credentials}
          env:
            - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: svc-{{ $i }}-db, key: password}}}
            - {name: DATABASE_URL, value: "postgres://svc:$(DB_PASSWORD)@svc-{{ $i }}-db:5432/svc"}
            - {name: PASSWORD_MIN_LENGTH, value: "12"}
            - {name: TOKEN_TTL, value: "3600"}
            - {name: API_TOKEN_FILE, value: /var/run/secrets/tokens/api}
            - {name: REQUEST_ID, value: {{ printf "%d-%d" $i $c | sha1sum | quote }}}
            - {name: OTEL_EXPORTER_OTLP_ENDPOINT, value: "http://otel-collector.observability:4317"}
            - {name: FEATURE_FLAGS, value: "checkout-v2,search-v3,payments-retry"}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: 500m, memory: 256Mi}
        {{- end }}
{{- end }}
"""

CONFIGMAPS = """\
{{- range $i := until (int .Values.configmaps) }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: svc-{{ $i }}-config
data:
  application.yaml: |
    server:
      port: 8080
    spring:
      datasource:
        url: jdbc:postgresql://svc-{{ $i }}-db:5432/svc
        username: svc
        password: ${DB_PASSWORD}
    security:
      oauth2:
        client-secret: ${OAUTH_CLIENT_SECRET}
        token-uri: https://id.example.com/oauth/token
    logging.level.root: INFO
  dashboard.json: |
    {"title": "svc {{ $i }}", "uid": "svc-{{ $i }}", "panels": [
      {"type": "timeseries", "title": "Token refresh rate", "targets": [{"expr": "sum(rate(auth_token_refresh_total{service=\\"svc-{{ $i }}\\"}[5m]))", "refId": "A"}]},
      {"type": "stat", "title": "Failed password logins", "targets": [{"expr": "sum(increase(auth_password_failures_total[1h]))", "refId": "B"}]},
      {"type": "table", "title": "Latency", "targets": [{"expr": "histogram_quantile(0.99, sum(rate(http_server_duration_seconds_bucket[5m])) by (le, route))", "refId": "C"}]}]}
{{- end }}
"""

EXTERNAL_SECRETS = """\
{{- range $i := until (int .Values.workloads) }}
---
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: svc-{{ $i }}-db
spec:
  refreshInterval: 1h
  secretStoreRef: {name: aws-secretsmanager, kind: ClusterSecretStore}
  target:
    name: svc-{{ $i }}-db
    template:
      data:
        DATABASE_URL: "postgres://svc:{{ `{{ .password }}` }}@svc-{{ $i }}-db:5432/svc"
  data:
    - secretKey: password
      remoteRef: {key: prod/svc-{{ $i }}/db, property: password}
{{- end }}
"""

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: databases.bench.example.com
spec:
  group: bench.example.com
  names: {kind: Database, plural: databases}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            {{- range $i := until (int .Values.crdFields) }}
            field{{ $i }}:
              type: object
              description: "Reference to the Secret that holds the password and token for replica {{ $i }}. The Secret must be in the same namespace; its keys are read at startup and on every rotation."
              properties:
                secretName: {type: string, description: "Name of the Secret: must exist before the database is created."}
                passwordKey: {type: string, default: password}
                tokenTTL: {type: string, default: 1h}
            {{- end }}
"""


# The other end: 2 MB of plain settings, nothing that looks like a secret (the bench's usual chart).
PLAIN = LARGE_TEMPLATE


def chart(root: Path, templates: dict[str, str], values: str) -> RenderRequest:
    chart_dir = root / "charts" / "bench"
    (chart_dir / "templates").mkdir(parents=True)
    (chart_dir / "values").mkdir()
    (root / ".gitops-cmp.yaml").write_text("{}\n")
    (chart_dir / "Chart.yaml").write_text("apiVersion: v2\nname: bench\nversion: 0.1.0\n")
    (chart_dir / "values.yaml").write_text(values)
    (chart_dir / "values" / "prod.yaml").write_text("db:\n  existingSecret: bench-db\n  passwordKey: password\n")
    for name, text in templates.items():
        (chart_dir / "templates" / name).write_text(text)
    return RenderRequest(repo_root=root, chart_dir=chart_dir, env="prod", release=None, namespace=None)


def timed(repeats: int, scan) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        findings = list(scan())
        samples.append((time.perf_counter() - started) * 1000)
        assert not findings, findings[:3]  # the bench chart is clean: nothing may be reported
    return samples


SCENARIOS = {
    "mixed (workloads, config files, dashboards, ExternalSecrets, a CRD)": (
        {"workloads.yaml": WORKLOADS, "configmaps.yaml": CONFIGMAPS, "externalsecrets.yaml": EXTERNAL_SECRETS,
         "crd.yaml": CRD}, "workloads: 180\nconfigmaps: 400\ncrdFields: 1200\n"),
    "plain (ConfigMaps of settings)": ({"settings.yaml": PLAIN},
                                       "count: 400\nkeys: 60\ntext: the quick brown fox jumps over the lazy dog\n"),
}


def main(repeats: int) -> None:
    print(f"{repeats} runs each, median (min); the render itself (Helm + parsing) is not counted")
    for name, (templates, values) in SCENARIOS.items():
        with tempfile.TemporaryDirectory() as tmp:
            request = chart(Path(tmp), templates, values)
            gathered = inputs.gather(request, RepoConfig())
            rendered, crds = helm.render(request.chart_dir, gathered.user_values, release=gathered.release,
                                         namespace=gathered.namespace, kube_version=None, api_versions=(),
                                         shown="bench")
            objects = manifests.collect(rendered, crds)
        size = sum(len(m.text.encode()) for m in objects)
        output = timed(repeats, lambda: [f for rule in (secrets, eso) for f in rule.check_output(gathered, objects)])
        values_ms = statistics.median(timed(repeats, lambda: secrets.check_inputs(gathered)))
        median = statistics.median(output)
        print(f"{name}: {size / 1e6:.2f} MB, {len(objects)} objects")
        print(f"  output scan (secret-value + eso-standard): {median:.1f} ms ({min(output):.1f})"
              f" = {median / (size / 2e6):.1f} ms per 2 MB; value files: {values_ms:.2f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
