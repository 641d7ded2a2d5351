"""PromoteModel against moto S3 + SageMaker: profile, registry, lineage, cleanup, and its bad inputs."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta

import pytest
from wf_helpers import BUCKET, make_frame

from drift_retrain.engine.performance import HoldoutPerformance
from drift_retrain.engine.profile import BaselineProfile, build_profile
from drift_retrain.engine.schema import infer_schema
from drift_retrain.exceptions import ProfileError
from drift_retrain.workflow.promote_model.cleanup import MAX_TAG_CHECKS, plan_cleanup
from drift_retrain.workflow.promote_model.promotion import PromoteSettings, promote_model
from drift_retrain.workflow.promote_model.registry import Resource
from drift_retrain.workflow.shared.exceptions import RegistryError, WorkflowInputError
from drift_retrain.workflow.shared.naming import STACK_TAG

ROLE = "arn:aws:iam::123456789012:role/sagemaker"
STACK = "test-stack"
SETTINGS = PromoteSettings(bucket=BUCKET, keep_last=2, stack_name=STACK)


def create_version(sagemaker, name: str, stack: str | None = STACK) -> None:
    """A model and an endpoint config named ``name``, tagged as ``stack``'s (untagged when None)."""
    tags = [] if stack is None else [{"Key": STACK_TAG, "Value": stack}]
    sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": "xgb", "ModelDataUrl": f"s3://{BUCKET}/models/{name}/m.tar.gz"},
        Tags=tags,
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        Tags=tags,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": name,
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )


def stage(clients, model: str = "drift-xgb-4") -> dict:
    frame = make_frame(500, seed=3)
    profile = build_profile(frame, infer_schema(frame, label="label"))
    clients.s3.put_object(
        Bucket=BUCKET, Key="training/run-1/candidate-profile.json", Body=profile.to_json_bytes()
    )
    clients.s3.put_object(
        Bucket=BUCKET, Key="training/run-1/raw/training-data.csv.gz", Body=gzip.compress(b"x1,label\n1,0\n")
    )
    clients.s3.put_object(Bucket=BUCKET, Key="baseline/current/profile.json", Body=b'{"old": true}')
    for i in range(5):
        create_version(clients.sagemaker, f"drift-xgb-{i}")
    clients.sagemaker.create_model(
        ModelName="someone-else",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": "x", "ModelDataUrl": "s3://b/k"},
    )
    return {
        "execution_name": "run-1",
        "execution_arn": "arn:aws:states:us-east-1:123456789012:execution:sm:run-1",
        "endpoint_name": "drift-retrain-endpoint",
        "training_image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "trigger": {
            "bootstrap": False,
            "batch": {"bucket": BUCKET, "key": "incoming/new.csv", "batch_id": "new-1"},
            "report": {"bucket": BUCKET, "key": "reports/drift/new-1.json"},
            "reasons": ["concept drift: error rate 0.31 vs baseline 0.05"],
        },
        "data": {
            "names": {"base": "drift-xgb-run", "endpoint_config": model},
            "manifest": {"bucket": BUCKET, "key": "training/run-1/manifest.json"},
        },
        "evaluation": {
            "decision": "promote",
            "reasons": ["candidate wins"],
            "winner": {
                "id": "candidate-1",
                "strategy": "since_change",
                "model_name": model,
                "training_job": f"{model}-train-1",
                "model_artifacts": f"s3://{BUCKET}/models/{model}/artifacts/model.tar.gz",
                "candidate_profile": {"bucket": BUCKET, "key": "training/run-1/candidate-profile.json"},
                "raw_training_data": {"bucket": BUCKET, "key": "training/run-1/raw/training-data.csv.gz"},
            },
            "candidate_holdout": HoldoutPerformance(task="binary", rows=100, errors=4).to_dict(),
            "report": {
                "bucket": BUCKET,
                "key": "reports/evaluation/run-1.json",
                "uri": f"s3://{BUCKET}/reports/evaluation/run-1.json",
            },
        },
        "champion": {"exists": True, "model_name": "drift-xgb-3", "endpoint_config_name": "drift-xgb-3"},
    }


