from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmp.config import DEFAULT_ENV_WORDS, DEFAULT_IDENTITY_KEYS
from cmp.templates.scan import Settings, scan

DEFAULTS = Settings.of(DEFAULT_ENV_WORDS, DEFAULT_IDENTITY_KEYS)


def hits(template: str, helpers: str = "", settings_: Settings = DEFAULTS) -> list[tuple[str, str]]:
    files = [("t/templates/_helpers.tpl", helpers)] if helpers else []
    files.append(("t/templates/x.yaml", template))
    return [(h.kind, h.expression) for h in scan(files, settings_).hits]


def test_hit_carries_position_expression_and_why():
    result = scan([("t.yaml", 'a: 1\n{{- if and .Values.x\n   (eq .Values.env "prod") }}{{ end }}')], DEFAULTS)
    (hit,) = result.hits
    assert result.trees["t.yaml"].source.where(hit.offset) == (3, 5)
    assert hit.expression == 'eq .Values.env "prod"'
    assert hit.why == "it compares env identity .Values.env with 'prod'"
    assert hit.neutralisable


def test_piped_comparison_is_shown_with_its_input():
    assert hits('{{ if .Values.env | lower | eq "prod" }}{{ end }}') == [
        ("compare", '.Values.env | lower | eq "prod"')]


def test_identity_keys_are_configurable():
    custom = Settings.of(DEFAULT_ENV_WORDS, ["tenant"])
    assert hits('{{ if eq .Values.tenant .Values.primary }}{{ end }}', settings_=custom) == [
        ("compare", "eq .Values.tenant .Values.primary")]
    assert hits('{{ if eq .Values.tenant .Values.primary }}{{ end }}') == []


def test_inferred_identities_catch_names_in_no_word_list():
    inferred = Settings.of(DEFAULT_ENV_WORDS, DEFAULT_IDENTITY_KEYS, inferred=[("deploy", "target")])
    assert hits('{{ if hasPrefix "feature" .Values.deploy.target }}{{ end }}', settings_=inferred) == [
        ("compare", 'hasPrefix "feature" .Values.deploy.target')]
    assert hits('{{ if hasPrefix "feature" .Values.deploy.target }}{{ end }}') == []


@pytest.mark.parametrize("key", ["deployEnv", "environment.name", "global.env_name", "stageCode", "werf.env"])
def test_keys_named_after_the_environment_are_identities(key):
    assert hits(f'{{{{ if eq .Values.{key} "blue" }}}}{{{{ end }}}}') != []


@pytest.mark.parametrize("key", ["extraEnv", "envType", "environment.enabled", "initContainerEnv"])
def test_look_alike_keys_are_not_identities(key):
    assert hits(f'{{{{ if eq .Values.{key} "blue" }}}}{{{{ end }}}}') == []


def test_a_map_in_values_yaml_is_not_an_identity():
    maps = Settings.of(DEFAULT_ENV_WORDS, DEFAULT_IDENTITY_KEYS, containers=[("app", "environment")])
    assert hits('{{ get .Values.app.environment (index .Values.app.environment "K") }}', settings_=maps) == []


def test_boolean_switches_named_after_an_environment_are_settings():
    assert hits('{{ if .Values.production }}a{{ end }}{{ ternary "x" "y" .Values.global.isProd }}') == []


def test_identity_survives_a_literal_reassignment_inside_a_helper():
    helpers = ('{{ define "meta" }}{{ $e := .Values.environment.name }}{{ if not $e }}{{ $e = "dev" }}{{ end }}'
               '{{ if hasPrefix "feature" $e }}dev{{ else }}{{ $e }}{{ end }}{{ end }}')
    assert ("compare", 'include "meta" . | eq "preprod"') in hits(
        '{{ if $m := include "meta" . | eq "preprod" }}{{ end }}', helpers)


def test_identity_flows_through_set_and_json_round_trips():
    helpers = ('{{ define "ctx" }}{{ $d := dict }}{{ $_ := set $d "environmentName" .Values.environment.name }}'
               '{{ dict "defaults" $d | toJson }}{{ end }}')
    assert hits('{{ $c := include "ctx" . | fromJson }}{{ if hasPrefix "prod" $c.defaults.environmentName }}{{ end }}',
                helpers) == [("compare", 'hasPrefix "prod" $c.defaults.environmentName')]


def test_env_words_are_configurable():
    custom = Settings.of(["prd"], DEFAULT_IDENTITY_KEYS)
    assert hits('{{ if eq .Values.cluster "prd" }}{{ end }}', settings_=custom) == [
        ("compare", 'eq .Values.cluster "prd"')]


