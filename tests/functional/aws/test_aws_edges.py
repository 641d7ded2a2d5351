"""What AWS does and moto does not: docs/aws-notes.md, findings 5 to 8.

- S3 answers a read of a missing key with 403, not 404, to a caller whose ListBucket grant is
  prefix-conditioned: the adapters confirm a 403 by listing the key (finding 6);
- an EventBridge "Object Created" event's key may or may not be URL-encoded: DetectDrift finds the
  object either way, keys with spaces, ``+``, ``%`` and non-ASCII characters included (finding 8);
- the champion check refuses a serving variant the alarms do not watch, and a champion whose own role
  would be denied its batch transform (findings 5 and 7).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from botocore.exceptions import ClientError
from functional_support import ACCOUNT, frame_to_csv_bytes

from drift_retrain.aws.exceptions import ObjectNotFoundError, StorageError
from drift_retrain.aws.objects import ObjectRef, open_object, resolve_event_key
from drift_retrain.aws.storage import current_revision, read_object, read_optional
from drift_retrain.workflow.prepare_training_data.champion_check import ChampionCheckSettings, check_champion
from drift_retrain.workflow.shared.exceptions import ChampionRoleError, ChampionVariantMismatchError

_DENIED = {
    "Error": {"Code": "AccessDenied", "Message": "Access Denied"},
    "ResponseMetadata": {"HTTPStatusCode": 403},
}


class PrefixConditionedS3:
    """An S3 client as a principal with a prefix-conditioned s3:ListBucket sees S3: a read of a missing
    key is 403 AccessDenied; ``deny`` prefixes are unreadable even when present; listing is allowed unless
    ``list_denied``."""

    def __init__(self, s3: Any, deny: tuple[str, ...] = (), list_denied: bool = False) -> None:
        self._s3, self.deny, self.list_denied = s3, deny, list_denied

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)

    def _read(self, method: str, **kwargs: Any) -> Any:
        if kwargs["Key"].startswith(self.deny):
            raise ClientError(_DENIED, method)
        try:
            return getattr(self._s3, method)(**kwargs)
        except ClientError as error:
            if error.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                raise ClientError(_DENIED, method) from error
            raise

    def get_object(self, **kwargs: Any) -> Any:
        return self._read("get_object", **kwargs)

    def head_object(self, **kwargs: Any) -> Any:
        return self._read("head_object", **kwargs)

    def list_objects_v2(self, **kwargs: Any) -> Any:
        if self.list_denied:
            raise ClientError(_DENIED, "ListObjectsV2")
        return self._s3.list_objects_v2(**kwargs)


# --- finding 6: 403 for a missing key -------------------------------------------------------------------
def test_a_403_for_a_missing_key_is_a_missing_object(clients, bucket) -> None:
    s3 = PrefixConditionedS3(clients.s3)
    clients.s3.put_object(Bucket=bucket, Key="baseline/current/profile.json.bak", Body=b"{}")

    assert read_optional(s3, bucket, "baseline/current/profile.json") is None  # a longer key is no match
    assert current_revision(s3, bucket, "incoming/gone.csv") is None
    with pytest.raises(ObjectNotFoundError):
        read_object(s3, bucket, "baseline/current/profile.json")
    with pytest.raises(ObjectNotFoundError):
        open_object(s3, ObjectRef(bucket=bucket, key="incoming/gone.csv"))


def test_a_403_for_a_present_key_stays_a_permission_error(clients, bucket) -> None:
    clients.s3.put_object(Bucket=bucket, Key="baseline/current/profile.json", Body=b"{}")
    for s3 in (
        PrefixConditionedS3(clients.s3, deny=("baseline/",)),
        PrefixConditionedS3(clients.s3, list_denied=True),
    ):
        with pytest.raises(StorageError) as raised:
            read_optional(s3, bucket, "baseline/current/profile.json" if s3.deny else "baseline/missing.json")
        assert not isinstance(raised.value, ObjectNotFoundError)
        assert raised.value.code == "AccessDenied"


def test_detect_drift_reports_no_profile_when_s3_answers_403(
    detect_drift, clients, bucket, make_frame_fn
) -> None:
    """The "no profile yet" path, as it runs on AWS with the template's grants."""
    event = detect_drift.upload("incoming/first.csv", frame_to_csv_bytes(make_frame_fn(600, seed=3)))
    detect_drift.module.clients._clients["s3"] = PrefixConditionedS3(clients.s3)

    result = detect_drift.invoke(event)

    assert result.response["status"] == "no_profile"


# --- finding 8: encoded or not, the key finds its object --------------------------------------------------
KEYS = [
    "incoming/batch with spaces.csv",
    "incoming/a+b.csv",
    "incoming/100% done.csv",
    "incoming/100%25.csv",  # looks encoded, is not
    "incoming/ünïcødé données 2024.csv",
    "incoming/a+b c%2Bd.csv",
]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize(
    "encode", [lambda k: k, quote_plus, lambda k: quote(k, safe="/")], ids=["raw", "plus", "percent"]
)
def test_an_event_key_finds_its_object_encoded_or_not(clients, bucket, key, encode) -> None:
    put = clients.s3.put_object(Bucket=bucket, Key=key, Body=b"x,y\n1,2\n")
    received = encode(key)
    assert resolve_event_key(clients.s3, bucket, received, put.get("VersionId")) == key
    assert resolve_event_key(clients.s3, bucket, received) == key