def read_json(s3, key: str) -> dict:
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def test_promotion_writes_profile_registry_lineage_and_cleans_up(clients):
    event = stage(clients)
    result = promote_model(clients.s3, clients.sagemaker, SETTINGS, event)

    current = BaselineProfile.from_json_bytes(
        clients.s3.get_object(Bucket=BUCKET, Key="baseline/current/profile.json")["Body"].read()
    )
    assert current.holdout == HoldoutPerformance(task="binary", rows=100, errors=4)
    assert current.metadata["model_name"] == "drift-xgb-4"
    assert current.metadata["drift_report"] == f"s3://{BUCKET}/reports/drift/new-1.json"
    assert current.metadata["training_data"] == {
        "bucket": BUCKET,
        "key": "models/drift-xgb-4/training-data.csv.gz",
    }
    assert (
        clients.s3.get_object(Bucket=BUCKET, Key="models/drift-xgb-4/profile.json")["Body"].read()
        == current.to_json_bytes()
    )
    assert clients.s3.head_object(Bucket=BUCKET, Key="models/drift-xgb-4/training-data.csv.gz")
    versions = clients.s3.list_object_versions(Bucket=BUCKET, Prefix="baseline/current/profile.json")[
        "Versions"
    ]
    assert len(versions) == 2  # the previous baseline is kept by bucket versioning

    packages = clients.sagemaker.list_model_packages(ModelPackageGroupName="drift-retrain-models")[
        "ModelPackageSummaryList"
    ]
    assert len(packages) == 1 and packages[0]["ModelApprovalStatus"] == "Approved"
    assert result["model_package_arn"] == packages[0]["ModelPackageArn"]

    lineage = read_json(clients.s3, "reports/lineage/run-1.json")
    assert lineage["batch"]["key"] == "incoming/new.csv"
    assert lineage["drift_report"] == f"s3://{BUCKET}/reports/drift/new-1.json"
    assert lineage["training_job"] == "drift-xgb-4-train-1"
    assert (lineage["model"], lineage["endpoint_config"], lineage["endpoint"]) == (
        "drift-xgb-4",
        "drift-xgb-4",
        "drift-retrain-endpoint",
    )
    assert lineage["previous_champion"]["model"] == "drift-xgb-3"

    configs = {c["EndpointConfigName"] for c in clients.sagemaker.list_endpoint_configs()["EndpointConfigs"]}
    models = {m["ModelName"] for m in clients.sagemaker.list_models()["Models"]}
    assert "drift-xgb-4" in configs and "drift-xgb-4" in models
    assert len(configs) == 2 and "someone-else" in models  # other prefixes are never touched
    assert sorted(result["cleanup"]["deleted_configs"]) == sorted(
        {f"drift-xgb-{i}" for i in range(5)} - configs
    )
    json.dumps(result, allow_nan=False)


def test_cleanup_deletes_only_this_stacks_tagged_versions(clients):
    """Same prefix, older than everything kept: an untagged and a foreign-tagged version survive."""
    event = stage(clients)
    create_version(clients.sagemaker, "drift-xgb-untagged", stack=None)
    create_version(clients.sagemaker, "drift-xgb-other", stack="other-stack")
    result = promote_model(clients.s3, clients.sagemaker, SETTINGS, event)

    configs = {c["EndpointConfigName"] for c in clients.sagemaker.list_endpoint_configs()["EndpointConfigs"]}
    models = {m["ModelName"] for m in clients.sagemaker.list_models()["Models"]}
    assert {"drift-xgb-untagged", "drift-xgb-other"} <= configs & models
    assert configs == {"drift-xgb-untagged", "drift-xgb-other", "drift-xgb-4", "drift-xgb-3"}
    assert set(result["cleanup"]["deleted_configs"]) == {f"drift-xgb-{i}" for i in range(3)}
    assert set(result["cleanup"]["deleted_models"]) == {f"drift-xgb-{i}" for i in range(3)}
    assert result["cleanup"]["errors"] == []


