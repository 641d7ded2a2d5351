"""Scale-out benchmark: a partition checked on the Distributed Map through the local cloud, and its cost.

    python benchmarks/scale_benchmark.py                          # (b) 64 parts x 64 MB = 4 GiB, and (c)
    python benchmarks/scale_benchmark.py --parts 8 --part-mb 4    # a smoke run
    make bench-scale

(b) For each MaxConcurrency (1, 4, 16): a fresh local cloud (the setting partition_check_max_concurrency),
the baseline profile uploaded, the parts (unlabelled CSV from ``bench_data``, 7 shifted columns) uploaded to
``incoming/<name>/`` and then ``_SUCCESS``; the wall time runs from the marker's upload to the end of the
partition-check execution. A child's peak memory is measured as a Lambda would see it: one part summarised
(``summarize_source``, the child's work) in a process of its own, its peak RSS (up to four parts). The flags
of the merged report are compared with one pass over the whole data (``run_check`` on the partition read in
one process). Then the first 8, 16 and 32 parts at the highest MaxConcurrency (``--parts-sweep``): the wall
time against the number of parts, plotted to ``scale-parts.svg``.

(c) A cost model per GB checked on AWS, from the measured child seconds per MB: Lambda GB-seconds (the
template's 3,008 MB), Lambda requests, Step Functions Standard transitions and S3 requests, at us-east-1
list prices (stated below), against the price of Model Monitor's default processing instance
(ml.m5.xlarge) for the same data.

Writes ``benchmarks/results/scale.json``, ``scale.md`` and ``scale-parts.svg``. The local cloud runs every Lambda in one
process, so its wall times show the orchestration and the ordering, not AWS's parallel speed-up.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_data import SHIFTS, make_frame  # noqa: E402
from line_plot import line_svg  # noqa: E402

RESULTS = HERE / "results"
SEED = 20240601
BASELINE_ROWS = 200_000
CONCURRENCY = (1, 4, 16)
#: Every row is used, in both paths (no sampling), so the flags compare one pass with the merge exactly.
ALL_ROWS = 100_000_000
#: One-minute load averages read at the start and end of each step: wall times mean little on a busy machine.
LOADS: list[float] = []

# --- us-east-1 list prices (December 2026 pages; x86 Lambda, Step Functions Standard, S3 Standard) -----------
LAMBDA_GB_SECOND = 0.0000166667  # USD per GB-second
LAMBDA_REQUEST = 0.20 / 1_000_000  # USD per request
SFN_TRANSITION = 0.025 / 1_000  # USD per state transition (Standard)
S3_GET = 0.0004 / 1_000  # USD per GET
S3_PUT = 0.005 / 1_000  # USD per PUT
ML_M5_XLARGE_HOUR = 0.23  # USD per hour, SageMaker Processing ml.m5.xlarge (Model Monitor's default)
LAMBDA_MEMORY_GB = 3008 / 1024  # SummarisePart and CheckPartition, template.yaml
#: Transitions of one check: the parent's states (Load settings, the Map, Merge, Choice, Succeed) and,
#: per child execution (Standard), entering and leaving its one Task state.
PARENT_TRANSITIONS, CHILD_TRANSITIONS = 6, 2


def write_parts(folder: Path, parts: int, part_mb: float) -> tuple[int, list[Path]]:
    """``parts`` unlabelled CSV files of about ``part_mb`` MB each; the rows per part."""
    sample = make_frame(2_000, SEED, batch=True).to_csv(index=False)
    rows = max(100, int(part_mb * 1e6 / (len(sample.encode()) / 2_000)))
    folder.mkdir(parents=True)
    paths = []
    for i in range(parts):
        frame = make_frame(rows, SEED + 1 + i, batch=True)
        frame["label"] = np.nan  # unlabelled: the feature tests only, no endpoint calls
        path = folder / f"part-{i:05d}.csv"
        frame.to_csv(path, index=False)
        paths.append(path)
    return rows, paths


def build_profile(out: Path) -> Path:
    from drift_retrain.engine.profile import build_profile as build
    from drift_retrain.engine.schema import infer_schema

    frame = make_frame(BASELINE_ROWS, SEED, batch=False)
    profile = build(frame, infer_schema(frame, label="label"))
    path = out / "profile.json"
    path.write_bytes(profile.to_json_bytes())
    return path


def child_peak(profile: Path, part: Path, summary_out: Path) -> dict[str, float]:
    """One part summarised in a process of its own (a child Lambda's work): seconds and peak RSS in MB;
    the summary written to ``summary_out``."""
    LOADS.append(os.getloadavg()[0])
    code = (
        "import json, resource, sys, time\n"
        "from drift_retrain.engine.config import DriftConfig\n"
        "from drift_retrain.engine.profile import BaselineProfile\n"
        "from drift_retrain.engine.summary import summarize_source\n"
        "profile = BaselineProfile.from_json_bytes(open(sys.argv[1], 'rb').read())\n"
        "started = time.perf_counter()\n"
        "with open(sys.argv[2], 'rb') as stream:\n"
        "    summary = summarize_source(profile, stream, DriftConfig(), part=sys.argv[2])\n"
        "text = json.dumps(summary.to_json())\n"
        "open(sys.argv[3], 'w').write(text)\n"
        "size = len(text)\n"
        "print(json.dumps({'seconds': time.perf_counter() - started, 'summary_bytes': size,\n"
        "    'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(profile), str(part), str(summary_out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def reduce_seconds(profile: Path, summaries: list[Path]) -> float:
    """The reduce step's work per part: load, merge and check the summaries."""
    from drift_retrain.engine.config import DriftConfig
    from drift_retrain.engine.profile import BaselineProfile
    from drift_retrain.engine.summary import PartialSummary, check_summary, merge_summaries

    started = time.perf_counter()
    loaded = BaselineProfile.from_json_bytes(profile.read_bytes())
    merged = merge_summaries(PartialSummary.from_json(json.loads(p.read_text())) for p in summaries)
    check_summary(merged, loaded, DriftConfig(max_rows=ALL_ROWS))
    return (time.perf_counter() - started) / len(summaries)


def one_pass_flags(profile: Path, paths: list[Path]) -> list[str]:
    """The drifted features of one pass over the whole partition, read in this process."""
    from contextlib import contextmanager

    from drift_retrain.engine.check import run_check
    from drift_retrain.engine.config import DriftConfig
    from drift_retrain.engine.partition_reading import Part, Partition
    from drift_retrain.engine.profile import BaselineProfile

    def opener(path: Path):
        @contextmanager
        def opened():
            with path.open("rb") as stream:
                yield stream

        return opened

    parts = [Part(name=p.name, size=p.stat().st_size, open=opener(p)) for p in paths]
    config = DriftConfig(max_rows=ALL_ROWS)
    report = run_check(
        Partition(str(paths[0].parent), parts), BaselineProfile.from_json_bytes(profile.read_bytes()), config
    )
    return sorted(report.drifted_features)


def through_the_map(profile: Path, paths: list[Path], concurrency: int, timeout: float) -> dict[str, Any]:
    """The partition of ``paths`` through a fresh local cloud with MaxConcurrency ``concurrency``."""
    LOADS.append(os.getloadavg()[0])
    from drift_retrain_local.cloud.local_cloud import local_cloud
    from drift_retrain_local.run.observe import wait_for_execution

    with local_cloud(
        settings={"partition_check_max_concurrency": concurrency, "max_rows": ALL_ROWS}
    ) as cloud:
        s3, sfn, bucket = cloud.client("s3"), cloud.client("stepfunctions"), cloud.stack.bucket
        s3.put_object(Bucket=bucket, Key="baseline/current/profile.json", Body=profile.read_bytes())
        folder = f"incoming/scale-p{len(paths)}-c{concurrency}/"
        for path in paths:
            s3.put_object(Bucket=bucket, Key=folder + path.name, Body=path.read_bytes())
        cloud.events.wait(timeout=timeout)
        started = time.perf_counter()
        s3.put_object(Bucket=bucket, Key=folder + "_SUCCESS", Body=b"")
        deadline = time.monotonic() + timeout
        while not cloud.events.deliveries_for(folder + "_SUCCESS", bucket):
            if time.monotonic() > deadline:
                raise TimeoutError("the marker's event was not delivered")
            time.sleep(0.05)
        cloud.events.wait(timeout=timeout)
        response = cloud.events.deliveries_for(folder + "_SUCCESS", bucket)[-1].result(timeout=1).json()
        assert response["status"] == "partition_check_started", response
        record = wait_for_execution(
            sfn, response["partition_check"]["execution_arn"], timeout=timeout, poll=0.2
        )
        seconds = time.perf_counter() - started
        LOADS.append(os.getloadavg()[0])
        assert record.status == "SUCCEEDED", record
        reports = s3.list_objects_v2(Bucket=bucket, Prefix="reports/drift/")["Contents"]
        report = json.loads(
            s3.get_object(Bucket=bucket, Key=next(o["Key"] for o in reports if o["Key"].endswith(".json")))[
                "Body"
            ].read()
        )
        return {
            "parts": len(paths),
            "max_concurrency": concurrency,
            "wall_seconds": round(seconds, 2),
            "rows": report["rows"],
            "drifted_features": sorted(report["drifted_features"]),
        }


def cost_model(child_seconds_per_mb: float, part_mb: float, reduce_seconds_per_part: float) -> dict[str, Any]:
    """USD per GB checked on AWS (list prices above), and what ml.m5.xlarge time that buys."""
    parts_per_gb = 1024 / part_mb
    lambda_seconds = 1024 * child_seconds_per_mb + parts_per_gb * reduce_seconds_per_part
    lambda_usd = lambda_seconds * LAMBDA_MEMORY_GB * LAMBDA_GB_SECOND + (parts_per_gb + 2) * LAMBDA_REQUEST
    sfn_usd = (PARENT_TRANSITIONS + CHILD_TRANSITIONS * parts_per_gb) * SFN_TRANSITION
    s3_usd = (parts_per_gb + 2) * S3_GET + (parts_per_gb + 4) * S3_PUT
    total = lambda_usd + sfn_usd + s3_usd
    return {
        "assumptions": {
            "region": "us-east-1, list prices",
            "lambda_usd_per_gb_second": LAMBDA_GB_SECOND,
            "lambda_usd_per_request": LAMBDA_REQUEST,
            "lambda_memory_gb": round(LAMBDA_MEMORY_GB, 3),
            "sfn_standard_usd_per_transition": SFN_TRANSITION,
            "transitions": f"{PARENT_TRANSITIONS} per check + {CHILD_TRANSITIONS} per part",
            "s3_usd_per_get": S3_GET,
            "s3_usd_per_put": S3_PUT,
            "part_mb": f"{part_mb} (the cost model's; the measured seconds per MB scale to it)",
            "child_seconds_per_mb": round(child_seconds_per_mb, 4),
            "reduce_seconds_per_part": round(reduce_seconds_per_part, 4),
            "lambda_speed": "as measured on this machine's CPU (Lambda's at 3 GB is about one such core)",
            "model_monitor_instance": "ml.m5.xlarge (Model Monitor's documented default), USD/hour",
            "ml_m5_xlarge_usd_per_hour": ML_M5_XLARGE_HOUR,
        },
        "usd_per_gb": {
            "lambda": round(lambda_usd, 6),
            "step_functions": round(sfn_usd, 6),
            "s3_requests": round(s3_usd, 6),
            "total": round(total, 6),
        },
        "lambda_gb_seconds_per_gb": round(lambda_seconds * LAMBDA_MEMORY_GB, 2),
        # The same money buys this much ml.m5.xlarge time: Model Monitor is cheaper per GB only if one such
        # instance checks a GB faster than this (a processing job also bills its start-up, minutes).
        "ml_m5_xlarge_seconds_for_the_same_money": round(total / ML_M5_XLARGE_HOUR * 3600, 1),
    }


def _sweep_lines(sweep: list[dict[str, Any]]) -> list[str]:
    if len(sweep) < 2:
        return []
    lines = [
        f"Wall time against the number of parts (MaxConcurrency {sweep[0]['max_concurrency']}; "
        "plot: `scale-parts.svg`):",
        "",
        "| parts | wall time (s) | seconds per part |",
        "|---|---|---|",
    ]
    lines += [f"| {r['parts']} | {r['wall_seconds']} | {r['wall_seconds'] / r['parts']:.2f} |" for r in sweep]
    return [*lines, ""]


def markdown(result: dict[str, Any]) -> str:
    b, c = result["partition"], result["cost"]
    lines = [
        "# Scale-out benchmark (Distributed Map)",
        "",
        f"Run: `{result['command']}` on {result['machine']}. {b['parts']} parts x {b['part_mb']} MB "
        f"({b['total_mb']:.0f} MB, {b['rows_per_part']:,} rows per part, unlabelled CSV, 7 shifted columns).",
        "",
        "## (b) A partition through the local cloud",
        "",
        "| MaxConcurrency | wall time (s) | rows | merged flags = one pass |",
        "|---|---|---|---|",
    ]
    for run in b["runs"]:
        same = "yes" if run["drifted_features"] == b["one_pass_flags"] else "NO"
        lines.append(f"| {run['max_concurrency']} | {run['wall_seconds']} | {run['rows']:,} | {same} |")
    lines += [
        "",
        "The local cloud runs every Lambda in one process on a shared 2-CPU machine: the wall times show the "
        "orchestration overhead, not AWS's parallel speed-up (there each child is its own Lambda).",
        "",
        *_sweep_lines(b.get("parts_sweep", [])),
        f"One pass over the whole data flags: {', '.join(b['one_pass_flags'])} (the generator shifts "
        f"{', '.join(sorted(SHIFTS))}).",
        "",
        "| part (own process, like a child Lambda) | seconds | peak RSS (MB) | summary (bytes) |",
        "|---|---|---|---|",
        *[
            f"| {c_['part']} | {c_['seconds']:.2f} | {c_['peak_mb']:.0f} | {c_['summary_bytes']:,} |"
            for c_ in b["children"]
        ],
        "",
        f"Target: each child at most 512 MB peak: {'met' if b['max_child_peak_mb'] <= 512 else 'NOT met'} "
        f"({b['max_child_peak_mb']:.0f} MB).",
        "",
        "## (c) Cost per GB checked on AWS",
        "",
        "| item | USD per GB |",
        "|---|---|",
        *[f"| {k} | {v:.6f} |" for k, v in c["usd_per_gb"].items()],
        "",
        f"Lambda: {c['lambda_gb_seconds_per_gb']} GB-seconds per GB. The same money buys "
        f"{c['ml_m5_xlarge_seconds_for_the_same_money']} s of ml.m5.xlarge (Model Monitor's default "
        f"processing instance, {ML_M5_XLARGE_HOUR} USD/h): Model Monitor costs less per GB only if one such "
        "instance profiles a GB faster than that, start-up included.",
        "",
        "Assumptions:",
        "",
        *[f"- {k}: {v}" for k, v in c["assumptions"].items()],
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=64)
    parser.add_argument("--part-mb", type=float, default=64.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=list(CONCURRENCY))
    parser.add_argument(
        "--parts-sweep",
        type=int,
        nargs="*",
        default=[8, 16, 32],
        help="also check the first N parts at the highest MaxConcurrency, for the plot of wall time "
        "against parts (values at or above --parts are skipped)",
    )
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument(
        "--cost-part-mb",
        type=float,
        default=64.0,
        help="part size the cost model assumes (the measured seconds per MB scale to it)",
    )
    args = parser.parse_args(argv)
    LOADS.append(os.getloadavg()[0])
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp:
        work = Path(tmp)
        print(f"writing {args.parts} parts of {args.part_mb} MB ...", file=sys.stderr, flush=True)
        rows, paths = write_parts(work / "partition", args.parts, args.part_mb)
        profile = build_profile(work)
        summaries = [work / f"summary-{i}.json" for i in range(min(4, len(paths)))]
        children = [
            {"part": p.name, **child_peak(profile, p, out)} for p, out in zip(paths, summaries, strict=False)
        ]
        per_part_reduce = reduce_seconds(profile, summaries)
        print(f"children: {children}", file=sys.stderr, flush=True)
        flags = one_pass_flags(profile, paths)
        runs = []
        for concurrency in args.concurrency:
            runs.append(through_the_map(profile, paths, concurrency, args.timeout))
            print(f"run: {runs[-1]}", file=sys.stderr, flush=True)
        widest = max(args.concurrency)
        sweep = [r for r in runs if r["max_concurrency"] == widest]
        for count in sorted(n for n in set(args.parts_sweep) if 0 < n < len(paths)):
            sweep.append(through_the_map(profile, paths[:count], widest, args.timeout))
            print(f"sweep: {sweep[-1]}", file=sys.stderr, flush=True)
        sweep.sort(key=lambda r: r["parts"])
        total_mb = sum(p.stat().st_size for p in paths) / 1e6
    child_seconds_per_mb = sum(c["seconds"] for c in children) / (len(children) * total_mb / args.parts)
    result = {
        "command": "python benchmarks/scale_benchmark.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": f"{sys.platform}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, max RSS of this "
        f"process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, one-minute load average "
        f"{min(LOADS):.1f} to {max(LOADS):.1f} at the start and end of each step (other jobs raise it above "
        "this benchmark's own 1 to 2)",
        "partition": {
            "parts": args.parts,
            "part_mb": args.part_mb,
            "total_mb": total_mb,
            "rows_per_part": rows,
            "one_pass_flags": flags,
            "runs": runs,
            "children": children,
            "max_child_peak_mb": max(c["peak_mb"] for c in children),
            "merged_equals_one_pass": all(r["drifted_features"] == flags for r in runs),
            "parts_sweep": sweep,
        },
        "cost": cost_model(child_seconds_per_mb, args.cost_part_mb, reduce_seconds_per_part=per_part_reduce),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "scale.md").write_text(markdown(result), encoding="utf-8")
    if len(sweep) > 1:
        (RESULTS / "scale-parts.svg").write_text(
            line_svg(
                [(r["parts"], r["wall_seconds"]) for r in sweep],
                title=f"Partition check on the local cloud, {args.part_mb:g} MB parts, MaxConcurrency {widest}",
                x_label="parts in the partition",
                y_label="wall time (s)",
            ),
            encoding="utf-8",
        )
    print(markdown(result))
    return 0 if result["partition"]["merged_equals_one_pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
