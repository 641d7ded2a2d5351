"""DetectDrift's challenger against moto: the decision in each report, the counters, the execution."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from functional_support import LABEL, frame_to_csv_bytes, list_executions, read_report

from drift_retrain.engine.challenger import off_block
from drift_retrain.engine.probe import MAX_ROWS
from drift_retrain.layout import CHALLENGER_STATE_KEY

#: Mistakes per 3,000-row batch: 3% rising to 9%, all below the champion's 10% holdout (no concept drift).
RISING = (90, 150, 210, 270, 330)


@dataclass
class Stream:
    """DetectDrift on moto with the champion's endpoint, its baseline and the state machine in place."""

    detect_drift: Any
    clients: Any
    bucket: str
    state_machine_arn: str
    queue_results: Any
    make_frame: Any

    def check(self, key: str, batch: Any, answers: Any) -> tuple[Any, dict]:
        """Upload ``batch`` as ``incoming/<key>.csv`` with the champion answering ``answers``; its event
        and report."""
        self.queue_results(["\n".join(str(int(y)) for y in answers) + "\n"])
        event = self.detect_drift.upload(f"incoming/{key}.csv", frame_to_csv_bytes(batch))
        result = self.detect_drift.invoke(event)
        return event, read_report(self.clients, self.bucket, result.response["report_key"])

    def serve(self, wrong, name="served", events=None) -> list[dict]:
        """One labelled 3,000-row batch per entry of ``wrong``, the champion wrong on that many rows (each
        batch's event appended to ``events``)."""
        reports = []
        for i, mistakes in enumerate(wrong):
            batch = self.make_frame(3000, seed=60 + i)
            labels = batch[LABEL].to_numpy().copy()
            labels[:mistakes] = 1 - labels[:mistakes]
            event, report = self.check(f"{name}-{i}", batch, labels)
            reports.append(report)
            if events is not None:
                events.append((event, labels))
        return reports

    def state(self) -> dict:
        """The challenger's state object."""
        return json.loads(
            self.clients.s3.get_object(Bucket=self.bucket, Key=CHALLENGER_STATE_KEY)["Body"].read()
        )

    def executions(self) -> list:
        return list_executions(self.clients, self.state_machine_arn)


@pytest.fixture
def stream(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, endpoint, queue_results, make_frame_fn
) -> Stream:
    return Stream(detect_drift, clients, bucket, state_machine_arn, queue_results, make_frame_fn)


@pytest.fixture
def challenger_every_two(monkeypatch):
    monkeypatch.setenv("CHALLENGER_EVERY_BATCHES", "2")
    monkeypatch.setenv("CHALLENGER_MAX_JOBS_PER_DAY", "1")


def test_a_rising_error_starts_one_challenger_then_the_days_budget_holds(
    stream, topic, challenger_every_two
) -> None:
    reports = stream.serve(RISING)

    assert [r["concept_drift"]["detected"] for r in reports] == [False] * 5
    blocks = [r["challenger"] for r in reports]
    assert [b["decision"] for b in blocks] == ["no challenge", "no challenge", "challenge"] + [
        "no challenge"
    ] * 2
    assert [b["due"] for b in blocks] == [False, True, True, False, True]
    assert "needs 3" in blocks[1]["why"]  # due, but two batches cannot show a trend
    assert blocks[2]["gain"]["worth"] and blocks[2]["gain"]["estimate"] >= 0.02
    assert blocks[3]["why"].startswith("not due: 1 of 2")
    assert "budget is spent" in blocks[4]["why"] and blocks[4]["budget_left"] == 0
    assert blocks[4]["gain"]["worth"]  # worth it, but not within the day's budget

    challenged = reports[2]
    assert challenged["retrain"] is True and challenged["retrain_trigger"] == "challenger"
    assert challenged["retrain_reasons"][0].startswith("challenger: the serving error rose by")
    [execution] = stream.executions()
    payload = json.loads(
        stream.clients.sfn.describe_execution(executionArn=execution["executionArn"])["input"]
    )
    assert payload["kind"] == "challenger" and payload["concept_drift"] is False
    assert all(not r["retrain"] for i, r in enumerate(reports) if i != 2)

    state = stream.state()
    assert state["jobs_today"] == 1 and state["since"] == 2 and len(state["history"]) == 5
    [notice] = [m for m in topic.messages() if "challenger" in m["message"].lower()]
    assert "a challenger started" in notice["message"]


