"""Constants, generated data and events shared by the functional tests (imported by conftest and tests).

Named uniquely (not ``helpers``) because pytest's default import mode puts each test folder on sys.path.
"""

from __future__ import annotations

import functools
import json
import threading
from typing import Any, ClassVar

import boto3
import numpy as np
import pandas as pd
import requests
from support.paths import EVENTS, FUNCTIONS

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "drift-data-bucket"
PROFILE_KEY = "baseline/current/profile.json"
ENDPOINT_NAME = "churn-champion"
STATE_MACHINE_NAME = "RetrainStateMachine"
NAMESPACE = "DriftRetrainTest"
SERVICE = "detect-drift"
HANDLER_PATH = FUNCTIONS / "detect_drift" / "app.py"
TRIVIAL_DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
MOTO_SAGEMAKER_RESULTS = "http://motoapi.amazonaws.com/moto-api/static/sagemaker/endpoint-results"

LABEL = "churned"
NUMERIC = ["tenure", "monthly_charges", "support_calls"]
CATEGORICAL = ["plan", "region"]
COLUMNS = [LABEL, *NUMERIC, *CATEGORICAL]
BASELINE_ERROR_RATE = 0.10


@functools.cache
def moto_client(service: str) -> Any:
    """One boto3 client per service for the whole test process (used only inside ``mock_aws``).

    A client holds no AWS state: moto's backends do, and ``mock_aws`` resets them for every test. Making a
    client costs more than most functional tests, so the tests and the handlers under test share these.
    A test that changes a client (registers an event handler, stubs it) makes its own.
    """
    return boto3.client(service, region_name=REGION)


class Clients:
    """The moto clients of the ``clients`` fixture by short name (``s3``, ``sfn``, ``sns``, ``sqs``,
    ``sagemaker``, ``runtime``)."""

    SERVICES: ClassVar[dict[str, str]] = {
        "s3": "s3",
        "sfn": "stepfunctions",
        "sns": "sns",
        "sqs": "sqs",
        "sagemaker": "sagemaker",
        "runtime": "sagemaker-runtime",
    }

    def __getattr__(self, name: str) -> Any:
        if name not in self.SERVICES:
            raise AttributeError(name)
        return moto_client(self.SERVICES[name])


def queue_results(bodies: list[str], content_type: str = "text/csv") -> None:
    """Queue InvokeEndpoint answers in moto (one per request, in order) through its moto-api endpoint.

    moto answers each distinct request body with the next queued result (and repeats it for the same
    body), so a test that knows how the predictor chunks its rows can supply per-row predictions.
    """
    response = requests.post(
        MOTO_SAGEMAKER_RESULTS,
        json={
            "account_id": ACCOUNT,
            "region": REGION,
            "results": [
                {"Body": body, "ContentType": content_type, "InvokedProductionVariant": "AllTraffic"}
                for body in bodies
            ],
        },
        timeout=10,
    )
    response.raise_for_status()


# --- data -------------------------------------------------------------------------------------------


def make_frame(rows: int, *, seed: int, shift: float = 0.0, label_flip: float = 0.0) -> pd.DataFrame:
    """Churn-like data: 3 numeric and 2 categorical features and a 0/1 label.

    ``shift`` moves the numeric features by that many standard deviations (feature drift);
    ``label_flip`` flips that share of labels (concept drift with unchanged features).
    """
    rng = np.random.default_rng(seed)
    tenure = rng.normal(36 + 12 * shift, 12, rows).round(1)
    charges = rng.normal(70 + 20 * shift, 20, rows).round(2)
    calls = rng.poisson(2 + 2 * max(shift, 0), rows).astype(float)
    plan = rng.choice(["basic", "plus", "premium"], rows, p=[0.5, 0.3, 0.2])
    region = rng.choice(["north", "south", "east", "west"], rows)
    score = -0.05 * tenure + 0.03 * charges + 0.4 * calls + rng.normal(0, 1, rows)
    label = (score > np.median(score)).astype(int)
    if label_flip:
        flip = rng.random(rows) < label_flip
        label = np.where(flip, 1 - label, label)
    return pd.DataFrame(
        {
            LABEL: label,
            "tenure": tenure,
            "monthly_charges": charges,
            "support_calls": calls,
            "plan": plan,
            "region": region,
        }
    )


def frame_to_csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def load_event(name: str = "detect_drift_object_created.json") -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def object_created_event(
    bucket: str, key: str, *, version_id: str | None, etag: str, size: int
) -> dict[str, Any]:
    """The checked-in sample event, pointed at an object the test uploaded."""
    event = load_event()
    event["resources"] = [f"arn:aws:s3:::{bucket}"]
    detail = event["detail"]
    detail["bucket"]["name"] = bucket
    detail["object"] = {"key": key, "size": size, "etag": etag.strip('"'), "sequencer": "0062E99A88DC407460"}
    if version_id is not None:
        detail["object"]["version-id"] = version_id
    return event


def read_report(clients, bucket: str, key: str) -> dict:
    return json.loads(clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def list_executions(clients, state_machine_arn: str) -> list[dict]:
    return clients.sfn.list_executions(stateMachineArn=state_machine_arn)["executions"]


def list_keys(clients, bucket: str, prefix: str) -> list[str]:
    listing = clients.s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


class AtomicPuts:
    """PutObject's condition check and write made one step, as S3 makes them: moto checks ``If-Match`` or
    ``If-None-Match`` and then stores, unlocked, so two threads could both pass the check (a moto race,
    seen 1 run in 6); reads and listings stay concurrent, so writers still race and losers still retry."""

    def __init__(self, s3: Any) -> None:
        self._s3 = s3
        self._lock = threading.Lock()

    def put_object(self, **kwargs: Any) -> Any:
        with self._lock:
            return self._s3.put_object(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)
