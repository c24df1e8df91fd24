"""The output side, pinned: the exact stream and findings of whole renders, for changes that must not
change a result (the output parse, the rules' walks, the secret scan, the JSON emission).

The two large charts are bench/generate_vs_helm.py's synthetic ones (about 2 MB each); `mixed` holds
the corners the output side treats specially: Secrets, credentials in values and inside base64,
`name`/`value` pairs and flags, a `List`, hooks, non-ASCII and YAML line-break characters, numbers
Go's YAML reads its own way, and documents that leave the fast parse (anchors, a merge key, a
repeated key). A pin is the SHA-256 of the stream (and of the findings as they would be reported);
when a change is meant to alter the output, the pin changes with it, in that commit.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cmp.context import RenderRequest
from cmp.pipeline.run import render

SMALL_MAPS = """\
{{- range $i := until 4000 }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: small-{{ $i }}
data:
  {{- range $j := until 10 }}
  key{{ $j }}: {{ printf "a-setting-value-of-app-%05d-key-%02d" $i $j | quote }}
  {{- end }}
{{- end }}
"""

BIG_STRING = """\
{{- range $i := until 400 }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: blob-{{ $i }}
data:
  blob: {{ printf "%s-%d" (repeat 200 "the quick brown fox jumps ") $i | quote }}
{{- end }}
"""

MIXED = r"""
apiVersion: v1
kind: Secret
metadata: {name: db, annotations: {"helm.sh/hook": pre-install}}
data:
  password: {{ "hunter2-but-longer" | b64enc }}
  .dockerconfigjson: {{ `{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNzd29yZA=="}}}` | b64enc }}
stringData: {token: "{{ .Values.token }}"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  template:
    spec:
      containers:
        - name: web
          image: registry.example.com/web:latest
          args: ["--api-token", "Zq8xW3pL0vN7rT2y", "--password=Pw-{{ .Values.suffix }}", "--verbose"]
          env:
            - {name: DB_PASSWORD, value: "s3cr3t-Value-99"}
            - {name: LOG_LEVEL, value: debug}
            - {name: PASSWORD_MIN_LENGTH, value: "12"}
            - name: API_KEY
              valueFrom: {secretKeyRef: {name: api, key: key}}
      initContainers:
        - {name: init, image: busybox}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data:
  app.properties: |
    db.url=jdbc:postgresql://db:5432/app
    db.password=Xk29fLq81mZ0
    #token=commented-out-123456
  aws: "AKIAZ7QW3RT5YU8IOPLK and {{ .Values.awsSecret }}"
  url: "postgres://admin:Sup3rS3cretPw@db.example.com:5432/app"
  encoded: {{ "client_secret=Ab12Cd34Ef56Gh78Ij90" | b64enc | quote }}
  unicode: "café \u00e9 \u2028 line \u0085 next \U0001F600 \u03a3\u0130 Kelvin \u212a"
  numbers: "y"
  sigma: "API\u03a3"
  tail: "some api"
  jwt: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: listed}
    data: {secret: "7hG2kP9qW4xZ1mN8vB3c", key: "not-a-secret"}
  - apiVersion: v1
    kind: Service
    metadata: {name: svc}
    spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: scalars}
data:
  a: {{ 1e3 | quote }}
values:
  int: 0x1F
  octal: 012
  float: 1.50
  bool: on
  nothing: ~
  time: 2001-12-14t21:59:43.10-05:00
  colon: 1:20
  big: 18446744073709551615
  neg: -9223372036854775809
  key with spaces: "x"
  "quoted key": 'single ''quoted'''
  folded: >
    folded text
    continues
  kept: |+
    kept

---
apiVersion: v1
kind: ConfigMap
metadata: {name: anchored}
shared: &base {password: "anch0r3d-Secret", region: eu}
data:
  <<: *base
  copy: *base
---
apiVersion: v1
kind: ConfigMap
metadata: {name: repeated}
data:
  apiKey: first-value-1234567
  apiKey: second-value-7654321
---
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: es}
spec:
  secretStoreRef: {name: aws, kind: ClusterSecretStore}
  data: [{secretKey: password, remoteRef: {key: prod/db, property: password}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: "key-first"}
data:
  apikey: "value"
"""

MIXED_VALUES = "token: ghp_R4nd0mT0k3nV4lu3F0rT3st1ngPurp0s3s\nsuffix: Qz81xLm2\nawsSecret: wJalrXUtnFEMI/K7MDENG+bPxRfiCYzEXAMPLE\n"

NOTHING = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # no findings
CHARTS = {  # name: (template, values, stream digest, findings digest, objects)
    "smallmaps": (SMALL_MAPS, "{}\n", "0a63c9429c6bf3658679f74924ec7fc7aa5fbcebc2b0a8a236613ce2208602e8",
                  NOTHING, 4000),
    "bigstrings": (BIG_STRING, "{}\n", "2ede1bc9c10def5c248ba737707164137c569884322a6a68f5480497c14797e0",
                   NOTHING, 400),
    "mixed": (MIXED, MIXED_VALUES, "4a1c3d45323813ef9dce01576f1df4499552449783a2b163a893ac994684910c",
              "c5f005c39994eac99fa8e6aa4d4a0e3bff1230d9299a715aebd800383ffcf4c7", 10),
}


def _repo(root: Path, name: str, template: str, values: str) -> Path:
    chart = root / "charts" / name
    (chart / "templates").mkdir(parents=True)
    (chart / "values").mkdir()
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("{}\n")
    (chart / "values" / "dev.yaml").write_text(values)
    (chart / "templates" / "objects.yaml").write_text(template)
    (root / ".gitops-cmp.yaml").write_text("{}\n")
    return chart


@pytest.mark.parametrize("name", list(CHARTS))
def test_the_stream_and_findings_of_a_render_are_pinned(name: str, tmp_path: Path):
    template, values, stream_pin, findings_pin, objects = CHARTS[name]
    chart = _repo(tmp_path, name, template, values)
    result = render(RenderRequest(repo_root=tmp_path, chart_dir=chart, env="dev", release=None, namespace=None,
                                  kube_version="1.30.2", api_versions=("v1", "apps/v1", "external-secrets.io/v1")))
    reported = "\n".join(f"{f.path}:{f.line}:{f.column} {f.rule} {f.severity.name} {f.message} {f.fingerprint}"
                         for f in result.findings)
    assert (hashlib.sha256(result.stream.encode()).hexdigest(), hashlib.sha256(reported.encode()).hexdigest(),
            result.objects) == (stream_pin, findings_pin, objects), reported