def test_when_both_forms_exist_the_version_decides(clients, bucket) -> None:
    literal = clients.s3.put_object(Bucket=bucket, Key="incoming/a+b.csv", Body=b"1")
    spaced = clients.s3.put_object(Bucket=bucket, Key="incoming/a b.csv", Body=b"2")
    assert (
        resolve_event_key(clients.s3, bucket, "incoming/a+b.csv", literal["VersionId"]) == "incoming/a+b.csv"
    )
    assert (
        resolve_event_key(clients.s3, bucket, "incoming/a+b.csv", spaced["VersionId"]) == "incoming/a b.csv"
    )


@pytest.mark.parametrize(
    "key", ["incoming/batch with spaces.csv", "incoming/a+b.csv", "incoming/ünï 100%.csv"]
)
def test_detect_drift_checks_the_batch_whatever_the_key_encoding(
    detect_drift, clients, bucket, profile_uploaded, make_frame_fn, key
) -> None:
    for received in (key, quote_plus(key, safe="/")):
        event = detect_drift.upload(key, frame_to_csv_bytes(make_frame_fn(600, seed=5)))
        event["detail"]["object"]["key"] = received
        result = detect_drift.invoke(event)
        assert result.response["status"] == "checked", result.response["message"]
        assert result.response["key"] == key


# --- findings 5 and 7: the champion check ---------------------------------------------------------------
ROLE = f"arn:aws:iam::{ACCOUNT}:role/stack-sagemaker"
FOREIGN = f"arn:aws:iam::{ACCOUNT}:role/older-team-role"


class SimulatedIam:
    def __init__(self, allowed: set[str] | None) -> None:
        self.allowed, self.calls = allowed, []

    def simulate_principal_policy(
        self, PolicySourceArn: str, ActionNames: list[str], ResourceArns: list[str]
    ):
        self.calls.append((PolicySourceArn, ActionNames[0]))
        if self.allowed is None:
            raise ClientError(_DENIED, "SimulatePrincipalPolicy")
        decision = "allowed" if ActionNames[0] in self.allowed else "implicitDeny"
        return {"EvaluationResults": [{"EvalActionName": ActionNames[0], "EvalDecision": decision}]}


def _serve(clients, role: str, variant: str = "AllTraffic") -> None:
    clients.sagemaker.create_model(
        ModelName="legacy-model",
        ExecutionRoleArn=role,
        PrimaryContainer={
            "Image": "123.dkr.ecr.us-east-1.amazonaws.com/x:1",
            "ModelDataUrl": "s3://b/m.tar.gz",
        },
    )
    clients.sagemaker.create_endpoint_config(
        EndpointConfigName="legacy-config",
        ProductionVariants=[
            {
                "VariantName": variant,
                "ModelName": "legacy-model",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    clients.sagemaker.create_endpoint(EndpointName="serving", EndpointConfigName="legacy-config")


SETTINGS = ChampionCheckSettings(
    endpoint_name="serving", variant_name="AllTraffic", role_arn=ROLE, bucket="data"
)


def test_no_endpoint_yet_passes_the_check(clients) -> None:
    assert check_champion(clients.sagemaker, SimulatedIam(set()), SETTINGS) is None


def test_the_stacks_own_champion_needs_no_simulation(clients) -> None:
    _serve(clients, ROLE)
    iam = SimulatedIam(set())
    assert check_champion(clients.sagemaker, iam, SETTINGS)["model_name"] == "legacy-model"
    assert iam.calls == []


def test_a_variant_the_alarms_do_not_watch_is_refused(clients) -> None:
    _serve(clients, ROLE, variant="variant-1")
    with pytest.raises(ChampionVariantMismatchError, match="VariantName=variant-1"):
        check_champion(clients.sagemaker, SimulatedIam(set()), SETTINGS)


def test_a_foreign_role_is_refused_only_when_iam_denies_the_transform(clients) -> None:
    _serve(clients, FOREIGN)
    with pytest.raises(ChampionRoleError, match=r"s3:PutObject on s3://data/transforms/\*"):
        check_champion(clients.sagemaker, SimulatedIam({"s3:GetObject"}), SETTINGS)
    allowed = SimulatedIam({"s3:GetObject", "s3:PutObject"})
    assert check_champion(clients.sagemaker, allowed, SETTINGS)["execution_role"] == FOREIGN
    assert {role for role, _ in allowed.calls} == {FOREIGN}
    # IAM cannot tell (the simulation is denied): a warning, not a refusal
    assert check_champion(clients.sagemaker, SimulatedIam(None), SETTINGS) is not None


def test_the_check_is_configured_from_the_template_environment() -> None:
    assert ChampionCheckSettings.from_env({}) is None
    settings = ChampionCheckSettings.from_env(
        {"ENDPOINT_NAME": "e", "VARIANT_NAME": "v", "SAGEMAKER_ROLE_ARN": ROLE, "DATA_BUCKET": "b"}
    )
    assert settings == ChampionCheckSettings("e", "v", ROLE, "b")
