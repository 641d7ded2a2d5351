"""Two batches at once: one retrain at a time (the second waits for the lock), neither batch lost."""

from __future__ import annotations

from workflow_support import TIMEOUT, Harness, batch_csv, history

from drift_retrain_local.run.observe import wait_for_execution


def _entered(sfn, arn: str, state: str):
    """When the execution (or a phase it ran as a child execution) first entered ``state`` (or, ending in
    ``*``, any state named so)."""
    for event in history(sfn, arn):
        name = (event.get("stateEnteredEventDetails") or {}).get("name") or ""
        if name == state or (state.endswith("*") and name.startswith(state[:-1])):
            return event["timestamp"]
    raise AssertionError(f"{arn} never entered {state}")


def test_two_batches_at_once_train_one_after_the_other(harness: Harness) -> None:
    s3, sfn = harness.s3, harness.cloud.client("stepfunctions")
    keys = ["incoming/concept-a.csv", "incoming/concept-b.csv"]
    for seed, key in enumerate(keys, 31):
        s3.put_object(Bucket=harness.bucket, Key=key, Body=batch_csv("concept", seed=seed))
    started = [harness.runner.detect(key)["execution"] for key in keys]
    assert all(e and not e["duplicate"] for e in started), started
    records = [wait_for_execution(sfn, e["execution_arn"], timeout=2 * TIMEOUT) for e in started]
    assert [r.status for r in records] == ["SUCCEEDED", "SUCCEEDED"], [(r.error, r.cause) for r in records]

    first, second = sorted(records, key=lambda r: _entered(sfn, r.arn, "Prepare training data"))
    assert "Wait for the lock" in second.path
    assert "Wait for the lock" not in first.path
    # one retrain at a time: the second prepares its data only after the first released the lock (the
    # first may still be ending: its release comes before its last states, so not its stop time)
    first_released = _entered(sfn, first.arn, "Release lock after *")
    assert _entered(sfn, second.arn, "Prepare training data") >= first_released
    assert _entered(sfn, second.arn, "Prepare training data") > _entered(
        sfn, first.arn, "Prepare training data"
    )
    # neither batch lost: each execution trained on its own batch, first in its window
    for record, execution in ((r, e) for r in records for e in started if e["execution_arn"] == r.arn):
        manifest = harness.manifest(record.name)
        batch_keys = [b["key"] for b in manifest["batches"]]
        key = next(k for k in keys if k.rpartition("/")[2].removesuffix(".csv") in execution["name"])
        assert batch_keys[0] == key, batch_keys
    # the lock is free again
    assert harness.lock_released()
