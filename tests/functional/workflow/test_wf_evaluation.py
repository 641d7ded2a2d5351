"""EvaluateCandidate against moto S3: decisions, the report, and outputs that do not line up."""

from __future__ import annotations

import json

import numpy as np
import pytest
from wf_helpers import BUCKET

from drift_retrain.engine.performance import HoldoutPerformance
from drift_retrain.workflow.evaluate_candidate.evaluation import EvaluationSettings, evaluate_candidate
from drift_retrain.workflow.shared.exceptions import (
    LabelMismatchError,
    NoCandidateScoredError,
    PredictionCountMismatchError,
    TransformOutputFormatError,
    TransformOutputMissingError,
    WorkflowInputError,
)

CANDIDATE = f"s3://{BUCKET}/transforms/run-1/candidate/"
CHAMPION = f"s3://{BUCKET}/transforms/run-1/champion/"


def write_out(s3, uri: str, labels, predictions, name: str = "test.csv.out") -> None:
    key = uri.split("/", 3)[3] + name
    body = "".join(f"{y:g},{p:.6g}\n" for y, p in zip(labels, predictions, strict=True))
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())


def item(index: int, strategy: str) -> dict:
    """A candidate as PrepareTrainingData lists it."""
    return {
        "id": f"candidate-{index}",
        "strategy": strategy,
        "train": strategy != "registry",
        "names": {"model": f"drift-xgb-1-c{index}"},
        "candidate_profile": {"bucket": BUCKET, "key": f"training/run-1/candidate-{index}/profile.json"},
        "raw_training_data": {"bucket": BUCKET, "key": f"training/run-1/candidate-{index}/raw/rows.csv.gz"},
        "batches": ["incoming/a.csv"],
        "rows": {"train": 300, "validation": 30},
        "window_ended": "test",
        "source_model": None,
    }


def result(index: int, uri: str = CANDIDATE, status: str = "scored", error: dict | None = None) -> dict:
    """A candidate as the Map state returns it."""
    return {
        "id": f"candidate-{index}",
        "status": status,
        "model_name": f"drift-xgb-1-c{index}",
        "training_job": f"drift-xgb-1-t{index}-1",
        "model_artifacts": f"s3://{BUCKET}/models/drift-xgb-1-c{index}/model.tar.gz",
        "output_uri": uri if status == "scored" else None,
        "error": error,
    }


def event(
    task: str = "binary",
    rows: int | None = 400,
    champion: bool = True,
    classes=("0", "1"),
    candidates: tuple = (("since_change", CANDIDATE),),
) -> dict:
    return {
        "execution_name": "run-1",
        "execution_arn": "arn:aws:states:us-east-1:123456789012:execution:sm:run-1",
        "data": {
            "task": task,
            "classes": list(classes),
            "names": {"endpoint_config": "drift-xgb-1"},
            "candidates": [item(i, strategy) for i, (strategy, _) in enumerate(candidates, 1)],
            "test": {"rows": rows},
            "manifest": {"bucket": BUCKET, "key": "training/run-1/manifest.json"},
        },
        "transforms": {
            "candidates": [result(i, uri) for i, (_, uri) in enumerate(candidates, 1)],
            "champion": {"job_name": "h", "output_uri": CHAMPION}
            if champion
            else {"job_name": None, "output_uri": None},
        },
        "champion": {"exists": champion, "model_name": "drift-xgb-0" if champion else None},
    }


@pytest.fixture()
def binary_rows():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    good = np.clip(labels * 0.8 + 0.1 + rng.normal(0, 0.05, 400), 0, 1)  # about always right
    coin = rng.uniform(0, 1, 400)  # the drifted champion: a coin flip
    return labels, good, coin


