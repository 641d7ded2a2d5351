"""The local SageMaker tests' moto S3, with the test bucket."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from sm_support import BUCKET, REGION


@pytest.fixture
def s3(mocked_aws: None) -> Any:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=BUCKET)
    return client
