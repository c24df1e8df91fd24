"""VALUE_FILES and the valueFiles parameter: one grammar, which renders and app-source both apply."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml
from support import EXAMPLE

from cmp.application import PLUGIN_NAME, parse
from cmp.context import from_argocd_env
from cmp.errors import InputError
from cmp.appdocs import AppDoc
from cmp.rules import app_source
from cmp.valuefiles import Problem, ValueFiles, plugin_env, read, split_list

PLUGIN_APP = {
    "apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "web"},
    "spec": {"source": {"path": "charts/webapp",
                        "plugin": {"name": PLUGIN_NAME, "env": [{"name": "ENVIRONMENT", "value": "prod"}]}},
             "destination": {"namespace": "web"}},
}


def test_env_then_each_parameter_in_order():
    parameters = [{"name": "valueFiles", "array": ["c.yaml"]}, {"name": "other", "string": "x.yaml"},
                  {"name": "valueFiles", "string": "d.yaml,\ne.yaml,"}]
    found = read("a.yaml,\n b.yaml", parameters)
    assert found == ValueFiles(("a.yaml", "b.yaml", "c.yaml", "d.yaml", "e.yaml"), ())


@pytest.mark.parametrize("parameters", [None, [], [{"name": "other"}], [{"name": "valueFiles", "string": ""}]])
def test_nothing_named(parameters: Any):
    assert read("", parameters) == ValueFiles((), ())


def test_every_problem_in_order_and_the_usable_entries():
    found = read("a\0b, a.yaml", [{"name": "valueFiles", "array": ["c.yaml", " "]}, {"name": "valueFiles", "array": [1]}])
    assert found.files == ("a.yaml", "c.yaml")
    assert found.problems == (Problem("env", "nul-byte", "a\0b"), Problem("parameters", "blank-entry", " ", 2),
                              Problem("parameters", "not-strings", [1]))


def generate_error(field: str, value: Any) -> str:
    env = {"ARGOCD_APP_NAME": "web", "ARGOCD_APP_NAMESPACE": "web", "ARGOCD_ENV_ENVIRONMENT": "prod",
           "ARGOCD_APP_SOURCE_PATH": "charts/webapp"}
    env["ARGOCD_ENV_VALUE_FILES" if field == "env" else "ARGOCD_APP_PARAMETERS"] = (
        value if field == "env" else json.dumps(value))
    with pytest.raises(InputError) as raised:
        from_argocd_env(env, EXAMPLE / "charts" / "webapp")
    return str(raised.value)


def application(field: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(PLUGIN_APP)
    plugin = doc["spec"]["source"]["plugin"]
    if field == "env":
        plugin["env"].append({"name": "VALUE_FILES", "value": value})
    elif field == "plugin.env":
        plugin["env"] = value
    else:
        plugin[field] = value
    return doc


def render_app_error(field: str, value: Any) -> str:
    with pytest.raises(InputError) as raised:
        parse(application(field, value), "a.yaml")
    return str(raised.value)


def check_findings(field: str, value: Any) -> list[str]:
    doc = application(field, value)
    app = AppDoc("apps/web.yaml", yaml.safe_dump(doc), doc)
    return [f.message for f in app_source.check_application(app, EXAMPLE.resolve(), {PLUGIN_NAME})]


def valuefiles(*entries: str, **fields: Any) -> list[Any]:
    return [{"name": "valueFiles", "array": list(entries), **fields}] if entries else [{"name": "valueFiles", **fields}]


# The same input through generate (ARGOCD_APP_PARAMETERS / ARGOCD_ENV_VALUE_FILES), render --app
# (and so parity) and app-source: each render refuses it and check reports it, with the same meaning.
# Where a side refused it before, its words stay (check: "must be a list of strings", ...).
@pytest.mark.parametrize(
    ("field", "value", "reason", "finding"),
    [
        pytest.param("parameters", [7, *valuefiles("values/dev.yaml")],
                     "parameter 1 must be a mapping {name, string | array | map}, found a number",
                     "plugin.parameters entries must be mappings", id="non-mapping-parameter"),
        pytest.param("parameters", valuefiles("values/dev.yaml", " "), "valueFiles array entry 2 is blank",
                     "plugin.parameters: valueFiles array entry 2 is blank", id="blank-entry"),
        pytest.param("parameters", valuefiles(string="values/dev.yaml", array=[]),
                     "valueFiles has both an array and a string: give only one",
                     "plugin.parameters: valueFiles has both an array and a string: give only one",
                     id="empty-array-and-a-string"),
        pytest.param("parameters", valuefiles("values/dev.yaml", string="values/dev.yaml"),
                     "valueFiles has both an array and a string: give only one",
                     "plugin.parameters: valueFiles has both an array and a string: give only one",
                     id="array-and-a-string"),
        pytest.param("parameters", valuefiles("values/dev.yaml", string=5), "valueFiles string must be a string, found a number",
                     "parameter valueFiles: array must be a list of strings (string: one string)", id="odd-string"),
        pytest.param("parameters", valuefiles(array=5, string="values/dev.yaml"),
                     "valueFiles array must be a list of strings, found a number",
                     "parameter valueFiles: array must be a list of strings (string: one string)", id="odd-array"),
        pytest.param("parameters", valuefiles(1), "valueFiles entries must be strings",
                     "parameter valueFiles: array must be a list of strings (string: one string)", id="non-string-entry"),
        pytest.param("parameters", valuefiles(), "valueFiles must be an array or a string",
                     "plugin.parameters: valueFiles must be an array or a string", id="neither-array-nor-string"),
        pytest.param("parameters", valuefiles("values/dev\0.yaml"), "'values/dev\\x00.yaml' is not a usable path (NUL byte)",
                     "plugin.parameters: 'values/dev\\x00.yaml' is not a usable path (NUL byte)", id="nul-parameter"),
        pytest.param("env", "values/dev.yaml,a\0b", "'a\\x00b' is not a usable path (NUL byte)",
                     "plugin env VALUE_FILES: 'a\\x00b' is not a usable path (NUL byte)", id="nul-value-files"),
    ],
)
def test_one_grammar_for_renders_and_check(field: str, value: Any, reason: str, finding: str):
    source = {"env": ("ARGOCD_ENV_VALUE_FILES", "plugin env VALUE_FILES"),
              "parameters": ("ARGOCD_APP_PARAMETERS", "plugin parameters")}[field]
    assert generate_error(field, value) == f"{source[0]}: {reason}"
    assert render_app_error(field, value) == f"a.yaml: {source[1]}: {reason}"
    assert check_findings(field, value) == [f"Application 'web': {finding}"]


# Plugin fields as an Application holds them (generate gets them as JSON and env vars: tests/test_context.py):
# render --app and parity refuse what app-source flags, as Argo CD's CRD would.
@pytest.mark.parametrize(
    ("field", "value", "reason", "finding"),
    [
        pytest.param("parameters", {}, "plugin parameters: expected a list of parameters",
                     "plugin.parameters must be a list, found a mapping", id="parameters-empty-mapping"),
        pytest.param("parameters", {"name": "valueFiles"}, "plugin parameters: expected a list of parameters",
                     "plugin.parameters must be a list, found a mapping", id="parameters-mapping"),
        pytest.param("parameters", 0, "plugin parameters: expected a list of parameters",
                     "plugin.parameters must be a list, found a number", id="parameters-zero"),
        pytest.param("plugin.env", [{"name": "ENVIRONMENT", "value": 5}], "plugin env ENVIRONMENT must be a string, found a number",
                     None, id="environment-int"),
        pytest.param("env", ["values/dev.yaml"], "plugin env VALUE_FILES must be a string, found a list", None,
                     id="value-files-list"),
        pytest.param("plugin.env", [7, {"name": "ENVIRONMENT", "value": "prod"}], "plugin.env entries must be mappings",
                     None, id="env-entry-not-a-mapping"),
        pytest.param("plugin.env", [{"name": 5, "value": "x"}, {"name": "ENVIRONMENT", "value": "prod"}],
                     "plugin.env entries need a string name, found a number", None, id="env-name-int"),
        pytest.param("plugin.env", {}, "plugin.env must be a list of {name, value}, found a mapping", None, id="env-mapping"),
        pytest.param("plugin.env", [{"name": "ENVIRONMENT", "value": "x/../prod"}],
                     "plugin env ENVIRONMENT: invalid environment name 'x/../prod': use letters, digits, '.', '_' or '-'",
                     None, id="environment-dotdot"),
    ],
)
def test_plugin_fields_render_app_refuses_what_check_flags(field: str, value: Any, reason: str, finding: str | None):
    assert render_app_error(field, value) == f"a.yaml: {reason}"
    assert check_findings(field, value) == [f"Application 'web': {finding or reason}"]


def test_plugin_env():
    assert plugin_env([{"name": "ENVIRONMENT", "value": "prod"}, {"name": "VALUE_FILES"}]) == (
        {"ENVIRONMENT": "prod", "VALUE_FILES": ""}, ())
    assert plugin_env(None) == ({}, ())


@pytest.mark.parametrize(("value", "items"), [("", ()), (" a , b\n\nc,", ("a", "b", "c"))])
def test_split_list(value: str, items: tuple[str, ...]):
    assert split_list(value) == items
