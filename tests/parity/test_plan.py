"""Pairing head and base by app name, and the deterministic --shard split."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cmp.application import AppSource, Skipped
from cmp.errors import InputError
from cmp.parity import plan
from cmp.parity.discover import Broken

CLUSTER = plan.Cluster(None, ())


def source(name: str, env: str = "dev") -> AppSource:
    return AppSource(name, name, "charts/x", env, (), "plugin", f"apps/{name}.yaml")


@given(names=st.lists(st.text(alphabet="abcdefgh-", min_size=1, max_size=8), unique=True, max_size=40),
       total=st.integers(1, 9))
def test_shards_partition_the_apps(names, total):
    shards = [plan.in_shard(names, plan.Shard(i, total)) for i in range(1, total + 1)]
    assert set().union(*shards) == set(names)
    assert sum(len(s) for s in shards) == len(names)
    assert max(map(len, shards)) - min(map(len, shards)) <= 1


@pytest.mark.parametrize("value", ["1", "0/3", "4/3", "a/b", "1/0", "-1/2", "1/2/3"])
def test_bad_shard_values(value):
    with pytest.raises(InputError, match="expected I/N"):
        plan.parse_shard(value)


def test_shard_value():
    assert str(plan.parse_shard(" 2/5 ")) == "2/5"
    assert plan.parse_shard(None) is None


def test_pairing(tmp_path: Path):
    head = {"both": source("both"), "new": source("new"), "skip": Skipped("skip", "not a chart", "apps/s.yaml"),
            "bad": Broken("bad", "apps/bad.yaml", "apps/bad.yaml: broken"), "noenv": source("noenv", env="")}
    base = {"both": source("both"), "gone": source("gone"), "skip": source("skip")}
    built = plan.build(head, tmp_path / "head", base, tmp_path / "base", CLUSTER, None)
    jobs = {j.name: j for j in built.jobs}
    assert sorted(jobs) == ["bad", "both", "gone", "new", "noenv"]
    assert [s.name for s in built.skipped] == ["skip"]
    assert jobs["both"].head.request.repo_root == tmp_path / "head"
    assert jobs["both"].base.request.repo_root == tmp_path / "base"
    assert not jobs["new"].base.present and not jobs["gone"].head.present
    assert jobs["bad"].head.reason == "apps/bad.yaml: broken" and jobs["bad"].head.code == 2
    assert "names no environment" in jobs["noenv"].head.reason


def test_without_base_nothing_is_compared(tmp_path: Path):
    built = plan.build({"a": source("a")}, tmp_path, {}, None, CLUSTER, None)
    assert not built.jobs[0].base.present