def test_cleanup_without_a_stack_name_deletes_nothing(clients):
    event = stage(clients)
    result = promote_model(clients.s3, clients.sagemaker, PromoteSettings(bucket=BUCKET, keep_last=1), event)
    assert result["cleanup"]["deleted_configs"] == [] == result["cleanup"]["deleted_models"]
    assert "STACK_NAME" in result["cleanup"]["errors"][0]
    assert len(clients.sagemaker.list_endpoint_configs()["EndpointConfigs"]) == 5


def test_cleanup_reads_a_bounded_number_of_tags(clients, monkeypatch):
    """Tags are read for the newest MAX_TAG_CHECKS candidates only; the older ones are reported."""
    from drift_retrain.workflow.promote_model import cleanup, registry

    event = stage(clients)
    calls: list[str] = []
    real = registry.resource_tags

    def counting(sagemaker, arn):
        calls.append(arn)
        return real(sagemaker, arn)

    monkeypatch.setattr(registry, "resource_tags", counting)
    monkeypatch.setattr(cleanup, "MAX_TAG_CHECKS", 3)
    result = promote_model(clients.s3, clients.sagemaker, SETTINGS, event)
    assert len(calls) == 6  # 3 configs + 3 models
    assert sorted(result["cleanup"]["unchecked"]) == sorted(["drift-xgb-0", "drift-xgb-1"] * 2)
    assert MAX_TAG_CHECKS >= 10


def test_a_resource_whose_tags_cannot_be_read_is_kept_and_reported(clients, monkeypatch):
    from drift_retrain.workflow.promote_model import registry

    event = stage(clients)
    real = registry.resource_tags

    def denied_for_version_0(sagemaker, arn):
        if arn.endswith("/drift-xgb-0"):
            raise RegistryError(f"ListTags {arn} failed: AccessDeniedException", code="AccessDeniedException")
        return real(sagemaker, arn)

    monkeypatch.setattr(registry, "resource_tags", denied_for_version_0)
    result = promote_model(clients.s3, clients.sagemaker, SETTINGS, event)
    assert "drift-xgb-0" not in result["cleanup"]["deleted_configs"] + result["cleanup"]["deleted_models"]
    assert sum("AccessDeniedException" in e for e in result["cleanup"]["errors"]) == 2  # config and model
    assert set(result["cleanup"]["deleted_configs"]) == {"drift-xgb-1", "drift-xgb-2"}


def test_a_retried_promotion_changes_nothing_more(clients):
    """PromoteModel is retried by the state machine: a second run of the same execution registers no
    second package and leaves the same baseline (the reference is not lost by reading its own profile)."""
    event = stage(clients)
    first = promote_model(clients.s3, clients.sagemaker, SETTINGS, event)
    baseline = clients.s3.get_object(Bucket=BUCKET, Key="baseline/current/profile.json")["Body"].read()
    again = promote_model(clients.s3, clients.sagemaker, SETTINGS, event)
    packages = clients.sagemaker.list_model_packages(ModelPackageGroupName="drift-retrain-models")[
        "ModelPackageSummaryList"
    ]
    assert [p["ModelPackageArn"] for p in packages] == [first["model_package_arn"]]
    assert again["model_package_arn"] == first["model_package_arn"]
    rewritten = BaselineProfile.from_json_bytes(
        clients.s3.get_object(Bucket=BUCKET, Key="baseline/current/profile.json")["Body"].read()
    )
    before = BaselineProfile.from_json_bytes(baseline)
    assert rewritten.holdout == before.holdout and rewritten.reference == before.reference
    assert rewritten.metadata["model_name"] == before.metadata["model_name"]


