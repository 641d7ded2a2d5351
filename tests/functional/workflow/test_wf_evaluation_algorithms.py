"""EvaluateCandidate reads each algorithm's transform output: XGBoost's joined ``label,prediction`` lines,
Linear Learner's JSON Lines (labels from the scored test file), and a Linear Learner champion."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_wf_evaluation import CANDIDATE, CHAMPION, event, write_out
from wf_helpers import BUCKET

from drift_retrain.workflow.evaluate_candidate.evaluation import EvaluationSettings, evaluate_candidate
from drift_retrain.workflow.shared.algorithms import transform_format
from drift_retrain.workflow.shared.exceptions import PredictionCountMismatchError, TransformOutputFormatError

LINEAR = f"s3://{BUCKET}/transforms/run-1/linear/"
TEST = f"s3://{BUCKET}/training/run-1/test/candidate-2/"
CHAMPION_TEST = f"s3://{BUCKET}/training/run-1/test/champion/"


def _put(s3, uri: str, name: str, body: str) -> None:
    s3.put_object(Bucket=BUCKET, Key=uri.split("/", 3)[3] + name, Body=body.encode())


def _test_file(s3, uri: str, labels) -> None:
    _put(s3, uri, "test.csv", "".join(f"{y:g},0.5,1\n" for y in labels))


def _jsonlines(s3, uri: str, records) -> None:
    _put(s3, uri, "test.csv.out", "".join(json.dumps(r) + "\n" for r in records))


def _two_algorithms(champion_algorithm: str = "xgboost") -> dict:
    payload = event(candidates=(("since_change", CANDIDATE), ("since_change", LINEAR)))
    payload["data"]["candidates"][0]["algorithm"] = "xgboost"
    payload["data"]["candidates"][1].update({"algorithm": "linear-learner", "test_uri": TEST})
    payload["data"]["test"]["champion_uri"] = CHAMPION_TEST
    payload["data"]["champion_transform"] = {
        "algorithm": champion_algorithm,
        **transform_format(champion_algorithm),
    }
    return payload


@pytest.fixture()
def rows():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 2, 400)
    return labels, np.clip(labels * 0.8 + 0.1 + rng.normal(0, 0.05, 400), 0, 1), rng.uniform(0, 1, 400)


def test_a_linear_learner_candidate_is_scored_on_its_json_lines_and_can_win(clients, rows):
    labels, good, coin = rows
    write_out(clients.s3, CANDIDATE, labels, coin)  # XGBoost: no better than the champion
    write_out(clients.s3, CHAMPION, labels, coin[::-1])
    _test_file(clients.s3, TEST, labels)
    _jsonlines(clients.s3, LINEAR, [{"score": float(p), "predicted_label": int(p >= 0.5)} for p in good])

    result = evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), _two_algorithms())

    assert result["promote"] and result["winner"]["algorithm"] == "linear-learner"
    assert result["reasons"][0] == "best of 2 candidates: candidate-2 (since_change, linear-learner)"
    by_algorithm = {c["algorithm"]: c["error_rate"] for c in result["candidates"]}
    assert by_algorithm["linear-learner"] == pytest.approx(np.mean((good >= 0.5) != labels))
    assert result["candidate"]["auc"] > 0.99  # the score is the probability, not the hard label


def test_a_linear_learner_champion_is_read_as_json_lines(clients, rows):
    labels, good, coin = rows
    write_out(clients.s3, CANDIDATE, labels, good)
    _test_file(clients.s3, TEST, labels)
    _jsonlines(clients.s3, LINEAR, [{"score": float(p), "predicted_label": int(p >= 0.5)} for p in good])
    _test_file(clients.s3, CHAMPION_TEST, labels)
    _jsonlines(clients.s3, CHAMPION, [{"score": float(p), "predicted_label": int(p >= 0.5)} for p in coin])

    result = evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), _two_algorithms("linear-learner"))

    assert result["champion"]["error_rate"] == pytest.approx(np.mean((coin >= 0.5) != labels))
    assert result["promote"]


def test_a_json_line_without_a_score_or_a_count_mismatch_is_named(clients, rows):
    labels, good, _ = rows
    write_out(clients.s3, CANDIDATE, labels, good)
    write_out(clients.s3, CHAMPION, labels, good)
    _test_file(clients.s3, TEST, labels)
    _jsonlines(clients.s3, LINEAR, [{"predicted_label": 1}])
    with pytest.raises(TransformOutputFormatError, match="record 1 is not a Linear Learner JSON line"):
        evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), _two_algorithms())
    _jsonlines(clients.s3, LINEAR, [{"score": 0.9, "predicted_label": 1}])
    with pytest.raises(PredictionCountMismatchError, match="holds 1 predictions for the 400 rows"):
        evaluate_candidate(clients.s3, BUCKET, EvaluationSettings(), _two_algorithms())
