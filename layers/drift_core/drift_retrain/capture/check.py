"""The drift check of captured traffic: the batch check's body on captured rows, with the served
predictions standing in for the endpoint (no new call), plus prediction drift and estimated performance.

Sections added to the report (docs/data-capture.md):

* ``capture``: records read, bad records by reason, rows without an output, column issues, join stats,
  and ``labelled_without_output`` (labelled rows with no captured output, checked as unlabelled);
* ``prediction_drift``: the served classes (chi-square) and scores (KS), or values for regression,
  against the champion's holdout predictions (``PredictionReference``); Holm-corrected; an alert only;
* ``estimated_performance``: the CBPE error estimate and its interval beside the holdout error; ``alert``
  when it is significantly above the holdout error (by more than ``concept_margin``); never a retrain.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.capture.estimate import estimate_error, rise_test
from drift_retrain.capture.join import JoinStats
from drift_retrain.capture.records import PREDICTION, SCORE, CapturedRows
from drift_retrain.capture.reference import PredictionReference
from drift_retrain.engine.check import check_frame
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.drift import column_drift
from drift_retrain.engine.performance import encode_labels
from drift_retrain.engine.report import DriftReport
from drift_retrain.engine.stats import adjust_pvalues
from drift_retrain.exceptions import PredictionError

__all__ = ["ASSUMPTION", "NOT_THE_CHAMPIONS", "capture_lines", "run_capture_check"]

#: Why prediction drift and the estimate are not tested on a window another model answered.
NOT_THE_CHAMPIONS = (
    "every row was served by another model than the champion: its predictions are not compared with "
    "the champion's holdout"
)

ASSUMPTION = (
    "estimated from the served scores (calibrated on the holdout when a prediction reference exists): "
    "valid under covariate shift (new rows, "
    "same P(label | features)); blind to a pure concept change, which only labels reveal"
)


def run_capture_check(
    captured: CapturedRows | pd.DataFrame,
    profile,
    config: DriftConfig | None = None,
    *,
    reference: PredictionReference | None = None,
    batch_id: str | None = None,
    source_name: str | None = None,
    join: JoinStats | None = None,
    recovery_used: int = 0,
    champion_rows: pd.Series | None = None,
) -> DriftReport:
    """Check captured rows (``read_capture``'s, joined with labels or not) against the baseline.

    Feature drift, label drift and the concept test run as for a batch; the concept test uses the
    served predictions of the labelled rows. ``join`` adds the join's stats to the ``capture`` section.
    ``champion_rows`` (a boolean per row) says which rows the champion served: prediction drift and the
    estimated error use those only (default: every row).
    """
    config = config or DriftConfig()
    frame = captured.frame if isinstance(captured, CapturedRows) else captured
    frame = frame.reset_index(drop=True)
    own = (
        pd.Series(True, index=frame.index)
        if champion_rows is None
        else pd.Series(champion_rows.to_numpy(dtype=bool), index=frame.index)
    )
    for column in (PREDICTION, SCORE):  # rows from elsewhere (a test, an input-only capture) may lack them
        if column not in frame.columns:
            frame[column] = None if column == PREDICTION else np.nan
    frame, unjudged = _judged_labels(frame, profile.schema.label)
    rows = len(frame)
    if rows > config.max_rows:
        keep = np.sort(np.random.default_rng(config.seed).choice(rows, config.max_rows, replace=False))
        frame = frame.iloc[keep].reset_index(drop=True)
        own = own.iloc[keep].reset_index(drop=True)
    schema = profile.schema
    report = check_frame(
        frame,
        profile,
        config,
        predictor=_served(frame, schema),
        batch_id=batch_id,
        source_name=source_name,
        recovery_used=recovery_used,
        rows=rows,
        sampling={
            "method": "uniform_sample" if len(frame) < rows else "all_rows",
            "rows_read": rows,
            "rows_used": len(frame),
            "compressed": False,
        },
    )
    capture: dict[str, Any] = captured.summary() if isinstance(captured, CapturedRows) else {"rows": rows}
    capture["join"] = None if join is None else join.to_dict()
    capture["labelled_without_output"] = unjudged
    served = frame[own.to_numpy()]
    others = {"tested": False, "reason": NOT_THE_CHAMPIONS, "alert": False}
    report.sections = {
        "capture": capture,
        "prediction_drift": prediction_drift(served, schema, reference, config) if len(served) else others,
        "estimated_performance": (
            estimated_performance(served, profile, reference, config) if len(served) else others
        ),
    }
    return report


def _judged_labels(frame: pd.DataFrame, label: str) -> tuple[pd.DataFrame, int]:
    """Labels only where a served prediction can be judged against them: a labelled row without a
    captured output (input-only capture) is checked as unlabelled, and counted."""
    if label not in frame.columns:
        return frame, 0
    no_output = frame[label].notna() & frame[PREDICTION].isna()
    count = int(no_output.sum())
    if count:
        frame = frame.copy()
        frame.loc[no_output, label] = np.nan if frame[label].dtype == np.float64 else None
    return frame, count


def _served(frame: pd.DataFrame, schema):
    """The engine's ``Predictor``: the served prediction of each asked row (class index, or value)."""

    def predictor(rows: pd.DataFrame) -> np.ndarray:
        served = frame.loc[rows.index, PREDICTION]
        if served.isna().any():
            raise PredictionError(
                f"{int(served.isna().sum())} labelled rows have no captured output (input-only capture)"
            )
        if schema.task == "regression":
            return served.to_numpy(dtype=np.float64)
        return encode_labels(served, schema.classes)

    return predictor


def prediction_drift(
    frame: pd.DataFrame, schema, reference: PredictionReference | None, config: DriftConfig
) -> dict[str, Any]:
    """Served predictions against the holdout's: one test per distribution, Holm-corrected together."""
    if reference is None:
        return {"tested": False, "reason": "no prediction reference (written at promotion)", "alert": False}
    served = frame[PREDICTION].dropna()
    if served.empty:
        return {"tested": False, "reason": "no captured outputs", "alert": False}
    tests = {"predictions": column_drift(reference.predictions, _typed(served, schema), config)}
    scores = frame[SCORE].to_numpy(dtype=np.float64)
    if reference.scores is not None and np.isfinite(scores).any():
        tests["scores"] = column_drift(reference.scores, pd.Series(scores[np.isfinite(scores)]), config)
    tested = [t.distribution for t in tests.values() if t.distribution.tested]
    if tested:
        adjusted = adjust_pvalues([t.p_value for t in tested], config.correction)
        for test, p_adj in zip(tested, adjusted, strict=True):
            test.decide(float(p_adj), config)
    drifted = [name for name, t in tests.items() if t.distribution.drifted]
    return {
        "tested": bool(tested),
        "reason": None if tested else "no test could be computed",
        "rows": len(served),
        **{name: t.to_dict() for name, t in tests.items()},
        "drifted": drifted,
        "alert": bool(drifted),
    }


def _typed(served: pd.Series, schema) -> pd.Series:
    return served.astype(np.float64) if schema.task == "regression" else served.astype(str)


def estimated_performance(
    frame: pd.DataFrame, profile, reference: PredictionReference | None, config: DriftConfig
) -> dict[str, Any]:
    """CBPE's estimate beside the holdout error and, where labels joined, the realised error."""
    schema = profile.schema
    if schema.task == "regression":
        return {
            "tested": False,
            "reason": "regression: no class probabilities to estimate from",
            "alert": False,
        }
    calibration = None if reference is None else reference.calibration
    estimate = estimate_error(frame[SCORE], calibration, schema.task)
    if estimate is None:
        return {"tested": False, "reason": "the captured outputs carry no probabilities", "alert": False}
    holdout = reference.holdout if reference is not None else profile.holdout
    section: dict[str, Any] = {
        "tested": True,
        **estimate.to_dict(),
        "method": "cbpe",
        "assumption": ASSUMPTION,
        "holdout_error": None if holdout is None else holdout.value,
        "holdout_rows": None if holdout is None else holdout.rows,
        "p_value": None,
        "alert": False,
        **_realised(frame, schema),
    }
    if holdout is not None and holdout.rows:
        p_value = rise_test(estimate, holdout.value, holdout.rows, config.concept_margin)
        section.update(p_value=p_value, alert=p_value <= config.alpha)
    return section


def _realised(frame: pd.DataFrame, schema) -> dict[str, Any]:
    label = schema.label
    if label not in frame.columns:
        return {"realised_error": None, "realised_rows": 0}
    both = frame[frame[label].notna() & frame[PREDICTION].notna() & frame[SCORE].notna()]
    if both.empty:
        return {"realised_error": None, "realised_rows": 0}
    wrong = both[label].astype(str).to_numpy() != both[PREDICTION].astype(str).to_numpy()
    return {"realised_error": float(wrong.mean()), "realised_rows": len(both)}


def capture_lines(report: dict[str, Any]) -> list[str]:
    """The capture, join, prediction-drift and estimate lines of a report dict (``render_text`` adds none)."""
    lines = []
    capture = report.get("capture")
    if capture:
        bad = ", ".join(f"{k} {v}" for k, v in (capture.get("bad_by_reason") or {}).items()) or "none"
        lines.append(
            f"  capture: {capture.get('records', 0):,} records, {capture.get('rows', 0):,} rows; "
            f"bad records: {bad}; without output: {capture.get('records_without_output', 0):,}"
        )
        join = capture.get("join")
        if join:
            lines.append(
                f"  join: {join['labelled']:,} of {join['rows']:,} rows labelled ({join['labelled_share']:.1%}); "
                f"orphan labels {join['orphans']:,}; duplicates {join['duplicates']:,}; "
                f"wrong encoding {join['wrong_encoding']:,}"
            )
    drift = report.get("prediction_drift")
    if drift:
        if drift.get("tested"):
            parts = [
                f"{name} p {drift[name]['p_value_adjusted']:.3g}"
                for name in ("predictions", "scores")
                if name in drift and drift[name].get("p_value_adjusted") is not None
            ]
            verdict = "DETECTED (alert)" if drift["alert"] else "not detected"
            lines.append(f"  prediction drift: {verdict}: {'; '.join(parts)}")
        else:
            lines.append(f"  prediction drift: not tested ({drift.get('reason')})")
    estimate = report.get("estimated_performance")
    if estimate:
        if estimate.get("tested"):
            holdout = estimate.get("holdout_error")
            realised = estimate.get("realised_error")
            lines.append(
                f"  estimated error: {estimate['error']:.2%} [{estimate['low']:.2%}, {estimate['high']:.2%}] on "
                f"{estimate['rows']:,} rows"
                + ("" if holdout is None else f" vs holdout {holdout:.2%}")
                + ("" if realised is None else f"; realised {realised:.2%} on {estimate['realised_rows']:,}")
                + ("; ALERT (no retrain)" if estimate["alert"] else "")
                + ("" if estimate.get("calibrated") else "; uncalibrated")
            )
            lines.append(f"    ({estimate['assumption']})")
        else:
            lines.append(f"  estimated error: not estimated ({estimate.get('reason')})")
    return lines
