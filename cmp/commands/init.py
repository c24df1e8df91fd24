"""`gitops-cmp init`: the plugin's init step. Vendors chart dependencies into charts/ when some are
missing; a no-op when charts/ is vendored (the recommended setup: the sidecar has no Helm repo creds)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cmp.exitcodes import ExitCode

HELP = "the Argo CD plugin's init step: vendor missing chart dependencies (no-op when charts/ is vendored)"


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("init", help=HELP, description=HELP)
    parser.add_argument("chart", nargs="?", default=".", metavar="CHART_DIR", help="default: the current directory")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cmp.pipeline.helm import vendor_dependencies

    chart = Path(args.chart)
    vendored = vendor_dependencies(chart.resolve(), str(chart))
    if vendored:
        print(f"gitops-cmp: vendored {', '.join(vendored)} into {chart}/charts/", file=sys.stderr)
    return ExitCode.OK
