"""A test Lambda for ``.waitForTaskToken`` tasks: stores the task token it is given in S3, as the A/B
workflow stores it with its record, so the test (the "online evidence" side) can complete the task."""

from __future__ import annotations

from typing import Any

import boto3


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    boto3.client("s3").put_object(Bucket=event["bucket"], Key=event["key"], Body=event["token"].encode())
    return {"stored": event["key"]}