def test_a_clearly_better_candidate_is_promoted_and_the_report_written(clients, binary_rows):
    labels, good, coin = binary_rows
    write_out(clients.s3, CANDIDATE, labels, good)
    write_out(clients.s3, CHAMPION, labels, coin)
    result = evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), event())
    assert result["promote"] is True and result["decision"] == "promote"
    assert result["candidate"]["error_rate"] == 0.0 and result["candidate"]["auc"] == 1.0
    assert result["champion"]["error_rate"] > 0.3
    assert (
        result["paired_test"]["name"] == "mcnemar_exact_one_sided"
        and result["paired_test"]["p_value"] < 1e-10
    )
    report = json.loads(
        clients.s3.get_object(Bucket=BUCKET, Key="reports/evaluation/run-1.json")["Body"].read()
    )
    assert report["decision"] == "promote" and report["champion"]["model"] == "drift-xgb-0"
    assert result["report"]["uri"] == f"s3://{BUCKET}/reports/evaluation/run-1.json"
    page = clients.s3.get_object(Bucket=BUCKET, Key="reports/evaluation/run-1.html")
    assert page["ContentType"] == "text/html; charset=utf-8"
    html = page["Body"].read().decode()
    assert 'class="verdict promote"' in html and html.count('class="panel confusion"') == 2
    holdout = HoldoutPerformance.from_dict(result["candidate_holdout"])
    assert (holdout.task, holdout.rows, holdout.errors) == ("binary", 400, 0)
    json.dumps(result, allow_nan=False)


def test_the_report_records_the_trigger_and_each_candidates_files_for_its_page(clients, binary_rows):
    labels, good, coin = binary_rows
    write_out(clients.s3, CANDIDATE, labels, good)
    write_out(clients.s3, CHAMPION, labels, coin)
    trigger = {
        "bootstrap": False,
        "batch": {"bucket": BUCKET, "key": "incoming/a.csv", "batch_id": "a-1b2c"},
        "report": {"bucket": BUCKET, "key": "reports/drift/a-1b2c.json"},
        "reasons": ["concept drift"],
    }
    result = evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), {**event(), "trigger": trigger})
    report = json.loads(
        clients.s3.get_object(Bucket=BUCKET, Key="reports/evaluation/run-1.json")["Body"].read()
    )
    assert report["trigger"] == {
        "bootstrap": False,
        "batch_key": "incoming/a.csv",
        "batch_id": "a-1b2c",
        "report_key": "reports/drift/a-1b2c.json",
    }
    assert report["candidates"][0]["training_batches"] == ["incoming/a.csv"]
    assert "training_batches" not in result["candidates"][0]  # the page's, not the state machine's
    html = clients.s3.get_object(Bucket=BUCKET, Key="reports/evaluation/run-1.html")["Body"].read().decode()
    assert '<a href="../drift/a-1b2c.html">its drift report</a>' in html
    assert '<code title="incoming/a.csv">a.csv</code> <span class="tag">trigger</span>' in html
    # the training manifest PrepareTrainingData wrote ($.data.manifest): in the JSON, on the page's meta
    # line and, linked, in its footer
    assert report["manifest"] == {"bucket": BUCKET, "key": "training/run-1/manifest.json"}
    assert "training manifest <code>training/run-1/manifest.json</code>" in html
    assert (
        f'<a href="../../training/run-1/manifest.json"><code>s3://{BUCKET}/training/run-1/manifest.json'
        in html
    )


def test_an_equal_candidate_is_rejected(clients, binary_rows):
    labels, good, _ = binary_rows
    write_out(clients.s3, CANDIDATE, labels, good)
    write_out(clients.s3, CHAMPION, labels, good)
    result = evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), event())
    assert result["promote"] is False and result["decision"] == "reject"
    assert result["reasons"][0] == "best of 1 candidate: candidate-1 (since_change)"
    assert result["reasons"][1].startswith("champion kept")


def test_first_deployment_scores_only_the_candidate(clients, binary_rows):
    labels, good, _ = binary_rows
    write_out(clients.s3, CANDIDATE, labels, good)
    result = evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), event(champion=False))
    assert result["promote"] is True and result["decision"] == "first_deployment"
    assert result["champion"] is None and result["paired_test"] is None


