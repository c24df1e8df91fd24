"""The maintained catalog (cmp/secrets/catalog.py) as the scan runs it: keywords, floors, structure.

Every token here is random filler in the right format, typed for this test: none opens anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import write_chart

from cmp.secrets import catalog, maintained
from cmp.secrets.embedded import lower
from cmp.secrets.scan import scan_values

HF = "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"
JWT_NONE = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ3ZWJhcHAifQ."


def found(text: str) -> list[str]:
    return [label for label, _, _ in maintained.find(text, lower(text))]


def test_catalog_is_generated_with_its_source_and_licence():
    assert catalog.SOURCE.startswith("kingfisher-secret-scanner ")
    assert len(catalog.RULES) >= 250
    notice = (Path(catalog.__file__).parent / "CATALOG-NOTICE").read_text()
    assert "Betterleaks" in notice and "MIT License" in notice and "Apache" in notice


def test_every_rule_compiles_and_has_a_keyword():
    for index, rule in enumerate(catalog.RULES):
        assert maintained._rule(index).pattern and rule[4], rule[0]
        maintained._rejects(index)


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param(HF, ["huggingface-access-token"], id="vendor-prefix-under-no-name"),
    pytest.param(f"--upstream={HF}", ["huggingface-access-token"], id="inside-an-arg"),
    pytest.param("hf_" + "x" * 34, [], id="masked-body"),
    pytest.param("hf_" + "Q" * 34, [], id="one-character-body"),
    pytest.param("hf_abcdefghijKLMNOPQRSTUVWXYZqrstuvwx", [], id="alphabet-run"),
    pytest.param("Xhf_jVnzQpXKrLmWtBsYdCeFgHuIaOkJlPqRsT", [], id="keyword-inside-a-word"),
    pytest.param(JWT_NONE, ["jwt"], id="unsigned-jwt"),
    pytest.param("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", [], id="jwt-header-alone"),
    pytest.param("ENC[AES256_GCM,data:Tr3Xq9bZ,iv:Qm9vYmFy,tag:Zm9vYmF6,type:str]", [], id="sops-ciphertext"),
])
def test_floors_and_structure(text: str, expected: list[str]):
    assert [label.removeprefix("credential (catalog rule ").rstrip(")") for label in found(text)] == expected


def test_a_keyword_counts_only_at_the_start_of_a_token():
    # `feature_flags` holds the `re_` of a Resend key; an ordinary word must not wake the rule.
    assert [rules for _, rules in maintained.keyword_ends("feature_flags")] == []
    assert list(maintained.keyword_ends("token: re_Qm9vYmFy_Zm9vYmF6Zm9vYmF6Zm9vYmF6Zm9v"))


def test_the_walker_feeds_every_shape_to_the_catalog():
    data = {"app": {"item": HF}, "args": [f"--upstream={HF}"], "conf": f"# upstream\nendpoint = {HF}\n"}
    assert sorted(h.path for h in scan_values(data)) == [("app", "item"), ("args", 0), ("conf",)]


def test_a_finding_names_the_rule_and_the_fingerprint_never_the_value(tmp_path: Path, cli):
    chart = write_chart(tmp_path, values=f"upstream: {HF}\n",
                        template="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n"
                                 "data: {item: {{ .Values.upstream | quote }}}\n")
    run = cli("render", str(chart), "--env", "prod")
    assert run.code == 1 and run.out == ""
    assert "catalog rule huggingface-access-token" in run.err and "fingerprint" in run.err
    assert HF not in run.err and HF[3:] not in run.err


def test_rules_run_in_merged_windows_around_their_keywords():
    assert list(maintained._regions([600, 700, 5000], 10_000)) == [(88, 2748), (4488, 7048)]
    assert list(maintained._regions([10], 100)) == [(0, 100)]


def test_the_quadratic_patterns_python_cannot_run_safely_are_left_out():
    # RE2 runs these in linear time; Python's backtracking engine is quadratic on a long run of `-`
    # or `a.` before the keyword (tools/secret_catalog.py measures it and drops them).
    ids = {rule[0] for rule in catalog.RULES}
    assert not ids & {"ebay-client-id", "auth0-domain.1", "snowflake-account-host.1"}
    assert "super-linear" in catalog.__doc__
