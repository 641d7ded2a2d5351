"""Clients in this process reach the embedded AWS without a socket, and get the answers the socket gives.

No module-scoped cloud here: each test starts its own embedded AWS (no stack), one with the in-process
transport and one without, and compares what the same requests return.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from typing import Any

import pytest
import urllib3.util.connection
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.httpsession import URLLib3Session
from moto.s3.responses import S3Response

from drift_retrain_local.cloud.server import EmbeddedAws

#: A key that S3 clients encode (space, plus, percent, non-ASCII) and metadata whose name keeps its
#: underscore (moto's server keeps S3 metadata's spelling).
KEY = "incoming/batch with spaces+plus%25 é.csv"
METADATA = {"producer_id": "a b", "batch-rows": "3"}


def _s3_story(aws: EmbeddedAws) -> dict[str, Any]:
    """What S3 answers to the requests the service makes: odd keys, metadata, file and multipart
    uploads, ranges, copies, listings, deletes and errors."""
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="story")
    put = s3.put_object(Bucket="story", Key=KEY, Body=b"a,b\n1,2\n3,4\n", Metadata=METADATA)
    s3.put_object(Bucket="story", Key="big.bin", Body=io.BytesIO(bytes(range(256)) * 8_192))
    s3.upload_fileobj(
        io.BytesIO(b"x" * (11 * 1024 * 1024)),
        "story",
        "multi/part.bin",
        Config=TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024),
    )
    head = s3.head_object(Bucket="story", Key=KEY)
    ranged = s3.get_object(Bucket="story", Key="big.bin", Range="bytes=254-261")
    s3.copy_object(Bucket="story", Key="copy/of it.csv", CopySource={"Bucket": "story", "Key": KEY})
    listed = s3.list_objects_v2(Bucket="story", Prefix="incoming/batch with")
    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket="story", Key="incoming/none.csv")
    deleted = s3.delete_objects(Bucket="story", Delete={"Objects": [{"Key": "copy/of it.csv"}]})
    return {
        "etag": put["ETag"],
        "head": (head["ContentLength"], head["Metadata"], head["ETag"]),
        "range": (ranged["Body"].read(), ranged["ContentRange"], ranged["ContentLength"]),
        "big": s3.get_object(Bucket="story", Key="big.bin")["Body"].read() == bytes(range(256)) * 8_192,
        "multipart": s3.head_object(Bucket="story", Key="multi/part.bin")["ContentLength"],
        "listed": [(o["Key"], o["Size"]) for o in listed["Contents"]],
        "copied": s3.get_object(Bucket="story", Key=KEY)["Body"].read(),
        "missing": (
            missing.value.response["Error"]["Code"],
            missing.value.response["ResponseMetadata"]["HTTPStatusCode"],
        ),
        "deleted": [d["Key"] for d in deleted["Deleted"]],
        "left": sorted(o["Key"] for o in s3.list_objects_v2(Bucket="story")["Contents"]),
    }


def _other_protocols(aws: EmbeddedAws) -> dict[str, Any]:
    """JSON (DynamoDB, SQS), query (SNS) and REST-JSON (Lambda's list) answers, and their errors."""
    dynamodb, sqs, sns = aws.client("dynamodb"), aws.client("sqs"), aws.client("sns")
    dynamodb.create_table(
        TableName="locks",
        KeySchema=[{"AttributeName": "LockId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "LockId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(
        TableName="locks", Item={"LockId": {"S": "e"}}, ConditionExpression="attribute_not_exists(LockId)"
    )
    with pytest.raises(ClientError) as held:
        dynamodb.put_item(
            TableName="locks", Item={"LockId": {"S": "e"}}, ConditionExpression="attribute_not_exists(LockId)"
        )
    queue = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"é": 1}))
    topic = sns.create_topic(Name="t")["TopicArn"]
    return {
        "item": dynamodb.get_item(TableName="locks", Key={"LockId": {"S": "e"}})["Item"],
        "held": held.value.response["Error"]["Code"],
        "message": sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"],
        "published": "MessageId" in sns.publish(TopicArn=topic, Message="done"),
        "functions": aws.client("lambda").list_functions()["Functions"],
    }


@pytest.mark.parametrize("story", [_s3_story, _other_protocols], ids=["s3", "json-and-query"])
def test_the_same_requests_get_the_same_answers_with_and_without_the_socket(story) -> None:
    with EmbeddedAws(in_process=False) as aws:
        over_the_socket = story(aws)
    with EmbeddedAws() as aws:
        in_process = story(aws)
    assert in_process == over_the_socket


def test_a_client_here_opens_no_socket_and_another_process_still_reaches_the_server(monkeypatch) -> None:
    with EmbeddedAws() as aws:
        with monkeypatch.context() as no_sockets:

            def refuse(*args: Any, **kwargs: Any) -> None:
                raise AssertionError("a client in this process opened a socket")

            no_sockets.setattr(urllib3.util.connection, "create_connection", refuse)
            aws.client("s3").create_bucket(Bucket="here")
            # moto's own Step Functions tasks call localhost:$MOTO_PORT: in process too.
            local = aws.session.client("s3", endpoint_url=f"http://localhost:{os.environ['MOTO_PORT']}")
            assert [b["Name"] for b in local.list_buckets()["Buckets"]] == ["here"]
        listed = subprocess.run(
            [
                sys.executable,
                "-c",
                "import boto3; print(boto3.client('s3').list_buckets()['Buckets'][0]['Name'])",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert listed.stdout.strip() == "here"


def test_leaving_gives_botocore_its_http_session_back() -> None:
    before = URLLib3Session.send
    with EmbeddedAws():
        assert URLLib3Session.send is not before
    assert URLLib3Session.send is before
    with EmbeddedAws(in_process=False):
        assert URLLib3Session.send is before


def test_a_crash_in_moto_is_a_500_as_the_server_sends_it(monkeypatch) -> None:
    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    with EmbeddedAws() as aws:
        s3 = aws.client("s3", config=Config(retries={"max_attempts": 1}))
        monkeypatch.setattr(S3Response, "all_buckets", crash)
        with pytest.raises(ClientError) as crashed:
            s3.list_buckets()
    assert crashed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_the_dispatcher_finds_each_hosts_backend_as_moto_does_and_looks_it_up_once(monkeypatch) -> None:
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from drift_retrain_local.cloud.server import _RememberingDispatcher

    hosts = [
        None,
        "moto_api",
        "s3",
        "s3.us-east-1.amazonaws.com",
        "states.eu-west-1.amazonaws.com",
        "runtime.sagemaker.us-east-1.amazonaws.com",
        "example.org",
    ]
    remembering = _RememberingDispatcher(create_backend_app)
    moto_says = {
        host: DomainDispatcherApplication(create_backend_app).get_backend_for_host(host) for host in hosts
    }
    assert {host: remembering.get_backend_for_host(host) for host in hosts} == moto_says
    assert moto_says["s3.us-east-1.amazonaws.com"] == "s3" and moto_says["example.org"] is None

    def listing() -> None:
        raise AssertionError("moto's package folder listed again")

    monkeypatch.setattr(backends, "list_of_moto_modules", listing)
    assert {host: remembering.get_backend_for_host(host) for host in hosts} == moto_says
