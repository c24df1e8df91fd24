"""The leak detector itself: every test in tests/security/ relies on it catching each form."""

from __future__ import annotations

import base64
import random
from pathlib import Path

import pytest
from security.attack import assert_no_leak, assert_no_leak_in, leaks, mint

SECRET = mint(random.Random(0))


@pytest.mark.parametrize("text", [
    pytest.param(f"error: {SECRET}", id="raw"),
    pytest.param(f"key {SECRET[5:14]!r} looks secret", id="part"),
    pytest.param(SECRET.upper(), id="upper"),
    pytest.param(base64.b64encode(f"user:{SECRET}".encode()).decode(), id="base64-shifted-2"),
    pytest.param(base64.b64encode(f"u:{SECRET}\n".encode()).decode(), id="base64-shifted-1"),
    pytest.param(base64.b64encode(f"abc{SECRET}".encode()).decode(), id="base64-aligned"),
    pytest.param(base64.urlsafe_b64encode(f"xy{SECRET}".encode()).decode(), id="base64url"),
    pytest.param(f"bytes {SECRET.encode().hex()}", id="hex"),
])
def test_every_form_of_a_planted_secret_is_caught(text: str):
    assert leaks(SECRET, text)
    with pytest.raises(AssertionError, match="leaked"):
        assert_no_leak([SECRET], "clean", text)


def test_unrelated_output_is_not_a_leak():
    other = mint(random.Random(1))
    text = f"{other} {base64.b64encode(other.encode()).decode()} sha256:{'0123456789abcdef' * 4} fingerprint jzebb7f54osf"
    assert leaks(SECRET, text) == []
    assert_no_leak([SECRET], text, text.encode())


def test_files_under_a_directory_are_searched(tmp_path: Path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "report.md").write_text("fine")
    assert_no_leak_in([SECRET], tmp_path)
    (tmp_path / "a" / "out.yaml").write_text(f"data: {base64.b64encode(SECRET.encode()).decode()}\n")
    with pytest.raises(AssertionError, match="leaked"):
        assert_no_leak_in([SECRET], tmp_path)


def test_minted_secrets_differ_and_repeat_per_seed():
    assert mint(random.Random(5)) == mint(random.Random(5)) != mint(random.Random(6))


def test_the_hostile_repo_builder_makes_a_repo_that_renders_in_a_real_process(hostile_repo, gitops_cmp):
    chart = hostile_repo.chart("web")
    hostile_repo.app("web-prod", "web", "prod")
    sha = hostile_repo.commit()
    assert len(sha) == 40 and hostile_repo.git("ls-files").split() == [
        ".gitops-cmp.yaml", "apps/web-prod.yaml", "charts/web/Chart.yaml", "charts/web/templates/cm.yaml",
        "charts/web/values/dev.yaml", "charts/web/values/prod.yaml"]
    result = gitops_cmp("render", "--app", str(hostile_repo.path("apps/web-prod.yaml")))
    assert (result.code, result.err.count("Traceback")) == (0, 0), result.err
    assert "\"name\": \"web-prod\"" in result.out
    assert chart == hostile_repo.path("charts/web")