def test_plan_cleanup_keeps_newest_protected_and_used_models():
    t = datetime(2026, 1, 1, tzinfo=UTC)
    configs = [Resource(f"p-{i}", t - timedelta(days=i)) for i in range(5)]
    models = [Resource(f"p-m{i}", t - timedelta(days=i)) for i in range(6)]
    plan = plan_cleanup(
        configs,
        models,
        keep_last=2,
        protected_configs={"p-4"},
        protected_models={"p-m5"},
        config_models={"p-0": ["p-m0"], "p-1": ["p-m3"], "p-4": ["p-m4"]},
    )
    assert plan.delete_configs == ["p-2", "p-3"]
    assert plan.keep_configs == ["p-0", "p-1", "p-4"]
    assert set(plan.delete_models) == {"p-m2"}


def test_corrupt_candidate_profile_leaves_the_baseline_alone(clients):
    event = stage(clients)
    clients.s3.put_object(Bucket=BUCKET, Key="training/run-1/candidate-profile.json", Body=b"not json")
    with pytest.raises(ProfileError, match="candidate profile"):
        promote_model(clients.s3, clients.sagemaker, SETTINGS, event)
    assert (
        clients.s3.get_object(Bucket=BUCKET, Key="baseline/current/profile.json")["Body"].read()
        == b'{"old": true}'
    )
    assert len(clients.sagemaker.list_endpoint_configs()["EndpointConfigs"]) == 5


def test_missing_fields_are_an_input_error(clients):
    event = stage(clients)
    del event["evaluation"]["candidate_holdout"]
    with pytest.raises(WorkflowInputError, match="candidate_holdout"):
        promote_model(clients.s3, clients.sagemaker, SETTINGS, event)


def test_registry_failure_is_raised_after_profile_and_lineage(clients, monkeypatch):
    event = stage(clients)
    from drift_retrain.workflow.promote_model import registry

    def fail(*args, **kwargs):
        raise RegistryError(
            "CreateModelPackage in drift-retrain-models failed: ValidationException bad",
            code="ValidationException",
        )

    monkeypatch.setattr(registry, "create_model_package", fail)
    with pytest.raises(RegistryError):
        promote_model(clients.s3, clients.sagemaker, SETTINGS, event)
    assert (
        BaselineProfile.from_json_bytes(
            clients.s3.get_object(Bucket=BUCKET, Key="baseline/current/profile.json")["Body"].read()
        ).metadata["model_name"]
        == "drift-xgb-4"
    )
    assert "ValidationException" in read_json(clients.s3, "reports/lineage/run-1.json")["registry_error"]
    assert (
        len(clients.sagemaker.list_endpoint_configs()["EndpointConfigs"]) == 5
    )  # no cleanup after a failure


def test_handler(clients, load_handler, lambda_context, monkeypatch):
    monkeypatch.setenv("KEEP_LAST_MODELS", "4")
    monkeypatch.setenv("STACK_NAME", STACK)
    result = load_handler("promote_model").lambda_handler(stage(clients), lambda_context)
    assert result["cleanup"]["deleted_configs"] == ["drift-xgb-0"]  # the handler reads STACK_NAME
    assert result["baseline_profile"] == f"s3://{BUCKET}/baseline/current/profile.json"


def _profile_with(holdout: HoldoutPerformance, reference: HoldoutPerformance | None = None) -> bytes:
    frame = make_frame(200, seed=1)
    profile = build_profile(frame, infer_schema(frame, label="label"), holdout=holdout)
    profile.reference = reference
    return profile.to_json_bytes()


