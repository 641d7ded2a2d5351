"""Prequential stream benchmark: does retraining through the real service heal accuracy after drift?

    make bench-stream                                         # full run, hidden seeds (12 to 14 minutes on 2 CPUs)
    .venv/bin/python benchmarks/stream_benchmark.py --quick   # smoke run, writes under benchmarks/.data/
    .venv/bin/python benchmarks/stream_benchmark.py --scenarios abrupt,no_drift
    .venv/bin/python benchmarks/stream_benchmark.py --seeds tuning --out /tmp/tune   # for tuning settings

1. Creates benchmarks/.venv-stream on first use (river==0.26.1, matplotlib, the project editable with its
   dev extras; see stream_bench/venv.py) and re-runs itself with that interpreter.
2. Generates ten streams with river's generators (stream_bench/scenarios.py; cached under
   benchmarks/.data/stream/), seeded from the ``hidden`` seed set unless ``--seeds tuning``.
3. Per scenario, starts the local cloud (``drift-retrain local run``'s machinery as a library), deploys a
   first model through the bootstrap path, uploads each batch and follows it to the end; the serving
   error of batch i is its drift report's ``concept_drift.error`` (stream_bench/service.py).
4. In the same cloud, scores the baselines with the service's trainer and hyperparameters: never
   retrain, every batch on the newest W=5 batches or on the newest batch alone, every k=4 batches, a
   linear model on the newest batch, and an oracle (stream_bench/baselines.py).
5. Prints the overview (service, oracle, best baseline, jobs per scenario), a table per scenario and the
   targets' PASS/FAIL; writes stream.json (every per-batch figure), stream.md, one PNG per scenario and
   stream-summary.png to benchmarks/results/ (a --quick run: benchmarks/.data/stream-quick/, so it never
   overwrites the real figures).

Progress goes to stderr; the Lambdas' and moto's logs go to <data dir>/logs/<scenario>.log.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from stream_bench.venv import ensure_stream_venv, in_stream_venv, missing_modules  # noqa: E402

DATA_DIR = HERE / ".data"
RESULTS_DIR = HERE / "results"
REFERENCE = HERE / "stream_bench" / "reference.json"
WINDOW = 5  # every-batch / periodic window, in batches: the service's default WINDOW_MAX_BATCHES today
PERIOD = 4  # periodic baseline: retrain after every 4th batch
REEXEC_GUARD = "STREAM_BENCH_REEXEC"
_STDERR: TextIO = sys.stderr


def log(message: str) -> None:
    print(f"[stream {time.strftime('%H:%M:%S')}] {message}", file=_STDERR, flush=True)


# ------------------------------------------------------------------------------------------- data
def load_scenario(name: str, size: Any, root: Path) -> Any:
    """Generate (or read back from ``root``) one scenario's CSVs; river runs only on a cache miss."""
    from stream_bench.scenarios import GENERATOR_VERSION, Scenario, generate

    shape = json.dumps(asdict(size), sort_keys=True).encode("utf-8")
    key = f"b{size.n_batches}x{size.batch_rows}_s{size.seed}_{hashlib.sha256(shape).hexdigest()[:8]}_v{GENERATOR_VERSION}"
    directory = root / key / name
    meta_path = directory / "scenario.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        batches = [(directory / f"batch-{i:02d}.csv").read_bytes() for i in range(len(meta["batch_rows"]))]
        train = (directory / "train.csv").read_bytes()
        kept = ("changes", "segments", "hindsight", "first_change", "train_in_time_order", "meta")
        fields = {k: meta[k] for k in kept}
        fields["segments"] = [tuple(s) for s in fields["segments"]]
        return Scenario(name, meta["description"], train, batches, **fields)
    started = time.monotonic()
    scenario = generate(name, size)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "train.csv").write_bytes(scenario.train_csv)
    for i, body in enumerate(scenario.batches):
        (directory / f"batch-{i:02d}.csv").write_bytes(body)
    meta_path.write_text(json.dumps(scenario.describe(), indent=2) + "\n", encoding="utf-8")
    log(
        f"{name}: generated with river in {time.monotonic() - started:.1f} s -> {directory.relative_to(HERE.parent)}"
    )
    return scenario


