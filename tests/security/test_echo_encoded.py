"""Issue 12, class 4 (nothing echoed), Helm messages other than `fail`/`required`: a value computed
into a name or pattern at render time (`include (.Values.x | b64enc)`, `printf "%x"`, a regexp built
from a value, `tpl` of a computed string) came back in Go's quotes as base64 or hex, which taking
out the value files' scalars does not catch. What Go quotes is redacted word by word unless the
chart's templates spell it out (cmp.redact)."""

from __future__ import annotations

import pytest
from security.attack import assert_no_leak

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
COMPUTED = {
    "include-a-base64-name": '{{ include (.Values.motd | b64enc) . }}\n',
    "include-a-hex-name": '{{ include (printf "%x" .Values.motd) . }}\n',
    "regexp-built-from-base64": '{{ mustRegexMatch (printf "(%s" (.Values.motd | b64enc)) "x" }}\n',
    "tpl-calls-a-base64-function": '{{ tpl (printf "{{ %s }}" (.Values.motd | b64enc)) . }}\n',
}


@pytest.mark.parametrize("template", list(COMPUTED.values()), ids=list(COMPUTED))
def test_a_value_encoded_into_a_helm_error_is_not_echoed(hostile_repo, cli, planted, template: str) -> None:
    secret = planted()
    chart = hostile_repo.chart("w", values={"dev": f"motd: {secret}\n"}, templates={"cm.yaml": CM, "x.yaml": template})
    result = cli("render", str(chart), "--env", "dev")
    assert (result.code, result.out) == (3, ""), result.err
    assert "w/templates/x.yaml:1" in result.err  # still says where
    assert_no_leak([secret], result.err)


def test_a_template_name_the_chart_defines_is_still_shown(hostile_repo, cli) -> None:
    chart = hostile_repo.chart("w", templates={"cm.yaml": CM, "x.yaml": '{{ include "w.labelz" . }}\n'})
    result = cli("render", str(chart), "--env", "dev")
    assert result.code == 3 and 'no template "w.labelz"' in result.err, result.err
