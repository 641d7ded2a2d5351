"""DetectDrift writes the drift report's page next to its JSON, links it from the notification, and keeps
the sampled rows out of its logs."""

from __future__ import annotations

import json

import pytest
from functional_support import LABEL, frame_to_csv_bytes


@pytest.fixture
def drifted_batch(make_frame_fn, endpoint, queue_results) -> bytes:
    """The labels changed under the champion (it still answers the old ones): it misses about 40%."""
    old_concept = make_frame_fn(3000, seed=21)
    queue_results(["\n".join("0.9" if y else "0.1" for y in old_concept[LABEL]) + "\n"])
    return frame_to_csv_bytes(make_frame_fn(3000, seed=21, label_flip=0.4))


def test_a_checked_batch_gets_its_page_and_the_notice_links_it(
    detect_drift, clients, bucket, profile_uploaded, topic, drifted_batch
) -> None:
    result = detect_drift.invoke(detect_drift.upload("incoming/drifted.csv", drifted_batch))
    json_key = result.response["report_key"]
    page = clients.s3.get_object(Bucket=bucket, Key=json_key.removesuffix(".json") + ".html")
    assert page["ContentType"] == "text/html; charset=utf-8"
    html = page["Body"].read().decode()
    report = json.loads(clients.s3.get_object(Bucket=bucket, Key=json_key)["Body"].read())
    assert html.count("data-feature=") == len(report["features"])
    concept = report["concept_drift"]
    assert concept["detected"] and len(concept["misclassified"]) == 20
    assert all(row["prediction"] != row[LABEL] for row in concept["misclassified"])
    [message] = topic.messages()
    assert f"prefix={json_key.removesuffix('.json')}.html" in message["message"]
    checked = next(line for line in result.logs if line.get("message") == "Batch checked")
    assert "misclassified" not in checked["concept_drift"]


def test_a_quarantined_batch_gets_a_page_that_says_why(
    detect_drift, clients, bucket, profile_uploaded, topic
) -> None:
    body = b"label,x\n1,2\n1,2,3\n"
    result = detect_drift.invoke(detect_drift.upload("incoming/bad.csv", body))
    key = result.response["report_key"].removesuffix(".json") + ".html"
    html = clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    assert 'class="verdict invalid"' in html
    [message] = topic.messages()
    assert message["subject"].startswith("[drift-retrain] Batch quarantined: bad.csv (")
    assert f"prefix={key}" in message["message"]