# ------------------------------------------------------------------------------------------- run
class _ScenarioLog(io.TextIOBase):
    """One stream for the whole run that writes into the current scenario's log file.

    A function's Powertools Logger is made once per process, at its handler's first import, and keeps the
    stream it found then (``sys.stdout``, redirected here): a stream per scenario left every later
    scenario's Lambdas writing to the first one's closed file (``I/O operation on closed file``).
    Between scenarios nothing runs; a stray line then goes to the real stderr.
    """

    def __init__(self) -> None:
        super().__init__()
        self.target: TextIO | None = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return (self.target or sys.__stderr__).write(text)

    def flush(self) -> None:
        (self.target or sys.__stderr__).flush()


_SCENARIO_LOG = _ScenarioLog()


@contextlib.contextmanager
def quiet_cloud_logs(path: Path) -> Iterator[TextIO]:
    """The Lambdas print JSON log lines and moto prints to stderr: all of it goes to ``path``."""
    names = ("moto", "werkzeug", "botocore", "drift_retrain", "drift_retrain_local")
    loggers = [logging.getLogger(name) for name in names]
    with path.open("w", encoding="utf-8") as handle:
        _SCENARIO_LOG.target = handle
        handler = logging.StreamHandler(_SCENARIO_LOG)
        saved = [(logger, logger.propagate) for logger in loggers]
        for logger in loggers:
            logger.addHandler(handler)
            logger.propagate = False
        try:
            with contextlib.redirect_stdout(_SCENARIO_LOG), contextlib.redirect_stderr(_SCENARIO_LOG):
                yield handle
        finally:
            for logger, propagate in saved:
                logger.removeHandler(handler)
                logger.propagate = propagate
            _SCENARIO_LOG.flush()
            _SCENARIO_LOG.target = None


def run_scenario(
    name: str, scenario: Any, logs: Path, timeout: float, overrides: dict[str, str] | None = None
) -> dict[str, Any]:
    """The service and the baselines on one scenario; every per-batch figure."""
    from stream_bench import metrics
    from stream_bench.baselines import POLICIES, Trainer, read_frames, run_baselines
    from stream_bench.scenarios import LABEL, csv_rows
    from stream_bench.service import run_service

    from drift_retrain.workflow.prepare_training_data.window import WindowSettings
    from drift_retrain_local.run.local_run import LOCAL_SETTINGS, open_cloud
    from drift_retrain_local.sagemaker.failures import FailureInjector

    rows = [csv_rows(b) for b in scenario.batches]
    started = time.monotonic()
    log_path = logs / f"{name}.log"
    settings = {**LOCAL_SETTINGS, **(overrides or {})}
    with (
        quiet_cloud_logs(log_path) as handle,
        open_cloud({"LabelColumn": LABEL}, FailureInjector(), settings) as cloud,
    ):
        log(
            f"{name}: local cloud up ({time.monotonic() - started:.0f} s); service logs in {log_path.relative_to(HERE.parent)}"
        )
        service = run_service(
            cloud,
            scenario.train_csv,
            scenario.batches,
            rows,
            echo=lambda line: print(line, file=handle),
            log=lambda m: log(f"{name}:{m}"),
            timeout=timeout,
        )
        # The service's own split settings, so a baseline's job sees the rows a service job would.
        resolved = cloud.stack.template.settings
        window = WindowSettings(
            max_batches=WINDOW,
            test_share=resolved["test_share"],
            validation_share=resolved["validation_share"],
            min_training_rows=resolved["min_training_rows"],
            seed=resolved["split_seed"],
        )
        schema, train, frames = read_frames(scenario.train_csv, scenario.batches, LABEL)
        trainer = Trainer(cloud.client("s3"), schema, service.bootstrap_job, window)
        runs, _ = run_baselines(
            trainer,
            scenario,
            train,
            frames,
            w=WINDOW,
            k=PERIOD,
            log=lambda m: log(f"{name}:{m}"),
            seed_file=service.seed_file,
        )

    resources = service.bootstrap_job.get("ResourceConfig") or {}
    instance = {
        "instance_type": resources.get("InstanceType"),
        "instance_count": int(resources.get("InstanceCount") or 1),
    }
    oracle = runs["oracle"].errors
    changes, first_change = list(scenario.changes), scenario.first_change
    policies: dict[str, Any] = {}
    ours_errors = [b["error"] for b in service.batches]
    ours_jobs = [j for b in service.batches for j in b["jobs"]]
    ours_after = [b["batch"] for b in service.batches if b["retrained"]]
    promotions = sum(b["outcome"] == "promoted" for b in service.batches)
    seen = [b["challenger"] for b in service.batches if b["challenger"] is not None]
    challengers = sum(seen) if seen else None
    policies["ours"] = metrics.summarise(
        ours_errors, oracle, changes, first_change, ours_after, ours_jobs, promotions, challengers
    )
    for policy in POLICIES:
        run = runs[policy]
        jobs = [{"kind": "training", "seconds": s, **instance} for s in run.job_seconds]
        policies[policy] = metrics.summarise(
            run.errors, oracle, changes, first_change, run.retrain_after, jobs
        )
    if runs["oracle"].windows:
        policies["oracle"]["hindsight_windows"] = runs["oracle"].windows
    metric = next((b["metric"] for b in service.batches if b.get("metric")), None)

    # The baselines' first model is rebuilt exactly as the bootstrap's: until ours first swaps models,
    # its errors must equal the service's. A difference means the trainer drifted from the service's.
    first_swap = next((b["batch"] for b in service.batches if b["outcome"] == "promoted"), len(rows) - 1)
    agreement = max(abs(ours_errors[b] - runs["never"].errors[b]) for b in range(first_swap + 1))
    notes = [
        f"The baselines' first model reproduces the service's: largest error difference {agreement:.4f} on "
        f"batches 0-{first_swap} (served by the bootstrap model in both)."
    ]
    if agreement > 0.005:
        log(f"{name}: WARNING the baselines' first model disagrees with the service's by {agreement:.4f}")
    failed = [b for b in service.batches if b["outcome"] == "failed"]
    if failed:
        errors = sorted({b["execution_error"] or "no execution started" for b in failed})
        notes.append(
            f"WARNING: {len(failed)} batch(es) ended `failed` (batches {', '.join(str(b['batch']) for b in failed)}): "
            + "; ".join(errors)
        )
        log(f"{name}: WARNING {len(failed)} failed retrain(s): {errors[0]}")
    return {
        **scenario.describe(),
        "metric": metric or ("mse" if schema.task == "regression" else "error_rate"),
        "service": {
            "outcomes": [b["outcome"] for b in service.batches],
            "batches": service.batches,
            "bootstrap": service.bootstrap,
            "hyperparameters": service.bootstrap_job.get("HyperParameters"),
            "training_instance": instance,
            "seconds": round(service.seconds, 1),
        },
        "policies": policies,
        "baseline_seconds": {p: round(runs[p].seconds, 1) for p in POLICIES},
        "first_model_agreement": agreement,
        "notes": notes,
        "seconds": round(time.monotonic() - started, 1),
    }