def test_regression_uses_the_paired_bootstrap(clients):
    rng = np.random.default_rng(1)
    y = rng.normal(size=300)
    write_out(clients.s3, CANDIDATE, y, y + rng.normal(0, 0.1, 300))
    write_out(clients.s3, CHAMPION, y, y + rng.normal(0, 1.0, 300))
    result = evaluate_candidate(
        clients.s3, BUCKET, EvaluationSettings(bootstrap_resamples=300), event("regression", 300, classes=())
    )
    assert result["promote"] is True and result["primary_metric"] == "rmse"
    assert result["paired_test"]["name"] == "paired_bootstrap_one_sided"
    assert HoldoutPerformance.from_dict(result["candidate_holdout"]).loss_mean == pytest.approx(
        result["candidate"]["mse"]
    )


def test_multiclass_class_indices(clients):
    labels = np.array([0, 1, 2] * 50)
    write_out(clients.s3, CANDIDATE, labels, labels.astype(float))
    write_out(clients.s3, CHAMPION, labels, np.zeros(150))
    result = evaluate_candidate(
        clients.s3, BUCKET, EvaluationSettings(), event("multiclass", 150, classes=("a", "b", "c"))
    )
    assert result["promote"] is True and result["candidate"]["accuracy"] == 1.0
    assert HoldoutPerformance.from_dict(result["candidate_holdout"]).errors == 0


def test_outputs_split_over_several_files_are_read_in_key_order(clients, binary_rows):
    labels, good, coin = binary_rows
    write_out(clients.s3, CANDIDATE, labels[:200], good[:200], "part-0.csv.out")
    write_out(clients.s3, CANDIDATE, labels[200:], good[200:], "part-1.csv.out")
    write_out(clients.s3, CHAMPION, labels[:200], coin[:200], "part-0.csv.out")
    write_out(clients.s3, CHAMPION, labels[200:], coin[200:], "part-1.csv.out")
    assert evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), event())["rows"] == 400


def _objects(s3):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_missing_transform_output_is_a_named_error_and_nothing_is_deleted(clients, binary_rows):
    labels, good, _ = binary_rows
    write_out(clients.s3, CANDIDATE, labels, good)
    before = _objects(clients.s3)
    with pytest.raises(TransformOutputMissingError, match="transforms/run-1/champion/"):
        evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), event())
    assert _objects(clients.s3) == before


def test_count_mismatch_between_models_is_a_named_error(clients, binary_rows):
    labels, good, coin = binary_rows
    write_out(clients.s3, CANDIDATE, labels, good)
    write_out(clients.s3, CHAMPION, labels[:-1], coin[:-1])
    with pytest.raises(PredictionCountMismatchError, match="champion output has 399"):
        evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), event())


def test_count_mismatch_with_the_held_out_rows_is_a_named_error(clients, binary_rows):
    labels, good, coin = binary_rows
    write_out(clients.s3, CANDIDATE, labels, good)
    write_out(clients.s3, CHAMPION, labels, coin)
    with pytest.raises(PredictionCountMismatchError, match="held-out test file has 401"):
        evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), event(rows=401))


def test_rows_out_of_order_are_a_label_mismatch(clients, binary_rows):
    labels, good, coin = binary_rows
    write_out(clients.s3, CANDIDATE, labels, good)
    write_out(clients.s3, CHAMPION, labels[::-1], coin)
    with pytest.raises(LabelMismatchError, match="not the same rows in order"):
        evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), event())


def test_a_line_without_label_and_prediction_is_a_format_error(clients):
    clients.s3.put_object(
        Bucket=BUCKET, Key="transforms/run-1/candidate/test.csv.out", Body=b"1,0.2,0.3,0.5\n"
    )
    with pytest.raises(TransformOutputFormatError, match="expected 2 fields"):
        evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), event(rows=None, champion=False))


def test_an_event_without_transforms_is_an_input_error(clients):
    with pytest.raises(WorkflowInputError):
        evaluate_candidate(
            clients.s3, BUCKET, EvaluationSettings(), {"execution_name": "x", "data": {"task": "binary"}}
        )


def test_handler(clients, binary_rows, load_handler, lambda_context, monkeypatch):
    monkeypatch.setenv("MIN_IMPROVEMENT", "0.5")
    labels, good, coin = binary_rows
    write_out(clients.s3, CANDIDATE, labels, good)
    write_out(clients.s3, CHAMPION, labels, coin)
    result = load_handler("evaluate_candidate").lambda_handler(event(), lambda_context)
    assert result["promote"] is True
    json.dumps(result, allow_nan=False)


