"""Parse a CloudFormation/SAM template with PyYAML: CloudFormation's short-form tags (``!Ref``,
``!Sub``, ...) become their long forms, so the resolver sees one shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from drift_retrain_local.exceptions import TemplateError

__all__ = ["load_template"]

_SHORT_TAGS = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    "!Sub": "Fn::Sub",
    "!GetAtt": "Fn::GetAtt",
    "!If": "Fn::If",
    "!Equals": "Fn::Equals",
    "!Not": "Fn::Not",
    "!And": "Fn::And",
    "!Or": "Fn::Or",
    "!FindInMap": "Fn::FindInMap",
    "!Join": "Fn::Join",
    "!Select": "Fn::Select",
    "!Split": "Fn::Split",
    "!Base64": "Fn::Base64",
    "!GetAZs": "Fn::GetAZs",
    "!ImportValue": "Fn::ImportValue",
    "!Cidr": "Fn::Cidr",
    "!Transform": "Fn::Transform",
    "!ToJsonString": "Fn::ToJsonString",
    "!Length": "Fn::Length",
}


#: libyaml's parser when PyYAML was built with it (about ten times faster on this template), else Python's.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _CfnLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """SafeLoader that turns CloudFormation short-form tags into their long-form mappings."""


def _construct_short_form(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = _SHORT_TAGS.get("!" + tag_suffix)
    if name is None:
        raise TemplateError(f"unknown CloudFormation tag !{tag_suffix} at {node.start_mark}")
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_short_form)


def load_template(path: str | Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template, short-form tags included.

    Parameters
    ----------
    path : str or Path
        The template file (YAML or JSON).

    Returns
    -------
    dict
        The template with every short-form tag as its long form (``!Ref X`` -> ``{"Ref": "X"}``).
    """
    text = Path(path).read_text(encoding="utf-8")
    document = yaml.load(text, Loader=_CfnLoader)
    if not isinstance(document, dict) or "Resources" not in document:
        raise TemplateError(f"{path} is not a CloudFormation template (no Resources)")
    return document
