"""`gitops-cmp generate`: the Config Management Plugin's generate command (plugin.yaml).

Argo CD runs it with cwd = the app dir of a fresh copy of the repo and the app's build
environment; see the README's "Plugin environment" table.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from cmp.commands.common import finish, render_within_deadline

HELP = "the Argo CD plugin's generate step: render the app in the current directory from the Argo CD env"


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "generate", help=HELP, description=HELP + ".\n\nReads ARGOCD_APP_NAME, ARGOCD_APP_NAMESPACE,"
        " ARGOCD_ENV_ENVIRONMENT, ARGOCD_ENV_VALUE_FILES, ARGOCD_APP_PARAMETERS (valueFiles),"
        " KUBE_VERSION, KUBE_API_VERSIONS, ARGOCD_APP_SOURCE_PATH and GITOPS_CMP_PLATFORM_CONFIG.",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cmp.pipeline import helm

    helm.warm_up()  # first: the engine loads while the request is read and the pipeline imported
    from cmp.context import from_argocd_env

    request = from_argocd_env(os.environ, Path.cwd())
    return finish(render_within_deadline(request, args.platform), request.app)
