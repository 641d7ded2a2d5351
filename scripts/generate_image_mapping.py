"""Generate the template's ``XGBoostImage`` and ``LinearLearnerImage`` Mappings (image URI per region).

The image URIs come from the SageMaker Python SDK's own table (``sagemaker.image_uris.retrieve``), so they
are never typed by hand. The SDK is large (and never shipped in a Lambda): run this script in a throwaway
virtual environment, not in the project's::

    python3 -m venv /tmp/sm-venv
    /tmp/sm-venv/bin/pip install 'sagemaker>=2.200,<3'
    /tmp/sm-venv/bin/python scripts/generate_image_mapping.py --write template.yaml

Without ``--write`` the Mappings are printed. With it, the block between the ``# BEGIN <Name> mapping`` and
``# END <Name> mapping`` markers of the template is replaced, for each Mapping.

Each region gets ``Uri`` (the training/inference image; both built-in algorithms use one image for both)
and ``RepositoryArn`` (for the SageMaker execution role's ECR pull permission). A region is listed only
when the SDK knows both algorithms there, so the template's lookups never miss.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

DEFAULT_VERSION = "1.7-1"
#: Mapping name -> (the SDK's framework name, container version; None = the newest the SDK knows).
MAPPINGS = {"XGBoostImage": ("xgboost", DEFAULT_VERSION), "LinearLearnerImage": ("linear-learner", None)}

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


def _markers(name: str) -> tuple[str, str]:
    return f"# BEGIN {name} mapping", f"# END {name} mapping"


def image_table(framework: str, version: str | None) -> tuple[str, dict[str, dict[str, str]]]:
    """(version, region -> {"Uri", "RepositoryArn"}) for a built-in algorithm, from the sagemaker SDK."""
    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    from sagemaker import image_uris  # imported here: the SDK is only present in the throwaway venv

    config = image_uris.config_for_framework(framework)
    versions = config["training"]["versions"] if "training" in config else config["versions"]
    version = version or sorted(versions)[-1]
    if version not in versions:
        raise SystemExit(f"unknown {framework} version {version!r}; the SDK knows {sorted(versions)}")
    table: dict[str, dict[str, str]] = {}
    for region in sorted(versions[version]["registries"]):
        if region.startswith(_SKIPPED_REGION_PREFIXES):
            continue
        uri = image_uris.retrieve(framework, region=region, version=version)
        match = _URI.match(uri)
        if match is None:
            raise SystemExit(f"unexpected image URI format: {uri}")
        arn = (
            f"arn:{partition_for(region)}:ecr:{match['region']}:{match['account']}:repository/{match['repo']}"
        )
        table[region] = {"Uri": uri, "RepositoryArn": arn}
    return version, table


def render(name: str, framework: str, table: dict[str, dict[str, str]], version: str, sdk: str) -> str:
    """The YAML block (markers included) of one Mapping (the first one opens ``Mappings:``)."""
    begin, end = _markers(name)
    lines = [
        begin,
        f"# {framework} {version}, sagemaker SDK {sdk}; regenerate with scripts/generate_image_mapping.py.",
        *(["Mappings:"] if name == next(iter(MAPPINGS)) else []),
        f"  {name}:",
    ]
    for region, entry in table.items():
        lines += [
            f"    {region}:",
            f"      Uri: {entry['Uri']}",
            f"      RepositoryArn: {entry['RepositoryArn']}",
        ]
    lines.append(end)
    return "\n".join(lines) + "\n"


def replace_block(template_text: str, name: str, block: str) -> str:
    """Replace the marked block of Mapping ``name`` in ``template_text`` by ``block``."""
    begin, end = _markers(name)
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n", re.DOTALL)
    if not pattern.search(template_text):
        raise SystemExit(f"markers {begin!r} / {end!r} not found in the template")
    return pattern.sub(lambda _m: block, template_text, count=1)


def blocks(sdk_version: str, xgboost_version: str) -> dict[str, str]:
    """Every Mapping's block, limited to the regions where the SDK has every algorithm."""
    tables = {}
    for name, (framework, version) in MAPPINGS.items():
        version = xgboost_version if framework == "xgboost" else version
        tables[name] = (framework, *image_table(framework, version))
    common = set.intersection(*(set(table) for _, _, table in tables.values()))
    return {
        name: render(name, framework, {r: e for r, e in table.items() if r in common}, version, sdk_version)
        for name, (framework, version, table) in tables.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--version", default=DEFAULT_VERSION, help=f"xgboost container version ({DEFAULT_VERSION})"
    )
    parser.add_argument("--write", type=Path, help="template to update in place (between the markers)")
    args = parser.parse_args(argv)

    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    import sagemaker  # imported here: the SDK is only present in the throwaway venv

    rendered = blocks(sagemaker.__version__, args.version)
    if args.write:
        text = args.write.read_text()
        for name, block in rendered.items():
            text = replace_block(text, name, block)
        args.write.write_text(text)
        print(f"updated {args.write}", file=sys.stderr)
    else:
        sys.stdout.write("".join(rendered.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
