from __future__ import annotations

import subprocess
import sys

import pytest
from support import EXAMPLE, ROOT

from cmp import __version__
from cmp.commands import render
from cmp.exitcodes import ExitCode


def test_python_dash_m_cmp_renders(tmp_path):
    result = subprocess.run([sys.executable, "-m", "cmp", "render", str(EXAMPLE / "charts/webapp"), "--env", "dev"],
                            capture_output=True, text=True, cwd=tmp_path, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "\"kind\": \"Deployment\"" in result.stdout


def test_help_explains_every_command(cli):
    result = cli("--help")
    assert result.code == 0
    for command in ("render", "generate", "init"):
        assert command in result.out
    assert "exit codes" in result.out


def test_render_help_shows_examples(cli):
    result = cli("render", "--help")
    assert result.code == 0
    assert "gitops-cmp render --app apps/webapp/prod.yaml" in result.out


def test_version(cli):
    assert cli("--version").out.strip() == f"gitops-cmp {__version__}"


@pytest.mark.parametrize("argv", [[], ["nope"], ["render", "--bogus"]])
def test_usage_errors_exit_2(cli, argv):
    result = cli(*argv)
    assert result.code == ExitCode.INPUT
    assert result.out == ""


def test_a_bug_is_an_internal_error_with_its_own_exit_code(cli, monkeypatch):
    def broken(args):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(render, "run", broken)  # the handler is under test here, not render
    result = cli("render", "x", "--env", "prod")
    assert result.code == ExitCode.INTERNAL
    assert result.out == ""
    assert "internal error" in result.err and "ZeroDivisionError" in result.err


def test_log_format_is_accepted_before_and_after_the_command(cli):
    before = cli("--log-format", "console", "render", str(EXAMPLE / "charts/webapp"), "--env", "prod")
    after = cli("render", str(EXAMPLE / "charts/webapp"), "--env", "prod", "--log-format", "json")
    assert before.code == after.code == 0
    assert "[info     ] render" in before.err
    assert after.err.startswith('{"app": "webapp-prod"')


def test_render_event_carries_app_env_count_duration_and_digest(cli):
    import json

    result = cli("render", str(EXAMPLE / "charts/webapp"), "--env", "prod", "--log-format", "json")
    event = json.loads(result.err.splitlines()[-1])
    assert event["event"] == "render"
    assert (event["app"], event["env"], event["objects"]) == ("webapp-prod", "prod", 4)
    assert event["duration_ms"] > 0
    import hashlib

    assert event["digest"] == "sha256:" + hashlib.sha256(result.out.encode()).hexdigest()[:16]


def test_console_script_is_declared():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'gitops-cmp = "cmp.client:entry"' in text  # the generate client first, the rest in cmp.main


def test_a_reader_that_stops_early_is_not_an_internal_error():
    proc = subprocess.run(f"{sys.executable} -m cmp render {EXAMPLE / 'charts/webapp'} --env prod | head -c 10",
                          shell=True, capture_output=True, text=True, check=False, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert proc.stdout == "---\n# Sour"
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(("argv", "code"), [(["--version"], 0), (["nope"], ExitCode.INPUT),
                                             (["render", "missing", "--env", "prod"], ExitCode.INPUT)])
def test_the_process_edge_exits_with_mains_code_and_writes_everything(argv, code):
    # entry() ends the process without the interpreter's teardown: output must be flushed first
    proc = subprocess.run([sys.executable, "-m", "cmp", *argv], capture_output=True, text=True, check=False,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert proc.returncode == code
    assert proc.stdout == (f"gitops-cmp {__version__}\n" if code == 0 else "")
    assert code == 0 or proc.stderr.startswith(("usage:", "gitops-cmp: error:"))


@pytest.mark.parametrize("argv", [["render", str(EXAMPLE / "charts/webapp"), "--env", "prod"], ["check", str(EXAMPLE)]])
def test_a_full_disk_on_stdout_is_a_render_failure_not_a_bug(argv):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "cmp", *argv], stdout=full, stderr=subprocess.PIPE, text=True,
                              check=False, timeout=60, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert proc.returncode == ExitCode.RENDER
    assert proc.stderr.splitlines()[-1] == ("gitops-cmp: error: could not write the output to stdout"
                                            " (No space left on device); what was written is incomplete")
    assert "Traceback" not in proc.stderr


IMPORTED_COMMANDS = """
import sys
from cmp.main import build_parser
args = build_parser("generate").parse_args(["generate"])
print(sorted(m for m in sys.modules if m.startswith("cmp.commands.")), args.command)
"""


def test_a_command_imports_only_its_own_module(tmp_path):
    # generate runs on every sync: check's and parity's imports are not its cost
    proc = subprocess.run([sys.executable, "-c", IMPORTED_COMMANDS], capture_output=True, text=True,
                          cwd=tmp_path, check=False)
    assert proc.stdout == "['cmp.commands.common', 'cmp.commands.generate'] generate\n", proc.stderr


@pytest.mark.parametrize("command", ["render", "generate", "init", "parity", "check"])
def test_each_command_has_its_own_help(cli, command):
    result = cli(command, "--help")
    assert result.code == 0
    assert f"usage: gitops-cmp {command}" in result.out


HELP_TWICE = """
import argparse, contextlib, io, sys
from cmp import main
ours = io.StringIO()
with contextlib.redirect_stdout(ours):
    main.main(["generate", "--help"])
print("shutil" in sys.modules)
main._Parser.__init__ = argparse.ArgumentParser.__init__
theirs = io.StringIO()
with contextlib.redirect_stdout(theirs):
    main.main(["generate", "--help"])
print(ours.getvalue() == theirs.getvalue(), max(map(len, ours.getvalue().splitlines())))
"""


def test_help_wraps_as_argparse_would_without_importing_shutil():
    proc = subprocess.run([sys.executable, "-c", HELP_TWICE], capture_output=True, text=True, check=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "COLUMNS": "60"})
    assert proc.stdout.splitlines() == ["False", "True 61"]  # 61: the usage line argparse cannot break


def test_a_closed_stdout_keeps_mains_exit_code():
    proc = subprocess.run(f"{sys.executable} -m cmp render /nonexistent --env prod >&-", shell=True,
                          capture_output=True, text=True, check=False, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert proc.returncode == ExitCode.INPUT
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("argv", [["--help", "render"], ["-h", "parity"]])
def test_help_before_a_command_lists_every_command(cli, argv):
    result = cli(*argv)
    assert result.code == 0
    for command in ("render", "generate", "init", "parity", "check"):
        assert f"    {command}" in result.out


@pytest.mark.parametrize(("argv", "flag"), [
    (["render", "chart", "--env", "prod", "--set", "image.tag=1.2"], "--set"),
    (["render", "chart", "--env", "prod", "--set-string=password=hunter22"], "--set-string"),
    (["generate", "--set-json", "a={}"], "--set-json"),
])
def test_set_is_refused_with_the_reason_and_without_echoing_the_value(cli, argv, flag):
    result = cli(*argv)
    assert result.code == 2 and result.out == ""
    last = result.err.splitlines()[-1]
    assert last.startswith(f"gitops-cmp: error: {flag} is not supported, on purpose: every value comes from a file")
    assert "values/<env>.yaml" in last and "hunter22" not in result.err and "image.tag" not in result.err


def test_other_unknown_flags_keep_argparses_message(cli):
    assert "unrecognized arguments: --bogus" in cli("render", "chart", "--bogus").err
