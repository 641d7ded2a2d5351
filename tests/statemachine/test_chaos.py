"""The chaos table (docs/failure-handling.md, "What a fault does"): each fault injected into the local cloud, one batch
through the real DetectDrift and the real state machine, and the same invariants after every row.

One bootstrapped cloud for the module; the rows run in table order, and the batch kind follows what
serves (a row after a swap uploads the other rule to win).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chaos_rows import DOC, ROWS, Row, doc_table, render_table
from chaos_support import Chaos, assert_told_the_truth, baseline_model, serving_model
from workflow_support import bootstrapped_cloud

from drift_retrain_local.cli.repair import repair

pytestmark = pytest.mark.chaos


@pytest.fixture(scope="module")
def chaos() -> Iterator[Chaos]:
    """The default candidates; no follow-up retrains, so a calm batch never starts one."""
    with bootstrapped_cloud(settings={"max_recovery_retrains": 0}) as harness:
        yield Chaos(harness)


def _clear(chaos: Chaos) -> None:
    chaos.harness.cloud.failures.clear()
    assert chaos.harness.cloud.api_faults is not None
    chaos.harness.cloud.api_faults.clear()


def _repair(chaos: Chaos, entry: dict) -> None:
    """What the PromotedIncomplete notice tells the operator to run."""
    cloud = chaos.harness.cloud
    result = repair(
        cloud.client("stepfunctions"),
        cloud.client("lambda"),
        cloud.client("sagemaker"),
        entry["execution"]["arn"],
    )
    assert result.endpoint_config == entry["endpoint_config_after"]
    assert baseline_model(chaos.harness) == serving_model(chaos.harness)


@pytest.mark.parametrize("row", [pytest.param(r, id=r.id) for r in ROWS])
def test_fault(chaos: Chaos, row: Row, tmp_path: Path) -> None:
    switches = row.arm(chaos.harness.cloud)
    try:
        if row.batch.endswith("-partition"):
            folder = chaos.partition(tmp_path / f"chaos-{row.id}", row.batch.removesuffix("-partition"))
            entry = chaos.harness.runner.partition(folder, 1, 1)
        else:
            entry = chaos.harness.upload(f"chaos-{row.id}.csv", chaos.batch(row.batch))
    finally:
        _clear(chaos)
    chaos.followed(entry)
    assert all(switch.fired >= 1 for switch in switches), f"the fault never fired: {switches}"
    assert_told_the_truth(
        chaos, entry, row.outcome, queued=row.queued, detail=row.detail, failure=row.failure
    )
    if row.repair:
        _repair(chaos, entry)


def test_the_docs_list_every_row() -> None:
    assert doc_table(DOC.read_text(encoding="utf-8")) == render_table(), (
        "docs/failure-handling.md's chaos table is stale: run .venv/bin/python tests/statemachine/chaos_rows.py"
    )


def test_every_row_that_notifies_names_the_exact_wording() -> None:
    """A row whose run sends a workflow notice says what it must say (what serves; what failed)."""
    for row in ROWS:
        notifies = row.outcome in ("failed", "promoted", "promoted_incomplete") and not row.queued
        assert (row.detail is not None) == notifies, row.id
        assert (row.failure is not None) == (notifies and row.outcome == "failed"), row.id
