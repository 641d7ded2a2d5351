"""The template's ``Rules``, checked before a local deploy as CloudFormation checks them before a real one.

A parameter set that AWS would refuse (say, the A/B candidate variant under the champion's name) is
refused here too, instead of deploying and failing in a run days later.
"""

from __future__ import annotations

from drift_retrain_local.exceptions import TemplateError
from drift_retrain_local.stack.template import StackTemplate

__all__ = ["check_rules", "refused_rules"]


def refused_rules(template: StackTemplate) -> dict[str, str]:
    """Each rule whose ``RuleCondition`` holds and one of whose assertions fails: its description."""
    refused = {}
    for name, rule in (template.document.get("Rules") or {}).items():
        if "RuleCondition" in rule and not template.resolve(rule["RuleCondition"]):
            continue
        for assertion in rule["Assertions"]:
            if not template.resolve(assertion["Assert"]):
                refused[name] = assertion.get("AssertDescription", name)
                break
    return refused


def check_rules(template: StackTemplate) -> None:
    """Raise :class:`TemplateError` as CloudFormation would refuse the parameters."""
    refused = refused_rules(template)
    if refused:
        raise TemplateError("; ".join(f"rule {name}: {text}" for name, text in refused.items()))