def test_a_repeated_delivery_keeps_its_decision_and_spends_nothing(stream, challenger_every_two) -> None:
    """The first delivery counted the challenge and died before its report landed: the retry finds the
    decision in the state, starts the same execution (a no-op) and spends no second job."""
    events = []
    reports = stream.serve(RISING[:3], events=events)
    report_key = f"reports/drift/{reports[2]['batch_id']}.json"
    stream.clients.s3.delete_object(Bucket=stream.bucket, Key=report_key)
    event, labels = events[2]
    stream.queue_results(["\n".join(str(int(y)) for y in labels) + "\n"])

    again = stream.detect_drift.invoke(event)

    assert again.response["retrain"] is True
    assert read_report(stream.clients, stream.bucket, report_key)["challenger"] == reports[2]["challenger"]
    state = stream.state()
    assert state["jobs_today"] == 1 and len(state["history"]) == 3
    assert len(stream.executions()) == 1


def test_off_is_todays_behaviour(stream, monkeypatch) -> None:
    """0: no state read or written, no execution, and each report is the check's own plus an "off" block."""
    monkeypatch.setenv("CHALLENGER_EVERY_BATCHES", "0")
    reports = stream.serve(RISING)

    assert [r["challenger"] for r in reports] == [off_block()] * 5
    assert [r["retrain"] for r in reports] == [False] * 5
    assert stream.executions() == []
    assert "Contents" not in stream.clients.s3.list_objects_v2(
        Bucket=stream.bucket, Prefix="reports/challenger/"
    )
    monkeypatch.setenv("CHALLENGER_EVERY_BATCHES", "2")  # read at each invocation
    on = stream.serve(RISING, name="on")
    # the same batches with the challenger on: the same fields and figures; only the decisions differ
    for off_report, on_report in zip(reports, on, strict=True):
        assert set(on_report) - {"retrain_execution"} == set(off_report)
        for key in set(off_report) - {"challenger", "retrain", "retrain_trigger", "retrain_reasons",
                                      "retrain_execution", "checked_at", "batch_id", "source"}:  # fmt: skip
            assert off_report[key] == on_report[key], key
    assert [r["retrain"] for r in on] == [False, False, True, False, True]  # 2 jobs a day by default


def test_two_batches_counted_at_once_both_count(clients, bucket) -> None:
    """The state is read-modify-written with a condition: a writer that loses the race (here, the
    record appears between its read and its write) reads again and adds its change to the winner's."""
    from drift_retrain.aws.ab_record import update_record

    calls = []

    def count(state):
        calls.append(dict(state))
        if len(calls) == 1:  # another batch creates the record meanwhile
            clients.s3.put_object(Bucket=bucket, Key=CHALLENGER_STATE_KEY, Body=b'{"since": 1}')
        return {**state, "since": int(state.get("since") or 0) + 1}, True

    written, changed = update_record(clients.s3, bucket, count, key=CHALLENGER_STATE_KEY, create={})
    assert changed and written == {"since": 2} and calls == [{}, {"since": 1}]
    stored = clients.s3.get_object(Bucket=bucket, Key=CHALLENGER_STATE_KEY)["Body"].read()
    assert json.loads(stored) == {"since": 2}


def test_a_flat_champion_of_an_older_concept_is_challenged_by_the_probe(stream, challenger_every_two) -> None:
    """The label is now ``monthly_charges > 70``; the champion still answers ``> 75`` (its older
    concept), wrong on about 10% of the rows every batch: below its holdout, flat, so neither the
    concept test nor a rise can see it. On the due batch the probe, fitted on the batch's rows, beats it."""
    reports = []
    for i in range(3):
        batch = stream.make_frame(3000, seed=80 + i)
        batch[LABEL] = (batch["monthly_charges"] > 70).astype(int)
        reports.append(stream.check(f"older-{i}", batch, batch["monthly_charges"] > 75)[1])

    assert [r["concept_drift"]["detected"] for r in reports] == [False] * 3
    first, due, after = (r["challenger"] for r in reports)
    assert first["gain"]["probe_gain"] is None  # not due: no probe fitted
    assert due["decision"] == "challenge" and due["gain"]["signal"] == "probe"
    gain = due["gain"]
    assert gain["probe_rows"] == MAX_ROWS  # a sample of the 3,000
    assert gain["probe_p"] < 0.025 and gain["probe_min_gain"] == 0.02  # the concept margin
    assert gain["estimate"] == gain["probe_gain"] > 0.05 and gain["batches"] == 2
    assert "a probe fitted on this batch's rows beat the champion there" in due["why"]
    assert reports[1]["retrain_trigger"] == "challenger"
    assert "probe" not in reports[1]["concept_drift"]  # the concept test's block is unchanged
    assert after["decision"] == "no challenge" and after["gain"]["probe_gain"] is None
    assert len(stream.executions()) == 1
