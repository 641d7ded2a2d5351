"""The invariants every chaos row must keep, in one helper: what serves is what was reported, the lock is
free, the baseline profile is the serving model's, the notification tells the truth, no batch is lost."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflow_support import Harness, batch_csv

from drift_retrain.aws.naming import batch_id_for
from drift_retrain.aws.notifications import MAX_SUBJECT_LENGTH
from drift_retrain.aws.partitions import MARKERS, is_partition_member
from drift_retrain.layout import (
    DRIFT_REPORTS_PREFIX,
    INCOMING_PREFIX,
    quarantine_record_key,
)
from drift_retrain.reports.subjects import (
    FAILED,
    PREFIX,
    PROMOTED,
    PROMOTED_INCOMPLETE,
    QUARANTINED,
    REJECTED,
)

#: DetectDrift's on-failure destination (template logical ID).
FAILURE_QUEUE = "DetectDriftFailureQueue"
#: Outcomes after which the candidate serves.
CANDIDATE_SERVES = ("promoted", "promoted_incomplete")
#: The subject each outcome's notification must carry (None: no notification is due).
NOTICE = {
    "no_drift": None,
    "failed": FAILED,
    "rejected": REJECTED,
    "promoted": PROMOTED,
    "promoted_incomplete": PROMOTED_INCOMPLETE,
    "quarantined": QUARANTINED,
}


@dataclass
class Chaos:
    """The module's bootstrapped cloud and which rule the serving model learnt (A at bootstrap)."""

    harness: Harness
    serving_rule: str = "A"
    seed: int = 100

    def batch(self, kind: str) -> bytes:
        """``calm`` (labelled by the serving rule) or ``winner`` (by the other rule: a candidate wins)."""
        self.seed += 1
        rules = {"A": ("stable", "concept"), "B": ("concept", "stable")}[self.serving_rule]
        name = {"calm": rules[0], "winner": rules[1]}[kind]
        return batch_csv(name, seed=self.seed)

    def partition(self, folder: Path, kind: str, parts: int = 3) -> Path:
        """A batch of ``kind`` written as ``parts`` CSV part files in ``folder`` (uploaded as a partition)."""
        lines = self.batch(kind).decode().splitlines()
        header, rows = lines[0], lines[1:]
        folder.mkdir(parents=True)
        for i in range(parts):
            chunk = rows[i::parts]
            (folder / f"part-{i:05d}.csv").write_text("\n".join([header, *chunk]) + "\n")
        return folder

    def followed(self, entry: dict[str, Any]) -> None:
        """After a swap the other rule serves."""
        if entry["endpoint_config_after"] != entry["endpoint_config_before"]:
            self.serving_rule = "B" if self.serving_rule == "A" else "A"


# ----------------------------------------------------------------------------------------------- reads
def serving_model(harness: Harness) -> str:
    sagemaker = harness.cloud.client("sagemaker")
    endpoint = sagemaker.describe_endpoint(EndpointName=harness.endpoint)
    assert endpoint["EndpointStatus"] == "InService", endpoint["EndpointStatus"]
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    return config["ProductionVariants"][0]["ModelName"]


def serving_config(harness: Harness) -> str:
    return harness.cloud.client("sagemaker").describe_endpoint(EndpointName=harness.endpoint)[
        "EndpointConfigName"
    ]


def baseline_model(harness: Harness) -> str:
    return harness.read_json("baseline/current/profile.json")["metadata"]["model_name"]


def failure_queue_keys(harness: Harness) -> set[str]:
    """Keys of the batches whose events wait on DetectDrift's failure queue (the messages stay)."""
    sqs, url = harness.cloud.client("sqs"), harness.cloud.stack.queues[FAILURE_QUEUE]
    records: dict[str, dict[str, Any]] = {}
    for _ in range(20):  # bounded: each round sees up to 10 messages, left visible
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        fresh = {m["MessageId"]: json.loads(m["Body"]) for m in received.get("Messages", [])}
        if not fresh.keys() - records.keys():
            break
        records.update(fresh)
    return {r["requestPayload"]["detail"]["object"]["key"] for r in records.values()}


