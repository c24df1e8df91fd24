"""`gitops-cmp`: parse argv, dispatch to one command module, map every outcome to the exit-code table."""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from cmp import __version__
from cmp.errors import Abort, CmpError
from cmp.exitcodes import ExitCode

if TYPE_CHECKING:
    from cmp.config import RepoConfig

COMMANDS = ("render", "generate", "init", "parity", "check", "config", "serve")  # each a module in cmp/commands/

EPILOG = """\
exit codes: 0 ok · 1 policy violation · 2 bad input or usage · 3 render failure · 4 internal error
stdout carries only manifests, and only when every check passed; reasons and logs go to stderr.
"""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # argparse asks shutil for the terminal's width whenever a formatter is made without one (on
        # every add_argument), and importing shutil (with zlib, bz2 and lzma) is 2.4 ms of every
        # sync's start-up; os answers the same question, and the width is a formatter's public argument.
        formatter = kwargs.get("formatter_class", argparse.HelpFormatter)
        kwargs["formatter_class"] = functools.partial(formatter, width=_terminal_columns() - 2)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments:"):
            flag = next((w.split("=", 1)[0] for w in message.split()[2:] if w.split("=", 1)[0] in SET_FLAGS), None)
            if flag:
                message = (f"{flag} is not supported, on purpose: every value comes from a file in Git"
                           " (values/<env>.yaml, or `render --values FILE`), so a render on a laptop or in CI"
                           " is what Argo CD renders; put the setting in the environment's values file")
        super().error(message)


# Helm's flags for values given on the command line: values-only environments have no such input.
SET_FLAGS = ("--set", "--set-string", "--set-file", "--set-json", "--set-literal")


def _terminal_columns() -> int:
    """`shutil.get_terminal_size().columns`: COLUMNS, else the terminal on stdout, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    stdout = sys.__stdout__
    try:
        return (os.get_terminal_size(stdout.fileno()).columns if stdout else 0) or 80
    except (ValueError, OSError):
        return 80


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line. Given the `command` argv names, only that command's module is imported
    (each imports what its command needs; `generate` runs on every sync) and the others are listed
    by name only, which is all argparse needs of them to parse that command."""
    parser = _Parser(
        prog="gitops-cmp",
        description="Render Helm charts for Argo CD with values-only environments and no secrets; fail closed.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_log_format(parser, "auto")
    _add_platform_config(parser, None)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    for name in COMMANDS:
        if command in (None, name):
            importlib.import_module(f"cmp.commands.{name}").add_parser(subparsers)
        else:
            subparsers.add_parser(name)
    for subparser in subparsers.choices.values():
        _add_log_format(subparser, argparse.SUPPRESS)  # accepted after the command too
        _add_platform_config(subparser, argparse.SUPPRESS)
    return parser


def _add_log_format(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--log-format", choices=("auto", "json", "console"), default=default,
                        help="stderr log format (default: json unless stderr is a terminal)")


def _add_platform_config(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument("--platform-config", metavar="PATH", default=default,
                        help="the platform team's config, which the repo's .gitops-cmp.yaml can only make"
                        " stricter (default: $GITOPS_CMP_PLATFORM_CONFIG)")


def platform_policy(flag: str | None) -> RepoConfig | None:
    """The platform config, read once for the whole command: every render of it applies it."""
    from cmp.context import platform_config

    path = platform_config(flag, os.environ)
    if path is None:
        return None
    from cmp import config

    return config.load_platform(path)


def entry() -> None:
    """The process's edge (the console script, `python -m cmp`): it ends when `main` returns."""
    code = main()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # None: the process was started with that descriptor closed
                stream.flush()
    except (OSError, ValueError):
        sys.exit(code)  # the interpreter's own shutdown reports it, as it would without the shortcut
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)  # a profiler or coverage writes its data in the teardown: let it run
    # Skip the interpreter's teardown (clearing every module, a last garbage collection, joining
    # threads): several ms of every sync, for memory the OS frees anyway. Nothing is left to write.
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else list(argv)
    # The first word that names a command is the command: no option before it takes a command's name.
    # Help before the command (`gitops-cmp --help render`) is the top level's, which lists them all.
    command = next((a for a in args_list if a in COMMANDS or a in ("-h", "--help")), None)
    parser = build_parser(command if command in COMMANDS else None)
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse exits on --help (0) and on usage errors (2)
        return int(exc.code or 0) and ExitCode.INPUT
    try:
        from cmp import log

        log.configure(None if args.log_format == "auto" else args.log_format == "json")
        args.platform = platform_policy(args.platform_config)
        return int(args.run(args))
    except CmpError as exc:
        print(f"gitops-cmp: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Abort as stop:  # past a deadline or the memory bound, wherever the command was
        print(f"gitops-cmp: error: {stop.error}", file=sys.stderr)
        return stop.error.exit_code
    except KeyboardInterrupt:
        print("gitops-cmp: interrupted; nothing was emitted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except Exception:
        print("gitops-cmp: internal error (a bug; please report it with this output); nothing was emitted",
              file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        return ExitCode.INTERNAL
