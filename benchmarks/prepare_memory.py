"""Peak memory of PrepareTrainingData against the size of the batch it reads (issue 9, finding 4).

PrepareTrainingData used to read each object whole (``storage.read_object``) and parse the bytes: a 1.07 GB
object peaked at 1.24 GB. It now streams every object through the same reader as DetectDrift and keeps a
uniform sample of ``WINDOW_MAX_ROWS`` rows. This script runs the real ``prepare_training_data`` on an
in-process moto S3 (champion profile, outputs) whose batch object is generated on the fly while it is
read (moto itself would hold it in memory), once per size and mode, each in a fresh process, and prints
the peak RSS of that process.

Modes: ``stream`` is the code as it is; ``whole`` swaps in the old read (whole object as bytes, then
parsed) to show the difference on the same data.

    .venv/bin/python benchmarks/prepare_memory.py                      # 0.5, 1 and 2 GB, both modes
    .venv/bin/python benchmarks/prepare_memory.py --sizes 0.1 --modes stream   # smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

GB = 1_000_000_000
BUCKET = "prepare-memory-bench"
BIG_KEY = "incoming/big.csv"
FEATURES = 8
LEVELS = ["alpha", "beta", "gamma", "delta"]


def _frame(rows: int, seed: int):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    data = {f"n{i}": rng.normal(size=rows).round(4) for i in range(FEATURES)}
    data.update({f"c{i}": rng.choice(LEVELS, rows) for i in range(3)})
    score = data["n0"] + 0.5 * data["n1"] + rng.normal(0, 0.5, rows)
    return pd.DataFrame({"label": (score > 0).astype(int), **data})


class GeneratedBody:
    """A CSV object of whole rows, at most ``size`` bytes, made while it is read: never all in memory."""

    def __init__(self, size: int, seed: int = 1):
        text = _frame(50_000, seed).to_csv(index=False).encode()
        header, rows = text.split(b"\n", 1)
        header += b"\n"
        repeats, remainder = divmod(size - len(header), len(rows))
        tail = rows[: rows.rfind(b"\n", 0, remainder) + 1]
        self.size = len(header) + repeats * len(rows) + len(tail)
        self._pieces = iter([header, *([rows] * repeats), tail])
        self._pending = b""

    def read(self, amount: int = -1) -> bytes:
        if amount is None or amount < 0:
            amount = self.size
        pieces, length = [], 0  # joined once: a whole-object read costs the object's size, not twice it
        while length < amount:
            if not self._pending:
                self._pending = next(self._pieces, b"")
                if not self._pending:
                    break
            piece, self._pending = self._pending[: amount - length], self._pending[amount - length :]
            pieces.append(piece)
            length += len(piece)
        return b"".join(pieces)

    def close(self) -> None:
        pass


class GeneratedObjectS3:
    """The moto S3 client, except that ``BIG_KEY`` is served by a ``GeneratedBody``."""

    def __init__(self, client, size: int):
        self._client, self._size = client, size

    def __getattr__(self, name):
        return getattr(self._client, name)

    def get_object(self, **params):
        if params.get("Key") != BIG_KEY:
            return self._client.get_object(**params)
        body = GeneratedBody(self._size)
        return {
            "Body": body,
            "ContentLength": body.size,
            "ETag": '"generated"',
            "VersionId": params.get("VersionId"),
        }


def _whole_object_read(s3, ref, limits=None, **options):
    """The old read: the whole object as bytes, then parsed (what PrepareTrainingData did before)."""
    from drift_retrain.aws import storage
    from drift_retrain.engine.reading import read_csv

    body = storage.read_object(s3, ref.bucket, ref.key, ref.pinned_version)
    return read_csv(body, limits=limits, **options)


def child(mode: str, size: int) -> dict:
    """Run PrepareTrainingData once on a generated object of ``size`` bytes; report peak RSS and time."""
    import boto3
    from moto import mock_aws

    from drift_retrain.engine.profile import build_profile
    from drift_retrain.engine.read_limits import ReadLimits
    from drift_retrain.engine.schema import infer_schema
    from drift_retrain.workflow.prepare_training_data import window_reading
    from drift_retrain.workflow.prepare_training_data.preparation import prepare_training_data
    from drift_retrain.workflow.prepare_training_data.retrain_run import PrepareSettings
    from drift_retrain.workflow.prepare_training_data.window import WindowSettings

    for name, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ[name] = value
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        champion = _frame(20_000, seed=0)
        profile = build_profile(champion, infer_schema(champion, label="label"))
        client.put_object(Bucket=BUCKET, Key="baseline/current/profile.json", Body=profile.to_json_bytes())
        version = client.put_object(Bucket=BUCKET, Key=BIG_KEY, Body=b"placeholder")["VersionId"]
        if mode == "whole":
            window_reading.stream_csv = _whole_object_read
        settings = PrepareSettings(
            bucket=BUCKET,
            label_column="label",
            window=WindowSettings(candidates=("newest",)),
            limits=ReadLimits(max_object_bytes=4 * GB, max_decompressed_bytes=8 * GB),
        )
        event = {
            "execution_name": "bench",
            "execution_arn": "arn:aws:states:us-east-1:123456789012:execution:bench:bench",
            "execution_start": "2026-11-30T00:00:00.000Z",
            "trigger": {
                "batch": {"bucket": BUCKET, "key": BIG_KEY, "version_id": version, "batch_id": "big"}
            },
        }
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        data = prepare_training_data(GeneratedObjectS3(client, size), settings, event)
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "mode": mode,
        "object_bytes": size,
        "rows_used": sum(data["rows"].values()),
        "peak_rss_mb": round(peak),
        "rss_before_mb": round(before),
        "seconds": round(seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.5,1,2", help="object sizes in GB (10^9 bytes), comma-separated")
    parser.add_argument("--modes", default="stream,whole", help="stream (current), whole (the old read)")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "BYTES"), help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return 0
    results = []
    print(
        f"{'mode':<8}{'object (GB)':>12}{'rows used':>11}{'peak RSS (MB)':>15}{'before (MB)':>13}{'seconds':>9}"
    )
    for mode in args.modes.split(","):
        for size in (float(s) for s in args.sizes.split(",")):
            command = [sys.executable, __file__, "--child", mode, str(int(size * GB))]
            line = (
                subprocess.run(command, check=True, capture_output=True, text=True)
                .stdout.strip()
                .splitlines()[-1]
            )
            result = json.loads(line)
            results.append(result)
            print(
                f"{mode:<8}{size:>12.2f}{result['rows_used']:>11,}{result['peak_rss_mb']:>15,}"
                f"{result['rss_before_mb']:>13,}{result['seconds']:>9}",
                flush=True,
            )
    if args.output:
        args.output.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
