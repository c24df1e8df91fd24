"""Class 4, nothing echoed: no error path and no finding prints a value from a value file or the render.

Every case plants a fresh secret (security.attack.mint) where a value, a tag, a key, an alias or a
computed message can carry it, makes the render (or check) fail through one error path, and searches
everything the process wrote for the secret: whole, any 8 characters of it in any case, base64, hex.
The secrets sit under neutral names (`greeting`, `motd`): the secret-value rule does not flag them,
so the error path itself, not the policy's withholding, is what must keep them out.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from security.attack import HostileRepo, assert_no_leak

S = "{S}"  # where each case's planted secret goes
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}}\n"

# (values/dev.yaml, extra template or None, expected exit code)
VALUE_FILE_CASES = {
    "int-tag": ("port: !!int {S}\n", 2),
    "bool-tag": ("enabled: !!bool {S}\n", 2),
    "float-tag": ("ratio: !!float {S}\n", 2),
    "int-tag-nested": ("a:\n  b:\n    - c: !!int '{S}'\n", 2),
    "unknown-local-tag-value": ("motd: !vault {S}\n", 2),
    "tag-is-the-secret": ("motd: !{S} hello\n", 2),
    "global-tag-is-the-secret": ("motd: !<tag:example.com,2000:{S}> hello\n", 2),
    "verbatim-std-tag": ("motd: !!{S} hello\n", 2),
    "duplicate-key-is-the-secret": ("{S}: 1\n{S}: 2\n", 2),
    "duplicate-key-quoted": ("m:\n  '{S}': 1\n  \"{S}\": 2\n", 2),
    "undefined-alias": ("motd: *{S}\n", 2),
    "anchor-defined-twice": ("a: &{S} 1\nb: &{S} 2\n", 2),
    "anchor-then-syntax-error": ("motd: &{S} [a\n", 2),
    "unhashable-key": ("? [{S}]\n: 1\n", 2),
    "bad-escape": ('motd: "{S}\\q"\n', 2),
    "unclosed-quote": ('motd: "{S}\n', 2),
    "tab-indent": ("motd:\n\t{S}\n", 2),
    "not-a-mapping": ("- {S}\n", 2),
    "scalar-document": ("{S}\n", 2),
    "binary-tag": ("motd: !!binary {S}\n", 2),
    "two-documents": ("motd: {S}\n---\nb: {S}\n", 2),
}


def _render(hostile_repo: HostileRepo, cli: Callable[..., object], values: str, templates: dict[str, str] | None = None,
            chart_values: str | None = None):
    chart = hostile_repo.chart("w", values={"dev": values}, templates={"cm.yaml": CM, **(templates or {})},
                               chart_values=chart_values)
    return cli("render", str(chart), "--env", "dev")


@pytest.mark.parametrize(("values", "code"), list(VALUE_FILE_CASES.values()), ids=list(VALUE_FILE_CASES))
def test_a_broken_value_file_never_echoes_its_text(hostile_repo, cli, planted, values: str, code: int):
    secret = planted()
    result = _render(hostile_repo, cli, values.replace(S, secret))
    assert (result.code, result.out) == (code, ""), result.err
    assert "values/dev.yaml" in result.err and "Traceback" not in result.err
    assert_no_leak([secret], result.out, result.err)


@pytest.mark.parametrize(("values", "code"), [VALUE_FILE_CASES[k] for k in ("int-tag", "tag-is-the-secret",
                                                                           "duplicate-key-is-the-secret")],
                         ids=["int-tag", "tag-is-the-secret", "duplicate-key"])
def test_the_charts_own_values_yaml_never_echoes_either(hostile_repo, cli, planted, values: str, code: int):
    secret = planted()
    result = _render(hostile_repo, cli, "{}\n", chart_values=values.replace(S, secret))
    assert (result.code, result.out) == (code, ""), result.err
    assert_no_leak([secret], result.out, result.err)


# Helm's own messages: the value is a plain, unflagged value; the template or schema makes Helm fail.
HELM_CASES = {
    "required-message-quotes-the-value": ({"r.yaml": '{{ required (printf "host %s is unreachable" .Values.motd) .Values.missing }}\n'}, None),
    "fail-quotes-the-value": ({"f.yaml": '{{ fail (printf "motd %s is not allowed" .Values.motd) }}\n'}, None),
    "fail-upper": ({"f.yaml": '{{ fail (.Values.motd | upper) }}\n'}, None),
    "fail-base64": ({"f.yaml": '{{ fail (.Values.motd | b64enc) }}\n'}, None),
    "fail-part": ({"f.yaml": '{{ fail (.Values.motd | trunc 12) }}\n'}, None),
    "fail-keys": ({"f.yaml": '{{ fail (keys .Values.bykey | join ",") }}\n'}, None),
    "tpl-parse-error": ({"t.yaml": "{{ tpl .Values.tmpl . }}\n"}, None),
    "tpl-exec-error": ({"t.yaml": "{{ tpl .Values.tmplcall . }}\n"}, None),
    "regex-from-values": ({"x.yaml": '{{ mustRegexMatch .Values.pattern "x" }}\n'}, None),
    "schema-pattern": (None, '{"properties": {"motd": {"type": "string", "pattern": "^[a-z]{3}$"}}}'),
    "schema-enum": (None, '{"properties": {"motd": {"enum": ["a", "b"]}}}'),
    "schema-type": (None, '{"properties": {"motd": {"type": "integer"}}}'),
    "schema-maxlength": (None, '{"properties": {"motd": {"type": "string", "maxLength": 3}}}'),
    "schema-additional-key": (None, '{"properties": {"bykey": {"additionalProperties": false}}}'),
    "rendered-int-tag": ({"cm2.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {port: !!int {{ .Values.motd }}}\n"}, None),
    "rendered-unknown-tag": ({"cm2.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {a: !{{ .Values.motd }} x}\n"}, None),
    "rendered-bad-yaml": ({"cm2.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {a: [{{ .Values.motd }}}\n"}, None),
    "rendered-list-kind": ({"cm2.yaml": "apiVersion: v1\nkind: {{ .Values.motd }}List\nitems: [1]\n"}, None),
    "rendered-not-an-object": ({"cm2.yaml": "{{ .Values.motd }}\n"}, None),
    "rendered-no-kind": ({"cm2.yaml": "apiVersion: {{ .Values.motd }}\nmetadata: {name: b}\n"}, None),
}
HELM_VALUES = """\
motd: {S}
bykey:
  {S}: 1