# ------------------------------------------------------------------------------------------- main
def parse_args(argv: list[str]) -> argparse.Namespace:
    from stream_bench.scenarios import SCENARIOS, SEED_SETS

    from_help = f"comma-separated: {','.join(SCENARIOS)} (default: all)"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default="", help=from_help)
    parser.add_argument(
        "--quick", action="store_true", help="8 batches of 1,000 rows; writes under benchmarks/.data/"
    )
    parser.add_argument("--out", type=Path, help="folder for stream.json, stream.md and the PNGs")
    parser.add_argument(
        "--seeds",
        choices=sorted(SEED_SETS),
        default="hidden",
        help="seed set: `tuning` for runs that tune settings (needs --out or --quick), `hidden` (default) "
        "for the committed table",
    )
    parser.add_argument(
        "--render",
        type=Path,
        metavar="STREAM_JSON",
        help="no run: rewrite stream.md, the PNGs and the summary plot from a run's stream.json, beside it",
    )
    parser.add_argument(
        "--save-reference",
        action="store_true",
        help="record this run's abrupt and recurring post-change means in stream_bench/reference.json "
        "(the target 'no worse than the reference run' compares with them)",
    )
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="most seconds for one delivery or execution"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="setting of the service, e.g. --set candidate_strategies=since_change (repeatable; "
        "docs/configuration.md)",
    )
    parser.add_argument(
        "--no-venv",
        action="store_true",
        help="run with this interpreter (river and matplotlib must be installed)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    # XGBoost's OpenMP threads spin while they wait: on a busy machine one 8,000-row job took 80 s
    # instead of 0.4 s. Passive waiting computes the same trees; set before XGBoost loads (and inherited
    # by the re-executed interpreter).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if not args.no_venv and not in_stream_venv() and not os.environ.get(REEXEC_GUARD):
        python = ensure_stream_venv(log)
        os.environ[REEXEC_GUARD] = "1"
        sys.stdout.flush()
        os.execv(str(python), [str(python), str(Path(__file__).resolve()), *argv])
    missing = missing_modules()
    if missing:
        raise SystemExit(
            f"stream benchmark: {' and '.join(missing)} not installed for {sys.executable}. Run `make bench-stream` "
            "(it creates benchmarks/.venv-stream), or install them here: pip install river==0.26.1 matplotlib"
        )
    return run(args)


def render(path: Path, save: bool) -> int:
    """Tables, targets and plots of a finished run again (after a change to the report's layout or to
    reference.json); stream.json is rewritten with the targets."""
    from stream_bench import metrics, report

    result = json.loads(path.read_text(encoding="utf-8"))
    out = path.parent
    if save:
        save_reference(result)
    reference = read_reference(result["seed_set"], result["size"])
    result["reference"] = reference
    result["targets"] = metrics.targets(result["scenarios"], reference)
    report.write_json(path, result)
    for name, scenario in result["scenarios"].items():
        report.plot(out / f"stream-{name}.png", name, scenario)
    seeds = seed_label(result["seed_set"], result["size"]["seed"])
    report.summary_plot(out / "stream-summary.png", result["scenarios"], seeds)
    (out / "stream.md").write_text(
        report.markdown(result, result["targets"], per_batch=True), encoding="utf-8"
    )
    print("### Overview\n\n" + report.overview_table(result["scenarios"]))
    log(f"rewrote {out / 'stream.md'} and {len(result['scenarios']) + 1} PNG(s) from {path}")
    return 0


def run(args: argparse.Namespace) -> int:
    from stream_bench import metrics, report

    if args.render:
        return render(args.render, args.save_reference)
    from stream_bench.scenarios import FULL, QUICK, SCENARIOS, SEED_SETS
    from stream_bench.service import BenchmarkError

    names = [s.strip() for s in args.scenarios.split(",") if s.strip()] or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise SystemExit(
            f"stream benchmark: unknown scenario(s) {', '.join(unknown)} (known: {', '.join(SCENARIOS)})"
        )
    overrides = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SystemExit(f"stream benchmark: --set takes KEY=VALUE, got {item!r}")
        overrides[key.strip()] = value.strip()
    if overrides and not args.out and not args.quick:
        raise SystemExit(
            "stream benchmark: with --set, name an --out folder (results/ holds the defaults' run)"
        )
    if args.seeds != "hidden" and not args.out and not args.quick:
        raise SystemExit(
            f"stream benchmark: with --seeds {args.seeds}, name an --out folder (results/ holds the hidden "
            "seeds' run)"
        )
    size = replace(QUICK if args.quick else FULL, seed=SEED_SETS[args.seeds])
    data_root = DATA_DIR / ("stream-quick" if args.quick else "stream")
    out = args.out or (data_root if args.quick else RESULTS_DIR)
    logs = data_root / "logs"
    for folder in (out, logs):
        folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    log(
        f"{len(names)} scenario(s), {size.n_batches} batches of {size.batch_rows:,} rows, seeds "
        f"{args.seeds} ({size.seed}); results -> {out}"
    )
    scenarios: dict[str, Any] = {}
    for name in names:
        scenario = load_scenario(name, size, data_root)
        try:
            scenarios[name] = run_scenario(name, scenario, logs, args.timeout, overrides)
        except BenchmarkError as error:
            raise SystemExit(f"stream benchmark: {name}: {error}") from None
        ours, oracle = scenarios[name]["policies"]["ours"], scenarios[name]["policies"]["oracle"]
        log(
            f"{name}: done in {scenarios[name]['seconds']:.0f} s; post-change mean: ours "
            f"{ours['mean_after_change']:.4f}, oracle {oracle['mean_after_change']:.4f}; "
            f"{ours['cost']['training_jobs']} training jobs"
        )
        report.plot(out / f"stream-{name}.png", name, scenarios[name])
    report.summary_plot(out / "stream-summary.png", scenarios, seed_label(args.seeds, size.seed))

    reference = read_reference(args.seeds, json.loads(json.dumps(asdict(size))))
    checks = metrics.targets(scenarios, reference)
    seconds = time.monotonic() - started
    result = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "service_commit": git_commit(),
        "size": asdict(size),
        "seed_set": args.seeds,
        "window_batches": WINDOW,
        "period_batches": PERIOD,
        "cost_model": {
            "billing": "per second of billable time x instance count, minimum per job assumed",
            "min_billed_seconds": metrics.MIN_BILLED_SECONDS,
            "usd_per_instance_hour": metrics.PRICES,
            "reported": "billed instance-seconds (training + transform) and USD; local seconds in JSON",
        },
        "seconds": round(seconds, 1),
        "settings_overrides": overrides,
        "preamble": preamble(size, seconds, seed_label(args.seeds, size.seed)),
        "reference": reference,
        "scenarios": scenarios,
        "targets": checks,
    }
    report.write_json(out / "stream.json", result)
    (out / "stream.md").write_text(report.markdown(result, checks, per_batch=True), encoding="utf-8")
    print("### Overview\n\n" + report.overview_table(scenarios) + "\n")
    for name, scenario in scenarios.items():
        notes = "".join(f"- {note}\n" for note in scenario["notes"])
        print(
            report.scenario_heading(name, scenario) + "\n\n" + report.summary_table(scenario) + "\n\n" + notes
        )
    print("### Targets\n\n" + report.targets_table(checks))
    if args.save_reference:
        save_reference(result)
    log(
        f"wrote {out / 'stream.json'}, {out / 'stream.md'} and {len(scenarios) + 1} PNG(s); "
        f"{seconds / 60:.1f} min in all"
    )
    return 0


