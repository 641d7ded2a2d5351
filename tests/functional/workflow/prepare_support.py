"""PrepareTrainingData's test set-up: settings, a Step Functions input, a champion profile in S3, and a
reader for the channels it writes."""

from __future__ import annotations

import gzip
import io

import pandas as pd
from wf_helpers import BUCKET, make_frame

from drift_retrain.engine.profile import BaselineProfile, build_profile
from drift_retrain.engine.schema import infer_schema
from drift_retrain.workflow.prepare_training_data.retrain_run import PrepareSettings
from drift_retrain.workflow.prepare_training_data.window import WindowSettings
from drift_retrain.workflow.shared.algorithms import AlgorithmSettings, parse_algorithms

EXECUTION_ARN = "arn:aws:states:us-east-1:123456789012:execution:drift-retrain-retrain:run-1"


#: Images as the template's Mappings give them to the Lambda (any URI: nothing pulls them here).
IMAGES = {
    "xgboost": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
    "linear-learner": "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1",
}


def settings(algorithms: str = "xgboost", **window) -> PrepareSettings:
    return PrepareSettings(
        bucket=BUCKET,
        window=WindowSettings(min_training_rows=100, **window),
        algorithms=AlgorithmSettings(parse_algorithms(algorithms), IMAGES),
    )


def event(key: str, *, bootstrap: bool = False, version_id: str | None = None) -> dict:
    trigger = {
        "batch": {
            "bucket": BUCKET,
            "key": key,
            "version_id": version_id,
            "etag": "e",
            "batch_id": key.rsplit("/", 1)[-1],
        },
        "report": None if bootstrap else {"bucket": BUCKET, "key": "reports/drift/x.json"},
        "reasons": ["concept drift"],
        "drifted_features": [],
        "concept_drift": True,
        "labelled_rows": 600,
    }
    if bootstrap:
        trigger["bootstrap"] = True
    return {
        "execution_name": "run-1",
        "execution_arn": EXECUTION_ARN,
        "execution_start": "2026-03-04T05:06:07.890Z",
        "trigger": trigger,
    }


def seed_champion(s3, rows: int = 800) -> BaselineProfile:
    frame = make_frame(rows, seed=100)
    schema = infer_schema(frame, label="label")
    profile = build_profile(frame, schema)
    s3.put_object(Bucket=BUCKET, Key="baseline/current/profile.json", Body=profile.to_json_bytes())
    return profile


def read_csv(s3, key: str, header: bool = False) -> pd.DataFrame:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    if key.endswith(".gz"):
        body = gzip.decompress(body)
    return pd.read_csv(io.BytesIO(body), header=0 if header else None)
