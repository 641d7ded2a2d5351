"""The data bucket as the template declares it, created in the embedded S3: CloudFormation's property
shapes (encryption, lifecycle, notifications) converted to the S3 API's."""

from __future__ import annotations

import json
from typing import Any

from drift_retrain_local.exceptions import DeployError

__all__ = ["create_bucket", "put_bucket_policy"]


def create_bucket(s3: Any, name: str, region: str, logical_id: str, p: dict[str, Any]) -> None:
    """Create the bucket and apply versioning, encryption, public access block, lifecycle and the
    EventBridge notification switch (any other notification is refused: it would not fire locally)."""
    kwargs: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
    if "VersioningConfiguration" in p:
        s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": p["VersioningConfiguration"]["Status"]}
        )
    if "BucketEncryption" in p:
        rules = p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        s3.put_bucket_encryption(
            Bucket=name, ServerSideEncryptionConfiguration={"Rules": [_encryption_rule(r) for r in rules]}
        )
    if "PublicAccessBlockConfiguration" in p:
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=p["PublicAccessBlockConfiguration"]
        )
    if "LifecycleConfiguration" in p:
        rules = p["LifecycleConfiguration"]["Rules"]
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={"Rules": [_lifecycle_rule(r) for r in rules]}
        )
    notification = p.get("NotificationConfiguration") or {}
    if notification:
        unsupported = set(notification) - {"EventBridgeConfiguration"}
        if unsupported:
            raise DeployError(f"{logical_id}: notifications {sorted(unsupported)} are not supported locally")
        configuration: dict[str, Any] = {}
        if (notification.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled"):
            configuration["EventBridgeConfiguration"] = {}
        s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration=configuration)


def put_bucket_policy(s3: Any, bucket: str, policy: dict[str, Any]) -> list[str]:
    """The bucket policy, less the deny statements moto cannot evaluate: deny-without-TLS (the embedded
    AWS speaks plain HTTP on loopback) and denies conditioned on the caller's principal (moto evaluates
    a condition without the request's context, so every matching request would be denied). Returns the
    Sids left out, so the deployment can list them as skipped; ``tests/static/test_bucket_policy.py``
    evaluates them instead."""
    document = dict(policy)
    kept, skipped = [], []
    for statement in document.get("Statement", []):
        if _denies_plain_http(statement) or _denies_by_principal(statement):
            skipped.append(str(statement.get("Sid", "statement")))
        else:
            kept.append(statement)
    if kept:
        document["Statement"] = kept
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(document))
    return skipped


def _denies_by_principal(statement: dict[str, Any]) -> bool:
    keys = {key for operator in (statement.get("Condition") or {}).values() for key in operator}
    return statement.get("Effect") == "Deny" and bool(keys & {"aws:PrincipalArn", "aws:PrincipalTag"})


def _denies_plain_http(statement: dict[str, Any]) -> bool:
    condition = (statement.get("Condition") or {}).get("Bool") or {}
    return statement.get("Effect") == "Deny" and str(condition.get("aws:SecureTransport")).lower() == "false"


def _encryption_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's ``ServerSideEncryptionRule`` -> the S3 API's (the default is renamed)."""
    converted = {key: value for key, value in rule.items() if key != "ServerSideEncryptionByDefault"}
    if "ServerSideEncryptionByDefault" in rule:
        converted["ApplyServerSideEncryptionByDefault"] = rule["ServerSideEncryptionByDefault"]
    return converted


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's lifecycle rule shape -> the S3 API's."""
    converted: dict[str, Any] = {
        "ID": rule["Id"],
        "Status": rule["Status"],
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "NoncurrentVersionExpiration" in rule:
        converted["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
        }
    if "AbortIncompleteMultipartUpload" in rule:
        converted["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        }
    return converted