# --- the tournament -------------------------------------------------------------------------------------
SECOND = f"s3://{BUCKET}/transforms/run-1/candidate-2/"
THIRD = f"s3://{BUCKET}/transforms/run-1/candidate-3/"


def test_the_best_of_several_candidates_wins_and_every_one_is_reported(clients, binary_rows):
    labels, good, coin = binary_rows
    half = np.where(np.arange(400) < 200, good, coin)  # right on half the rows
    write_out(clients.s3, CANDIDATE, labels, half)
    write_out(clients.s3, SECOND, labels, good)
    write_out(clients.s3, THIRD, labels, coin)
    write_out(clients.s3, CHAMPION, labels, coin)
    tournament = (("since_change", CANDIDATE), ("recent", SECOND), ("registry", THIRD))
    outcome = evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), event(candidates=tournament))
    assert outcome["promote"] is True
    assert outcome["winner"]["id"] == "candidate-2" and outcome["winner"]["strategy"] == "recent"
    assert outcome["winner"]["model_name"] == "drift-xgb-1-c2"
    assert outcome["winner"]["model_artifacts"].endswith("drift-xgb-1-c2/model.tar.gz")
    assert outcome["winner"]["candidate_profile"]["key"] == "training/run-1/candidate-2/profile.json"
    assert [c["strategy"] for c in outcome["candidates"]] == ["since_change", "recent", "registry"]
    assert outcome["candidate"]["error_rate"] == min(c["error_rate"] for c in outcome["candidates"])
    assert outcome["reasons"][0] == "best of 3 candidates: candidate-2 (recent)"
    report = json.loads(
        clients.s3.get_object(Bucket=BUCKET, Key="reports/evaluation/run-1.json")["Body"].read()
    )
    assert report["settings"]["alpha_per_candidate"] == pytest.approx(0.05 / 3)
    assert len(report["candidates"]) == 3 and report["best"]["id"] == "candidate-2"


def test_a_near_tie_goes_to_the_candidate_that_learned_from_more_rows(clients, binary_rows):
    """One held-out row in 400 separates them: the registry model, trained on ten times the rows, is the
    best, the report says why, and it is what is tested against the champion."""
    labels, good, coin = binary_rows
    one_more_wrong = good.copy()
    one_more_wrong[0] = 1.0 - one_more_wrong[0]
    write_out(clients.s3, CANDIDATE, labels, good)
    write_out(clients.s3, SECOND, labels, one_more_wrong)
    write_out(clients.s3, CHAMPION, labels, coin)
    payload = event(candidates=(("since_change", CANDIDATE), ("registry", SECOND)))
    payload["data"]["candidates"][1]["rows"] = {"train": 3_000, "validation": 300}
    outcome = evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), payload)
    errors = {c["strategy"]: c["error_rate"] for c in outcome["candidates"]}
    assert errors["registry"] == pytest.approx(errors["since_change"] + 1 / 400)
    assert outcome["winner"]["strategy"] == "registry" and outcome["promote"] is True
    assert outcome["candidate"]["error_rate"] == errors["registry"]
    assert outcome["reasons"][0] == "best of 2 candidates: candidate-2 (registry)"
    assert outcome["reasons"][1].startswith(
        "candidate-2 (registry) tied with the lowest error_rate, candidate-1 (since_change)"
    )
    assert "it learned from more rows (3,300 vs 330)" in outcome["reasons"][1]


def test_a_failed_candidate_is_listed_while_the_others_compete(clients, binary_rows):
    labels, good, coin = binary_rows
    write_out(clients.s3, SECOND, labels, good)
    write_out(clients.s3, CHAMPION, labels, coin)
    failing = event(candidates=(("since_change", CANDIDATE), ("recent", SECOND)))
    failing["transforms"]["candidates"][0] = result(
        1, status="failed", error={"Error": "States.TaskFailed", "Cause": "CapacityError: no ml.m5.xlarge"}
    )
    outcome = evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), failing)
    assert outcome["promote"] is True and outcome["winner"]["id"] == "candidate-2"
    assert outcome["failed_candidates"] == [
        {
            "id": "candidate-1",
            "strategy": "since_change",
            "error": "States.TaskFailed",
            "cause": "CapacityError: no ml.m5.xlarge",
        }
    ]


