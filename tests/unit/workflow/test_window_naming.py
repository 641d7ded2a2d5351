"""Training window order, deterministic split, and job names (pure)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from drift_retrain.exceptions import ConfigError
from drift_retrain.workflow.prepare_training_data.candidates import candidate_names
from drift_retrain.workflow.prepare_training_data.window import (
    ListedBatch,
    WindowSettings,
    newest_rows,
    order_window,
    split_seed,
    split_window,
    trigger_held_out,
)
from drift_retrain.workflow.shared.exceptions import EmptyTrainingWindowError, NotEnoughTrainingDataError
from drift_retrain.workflow.shared.naming import job_names

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def listed(key: str, minutes: int) -> ListedBatch:
    return ListedBatch(key=key, last_modified=T0 + timedelta(minutes=minutes))


def test_window_is_newest_first_without_the_trigger_or_later_batches():
    batches = [
        listed("incoming/a.csv", 1),
        listed("incoming/b.csv.gz", 3),
        listed("incoming/trigger.csv", 5),
        listed("incoming/later.csv", 9),
        listed("incoming/c.csv", 4),
        listed("incoming/notes.txt", 4),
        listed("incoming/folder/", 4),
    ]
    window = order_window(batches, "incoming/trigger.csv", max_batches=3)
    assert [b.key for b in window] == ["incoming/c.csv", "incoming/b.csv.gz"]


def test_window_of_one_batch_is_just_the_trigger():
    assert order_window([listed("incoming/a.csv", 1)], "incoming/t.csv", max_batches=1) == []


@pytest.fixture()
def frame_factory():
    """Labelled rows with both classes; ``x1`` unique per row, so rows can be traced across channels."""

    def build(rows: int, seed: int = 0) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        x1 = rng.normal(size=rows)
        return pd.DataFrame({"x1": x1, "colour": rng.choice(["red", "blue"], rows), "label": (x1 > 0) * 1})

    return build


def _frames(*sizes: int, frame_factory) -> list[tuple[str, pd.DataFrame]]:
    return [(f"batch-{i}", frame_factory(n, seed=i)) for i, n in enumerate(sizes)]


def test_split_holds_out_the_newest_rows_of_the_newest_batch_and_is_deterministic(frame_factory):
    frames = _frames(400, 300, 300, frame_factory=frame_factory)
    settings = WindowSettings(test_share=0.2, validation_share=0.1, min_training_rows=100)
    first = split_window(frames, settings, seed=7, label="label", classification=True)
    second = split_window(frames, settings, seed=7, label="label", classification=True)
    assert first.counts == {"train": 720, "validation": 80, "test": 200}
    assert first.test_sources == ["batch-0"]
    pd.testing.assert_frame_equal(first.train, second.train)
    pd.testing.assert_frame_equal(first.test, second.test)
    # the test rows are the newest batch's last 200 rows, in order, whatever the seed
    newest = frames[0][1]
    pd.testing.assert_frame_equal(first.test, newest.iloc[200:].reset_index(drop=True))
    other = split_window(frames, settings, seed=8, label="label", classification=True)
    pd.testing.assert_frame_equal(first.test, other.test)
    assert not first.train.equals(other.train)  # the seed shuffles train and validation only
    assert set(first.train["x1"]).isdisjoint(first.test["x1"])


def test_split_moves_to_older_batches_when_the_newest_is_small(frame_factory):
    frames = _frames(50, 1000, frame_factory=frame_factory)
    split = split_window(frames, WindowSettings(test_share=0.2), seed=1, label="label", classification=True)
    assert split.test_sources == ["batch-0", "batch-1"]
    assert len(split.test) == 210
    # all of the newest batch, after the older batch's last 160 rows: the newest 210 rows in time order
    expected = pd.concat([frames[1][1].iloc[840:], frames[0][1]], ignore_index=True)
    pd.testing.assert_frame_equal(split.test, expected)


def test_a_long_window_holds_out_half_of_the_trigger_so_its_other_half_trains(frame_factory):
    """20% of ten 500-row batches is the whole trigger: all of it held out left every candidate to learn
    from older batches only. Half of it is held out, and its older half trains (the newest candidate's
    rows); a trigger too small for that keeps the old rule."""
    frames = _frames(*[500] * 10, frame_factory=frame_factory)
    settings = WindowSettings(test_share=0.2, min_training_rows=200)
    split = split_window(frames, settings, seed=1, label="label", classification=True)
    assert split.test_sources == ["batch-0"] and len(split.test) == 250
    pd.testing.assert_frame_equal(split.test, frames[0][1].iloc[250:].reset_index(drop=True))
    assert trigger_held_out(1000, 500, 200) == 250
    assert trigger_held_out(100, 500, 200) == 100  # the trigger keeps 400 rows to train: unchanged
    assert trigger_held_out(1000, 300, 200) == 1000  # half of 300 cannot train: all of it held out


def test_newest_rows_keeps_the_newest_share_across_batches(frame_factory):
    newest, older = frame_factory(100, seed=1), frame_factory(300, seed=2)
    kept = newest_rows([newest, older], 0.5)  # 200 of 400 rows: all of the newest batch, 100 of the older
    assert [len(k) for k in kept] == [100, 100]
    pd.testing.assert_frame_equal(kept[1], older.iloc[200:])
    assert [len(k) for k in newest_rows([newest, older], 0.25)] == [100, 0]
    assert newest_rows([newest, older], 1.0) == [newest, older]


def test_previous_training_rows_never_reach_the_test_set(frame_factory):
    frames = _frames(500, frame_factory=frame_factory)
    previous = frame_factory(300, seed=99).assign(x1=1000.0)
    split = split_window(
        frames, WindowSettings(), seed=1, label="label", classification=True, previous=previous
    )
    assert (split.test["x1"] != 1000.0).all()
    assert split.previous_rows == 300
    assert ((split.train["x1"] == 1000.0).sum() + (split.validation["x1"] == 1000.0).sum()) == 300


def test_empty_window_is_a_named_error(frame_factory):
    empty = frame_factory(10).iloc[0:0]
    with pytest.raises(EmptyTrainingWindowError, match="no labelled rows"):
        split_window([("t", empty)], WindowSettings(), seed=0, label="label", classification=True)


def test_too_few_rows_is_a_named_error(frame_factory):
    with pytest.raises(NotEnoughTrainingDataError, match="MIN_TRAINING_ROWS=200"):
        split_window(
            [("t", frame_factory(100))], WindowSettings(), seed=0, label="label", classification=True
        )


def test_a_single_class_is_a_named_error(frame_factory):
    one_class = frame_factory(500).assign(label=1)
    with pytest.raises(NotEnoughTrainingDataError, match="single class"):
        split_window([("t", one_class)], WindowSettings(), seed=0, label="label", classification=True)


@pytest.mark.parametrize(
    "kwargs",
    [{"test_share": 0.0}, {"test_share": 0.6, "validation_share": 0.5}, {"previous_data_share": 2.0}],
)
def test_window_settings_reject_impossible_shares(kwargs):
    with pytest.raises(ValueError):
        WindowSettings(**kwargs)


def test_window_settings_from_env():
    settings = WindowSettings.from_env(
        {"WINDOW_MAX_BATCHES": "2", "TEST_SHARE": "0.3", "PREVIOUS_DATA_SHARE": ""}
    )
    assert (settings.max_batches, settings.test_share, settings.previous_data_share) == (2, 0.3, 0.3)
    assert settings.candidates == ("since_change", "newest", "registry")
    chosen = WindowSettings.from_env(
        {"CANDIDATE_STRATEGIES": " Recent , registry", "REGISTRY_CANDIDATES": "4"}
    )
    assert chosen.candidates == ("recent", "registry") and chosen.registry_candidates == 4
    with pytest.raises(ConfigError, match="candidate strategies"):
        WindowSettings.from_env({"CANDIDATE_STRATEGIES": "since_change,everything"})
    with pytest.raises(ConfigError, match="WINDOW_MAX_ROWS='lots' is not a valid int"):
        WindowSettings.from_env({"WINDOW_MAX_ROWS": "lots"})


def test_every_workflow_setting_names_the_variable_it_cannot_read():
    from drift_retrain.workflow.evaluate_candidate.evaluation import EvaluationSettings
    from drift_retrain.workflow.promote_model.promotion import PromoteSettings

    with pytest.raises(ConfigError, match="BOOTSTRAP_RESAMPLES='many'"):
        EvaluationSettings.from_env({"BOOTSTRAP_RESAMPLES": "many"})
    with pytest.raises(ConfigError, match=r"KEEP_LAST_MODELS='3\.5'"):
        PromoteSettings.from_env({"DATA_BUCKET": "b", "KEEP_LAST_MODELS": "3.5"})


def test_split_seed_depends_on_the_batch_content_not_its_version():
    first = {"key": "incoming/a.csv", "etag": '"e1"', "version_id": "v1", "batch_id": "a-1"}
    again = {**first, "version_id": "v2", "batch_id": "a-2"}  # the same file uploaded again
    changed = {**first, "etag": '"e2"'}
    assert split_seed(1, first) == split_seed(1, again) != split_seed(1, changed)
    assert split_seed(1, first) != split_seed(2, first)
    assert split_seed(1, {"key": "seed/train.csv", "etag": None, "batch_id": "bootstrap"}) == split_seed(
        1, {"batch_id": "bootstrap"}
    )


def test_job_names_fit_sagemaker_limits_and_iam_prefix():
    names = job_names(
        "Drift_Model-Long-Prefix", "arn:aws:states:us-east-1:1:execution:sm:name", "2026-01-02T03:04:05.678Z"
    )
    pattern = re.compile(r"^[a-z0-9](-*[a-z0-9])*$")
    for value in names.to_dict().values():
        assert pattern.match(value), value
        assert value.startswith("drift-mode-") or value.startswith("drift-mode")
    for index in (1, 9):
        candidate = candidate_names(names.base, index)
        assert len(candidate["tuning_job"]) <= 32 and len(candidate["training_job"]) + 3 <= 63
        assert all(pattern.match(value) for value in candidate.values())
    assert names.base.startswith("drift-mode-2601020304-")
    again = job_names(
        "Drift_Model-Long-Prefix", "arn:aws:states:us-east-1:1:execution:sm:name", "2026-01-02T03:04:05Z"
    )
    assert again == names
    assert job_names("drift-xgb", "other-arn", "2026-01-02T03:04:05Z").base != names.base


def test_a_labelled_window_is_split_by_its_key_not_its_capture_metadata():
    """Two replays of the same traffic write the same labelled rows with other inference times and
    model names (other ETags): the same split. Another revision or window is another split."""
    key = "monitor/labelled/ep/AllTraffic/w000003-r01.csv"
    first = {"key": key, "etag": '"e1"', "batch_id": "w3-r01-1"}
    replay = {"key": key, "etag": '"e2"', "batch_id": "w3-r01-2"}
    assert split_seed(1, first) == split_seed(1, replay)
    assert split_seed(1, first) != split_seed(1, {**first, "key": key.replace("-r01", "-r02")})
    assert split_seed(1, first) != split_seed(2, first)
