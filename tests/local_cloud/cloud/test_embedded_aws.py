"""The embedded AWS starts clean, restores what it changed, and only one runs per process.

No module-scoped cloud here: moto's backends are process-wide, so these tests start their own.
"""

from __future__ import annotations

import os

import boto3
import pytest

from drift_retrain_local.cloud.local_cloud import local_cloud
from drift_retrain_local.cloud.server import EmbeddedAws


def test_leaving_restores_the_environment_and_default_session() -> None:
    before_endpoint = os.environ.get("AWS_ENDPOINT_URL")
    before_session = boto3.DEFAULT_SESSION
    with EmbeddedAws() as aws:
        assert os.environ["AWS_ENDPOINT_URL"] == aws.endpoint_url
        assert aws.client("s3").list_buckets()["Buckets"] == []
    assert os.environ.get("AWS_ENDPOINT_URL") == before_endpoint
    assert boto3.DEFAULT_SESSION is before_session


def test_two_clouds_in_a_row_start_clean() -> None:
    with local_cloud() as first:
        first.client("s3").put_object(Bucket=first.stack.bucket, Key="seed/x.csv", Body=b"a\n1\n")
    with local_cloud() as second:
        listed = second.client("s3").list_objects_v2(Bucket=second.stack.bucket)
        assert listed.get("KeyCount") == 0


def test_a_second_embedded_aws_in_the_same_process_is_refused() -> None:
    with EmbeddedAws(), pytest.raises(RuntimeError, match="already running"):
        EmbeddedAws().start()


def test_each_run_gets_a_fresh_session_that_reads_service_models_once_per_process() -> None:
    sessions = []
    for _ in range(2):
        with EmbeddedAws() as aws:
            sessions.append(aws.session)
            assert aws.client("sagemaker").list_models()["Models"] == []
    first, second = (session._session for session in sessions)
    assert sessions[0] is not sessions[1] and first is not second  # no credentials or hooks carried over
    loader = first.get_component("data_loader")
    assert second.get_component("data_loader") is loader  # ... but the parsed models are shared
    assert len(loader.search_paths) == len(set(loader.search_paths))  # boto3's folder added once
