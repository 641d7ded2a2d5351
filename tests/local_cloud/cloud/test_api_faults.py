"""API faults on the wire: botocore's retries absorb a bounded burst and run out on a persistent one;
switches match operation, key prefix and (for Step Functions' integrations) clients that never retry."""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from drift_retrain_local.cloud.api_faults import S3_INTERNAL_ERROR, S3_SLOW_DOWN, THROTTLING, ApiFaultInjector
from drift_retrain_local.cloud.local_cloud import LocalCloud

#: Fast retries: the fault counts matter here, not botocore's backoff.
RETRYING = Config(retries={"mode": "standard", "total_max_attempts": 3})
NOT_RETRYING = Config(retries={"max_attempts": 0, "total_max_attempts": 1})


@pytest.fixture
def faults(cloud: LocalCloud):
    assert cloud.api_faults is not None
    yield cloud.api_faults
    cloud.api_faults.clear()


def test_a_burst_within_the_retries_is_absorbed(cloud: LocalCloud, faults: ApiFaultInjector) -> None:
    s3 = cloud.client("s3", config=RETRYING)
    s3.put_object(Bucket=cloud.stack.bucket, Key="incoming/a.csv", Body=b"x\n1\n")
    fault = faults.fail("s3", "GetObject", key_prefix="incoming/", error=S3_SLOW_DOWN, times=2)
    assert s3.get_object(Bucket=cloud.stack.bucket, Key="incoming/a.csv")["Body"].read() == b"x\n1\n"
    assert fault.fired == 2


def test_a_persistent_fault_exhausts_the_retries_with_the_services_error(
    cloud: LocalCloud, faults: ApiFaultInjector
) -> None:
    s3 = cloud.client("s3", config=RETRYING)
    fault = faults.fail("s3", "PutObject", key_prefix="training/", error=S3_INTERNAL_ERROR)
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket=cloud.stack.bucket, Key="training/x.csv", Body=b"x")
    assert raised.value.response["Error"]["Code"] == "InternalError"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert fault.fired == 3  # every attempt botocore made
    s3.put_object(Bucket=cloud.stack.bucket, Key="reports/x.json", Body=b"{}")  # other prefixes unharmed
    assert fault.fired == 3


def test_unretried_only_reaches_clients_that_never_retry(cloud: LocalCloud, faults: ApiFaultInjector) -> None:
    faults.fail("sagemaker", "ListModels", error=THROTTLING, times=1, unretried_only=True)
    cloud.client("sagemaker", config=RETRYING).list_models()  # a Lambda's client: not matched
    with pytest.raises(ClientError) as raised:
        cloud.client("sagemaker", config=NOT_RETRYING).list_models()
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    cloud.client("sagemaker", config=NOT_RETRYING).list_models()  # the count is spent


def test_counts_must_be_positive() -> None:
    with pytest.raises(ValueError):
        ApiFaultInjector().fail("s3", "GetObject", error=S3_SLOW_DOWN, times=0)
