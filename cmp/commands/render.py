"""`gitops-cmp render`: the sidecar's pipeline on a laptop, from a chart + env or from an Application."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cmp.commands.common import add_cluster_flags, add_repo_flag, finish, render_within_deadline
from cmp.context import (RenderRequest, check_env_name, find_repo_root, parse_api_versions,
                         parse_kube_version)
from cmp.errors import InputError

HELP = "render a chart for an environment, or an Application, exactly as the Argo CD plugin would"
DESCRIPTION = """\
Render CHART_DIR with values/<ENV>.yaml (then each --values file, in order), run every policy
check, and print the manifests on stdout. Nothing is printed on stdout unless everything passed.

  gitops-cmp render charts/webapp --env prod
  gitops-cmp render --app apps/webapp/prod.yaml    # byte-identical to what `generate` emits for it
"""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("render", help=HELP, description=DESCRIPTION,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chart", nargs="?", metavar="CHART_DIR", help="the chart directory")
    parser.add_argument("--env", help="environment name; selects values/<ENV>.yaml")
    parser.add_argument("--values", "-f", action="append", default=[], metavar="FILE",
                        help="extra value file, applied after values/<ENV>.yaml (repeatable)")
    parser.add_argument("--release", help="release name (default: <chart name>-<env>)")
    parser.add_argument("--namespace", "-n", help="namespace (default: <chart name>-<env>)")
    parser.add_argument("--app", metavar="APPLICATION.yaml",
                        help="render this Argo CD Application instead of CHART_DIR/--env")
    add_repo_flag(parser)
    add_cluster_flags(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cmp.pipeline import helm

    helm.warm_up()  # first: the engine loads while the request is read and the pipeline imported
    request = from_app(args) if args.app else from_chart(args)
    return finish(render_within_deadline(request, args.platform), request.app)


def from_chart(args: argparse.Namespace) -> RenderRequest:
    if not args.chart or not args.env:
        raise InputError("render needs CHART_DIR and --env ENV (or --app APPLICATION.yaml)")
    chart = Path(args.chart).absolute()
    # A chart directory that is itself a symlink: the repository is where the link is, not where it
    # points (which would re-root the render outside); cmp.confine then checks every hop.
    where = chart.parent if chart.is_symlink() else chart
    root = Path(args.repo).resolve() if args.repo else find_repo_root(where)
    return RenderRequest(
        repo_root=root,
        chart_dir=chart,
        env=check_env_name(args.env, "--env"),
        release=args.release,
        namespace=args.namespace,
        value_files=tuple(Path(v).absolute() for v in args.values),
        kube_version=parse_kube_version(args.kube_version, "--kube-version"),
        api_versions=parse_api_versions(args.api_versions, "--api-versions"),
        app=args.release or "",
    )


def from_app(args: argparse.Namespace) -> RenderRequest:
    from cmp import application
    from cmp import config as repo_config

    if args.chart or args.env or args.values or args.release or args.namespace:
        raise InputError("--app takes the chart, env, values, release and namespace from the Application; drop the other flags")
    path = Path(args.app)
    root = Path(args.repo).resolve() if args.repo else find_repo_root(path.parent)
    shown = str(path)
    apps = [d for d in application.read(path, shown) if application.is_application(d)]
    if len(apps) != 1:
        raise InputError(f"{shown}: expected exactly one Argo CD Application, found {len(apps)}")
    parsed = application.parse(apps[0], shown, repo_config.load(root, args.platform).repo_urls)
    if isinstance(parsed, application.Skipped):
        raise InputError(f"{shown}: Application {parsed.name!r} cannot be rendered: {parsed.reason}")
    return application.to_request(
        parsed, root,
        parse_kube_version(args.kube_version, "--kube-version"),
        parse_api_versions(args.api_versions, "--api-versions"),
    )
