"""The rule registry. A rule is a module with ID, a docstring that is its user documentation, and
any of these hooks:

- `check_inputs(inputs)`: before Helm runs (templates, value files);
- `prepare_values(inputs, values) -> values`: may rewrite the values Helm gets (e.g. strip mode);
- `check_output(inputs, manifests)`: on the rendered objects;
- `check_repo(repo_root, config)`: over a whole repository, for `gitops-cmp check` (Applications, ...).

Rules never decide exit codes: they yield Findings, the one runner (`cmp.verdict`) runs the hooks
for every command, applies the effective allow list, and the command decides.

`RENDER_RULES` is what a render runs. `RULES` maps every rule's id to it, those with only
`check_repo` included: `check` reads it, and only then are those imported.
"""

from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

from cmp.rules import env_conditional, eso, nondeterministic, pinned_images, resources, secrets

if TYPE_CHECKING:
    from cmp.config import RepoConfig
    from cmp.findings import Finding
    from cmp.pipeline.inputs import Inputs
    from cmp.pipeline.manifests import Manifest

InputCheck = Callable[["Inputs"], Iterable["Finding"]]
OutputCheck = Callable[["Inputs", "list[Manifest]"], Iterable["Finding"]]
ValuesHook = Callable[["Inputs", "dict[str, Any]"], "dict[str, Any]"]
RepoCheck = Callable[[Path, "RepoConfig"], Iterable["Finding"]]


class Rule(NamedTuple):
    id: str
    doc: str
    check_inputs: InputCheck | None = None
    check_output: OutputCheck | None = None
    prepare_values: ValuesHook | None = None
    check_repo: RepoCheck | None = None


def _rule(module: ModuleType) -> Rule:
    return Rule(
        id=module.ID,
        doc=(module.__doc__ or "").strip(),
        check_inputs=getattr(module, "check_inputs", None),
        check_output=getattr(module, "check_output", None),
        prepare_values=getattr(module, "prepare_values", None),
        check_repo=getattr(module, "check_repo", None),
    )


# What a render runs: every rule with a render hook, in the order of RULES.
RENDER_RULES: tuple[Rule, ...] = tuple(map(_rule, (env_conditional, pinned_images, resources, secrets, eso,
                                                   nondeterministic)))

RULES: dict[str, Rule]  # every rule by id; built when first read (see __getattr__)


def __getattr__(name: str) -> Any:
    if name == "RULES":
        return _all_rules()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def _all_rules() -> dict[str, Rule]:
    # Not imported with the package: every sync renders, and a render never runs them.
    from cmp.rules import app_sets, app_source, app_sync_policy, nested_config

    return {r.id: r for r in map(_rule, (env_conditional, pinned_images, resources, app_sync_policy, app_source,
                                          app_sets, secrets, eso, nondeterministic, nested_config))}


def get(rule_id: str) -> Rule:
    try:
        return _all_rules()[rule_id]
    except KeyError:
        raise KeyError(f"unknown rule {rule_id!r} (known: {', '.join(sorted(_all_rules()))})") from None
