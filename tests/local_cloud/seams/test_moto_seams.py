"""Fail loudly if the pinned moto moves what the local cloud hooks into."""

from __future__ import annotations

import inspect

from drift_retrain_local.seams import eventbridge as eventbridge_seam


def test_eventbridge_rule_seam_is_where_moto_5_2_has_it() -> None:
    eventbridge_seam.check()


def test_asl_lambda_tasks_make_their_client_from_boto3s_default_session() -> None:
    """The Lambda hook is installed on boto3's default session: moto's interpreter must still use it."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.utils import boto_client

    assert "boto3.client(" in inspect.getsource(boto_client.boto_client_for)
    assert "boto_client_for(" in inspect.getsource(lambda_eval_utils._invoke_lambda_function)
    assert "MOTO_PORT" in inspect.getsource(__import__("moto.settings").settings.moto_server_port)


def test_lambda_invoke_seam_is_where_moto_5_2_has_it() -> None:
    """redrive and repair from another process reach the handlers through LambdaBackend.invoke."""
    from drift_retrain_local.seams import lambda_invoke

    lambda_invoke.check()


def test_s3_refuses_a_key_over_1024_bytes_as_aws_does() -> None:
    """moto stores any key; with the seam a PutObject or CopyObject past 1,024 UTF-8 bytes answers
    ``KeyTooLongError`` (400), and a key at the limit is stored."""
    import boto3
    import pytest
    from botocore.exceptions import ClientError
    from moto import mock_aws

    from drift_retrain_local.seams import s3_keys

    with mock_aws():
        s3_keys.install()
        try:
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket="keys")
            at_limit = "k" * 1024
            s3.put_object(Bucket="keys", Key=at_limit, Body=b"x")
            calls = [
                lambda: s3.put_object(Bucket="keys", Key="k" * 1025, Body=b"x"),
                lambda: s3.copy_object(
                    Bucket="keys", Key="é" * 513, CopySource={"Bucket": "keys", "Key": at_limit}
                ),
                lambda: s3.create_multipart_upload(Bucket="keys", Key="k" * 1025),
            ]
            for call in calls:
                with pytest.raises(ClientError) as raised:
                    call()
                error = raised.value.response
                assert error["Error"]["Code"] == "KeyTooLongError"
                assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
        finally:
            s3_keys.uninstall()


def test_sns_deliveries_are_signed_with_one_key_per_process() -> None:
    """Two subscriptions' messages carry signatures that verify with the process's one key (AWS's string
    to sign for a Notification), and moto's own key maker is back after uninstall."""
    import base64
    import json

    import boto3
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from moto import mock_aws
    from moto.sns.models import Subscription

    from drift_retrain_local.seams import sns_signing

    original = Subscription.private_key
    with mock_aws():
        sns_signing.install()
        try:
            sns = boto3.client("sns", region_name="us-east-1")
            sqs = boto3.client("sqs", region_name="us-east-1")
            messages = []
            for name in ("first", "second"):
                topic = sns.create_topic(Name=name)["TopicArn"]
                queue = sqs.create_queue(QueueName=name)["QueueUrl"]
                arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
                sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["QueueArn"])
                sns.publish(TopicArn=topic, Message=f"to {name}")
                body = sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"]
                messages.append(json.loads(body))
        finally:
            sns_signing.uninstall()
    public_key = sns_signing.signing_key().public_key()
    for message in messages:
        signed = "".join(
            f"{field}\n{message[field]}\n"
            for field in ("Message", "MessageId", "Timestamp", "TopicArn", "Type")
        )
        public_key.verify(  # raises InvalidSignature for any other key
            base64.b64decode(message["Signature"]), signed.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    assert [m["Message"] for m in messages] == ["to first", "to second"]
    assert Subscription.private_key is original
