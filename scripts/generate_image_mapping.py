"""Generate the template's ``XGBoostImage`` Mapping (built-in XGBoost image URI per region).

The image URIs come from the SageMaker Python SDK's own table (``sagemaker.image_uris.retrieve``), so they
are never typed by hand. The SDK is large (and never shipped in a Lambda): run this script in a throwaway
virtual environment, not in the project's::

    python3 -m venv /tmp/sm-venv
    /tmp/sm-venv/bin/pip install 'sagemaker>=2.200,<3'
    /tmp/sm-venv/bin/python scripts/generate_image_mapping.py --write template.yaml

Without ``--write`` the Mapping is printed. With it, the block between the ``# BEGIN XGBoostImage mapping``
and ``# END XGBoostImage mapping`` markers of the template is replaced.

Each region gets ``Uri`` (the training/inference image; built-in XGBoost uses one image for both) and
``RepositoryArn`` (for the SageMaker execution role's ECR pull permission).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

BEGIN = "# BEGIN XGBoostImage mapping"
END = "# END XGBoostImage mapping"
DEFAULT_VERSION = "1.7-1"

# Isolated partitions (us-iso*, eu-isoe*) are not reachable from the public SAM/CloudFormation tooling.
_SKIPPED_REGION_PREFIXES = ("us-iso", "eu-iso")
_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<repo>[^:]+):"
)


def partition_for(region: str) -> str:
    """Return the ARN partition of ``region``."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def image_table(version: str) -> dict[str, dict[str, str]]:
    """Region -> {"Uri", "RepositoryArn"} for built-in XGBoost ``version``, from the sagemaker SDK."""
    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    from sagemaker import image_uris  # imported here: the SDK is only present in the throwaway venv

    config = image_uris.config_for_framework("xgboost")
    versions = config["training"]["versions"] if "training" in config else config["versions"]
    if version not in versions:
        raise SystemExit(f"unknown xgboost version {version!r}; the SDK knows {sorted(versions)}")
    table: dict[str, dict[str, str]] = {}
    for region in sorted(versions[version]["registries"]):
        if region.startswith(_SKIPPED_REGION_PREFIXES):
            continue
        uri = image_uris.retrieve("xgboost", region=region, version=version)
        match = _URI.match(uri)
        if match is None:
            raise SystemExit(f"unexpected image URI format: {uri}")
        arn = (
            f"arn:{partition_for(region)}:ecr:{match['region']}:{match['account']}:repository/{match['repo']}"
        )
        table[region] = {"Uri": uri, "RepositoryArn": arn}
    return table


def render(table: dict[str, dict[str, str]], version: str, sdk_version: str) -> str:
    """The YAML block (markers included) for the template."""
    lines = [
        BEGIN,
        f"# xgboost {version}, sagemaker SDK {sdk_version}; regenerate with scripts/generate_image_mapping.py.",
        "Mappings:",
        "  XGBoostImage:",
    ]
    for region, entry in table.items():
        lines += [
            f"    {region}:",
            f"      Uri: {entry['Uri']}",
            f"      RepositoryArn: {entry['RepositoryArn']}",
        ]
    lines.append(END)
    return "\n".join(lines) + "\n"


def replace_block(template_text: str, block: str) -> str:
    """Replace the marked block of ``template_text`` by ``block``."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n", re.DOTALL)
    if not pattern.search(template_text):
        raise SystemExit(f"markers {BEGIN!r} / {END!r} not found in the template")
    return pattern.sub(lambda _m: block, template_text, count=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--version", default=DEFAULT_VERSION, help=f"xgboost container version ({DEFAULT_VERSION})"
    )
    parser.add_argument("--write", type=Path, help="template to update in place (between the markers)")
    args = parser.parse_args(argv)

    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    import sagemaker  # imported here: the SDK is only present in the throwaway venv

    block = render(image_table(args.version), args.version, sagemaker.__version__)
    if args.write:
        args.write.write_text(replace_block(args.write.read_text(), block))
        print(f"updated {args.write}", file=sys.stderr)
    else:
        sys.stdout.write(block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
