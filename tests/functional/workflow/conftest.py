"""Fixtures of the workflow Lambdas' functional tests: their environment and data bucket, sample data,
handler loading. moto stands in for S3, SageMaker and SNS (``clients``); nothing leaves the process.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from types import ModuleType

import pandas as pd
import pytest
from functional_support import Clients
from support.paths import FUNCTIONS
from wf_helpers import BUCKET, csv_bytes, list_keys, make_frame


@pytest.fixture(autouse=True)
def workflow_environment(monkeypatch: pytest.MonkeyPatch, aws_credentials: None) -> None:
    """What the template sets on every workflow Lambda, over fake AWS credentials."""
    for name, value in {
        "DATA_BUCKET": BUCKET,
        # The images the template's Mappings give PrepareTrainingData (nothing pulls them here).
        "XGBOOST_IMAGE": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "LINEAR_LEARNER_IMAGE": "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_METRICS_NAMESPACE": "DriftRetrainTest",
        "POWERTOOLS_SERVICE_NAME": "workflow-test",
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture()
def clients(clients: Clients) -> Clients:
    """The functional tests' moto clients, with the workflow's data bucket (versioned, like the template's)."""
    clients.s3.create_bucket(Bucket=BUCKET)
    clients.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return clients


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
def load_handler() -> Callable[[str], ModuleType]:
    """Import ``functions/<name>/app.py`` under a unique module name (every handler file is ``app.py``)."""

    def load(name: str) -> ModuleType:
        module_name = f"workflow_handler_{name}"
        sys.modules.pop(module_name, None)
        spec = importlib.util.spec_from_file_location(module_name, FUNCTIONS / name / "app.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        return module

    return load
