"""SageMaker adapter of PromoteModel: model registry entries and cleanup of old configs and models.

Functions take the SageMaker client as their first argument and raise
:class:`~drift_retrain.workflow.shared.exceptions.RegistryError` instead of botocore's ``ClientError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from drift_retrain.workflow.shared.exceptions import RegistryError

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient
else:
    SageMakerClient = Any

__all__ = [
    "Resource",
    "create_model_package",
    "delete_endpoint_config",
    "delete_model",
    "endpoint_config_models",
    "ensure_model_package_group",
    "find_model_package",
    "list_endpoint_configs",
    "list_models",
    "resource_tags",
]


@dataclass(frozen=True)
class Resource:
    name: str
    created: datetime
    arn: str = ""


def _error(error: ClientError, action: str) -> RegistryError:
    info = error.response.get("Error", {})
    code = str(info.get("Code", "")) or None
    return RegistryError(f"{action} failed: {code} {info.get('Message', '')}".strip(), code=code)


def ensure_model_package_group(sagemaker: SageMakerClient, group: str, description: str) -> None:
    """Create the model package group unless it exists."""
    try:
        sagemaker.describe_model_package_group(ModelPackageGroupName=group)
        return
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("ValidationException", "ResourceNotFound"):
            raise _error(error, f"DescribeModelPackageGroup {group}") from error
    try:
        sagemaker.create_model_package_group(
            ModelPackageGroupName=group, ModelPackageGroupDescription=description
        )
    except ClientError as error:
        raise _error(error, f"CreateModelPackageGroup {group}") from error


def find_model_package(
    sagemaker: SageMakerClient, group: str, execution_arn: str, newest: int = 20
) -> str | None:
    """The package an earlier attempt of the same execution registered, if any (so a retried PromoteModel
    registers once). Only the newest packages are read: a retry follows its first attempt within minutes."""
    if not execution_arn:
        return None
    try:
        listing = sagemaker.list_model_packages(
            ModelPackageGroupName=group, SortBy="CreationTime", SortOrder="Descending", MaxResults=newest
        )
        for summary in listing.get("ModelPackageSummaryList", []):
            arn = summary["ModelPackageArn"]
            described = sagemaker.describe_model_package(ModelPackageName=arn)
            if (described.get("CustomerMetadataProperties") or {}).get("execution_arn") == execution_arn:
                return str(arn)
    except ClientError as error:
        raise _error(error, f"ListModelPackages in {group}") from error
    return None


def create_model_package(
    sagemaker: SageMakerClient,
    *,
    group: str,
    description: str,
    image: str,
    model_data_url: str,
    metrics_uri: str,
    realtime_instance_types: list[str],
    transform_instance_types: list[str],
    metadata: Mapping[str, str],
) -> str:
    """Register an Approved model package; returns its ARN."""
    try:
        response = sagemaker.create_model_package(
            ModelPackageGroupName=group,
            ModelPackageDescription=description[:1024],
            ModelApprovalStatus="Approved",
            InferenceSpecification={
                "Containers": [{"Image": image, "ModelDataUrl": model_data_url}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
                "SupportedRealtimeInferenceInstanceTypes": realtime_instance_types,
                "SupportedTransformInstanceTypes": transform_instance_types,
            },
            ModelMetrics={
                "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": metrics_uri}}
            },
            CustomerMetadataProperties={k: str(v)[:256] for k, v in metadata.items() if v},
        )
    except ClientError as error:
        raise _error(error, f"CreateModelPackage in {group}") from error
    return str(response["ModelPackageArn"])


def list_endpoint_configs(sagemaker: SageMakerClient, prefix: str) -> list[Resource]:
    """Endpoint configs whose name starts with ``prefix``, newest first."""
    found = []
    try:
        for page in sagemaker.get_paginator("list_endpoint_configs").paginate(NameContains=prefix):
            for item in page.get("EndpointConfigs", []):
                if item["EndpointConfigName"].startswith(prefix):
                    found.append(
                        Resource(item["EndpointConfigName"], item["CreationTime"], item["EndpointConfigArn"])
                    )
    except ClientError as error:
        raise _error(error, "ListEndpointConfigs") from error
    return sorted(found, key=lambda r: (r.created, r.name), reverse=True)


def list_models(sagemaker: SageMakerClient, prefix: str) -> list[Resource]:
    """Models whose name starts with ``prefix``, newest first."""
    found = []
    try:
        for page in sagemaker.get_paginator("list_models").paginate(NameContains=prefix):
            for item in page.get("Models", []):
                if item["ModelName"].startswith(prefix):
                    found.append(Resource(item["ModelName"], item["CreationTime"], item["ModelArn"]))
    except ClientError as error:
        raise _error(error, "ListModels") from error
    return sorted(found, key=lambda r: (r.created, r.name), reverse=True)


def resource_tags(sagemaker: SageMakerClient, arn: str) -> dict[str, str]:
    """The tags of one SageMaker resource (``ListTags``, every page)."""
    tags: dict[str, str] = {}
    try:
        for page in sagemaker.get_paginator("list_tags").paginate(ResourceArn=arn):
            tags.update({tag["Key"]: tag["Value"] for tag in page.get("Tags", [])})
    except ClientError as error:
        raise _error(error, f"ListTags {arn}") from error
    return tags


def endpoint_config_models(sagemaker: SageMakerClient, name: str) -> list[str]:
    """Model names an endpoint config serves."""
    try:
        response = sagemaker.describe_endpoint_config(EndpointConfigName=name)
    except ClientError as error:
        raise _error(error, f"DescribeEndpointConfig {name}") from error
    return [v["ModelName"] for v in response.get("ProductionVariants", []) if v.get("ModelName")]


def delete_endpoint_config(sagemaker: SageMakerClient, name: str) -> None:
    try:
        sagemaker.delete_endpoint_config(EndpointConfigName=name)
    except ClientError as error:
        raise _error(error, f"DeleteEndpointConfig {name}") from error


def delete_model(sagemaker: SageMakerClient, name: str) -> None:
    try:
        sagemaker.delete_model(ModelName=name)
    except ClientError as error:
        raise _error(error, f"DeleteModel {name}") from error