def test_when_every_candidate_failed_the_run_fails_with_the_causes(clients, binary_rows):
    labels, _, coin = binary_rows
    write_out(clients.s3, CHAMPION, labels, coin)
    failing = event()
    failing["transforms"]["candidates"][0] = result(1, status="failed", error={"Error": "E", "Cause": "boom"})
    with pytest.raises(NoCandidateScoredError, match="candidate-1 \\(since_change\\): E: boom"):
        evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), failing)


def test_picking_the_best_of_k_needs_stronger_evidence(clients):
    """Bonferroni over the candidates: a gain significant at alpha alone is not enough among four."""
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 2, 400)
    champion, candidate = labels.astype(float), labels.astype(float)
    for wrong, rows in ((champion, np.r_[0:14, 200:210]), (candidate, np.r_[300:304, 200:210])):
        wrong[rows] = 1 - wrong[rows]
    # 14 rows only the candidate gets right, 4 only the champion: exact McNemar p = 4048 / 2**18 = 0.0154
    write_out(clients.s3, CANDIDATE, labels, candidate)
    write_out(clients.s3, CHAMPION, labels, champion)
    single = evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), event())
    p_value = single["paired_test"]["p_value"]
    assert p_value == pytest.approx(4048 / 2**18) and single["promote"] is True
    four = tuple(("since_change", CANDIDATE) for _ in range(4))
    crowded = evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), event(candidates=four))
    assert crowded["promote"] is False


def _stage_winner_rows(s3, labels) -> None:
    """The winner's profile and the raw held-out rows PrepareTrainingData writes (a region per row)."""
    import gzip

    import pandas as pd

    from drift_retrain.engine.profile import build_profile
    from drift_retrain.engine.schema import infer_schema

    regions = np.array(["north", "south"], dtype=object)[np.arange(len(labels)) % 2]
    rows = pd.DataFrame({"region": regions, "label": labels.astype(str)})
    profile = build_profile(rows, infer_schema(rows, label="label"))
    s3.put_object(Bucket=BUCKET, Key="training/run-1/candidate-1/profile.json", Body=profile.to_json_bytes())
    body = gzip.compress(rows.to_csv(index=False).encode())
    s3.put_object(Bucket=BUCKET, Key="training/run-1/raw/test-data.csv.gz", Body=body)


def test_the_winners_holdout_errors_are_counted_per_segment(clients, binary_rows):
    labels, _good, coin = binary_rows
    wrong_north = np.where(np.arange(400) % 2 == 0, 1 - labels, labels).astype(float)
    write_out(clients.s3, CANDIDATE, labels, wrong_north)
    write_out(clients.s3, CHAMPION, labels, coin)
    _stage_winner_rows(clients.s3, labels)
    payload = event()
    payload["data"]["test"]["raw"] = {"bucket": BUCKET, "key": "training/run-1/raw/test-data.csv.gz"}
    segments = evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), payload)[
        "candidate_holdout_segments"
    ]
    assert segments["rows"] == 400
    assert segments["features"]["region"] == {"north": [200, 200], "south": [200, 0]}


def test_held_out_rows_that_do_not_line_up_leave_the_table_out(clients, binary_rows, caplog):
    labels, good, coin = binary_rows
    write_out(clients.s3, CANDIDATE, labels, good)
    write_out(clients.s3, CHAMPION, labels, coin)
    _stage_winner_rows(clients.s3, 1 - labels)  # other labels: not the transform output's rows
    payload = event()
    payload["data"]["test"]["raw"] = {"bucket": BUCKET, "key": "training/run-1/raw/test-data.csv.gz"}
    result = evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), payload)
    assert result["candidate_holdout_segments"] is None and result["promote"] is True
    assert "no per-segment holdout errors" in caplog.text
    assert (
        evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), event())["candidate_holdout_segments"]
        is None
    )
