"""PromoteModel's cleanup: delete this stack's endpoint configs and models beyond the last N.

A name prefix is no ownership: two stacks may share one (a prefix given by hand), and anyone may create a
model whose name starts with it. What the workflow creates carries the tag ``drift-retrain:stack`` =
its stack's name from the moment it is created (the definition's ``Tags``; IAM refuses a create without
it), and only resources with this stack's tag are deleted (IAM refuses any other delete too).

Cost: one ``ListTags`` call per candidate that matches the prefix, newest first, at most
:data:`MAX_TAG_CHECKS` per kind and promotion. Since each promotion deletes all but the last N, a stack's
own candidates stay at about N + 1; the cap only bounds a promotion's time when many foreign or untagged
resources share the prefix (older ones are then left for a later promotion, and the result says so).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from drift_retrain.workflow.promote_model import registry
from drift_retrain.workflow.shared.exceptions import RegistryError
from drift_retrain.workflow.shared.naming import STACK_TAG

__all__ = ["MAX_TAG_CHECKS", "CleanupPlan", "clean_up", "owned_by", "plan_cleanup"]

#: Most candidates per kind (configs, models) whose tags one promotion reads.
MAX_TAG_CHECKS = 50


@dataclass(frozen=True)
class CleanupPlan:
    delete_configs: list[str]
    delete_models: list[str]
    keep_configs: list[str]
    keep_models: list[str]


def plan_cleanup(
    configs: Sequence[registry.Resource],
    models: Sequence[registry.Resource],
    *,
    keep_last: int,
    protected_configs: set[str],
    protected_models: set[str],
    config_models: Mapping[str, list[str]],
) -> CleanupPlan:
    """Which configs and models to delete: all but the newest ``keep_last`` and the protected ones.

    ``configs`` and ``models`` are this stack's own, newest first; a model used by a kept config is kept.
    """
    keep_configs = [c.name for c in configs[:keep_last]] + sorted(protected_configs)
    keep_configs = list(dict.fromkeys(keep_configs))
    delete_configs = [c.name for c in configs if c.name not in keep_configs]
    used = {m for name in keep_configs for m in config_models.get(name, [])}
    keep_models = list(dict.fromkeys([m.name for m in models[:keep_last]] + sorted(protected_models | used)))
    delete_models = [m.name for m in models if m.name not in keep_models]
    return CleanupPlan(delete_configs, delete_models, keep_configs, keep_models)


def owned_by(
    sagemaker: Any, resources: Sequence[registry.Resource], stack: str, errors: list[str]
) -> tuple[list[registry.Resource], list[str]]:
    """The resources tagged with ``stack`` (newest first), and the names of those left unchecked.

    Untagged and foreign-tagged resources are simply not ours. Only the newest :data:`MAX_TAG_CHECKS`
    are checked; a resource whose tags cannot be read is not ours (the error is added to ``errors``).
    """
    owned = []
    for resource in resources[:MAX_TAG_CHECKS]:
        try:
            tags = registry.resource_tags(sagemaker, resource.arn)
        except RegistryError as exc:
            errors.append(str(exc))
            continue
        if tags.get(STACK_TAG) == stack:
            owned.append(resource)
    return owned, [r.name for r in resources[MAX_TAG_CHECKS:]]


def clean_up(
    sagemaker: Any, *, prefix: str, stack: str, keep_last: int, names: Mapping[str, str]
) -> dict[str, Any]:
    """Delete this stack's configs and models with ``<prefix>-`` beyond the last ``keep_last``; never the
    ones just deployed (``names``: ``endpoint_config``, ``model``). Problems are reported, not raised."""
    result: dict[str, Any] = {"deleted_configs": [], "deleted_models": [], "errors": [], "unchecked": []}
    if not stack:
        result["errors"].append("STACK_NAME is not set: nothing is known to be this stack's, nothing deleted")
        return result
    try:
        errors = result["errors"]
        configs, unchecked_configs = owned_by(
            sagemaker, registry.list_endpoint_configs(sagemaker, f"{prefix}-"), stack, errors
        )
        models, unchecked_models = owned_by(
            sagemaker, registry.list_models(sagemaker, f"{prefix}-"), stack, errors
        )
        kept = [c.name for c in configs[:keep_last]]
        plan = plan_cleanup(
            configs,
            models,
            keep_last=keep_last,
            protected_configs={names["endpoint_config"]},
            protected_models={names["model"]},
            config_models={name: registry.endpoint_config_models(sagemaker, name) for name in kept},
        )
    except RegistryError as exc:
        result["errors"].append(str(exc))
        return result
    result["unchecked"] = unchecked_configs + unchecked_models
    _delete(plan.delete_configs, registry.delete_endpoint_config, sagemaker, result, "deleted_configs")
    _delete(plan.delete_models, registry.delete_model, sagemaker, result, "deleted_models")
    return result


def _delete(names: list[str], delete: Any, sagemaker: Any, result: dict[str, Any], key: str) -> None:
    for name in names:
        try:
            delete(sagemaker, name)
            result[key].append(name)
        except RegistryError as exc:
            result["errors"].append(str(exc))