tmpl: '{{ {S} }}'
tmplcall: '{{ include "{S}" . }}'
pattern: '({S}'
"""


@pytest.mark.parametrize(("templates", "schema"), list(HELM_CASES.values()), ids=list(HELM_CASES))
def test_a_failing_helm_render_never_echoes_a_value(hostile_repo, cli, planted, templates, schema):
    secret = planted()
    chart = hostile_repo.chart("w", values={"dev": HELM_VALUES.replace(S, secret)},
                               templates={"cm.yaml": CM, **(templates or {})})
    if schema:
        (chart / "values.schema.json").write_text(schema)
    result = cli("render", str(chart), "--env", "dev")
    assert result.code in (2, 3) and result.out == "", result.err  # 2: the schema rejected the values
    assert "Traceback" not in result.err
    assert_no_leak([secret], result.out, result.err)


def test_a_required_message_keeps_what_the_template_author_wrote(hostile_repo, cli, planted):
    """Users must still learn which template and which `required` failed, and its literal words."""
    secret = planted()
    chart = hostile_repo.chart("w", values={"dev": f"motd: {secret}\n"}, templates={
        "cm.yaml": CM, "r.yaml": 'x: {{ required (printf "smtp.host is required (motd %s)" .Values.motd) .Values.smtp }}\n'})
    result = cli("render", str(chart), "--env", "dev")
    assert (result.code, result.out) == (3, ""), result.err
    assert "w/templates/r.yaml:1" in result.err and "smtp.host is required" in result.err, result.err
    assert_no_leak([secret], result.err)


# Findings: the key, flag or entry name a finding names was read from the hostile file too. A key
# cut out of a credential (`<secret>password=...` on a config line) is shown as a fingerprint.
FINDING_VALUES = {
    "embedded-pair-key": 'config: "{S}password=Hq3uMz8Wd2Lp"\n',
    "embedded-pair-key-multiline": "config: |\n  user=app\n  {S}_token: Hq3uMz8Wd2Lp\n",
    "values-key-is-the-secret": "creds:\n  {S}:\n    password: Hq3uMz8Wd2Lp\n",
    "sensitive-name-holds-the-secret": "{S}Password: Hq3uMz8Wd2Lp\n",
    "env-pair-name": "env:\n  - {name: {S}_TOKEN, value: Hq3uMz8Wd2Lp}\n",
}
FINDING_TEMPLATES = {
    "secret-entry-key": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  {S}: SHEzdU16OFdkMkxw\n",
    "flag-name": ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n"
                  "      image: busybox:1.36\n      args: ['--{S}-token', 'Hq3uMz8Wd2Lp']\n"),
    "configmap-line": ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n"
                       "  app.ini: |\n    [db]\n    {S}secret = Hq3uMz8Wd2Lp\n"),
}


@pytest.mark.parametrize("values", list(FINDING_VALUES.values()), ids=list(FINDING_VALUES))
def test_a_value_file_finding_names_a_secret_looking_key_by_fingerprint(hostile_repo, cli, planted, values: str):
    secret = planted()
    result = _render(hostile_repo, cli, values.replace(S, secret))
    assert (result.code, result.out) == (1, ""), result.err
    assert "(secret-value)" in result.err and "fingerprint" in result.err
    assert_no_leak([secret], result.err)
    checked = cli("check", str(hostile_repo.root), "--format", "json")
    assert checked.code == 1 and "secret-value" in checked.out, checked.err
    assert_no_leak([secret], checked.out, checked.err)


@pytest.mark.parametrize("template", list(FINDING_TEMPLATES.values()), ids=list(FINDING_TEMPLATES))
def test_an_output_finding_names_a_secret_looking_key_by_fingerprint(hostile_repo, cli, planted, template: str):
    secret = planted()
    chart = hostile_repo.chart("w", values={"dev": "{}\n"}, templates={"t.yaml": template.replace(S, secret)})
    result = cli("render", str(chart), "--env", "dev")
    assert (result.code, result.out) == (1, ""), result.err
    assert "(secret-value)" in result.err
    assert_no_leak([secret], result.err)
    checked = cli("check", str(hostile_repo.root))  # templates are scanned line by line there
    assert_no_leak([secret], checked.out, checked.err)


def test_a_subcharts_own_values_never_echo_either(hostile_repo, cli, planted):
    """A subchart vendored as a directory: Helm reads its values.yaml itself."""
    secret = planted()
    chart = hostile_repo.chart("w", values={"dev": "{}\n"}, templates={"cm.yaml": CM})
    hostile_repo.write("charts/w/Chart.yaml", "apiVersion: v2\nname: w\nversion: 0.1.0\ndependencies:\n"
                                             "  - {name: sub, version: 0.1.0}\n")
    hostile_repo.write("charts/w/charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n")
    hostile_repo.write("charts/w/charts/sub/values.yaml", f"motd: {secret}\n")
    hostile_repo.write("charts/w/charts/sub/templates/f.yaml", '{{ fail (printf "motd %s" .Values.motd) }}\n')
    hostile_repo.write("charts/w/charts/sub/templates/s.yaml", '{{ tpl (printf "{{ %s }}" .Values.motd) . }}\n')
    result = cli("render", str(chart), "--env", "dev")
    assert (result.code, result.out) == (3, ""), result.err
    assert "sub/templates/" in result.err
    assert_no_leak([secret], result.err)
