"""The README's main job, through main()."""

from __future__ import annotations

from support import EXAMPLE


def test_render_example_prod(cli):
    result = cli("render", str(EXAMPLE / "charts" / "webapp"), "--env", "prod")
    assert result.code == 0, result.err
    assert result.out.count("\n---\n") + 1 == 4
    assert "\"kind\": \"ExternalSecret\"" in result.out