def seed_label(seed_set: str, seed: int) -> str:
    return f"seed set `{seed_set}` (base seed {seed})"


def git_commit() -> str | None:
    """The commit of the service that ran (a `+` when the work tree differs from it)."""
    import subprocess

    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], cwd=HERE, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return None
    return commit + (
        "+" if git("status", "--porcelain", "--", "../layers", "../local_cloud", "../template.yaml") else ""
    )


def read_reference(seed_set: str, shape: dict[str, Any]) -> dict[str, Any] | None:
    """The reference run's figures when they were measured on this run's seeds and ``shape`` (the size
    as stream.json holds it)."""
    if not REFERENCE.exists():
        return None
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    if reference.get("seed_set") != seed_set or reference.get("size") != shape:
        return None
    return reference


def save_reference(result: dict[str, Any]) -> None:
    """reference.json from a run's stream.json figures: its abrupt and recurring post-change means."""
    from stream_bench.metrics import ABRUPT_SCENARIOS

    scenarios = result["scenarios"]
    means = {
        n: round(scenarios[n]["policies"]["ours"]["mean_after_change"], 5)
        for n in ABRUPT_SCENARIOS
        if n in scenarios
    }
    reference = {
        "service": f"commit {result.get('service_commit')}, run {result.get('generated_at')}",
        "seed_set": result["seed_set"],
        "size": result["size"],
        "mean_after_change": means,
    }
    REFERENCE.write_text(json.dumps(reference, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {REFERENCE.relative_to(HERE.parent)}: {means}")


def preamble(size: Any, seconds: float, seeds: str) -> str:
    return (
        "## Stream benchmark results\n\n"
        f"Prequential error of the serving model per batch (MSE for a regression stream), {size.n_batches} "
        f"batches of {size.batch_rows:,} labelled rows per scenario after a first model on "
        f"{size.train_rows:,} rows (drift_in_train: {size.drift_in_train[1]} batches of "
        f"{size.drift_in_train[2]:,} after {size.drift_in_train[0]:,}), {seeds}. Two means: over the batches "
        "after the first change (change batches left out; the targets use it) and over all batches. The "
        "oracle trains on post-change rows only after each change; for incremental drift it scores each "
        f"batch with the best of the models on the newest 1..{WINDOW} batches (best window in hindsight). "
        f"Baselines retrain on the newest W={WINDOW} batches (periodic: every k={PERIOD}) or the newest batch; "
        "best baseline = the lowest post-change mean of the deployable baselines. Recovery = batches after a "
        "change until the error is within 1.2x of the oracle's on the same batch. Billed instance-seconds: "
        "max(60 s, job seconds) x instances per training or transform job (the bootstrap's jobs, common to "
        "all policies, left out); USD at on-demand us-east-1 prices (ml.m5.large $0.115/h, ml.m5.xlarge "
        f"$0.23/h). Run on {datetime.now(UTC):%Y-%m-%d} ({platform.machine()}, {os.cpu_count()} CPUs) in "
        f"{seconds / 60:.1f} min."
    )


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