def test_a_mode_key_becomes_an_identity_when_configured():
    custom = Settings.of(DEFAULT_ENV_WORDS, ["mode"])
    assert hits('{{ if eq .Values.server.mode "dev" }}{{ end }}') == []
    assert hits('{{ if eq .Values.server.mode "dev" }}{{ end }}', settings_=custom) != []


def test_release_name_counts_only_against_env_names():
    assert hits('{{ if contains .Chart.Name .Release.Name }}{{ end }}') == []
    assert hits('{{ if contains "prod" .Release.Name }}{{ end }}') == [("compare", 'contains "prod" .Release.Name')]


def test_release_findings_are_not_neutralisable_by_strip():
    (hit,) = scan([("t", '{{ if eq .Release.Namespace "prod" }}{{ end }}')], DEFAULTS).hits
    assert not hit.neutralisable


def test_helper_is_analysed_with_the_context_it_is_given():
    helpers = '{{ define "h" }}{{ if eq .e "prod" }}x{{ end }}{{ end }}'
    assert hits('{{ include "h" (dict "e" .Values.env) }}', helpers) == [("compare", 'eq .e "prod"')]
    assert hits('{{ include "h" (dict "e" .Values.mode) }}', helpers) == []  # a mode, through the dict


def test_recursive_helpers_terminate():
    helpers = '{{ define "h" }}{{ include "h" . }}{{ if eq .Values.env "qa" }}{{ end }}{{ end }}'
    assert hits('{{ include "h" . }}', helpers) == [("compare", 'eq .Values.env "qa"')]


def test_uncalled_helpers_are_scanned_with_the_root_context():
    helpers = '{{ define "unused" }}{{ if eq .Values.env "qa" }}{{ end }}{{ end }}'
    assert hits("plain", helpers) == [("compare", 'eq .Values.env "qa"')]


def test_tpl_of_a_chart_file_scans_that_file():
    loaded = []

    def load(path: str):
        loaded.append(path)
        return ("t/files/conf.tpl", '{{ if eq .Values.env "prod" }}x{{ end }}')

    result = scan([("t/templates/x.yaml", '{{ tpl (.Files.Get "files/conf.tpl") . }}')], DEFAULTS, load)
    assert loaded == ["files/conf.tpl"]
    assert [(h.file, h.expression) for h in result.hits] == [("t/files/conf.tpl", 'eq .Values.env "prod"')]


def test_a_file_only_read_is_not_a_template():
    result = scan([("x", '{{ .Files.Get "files/conf.tpl" }}')], DEFAULTS, lambda p: pytest.fail("read"))
    assert result.hits == ()


def test_a_syntax_error_is_a_hit():
    (hit,) = scan([("x", "ok\n{{ if }}")], DEFAULTS).hits
    assert (hit.kind, hit.why, hit.offset) == ("syntax", "missing value for if", 9)


@pytest.mark.parametrize("template", [
    pytest.param('{{ if eq .Values.env "" }}{{ end }}', id="empty-literal-is-truthiness"),
    pytest.param("{{ if eq .Values.env nil }}{{ end }}", id="nil-is-truthiness"),
    pytest.param('{{ if eq "prod" "prod" }}{{ end }}', id="two-constants"),
    pytest.param('{{ index .Values.env 0 }}', id="index-into-env-list"),
    pytest.param('{{ if .Values.env }}{{ end }}', id="truthiness"),
])
def test_noop(template):
    assert hits(template) == []


