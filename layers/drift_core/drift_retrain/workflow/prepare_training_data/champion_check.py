"""Before any training: will the serving model be guarded and scored the way the workflow assumes?

Two facts no local test can show, checked in seconds instead of discovered after every candidate has
trained (docs/aws-notes.md, findings 5 and 7):

- **the rollback alarms watch the serving variant.** A blue/green update keeps the variant name
  ("your new endpoint configuration must have the same variant name as the old endpoint configuration",
  https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html), and the
  template's alarms watch ``VariantName``. An endpoint that predates the stack with another variant name
  would be updated under alarms that see no data and never roll back: refused
  (``ChampionVariantMismatchError``).
- **the champion's own role can read and write what its transform needs.** CreateTransformJob takes no
  role: the job runs with the champion *model's* execution role, which, for a model that predates the
  stack, may not read ``training/`` or write ``transforms/``. When that role is not the stack's, its
  permissions are simulated (``iam:SimulatePrincipalPolicy``) and a definite denial is refused
  (``ChampionRoleError``); when the simulation itself is not possible, a warning is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from drift_retrain.aws.exceptions import client_error_code, client_error_message
from drift_retrain.workflow.shared.exceptions import ChampionRoleError, ChampionVariantMismatchError

__all__ = ["ChampionCheckSettings", "check_champion"]

logger = logging.getLogger(__name__)

#: What the champion's transform does with its role: read its held-out rows, write its predictions.
TRANSFORM_ACCESS = (("s3:GetObject", "training/"), ("s3:PutObject", "transforms/"))


@dataclass(frozen=True)
class ChampionCheckSettings:
    endpoint_name: str
    variant_name: str
    role_arn: str
    bucket: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ChampionCheckSettings | None:
        """``None`` when the function is not configured for the check (no ``ENDPOINT_NAME``)."""
        if not environ.get("ENDPOINT_NAME"):
            return None
        return cls(
            endpoint_name=environ["ENDPOINT_NAME"],
            variant_name=environ.get("VARIANT_NAME", ""),
            role_arn=environ.get("SAGEMAKER_ROLE_ARN", ""),
            bucket=environ.get("DATA_BUCKET", ""),
        )


def _serving_variant(sagemaker: Any, endpoint_name: str) -> dict[str, Any] | None:
    try:
        endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    except ClientError as error:
        if (
            "Could not find endpoint" in client_error_message(error)
            or client_error_code(error) == "ResourceNotFound"
        ):
            return None  # a first deployment: nothing serves yet
        raise
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    return dict(config["ProductionVariants"][0])


def _denied_actions(iam: Any, role_arn: str, bucket: str) -> list[str] | None:
    """Actions of :data:`TRANSFORM_ACCESS` the role is denied; ``None`` when IAM cannot tell us."""
    partition = role_arn.split(":")[1] if role_arn.count(":") >= 5 else "aws"
    denied = []
    for action, prefix in TRANSFORM_ACCESS:
        resource = f"arn:{partition}:s3:::{bucket}/{prefix}champion-check"
        try:
            response = iam.simulate_principal_policy(
                PolicySourceArn=role_arn, ActionNames=[action], ResourceArns=[resource]
            )
        except (ClientError, NotImplementedError) as error:
            logger.warning(
                "cannot simulate the champion role's permissions: %s", error, extra={"role": role_arn}
            )
            return None
        if any(r.get("EvalDecision") != "allowed" for r in response.get("EvaluationResults", [])):
            denied.append(f"{action} on s3://{bucket}/{prefix}*")
    return denied


def check_champion(sagemaker: Any, iam: Any, settings: ChampionCheckSettings) -> dict[str, Any] | None:
    """Refuse a retrain whose promotion would be unguarded or whose champion transform would be denied.

    Returns
    -------
    dict or None
        The serving model, variant and execution role; ``None`` when no endpoint serves yet.

    Raises
    ------
    ChampionVariantMismatchError
        The serving variant is not the one the rollback alarms watch.
    ChampionRoleError
        The champion model's execution role is denied what its batch transform needs.
    """
    variant = _serving_variant(sagemaker, settings.endpoint_name)
    if variant is None:
        return None
    if settings.variant_name and variant["VariantName"] != settings.variant_name:
        raise ChampionVariantMismatchError(
            f"endpoint {settings.endpoint_name} serves variant {variant['VariantName']!r}, but the rollback "
            f"alarms watch VariantName={settings.variant_name!r}: a blue/green update keeps the variant name, "
            "so the alarms would never fire. Redeploy the stack with "
            f"VariantName={variant['VariantName']} (docs/deployment.md)."
        )
    model = sagemaker.describe_model(ModelName=variant["ModelName"])
    role = str(model.get("ExecutionRoleArn") or "")
    if settings.role_arn and role != settings.role_arn and settings.bucket:
        denied = _denied_actions(iam, role, settings.bucket)
        if denied:
            raise ChampionRoleError(
                f"the champion model {variant['ModelName']} runs with role {role}, not this stack's: its batch "
                f"transform would be denied {', '.join(denied)}. Grant that role these permissions, or "
                "deploy a first model through this stack (a bootstrap run) (docs/deployment.md)."
            )
    return {
        "model_name": variant["ModelName"],
        "variant_name": variant["VariantName"],
        "execution_role": role,
    }