@pytest.mark.parametrize(
    ("old_holdout", "old_reference", "expected_reference", "recovered"),
    [
        # the old champion's 2% is the yardstick for the new model's 4% (candidate holdout: 4 of 100)
        (HoldoutPerformance("binary", 1000, 20), None, HoldoutPerformance("binary", 1000, 20), True),
        # a partial model's own 30% never becomes the reference: the 1% before the change is kept; the
        # new model's 4 errors in 100 rows are not significantly above 1% + the margin: it has recovered
        (
            HoldoutPerformance("binary", 200, 60),
            HoldoutPerformance("binary", 1000, 10),
            HoldoutPerformance("binary", 1000, 10),
            True,
        ),
        # the new model is the best seen: it is its own reference
        (HoldoutPerformance("binary", 1000, 90), None, None, True),
    ],
)
def test_the_reference_error_is_carried_over_and_recovery_reported(
    clients, old_holdout, old_reference, expected_reference, recovered
):
    event = stage(clients)
    clients.s3.put_object(
        Bucket=BUCKET, Key="baseline/current/profile.json", Body=_profile_with(old_holdout, old_reference)
    )
    result = promote_model(clients.s3, clients.sagemaker, SETTINGS, event)
    current = BaselineProfile.from_json_bytes(
        clients.s3.get_object(Bucket=BUCKET, Key="baseline/current/profile.json")["Body"].read()
    )
    assert current.holdout == HoldoutPerformance(task="binary", rows=100, errors=4)
    assert current.reference == expected_reference
    assert result["recovery"]["recovered"] is recovered
    assert result["recovery"]["holdout"] == pytest.approx(0.04)


def test_promotion_writes_the_winners_prediction_reference_next_to_the_profile(clients):
    """The winner's transform output on the held-out rows (label,probability lines) becomes the reference
    DetectDrift reads for prediction drift and the calibrated estimate of captured traffic."""
    import numpy as np

    from drift_retrain.capture.reference import PredictionReference

    event = stage(clients)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    scores = np.clip(np.where(labels == 1, 0.8, 0.2) + rng.normal(0, 0.15, 400), 0.01, 0.99)
    lines = "".join(f"{y},{p:.4f}\n" for y, p in zip(labels, scores, strict=True))
    clients.s3.put_object(
        Bucket=BUCKET, Key="transforms/run-1/candidate-1/test-data.csv.out", Body=lines.encode()
    )
    event["transforms"] = {
        "candidates": [
            {
                "id": "candidate-1",
                "status": "scored",
                "output_uri": f"s3://{BUCKET}/transforms/run-1/candidate-1/",
            }
        ]
    }
    promote_model(clients.s3, clients.sagemaker, SETTINGS, event)

    stored = clients.s3.get_object(Bucket=BUCKET, Key="baseline/current/prediction_reference.json")[
        "Body"
    ].read()
    reference = PredictionReference.from_json_bytes(stored)
    assert reference.holdout.rows == 400
    assert abs(reference.holdout.value - float(np.mean((scores > 0.5) != labels))) < 1e-9
    assert reference.calibration is not None and reference.scores is not None
    copy = clients.s3.get_object(Bucket=BUCKET, Key="models/drift-xgb-4/prediction_reference.json")[
        "Body"
    ].read()
    assert copy == stored
    profile = read_json(clients.s3, "baseline/current/profile.json")
    assert profile["metadata"]["prediction_reference"] == "baseline/current/prediction_reference.json"


def test_the_winners_per_segment_holdout_errors_go_into_the_new_baseline(clients):
    event = stage(clients)
    table = {"task": "binary", "rows": 100, "features": {"x": {"0": [60, 1], "1": [40, 3]}}}
    event["evaluation"]["candidate_holdout_segments"] = table
    promote_model(clients.s3, clients.sagemaker, SETTINGS, event)
    current = BaselineProfile.from_json_bytes(
        clients.s3.get_object(Bucket=BUCKET, Key="baseline/current/profile.json")["Body"].read()
    )
    assert current.holdout_segments is not None and current.holdout_segments.to_dict() == table


def test_an_evaluation_without_the_table_promotes_a_profile_without_it(clients):
    event = stage(clients)
    promote_model(clients.s3, clients.sagemaker, SETTINGS, event)
    current = BaselineProfile.from_json_bytes(
        clients.s3.get_object(Bucket=BUCKET, Key="baseline/current/profile.json")["Body"].read()
    )
    assert current.holdout_segments is None
    event = stage(clients)
    event["evaluation"]["candidate_holdout_segments"] = {"task": "binary", "rows": 1, "features": {"x": 3}}
    with pytest.raises(WorkflowInputError, match="candidate_holdout_segments"):
        promote_model(clients.s3, clients.sagemaker, SETTINGS, event)