FRAGMENTS = st.sampled_from(
    ["{{ ", " }}", "if ", "else ", "end", "eq ", "ne ", "index ", "pluck ", "include ", '"h" ', "define ",
     "(", ")", "$x := ", "$x ", ".Values.env ", ".Release.Name ", '"prod" ', ".Values.isProd ", "| ",
     "dict ", '"e" ', "range ", "with ", ". ", "$ ", "tpl ", ".Files.Get ", "and ", "ternary ", "x\n"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(FRAGMENTS, max_size=50).map("".join))
def test_scanner_never_raises(text):
    scan([("a", text), ("b", text[::-1])], DEFAULTS, lambda path: ("f", text))


def test_a_name_built_from_the_identity_counts_only_against_env_names():
    built = '(printf "%s-%s" .Values.app .Values.environment.name)'
    assert hits(f'{{{{ if contains "api" {built} }}}}{{{{ end }}}}') == []
    assert hits(f'{{{{ if hasSuffix "-prod" {built} }}}}{{{{ end }}}}') == [
        ("compare", f'hasSuffix "-prod" {built}')]
    assert hits('{{ if eq (printf "%s" .Values.environment.name) "blue" }}{{ end }}') != []


def test_a_helper_printing_a_dict_on_either_branch_returns_it():
    helpers = ('{{ define "ctx" }}{{ if .ctx }}{{ .ctx | toJson }}{{ else }}'
               '{{ dict "env" .Values.environment.name "app" .Values.app | toJson }}{{ end }}{{ end }}')
    assert hits('{{ $c := include "ctx" . | fromJson }}{{ if eq $c.env "qa" }}{{ end }}{{ if eq $c.app "x" }}{{ end }}',
                helpers) == [("compare", 'eq $c.env "qa"')]


def test_tpl_of_a_value_string_is_scanned_and_reported_where_tpl_is_called():
    templated = Settings.of(DEFAULT_ENV_WORDS, DEFAULT_IDENTITY_KEYS, templated=[
        (("ingress", "host"), '{{ if eq .Values.env "prod" }}shop.example{{ else }}{{ .Values.env }}.shop.example{{ end }}'),
        (("banner",), "{{ .Release.Name }} in {{ .Values.env }}")])
    result = scan([("t.yaml", 'a: {{ tpl .Values.ingress.host . }}\nb: {{ tpl .Values.banner $ }}\n')], templated)
    assert [(h.kind, h.expression, h.why) for h in result.hits] == [
        ("compare", "tpl .Values.ingress.host .", "`tpl` renders .Values.ingress.host, where"
         " `eq .Values.env \"prod\"`: it compares env identity .Values.env with 'prod'")]


def test_a_map_keyed_by_the_release_full_name_is_this_release_not_an_environment():
    """bitnami/redis's sentinel services pick their ports from a map keyed by the full name."""
    helpers = '{{ define "x.fullname" }}{{ printf "%s-%s" .Release.Name .Chart.Name }}{{ end }}'
    assert hits('{{ index $.Values.ports (printf "%s-redis" (include "x.fullname" $)) }}', helpers) == []
    assert hits('{{ index .Values.byNamespace .Release.Namespace }}') != []
    assert hits('{{ index .Values.replicas .Values.env }}') == [("select", "index .Values.replicas .Values.env")]


def test_a_sentinel_literal_asks_whether_the_value_is_set():
    """w6d-io/charts: `env` holds container env YAML, "-" meaning none."""
    assert hits('{{ if and .Values.env (ne .Values.env "-") }}{{ end }}') == []


def test_a_block_nested_anywhere_defines_a_helper_that_other_files_include():
    """Without `block` in a file its definitions are its top-level {{define}}s; with it, a block
    inside a branch or a define defines its template too."""
    helpers = ('{{ if .Values.x }}{{ block "inner" . }}{{ if eq .e "blue" }}{{ end }}{{ end }}{{ end }}'
               '{{ define "outer" }}{{ block "deep" . }}{{ if ne .e "green" }}{{ end }}{{ end }}{{ end }}')
    assert hits('{{ include "inner" (dict "e" .Values.env) }}', helpers) == [("compare", 'eq .e "blue"')]
    assert hits('{{ include "deep" (dict "e" .Values.env) }}', helpers) == [("compare", 'ne .e "green"')]
    assert hits('{{ include "h" (dict "e" .Values.env) }}', '{{ define "h" }}{{ if eq .e "red" }}{{ end }}{{ end }}') == [
        ("compare", 'eq .e "red"')]


def test_every_function_the_scanner_interprets_is_named_in_interpreted():
    """`call` answers "unknown value" at once for a name outside INTERPRETED: each name its
    branches (and selector_keys') compare with, or look up in a set, must be in it."""
    import ast
    import inspect
    import textwrap

    from cmp.templates import scan as module

    named: set[str] = set()
    for function in (module._Scanner.call, module._Scanner.call_value, module.selector_keys):
        for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(function)))):
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == "name":
                for right in node.comparators:
                    if isinstance(right, ast.Constant):
                        named.add(right.value)
                    elif isinstance(right, ast.Tuple):
                        named |= {e.value for e in right.elts if isinstance(e, ast.Constant)}
                    elif isinstance(right, ast.Name):
                        named |= getattr(module, right.id)
    assert {"include", "tpl", "index", "dig", "eq", "toJson", "default"} <= named
    assert named <= module.INTERPRETED
