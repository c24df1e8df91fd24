"""Hostile inputs fail in bounded time and memory, as real processes under real limits."""

from __future__ import annotations

import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from support import write_chart

MEMORY_LIMIT = 4 * 1024**3  # 4 GiB of address space (the Go runtime reserves some): a billion laughs would need far more

BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"b{i}: &b{i} [{', '.join([('*a' if i == 0 else f'*b{i - 1}')] * 10)}]\n" for i in range(9))


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def chart_with_values(root: Path, values: str) -> Path:
    return write_chart(root, template="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", values=values)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        pytest.param(BOMB, "YAML expands to more than 1000000 nodes", id="billion-laughs"),
        pytest.param("a: " + "[" * 100_000 + "]" * 100_000 + "\n", "exceeded maximum nesting depth", id="deep-flow"),
        pytest.param("".join(f"{' ' * i}k:\n" for i in range(1200)) + " " * 1200 + "v\n", "nesting depth|nested", id="deep-block"),
        pytest.param("a: " + "x" * (9 * 1024 * 1024) + "\n", r"over the 8388608-byte limit \(limits.maxFileBytes\)",
                     id="huge"),
    ],
)
def test_hostile_values_fail_in_bounded_time_and_memory(tmp_path: Path, values: str, message: str):
    chart = chart_with_values(tmp_path, values)
    proc = subprocess.run([sys.executable, "-m", "cmp", "render", str(chart), "--env", "prod"],
                          capture_output=True, text=True, timeout=30, preexec_fn=limited, check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert re.search(message, proc.stderr), proc.stderr