def lost_batches(harness: Harness) -> list[str]:
    """Every revision under ``incoming/`` that has neither a drift report (a quarantined batch has one
    too, with its copy and reason under ``quarantine/``) nor a place on the failure queue. A partition's
    part is its marker's batch: it is lost only when no marker completes its folder."""
    s3, bucket = harness.s3, harness.bucket
    queued = failure_queue_keys(harness)
    versions = [
        version
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=INCOMING_PREFIX)
        for version in page.get("Versions", [])
    ]
    keys = {version["Key"] for version in versions}
    lost = []
    for version in versions:
        key = version["Key"]
        if is_partition_member(key, INCOMING_PREFIX):
            folder = key.rsplit("/", 1)[0]
            if not any(f"{folder}/{marker}" in keys for marker in MARKERS):
                lost.append(f"{key} (a part without its partition's marker)")
            continue
        batch_id = batch_id_for(key, version.get("VersionId"), version.get("ETag"))
        report_key = f"{DRIFT_REPORTS_PREFIX}{batch_id}.json"
        if harness.exists(report_key):
            if harness.read_json(report_key)["status"] == "invalid":
                error = harness.read_json(quarantine_record_key(key))
                assert error.get("reason"), (key, error)
            continue
        if key not in queued:
            lost.append(f"{key} (version {version.get('VersionId')})")
    return lost


# ---------------------------------------------------------------------------------------- invariants
def assert_told_the_truth(
    chaos: Chaos,
    entry: dict[str, Any],
    outcome: str,
    *,
    queued: bool = False,
    detail: str | None = None,
    failure: str | None = None,
) -> None:
    """The one check of every chaos row (see the module docstring). ``queued``: DetectDrift gave up on the
    batch, whose event must then be on its failure queue (whose alarm, not SNS, tells the team).
    ``detail`` and ``failure``: the words of the notice's subject, in parentheses (``Row``)."""
    harness = chaos.harness
    assert entry["outcome"] == outcome, entry
    assert (entry["key"] in failure_queue_keys(harness)) == queued, f"{entry['key']}: on the failure queue?"
    swapped = entry["endpoint_config_after"] != entry["endpoint_config_before"]
    assert swapped == (outcome in CANDIDATE_SERVES), entry
    if swapped:  # the candidate serves because this run decided so
        assert (entry.get("evaluation") or {}).get("decision") == "promote", entry.get("evaluation")
    serving = serving_model(harness)
    assert harness.lock_released(), "the endpoint lock is still held"
    if outcome != "promoted_incomplete":
        assert baseline_model(harness) == serving, "the baseline profile is not the serving model's"

    messages = (
        harness.runner.notifications.messages[-len(entry["notifications"]) :]
        if entry["notifications"]
        else []
    )
    subjects = [m["subject"] for m in messages]
    notice = None if queued else NOTICE[outcome]
    if notice is None:
        assert not subjects, subjects
    else:
        told = [m for m in messages if f"] {notice}:" in m["subject"]]
        assert told, f"no {notice!r} notification: {subjects}"
        body = told[-1]["message"]
        assert f"Outcome: {outcome.upper()}" in body or outcome == "quarantined", body
        if swapped:
            assert serving in body, f"the notice does not name the serving model {serving}:\n{body}"
        sent = told[-1]["subject"]
        if detail is not None:
            head, ending = f"{PREFIX} {notice}: {harness.endpoint} (", f": {failure})" if failure else ")"
            if not re.fullmatch(re.escape(head) + detail + re.escape(ending), sent):
                # SNS's 100 characters cut it: what was sent is the start of the literal wording
                full = head + detail + ending
                assert len(sent) == MAX_SUBJECT_LENGTH and sent.endswith("..."), (sent, full)
                assert full.startswith(sent[:-3].rstrip()), (sent, full)
        if failure is not None:
            assert f"What failed: {failure}\n" in body, body
        if outcome == "failed":
            config = serving_config(harness)
            assert f"Serving now: endpoint config {config} (InService)" in body, body
    if swapped:
        assert not any("keeps serving" in s for s in subjects), subjects
    else:
        assert not any(f"] {PROMOTED}" in s for s in subjects), subjects

    assert lost_batches(harness) == [], "batches lost"
