"""Fixtures of the workflow Lambdas' functional tests: fake AWS credentials, moto, sample data, handler loading.

moto's ``mock_aws`` stands in for S3, SageMaker and SNS; nothing leaves the process.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from types import ModuleType, SimpleNamespace

import boto3
import pandas as pd
import pytest
from moto import mock_aws
from wf_helpers import BUCKET, REGION, ROOT, csv_bytes, list_keys, make_frame


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "DATA_BUCKET": BUCKET,
        # The images the template's Mappings give PrepareTrainingData (nothing pulls them here).
        "XGBOOST_IMAGE": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "LINEAR_LEARNER_IMAGE": "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_METRICS_NAMESPACE": "DriftRetrainTest",
        "POWERTOOLS_SERVICE_NAME": "workflow-test",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture()
def aws() -> Iterator[SimpleNamespace]:
    """moto-backed clients with the data bucket created (versioned, like the template's)."""
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield SimpleNamespace(
            s3=s3,
            sagemaker=boto3.client("sagemaker", region_name=REGION),
            sns=boto3.client("sns", region_name=REGION),
            sqs=boto3.client("sqs", region_name=REGION),
        )


@pytest.fixture()
def frame_factory() -> Callable[..., pd.DataFrame]:
    return make_frame


@pytest.fixture()
def to_csv() -> Callable[[pd.DataFrame], bytes]:
    return csv_bytes


@pytest.fixture()
def keys() -> Callable[..., list[str]]:
    return list_keys


@pytest.fixture()
def lambda_context() -> SimpleNamespace:
    return SimpleNamespace(
        function_name="test",
        memory_limit_in_mb=512,
        invoked_function_arn=f"arn:aws:lambda:{REGION}:123456789012:function:test",
        aws_request_id="00000000-0000-0000-0000-000000000000",
    )


@pytest.fixture()
def load_handler() -> Callable[[str], ModuleType]:
    """Import ``functions/<name>/app.py`` under a unique module name (every handler file is ``app.py``)."""

    def load(name: str) -> ModuleType:
        module_name = f"workflow_handler_{name}"
        sys.modules.pop(module_name, None)
        spec = importlib.util.spec_from_file_location(module_name, ROOT / "functions" / name / "app.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        return module

    return load
