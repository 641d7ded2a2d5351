"""Write the template as CloudFormation deploys it (after the SAM transform), for checkov to scan.

checkov reads ``AWS::Serverless::*`` resources only partly and never sees what SAM generates (the
functions' roles, the EventBridge rules and their targets, the state machine). Runs in the checkov venv
(``make scan``), where ``aws-sam-translator`` is pinned beside checkov: no AWS call is made. Local code
paths become placeholder S3 locations, and the state machine's definition file is inlined, as
``sam package`` / ``sam deploy`` would do, so checkov sees the real definition.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

_CODE_PROPERTIES = {"CodeUri", "ContentUri"}


class _NoManagedPolicies:
    """The template names no managed policy, so nothing is looked up in IAM."""

    def load(self) -> dict[str, str]:
        return {}


def _packaged(template: dict[str, Any], root: Path) -> dict[str, Any]:
    """What ``sam package`` uploads becomes an S3 location; the definition file is inlined."""
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        for key in _CODE_PROPERTIES & properties.keys():
            if isinstance(properties[key], str):
                properties[key] = f"s3://placeholder-bucket/{properties[key].strip('/')}.zip"
        if isinstance(properties.get("DefinitionUri"), str):
            path = root / properties.pop("DefinitionUri")
            properties["Definition"] = json.loads(path.read_text(encoding="utf-8"))
    return template


def main(source: str, target: str) -> None:
    path = Path(source)
    template = _packaged(yaml_parse(path.read_text(encoding="utf-8")), path.parent)
    # SAM asks a boto3 session for a region (the partition of the ARNs it writes); no call is made.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    transformed = transform(template, {}, _NoManagedPolicies(), passthrough_metadata=True)
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_text(json.dumps(transformed, indent=1, sort_keys=True), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:3])
