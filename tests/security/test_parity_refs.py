"""Class 7, `parity` on hostile refs: the base tree comes from git objects, and is as hostile as the head.

Real git repositories: the base commit holds the attack, head is harmless. Nothing the base's links
point at outside the tree (a host file, the CI job's environment, the checkout's .git/), and no
planted secret of the job's environment, may reach the report in any format; a huge blob in the
base is refused before it is read into memory.
"""

from __future__ import annotations

import pytest
from security.attack import HostileRepo, assert_no_leak, assert_no_leak_in

FILES_GET = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leak}\ndata:\n  got: {{ .Files.Get \"inc/target\" | quote }}\n"
TEMPLATE = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}}\ndata: {a: b}\n"


def _repo(hostile_repo: HostileRepo) -> HostileRepo:
    hostile_repo.chart("web", templates={"cm.yaml": TEMPLATE}, values={"prod": "{}\n"})
    hostile_repo.app("web-prod", "web", "prod")
    return hostile_repo


def _base_then_head(repo: HostileRepo, attack) -> None:
    """Commit the attack as the base (main), then undo it in the working tree (head)."""
    undo = attack(repo)
    repo.commit("base with the attack")
    undo()


def _parity(cli, repo: HostileRepo, tmp_path, fmt: str):
    out = tmp_path / f"out-{fmt}"
    return cli("parity", "--repo", str(repo.root), "--base", "main", "--format", fmt, "--out", str(out)), out


def _link_attack(link: str, target: str, template: str = FILES_GET):
    def attack(repo: HostileRepo):
        repo.write("charts/web/templates/leak.yaml", template)
        path = repo.symlink(link, target)

        def undo() -> None:
            path.unlink()
            repo.path("charts/web/templates/leak.yaml").unlink()
        return undo
    return attack


@pytest.fixture
def secret_file(tmp_path, planted):
    """A file outside the repository, standing for /etc/passwd, a token file or another checkout."""
    secret = planted()
    path = tmp_path / "outside" / "token"
    path.parent.mkdir()
    path.write_text(f"token: {secret}\n")
    return path, secret


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
@pytest.mark.parametrize("variant", ["file-link", "dir-link", "chain", "template-link"])
def test_base_links_out_of_the_tree_print_nothing_of_their_target(hostile_repo, cli, tmp_path, secret_file,
                                                                    variant: str, fmt: str):
    path, secret = secret_file
    repo = _repo(hostile_repo)
    attacks = {
        "file-link": _link_attack("charts/web/inc/target", str(path)),
        "dir-link": _link_attack("charts/web/inc", str(path.parent)),
        # inc -> ../../shared (inside), shared/target -> outside: each hop but the last looks fine
        "chain": lambda r: (r.symlink("shared/target", str(path)), _link_attack("charts/web/inc", "../../shared")(r))[1],
        "template-link": _link_attack("charts/web/templates/leak2.yaml", str(path), TEMPLATE),
    }
    _base_then_head(repo, attacks[variant])
    result, out = _parity(cli, repo, tmp_path, fmt)
    assert "Traceback" not in result.err
    assert_no_leak([secret], result.out, result.err)
    assert str(path.parent) not in result.out + result.err  # not even where the link points
    if out.exists():
        assert_no_leak_in([secret], out)


def test_a_link_into_the_checkouts_git_dir_prints_nothing_of_it(hostile_repo, cli, tmp_path, planted):
    """CI checkouts keep the job token in .git/config (actions/checkout's extraheader)."""
    secret = planted()
    repo = _repo(hostile_repo)
    repo.commit("init")
    repo.git("config", "http.https://github.com/.extraheader", f"AUTHORIZATION: basic {secret}")
    _base_then_head(repo, _link_attack("charts/web/inc/target", str(repo.path(".git/config"))))
    for fmt in ("text", "markdown"):
        result, out = _parity(cli, repo, tmp_path, fmt)
        assert_no_leak([secret], result.out, result.err)


def test_the_jobs_environment_never_reaches_the_report(hostile_repo, cli, tmp_path, planted, monkeypatch):
    secret = planted()
    monkeypatch.setenv("GITHUB_TOKEN", secret)
    repo = _repo(hostile_repo)
    _base_then_head(repo, _link_attack("charts/web/inc/target", "/proc/self/environ"))
    for fmt in ("text", "json", "markdown"):
        result, out = _parity(cli, repo, tmp_path, fmt)
        assert_no_leak([secret], result.out, result.err)


def test_a_huge_base_blob_is_refused_before_it_is_read(hostile_repo, gitops_cmp, tmp_path):
    """A 64 MiB blob in the base (over maxChartBytes): refused by its size in `git ls-tree -l`, before
    `git cat-file` reads it; blobs under the limit stream to disk one at a time."""
    repo = _repo(hostile_repo)

    def attack(r: HostileRepo):
        big = r.write("charts/web/files/blob.bin", b"\0" * (64 * 2**20))
        return big.unlink
    _base_then_head(repo, attack)
    result = gitops_cmp("parity", "--repo", str(repo.root), "--base", "main")
    assert (result.code, result.out) == (2, ""), result.err
    assert "Traceback" not in result.err, result.err
    assert "charts/web/files/blob.bin is 67108864 bytes, over the 33554432-byte limit" in result.err
