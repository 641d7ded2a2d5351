"""DetectDrift's report of a batch with values near the float limit is strict JSON on S3: the overflowed
statistics are ``null`` and named under ``non_finite_values``."""

from __future__ import annotations

import json

from functional_support import frame_to_csv_bytes

from drift_retrain.strict_json import NON_FINITE_KEY


def _refuse(token: str):
    raise ValueError(f"not JSON: {token}")


def test_the_drift_report_of_values_near_the_float_limit_is_strict_json(
    detect_drift, clients, bucket, profile_uploaded, make_frame_fn
) -> None:
    frame = make_frame_fn(1_000, seed=11)
    frame.loc[:99, "tenure"] = 1.7e308
    frame.loc[100:199, "tenure"] = -1.7e308
    result = detect_drift.invoke(detect_drift.upload("incoming/huge.csv", frame_to_csv_bytes(frame)))

    assert result.response["status"] == "checked"
    body = clients.s3.get_object(Bucket=bucket, Key=result.response["report_key"])["Body"].read()
    report = json.loads(body, parse_constant=_refuse)
    # The engine nulls an overflowed mean or spread itself; anything else not finite is named by pointer.
    assert all(pointer.startswith("/") for pointer in report.get(NON_FINITE_KEY, {}))
    tenure = next(f for f in report["features"] if f["name"] == "tenure")
    assert tenure["batch"]["std"] is None or report[NON_FINITE_KEY]
