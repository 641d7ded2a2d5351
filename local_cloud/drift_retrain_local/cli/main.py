"""``drift-retrain``: build baseline profiles, check batches, run the demos, run the service locally.

A developer tool (``pip install -e '.[dev]'``), never deployed: it imports the layer's package and the
local cloud, and the layer never imports it. Exit codes are in :mod:`drift_retrain_local.cli.exit_codes`
(and docs/cli.md); help text is plain text, as a terminal shows it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from drift_retrain import __version__, strict_json
from drift_retrain.engine.batch_reader import read_batch
from drift_retrain.engine.check import run_check
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.distributions import profile_distributions
from drift_retrain.engine.performance import HoldoutPerformance, prediction_losses
from drift_retrain.engine.profile import BaselineProfile, finish_profile
from drift_retrain.engine.profile_reading import (
    DEFAULT_PART_BYTES,
    PieceDone,
    profile_pieces,
    training_pieces,
)
from drift_retrain.engine.report import DriftReport, render_text
from drift_retrain.engine.schema import load_schema_overrides
from drift_retrain.exceptions import DriftRetrainError, InvalidBatchError, PredictionError
from drift_retrain.reports import render_drift_html
from drift_retrain_local.cli.capture import add_capture_options, check_capture
from drift_retrain_local.cli.exit_codes import (
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_PIPE_CLOSED,
    EXIT_USAGE,
)
from drift_retrain_local.cli.profile_view import schema_lines
from drift_retrain_local.cli.stack import add_stack_commands

DESCRIPTION = "Build baseline profiles, check batches for drift, run the demos, run the service locally."


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        code = args.handler(args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except InvalidBatchError as error:
        return _error(f"drift-retrain: invalid file ({error.code}): {error}", EXIT_INVALID)
    except DriftRetrainError as error:
        return _error(f"drift-retrain: {error}", EXIT_USAGE)
    except BrokenPipeError:
        # The reader (| head) has gone: stop quietly, and keep Python from reporting the pipe at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE_CLOSED
    except KeyboardInterrupt:  # pragma: no cover
        return EXIT_INTERRUPTED


def _error(message: str, code: int) -> int:
    print(message, file=sys.stderr)
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drift-retrain",
        description=DESCRIPTION,
        epilog="exit codes:\n" + "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    profile = commands.add_parser("profile", help="build a baseline profile from training data")
    profile.add_argument(
        "train",
        type=Path,
        help="training data: CSV (header row; .csv or .csv.gz), .parquet or .jsonl[.gz], or a folder of "
        "part files profiled part by part",
    )
    profile.add_argument("--out", type=Path, required=True, help="folder to write profile.json into")
    profile.add_argument("--label", help="label column (default: the first column)")
    profile.add_argument("--schema", type=Path, help="JSON file overriding inferred kinds, label or task")
    profile.add_argument("--holdout", type=Path, help="held-out labelled CSV the champion was scored on")
    profile.add_argument(
        "--holdout-predictions", type=Path, help="the champion's predictions for --holdout, one row each"
    )
    profile.add_argument(
        "--part-mb",
        type=int,
        default=DEFAULT_PART_BYTES // 2**20,
        metavar="MB",
        help="profile a plain CSV larger than this in byte ranges of about this size, one at a time "
        f"(default {DEFAULT_PART_BYTES // 2**20}; 0 reads it in one piece)",
    )
    profile.set_defaults(handler=_profile)

    check = commands.add_parser("check", help="check a batch for drift against a baseline profile")
    check.add_argument(
        "batch",
        type=Path,
        nargs="?",
        help="batch: CSV (header row), .parquet or .jsonl[.gz]; label column optional",
    )
    check.add_argument("--profile", type=Path, required=True, help="profile folder or profile.json")
    check.add_argument(
        "--predictions", type=Path, help="the champion's predictions, one per batch row (concept-drift test)"
    )
    check.add_argument("--json", action="store_true", help="print the JSON report instead of text")
    check.add_argument("--html", type=Path, metavar="FILE", help="also write the report as an HTML page")
    check.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting, e.g. --set alpha=0.01 (see docs/configuration.md)",
    )
    add_capture_options(check)
    check.set_defaults(handler=_check)

    report = commands.add_parser("report", help="render a drift report JSON as a self-contained HTML page")
    report.add_argument(
        "report", type=Path, help="drift report JSON (check --json, or reports/drift/<id>.json)"
    )
    report.add_argument(
        "--profile", type=Path, help="profile folder or profile.json: baseline plots for reports without them"
    )
    report.add_argument("--out", type=Path, required=True, help="HTML file to write")
    report.set_defaults(handler=_report)

    demo = commands.add_parser("demo", help="generate example data, train a champion and check each batch")
    demo.add_argument("--out", type=Path, default=Path("out/demo"), help="output folder (default out/demo)")
    demo.set_defaults(handler=_demo)

    add_stack_commands(commands)  # repair, redrive

    local = commands.add_parser(
        "local", help="run the whole service on this machine (embedded AWS; needs the dev install)"
    )
    local_commands = local.add_subparsers(dest="local_command", required=True)
    _local_run_parser(local_commands)
    _serve_parser(local_commands)
    return parser


def _local_run_parser(local_commands: argparse._SubParsersAction) -> None:
    """``local run`` (your data) and ``local demo`` (generated data with known drift)."""
    run = local_commands.add_parser(
        "run", help="bootstrap a model from TRAIN.csv, then drop each batch into incoming/ and follow it"
    )
    run.add_argument("--train", type=Path, required=True, help="labelled training CSV for the first model")
    run.add_argument(
        "--batch",
        type=Path,
        action="append",
        default=[],
        help="batch file (CSV, Parquet, JSON Lines), or a folder uploaded as one partition with _SUCCESS "
        "last; uploaded in order (repeatable)",
    )
    run.add_argument(
        "--traffic",
        type=Path,
        action="append",
        default=[],
        help="labelled CSV sent to the endpoint as requests without its labels (Data Capture records them); "
        "its labels arrive as ground truth --label-delay windows later (repeatable)",
    )
    run.add_argument(
        "--label-delay",
        type=int,
        default=1,
        metavar="N",
        help="windows (monitor_window_rows rows each) sent before a capture file's labels are uploaded (default 1)",
    )
    run.add_argument("--out", type=Path, default=Path("out/local"), help="output folder (default out/local)")
    run.add_argument("--label", help="label column (default: the first column of TRAIN.csv)")
    run.add_argument(
        "--algorithm",
        default="xgboost",
        choices=["xgboost", "linear-learner", "xgboost,linear-learner"],
        help="built-in algorithm(s) each window trains with (the template's Algorithms; default xgboost)",
    )
    run.add_argument(
        "--promotion",
        default="replace",
        choices=["replace", "ab"],
        help="replace: a winner replaces the champion; ab: it serves 10%% beside it until the next labelled "
        "batches decide (the template's PromotionMode; default replace)",
    )
    run.add_argument(
        "--inject",
        action="append",
        default=[],
        metavar="SPEC",
        help="make a step fail: KIND[:PATTERN[:TIMES]], KIND training|transform|endpoint-update|lambda|"
        "lambda-timeout|lambda-oom|variant (lambda*: PATTERN matches the function's logical ID; variant: "
        "ENDPOINT/VARIANT, whose requests get a ModelError)",
    )
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting of the stack, e.g. --set min_labelled_rows=200 (docs/configuration.md)",
    )
    _verbose_option(run)
    run.set_defaults(handler=_local_run)
    local_demo = local_commands.add_parser(
        "demo", help="generate example data with known drift and run it through the local cloud"
    )
    local_demo.add_argument(
        "--out", type=Path, default=Path("out/local-demo"), help="output folder (default out/local-demo)"
    )
    _verbose_option(local_demo)
    local_demo.set_defaults(handler=_local_demo)


def _verbose_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="show each step (DetectDrift's answer, every state entered); default: one line per batch",
    )


def _serve_parser(local_commands: argparse._SubParsersAction) -> None:
    """``local serve``; unset options keep ``drift_retrain_local.cli.serve.serve``'s defaults (docs/cli.md)."""
    serve = local_commands.add_parser(
        "serve",
        help="the local cloud as a server for 'sam local invoke' (writes env.json, template.local.yaml)",
    )
    serve.add_argument("--port", type=int, help="port to listen on (default 5000)")
    serve.add_argument("--host", help="interface to listen on (default: all, 0.0.0.0)")
    serve.add_argument(
        "--container-host",
        help="this machine as a Lambda container sees it (default: Docker's bridge, 172.17.0.1)",
    )
    serve.add_argument("--env-file", type=Path, help="env.json to write (default: the repository's)")
    serve.add_argument(
        "--sam-template", type=Path, help="sam build's template (default .aws-sam/build/template.yaml)"
    )
    serve.add_argument("--no-bootstrap", action="store_true", help="do not train and deploy a first model")
    serve.add_argument("--state-file", type=Path, help="JSON written once the server is ready")
    serve.set_defaults(handler=_local_serve)


def _local_serve(args: argparse.Namespace) -> int:
    from drift_retrain_local.cli.serve import serve

    options = {
        name: getattr(args, name)
        for name in ("port", "host", "container_host", "env_file", "sam_template", "state_file")
        if getattr(args, name) is not None
    }
    serve(bootstrap=not args.no_bootstrap, **options)
    return EXIT_OK


def _profile(args: argparse.Namespace) -> int:
    overrides = load_schema_overrides(args.schema) if args.schema else {}
    label = args.label or overrides.get("label")
    if args.part_mb < 0:
        raise DriftRetrainError("--part-mb must be 0 or more")
    pieces = training_pieces(args.train, args.part_mb * 2**20)
    merged = profile_pieces(pieces, label=label, overrides=overrides, on_piece=_piece_progress)
    schema = merged.schema
    holdout, rows, losses = None, None, None
    if bool(args.holdout) != bool(args.holdout_predictions):
        raise DriftRetrainError("--holdout and --holdout-predictions go together")
    if args.holdout:
        held = read_batch(args.holdout, schema=schema)
        if held.set_aside or held.warnings:
            raise DriftRetrainError(
                f"{args.holdout}: the holdout must match the training data ({held.set_aside or held.warnings})"
            )
        rows = held.frame
        if schema.label not in rows.columns or rows[schema.label].isna().any():
            raise DriftRetrainError(f"{args.holdout}: every holdout row needs a label ({schema.label!r})")
        predictions = _read_predictions(args.holdout_predictions, len(rows))
        losses = prediction_losses(schema.task, rows[schema.label].to_numpy(), predictions, schema.classes)
        holdout = HoldoutPerformance.from_losses(schema.task, losses)
    profile = finish_profile(
        merged,
        holdout=holdout,
        holdout_rows=rows,
        holdout_losses=losses,
        metadata={"source": str(args.train)},
    )
    path = profile.save(args.out)
    print(f"profile written to {path} ({path.stat().st_size / 1e3:.0f} kB)")
    print(f"  {profile.rows:,} rows; the schema inferred (column, kind, role, why):")
    print("\n".join(schema_lines(schema)))
    if holdout is not None:
        print(f"  champion holdout {holdout.metric}: {holdout.value:.4g} on {holdout.rows:,} rows")
    else:
        print("  no --holdout given: the concept-drift test will be skipped until a champion is profiled")
    return EXIT_OK


def _piece_progress(done: PieceDone) -> None:
    """One line per part on stderr when the training data is read in more than one."""
    if done.total > 1:
        print(
            f"  part {done.index}/{done.total} {done.name}: {done.rows:,} rows in {done.seconds:.1f} s",
            file=sys.stderr,
            flush=True,
        )


def _check(args: argparse.Namespace) -> int:
    config = DriftConfig.from_mapping(dict(_key_value(item) for item in args.set))
    profile = BaselineProfile.load(args.profile)
    if args.capture or args.ground_truth:
        return _check_capture(args, config, profile)
    if args.batch is None:
        raise DriftRetrainError("check needs a batch CSV, or --capture FILE.jsonl")
    predictions = _read_predictions(args.predictions, None) if args.predictions else None

    def predictor(frame: pd.DataFrame) -> np.ndarray:
        assert predictions is not None
        if len(frame) and int(frame.index.max()) >= len(predictions):
            raise PredictionError(f"{args.predictions} has {len(predictions)} rows, fewer than the batch")
        return predictions[frame.index.to_numpy()]

    try:
        report = run_check(
            args.batch,
            profile,
            config,
            predictor=predictor if predictions is not None else None,
            batch_id=args.batch.stem,
            source_name=str(args.batch),
        )
    except InvalidBatchError as error:
        report = DriftReport.invalid(error, config, batch_id=args.batch.stem, source=str(args.batch))
    data = report.to_dict()
    if report.ok and predictions is not None and len(predictions) != report.rows:
        raise PredictionError(
            f"{args.predictions} has {len(predictions)} rows but the batch has {report.rows}"
        )
    if args.json or report.ok:  # an invalid batch's text report would repeat the error line below
        print(strict_json.dumps(data) if args.json else render_text(data))
    if args.html:
        _write_html(args.html, render_drift_html(data))
    if not report.ok:
        return _error(f"drift-retrain: invalid file ({report.error_code}): {report.error}", EXIT_INVALID)
    return EXIT_OK


def _check_capture(args: argparse.Namespace, config: DriftConfig, profile: BaselineProfile) -> int:
    """``check --capture``: the same output and exit codes as a batch's check."""
    if args.batch is not None or args.predictions is not None or not args.capture:
        raise DriftRetrainError(
            "--capture replaces the batch and --predictions (--ground-truth needs --capture)"
        )
    data, text = check_capture(args, config, profile)
    print(json.dumps(data, indent=2) if args.json else text)
    if args.html:
        _write_html(args.html, render_drift_html(data))
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    try:
        data = json.loads(args.report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DriftRetrainError(f"cannot read the report {args.report}: {exc}") from exc
    if not isinstance(data, dict) or "report_version" not in data or "features" not in data:
        raise DriftRetrainError(f"{args.report} is not a drift report (no report_version or features)")
    baseline = profile_distributions(BaselineProfile.load(args.profile)) if args.profile else None
    _write_html(args.out, render_drift_html(data, baseline_distributions=baseline))
    return EXIT_OK


def _write_html(path: Path, page: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise DriftRetrainError(f"cannot write {path}: {exc}") from exc
    print(f"HTML report written to {path} ({len(page.encode('utf-8')) / 1e3:.0f} kB)", file=sys.stderr)


def _demo(args: argparse.Namespace) -> int:
    from drift_retrain_local.demos.check_demo import run_demo

    run_demo(args.out)
    return EXIT_OK


def _local_failure(error: Exception) -> int:
    return _error(f"drift-retrain: {error}", EXIT_FAILED)


def _local_run(args: argparse.Namespace) -> int:
    from drift_retrain_local.exceptions import LocalRunError, LocalRunTimeoutError
    from drift_retrain_local.run.local_run import local_run

    try:
        timeline = local_run(
            args.train,
            args.batch,
            args.out,
            label=args.label,
            inject=args.inject,
            parameters={"Algorithms": args.algorithm, "PromotionMode": args.promotion},
            settings=dict(_key_value(item) for item in args.set),
            verbose=args.verbose,
            traffic=args.traffic,
            label_delay=args.label_delay,
        )
    except LocalRunError as error:
        raise DriftRetrainError(str(error)) from error
    except LocalRunTimeoutError as error:
        return _local_failure(error)
    return _bootstrapped(timeline)


def _bootstrapped(timeline: dict) -> int:
    """Exit 0 when the first model was deployed (each batch's outcome is in the table), else 4."""
    if (timeline.get("bootstrap") or {}).get("outcome") == "promoted":
        return EXIT_OK
    return _error(
        "drift-retrain: the first model was not deployed, so no batch was uploaded "
        "(see timeline.html, notifications.jsonl and logs.txt in the output folder)",
        EXIT_FAILED,
    )


def _local_demo(args: argparse.Namespace) -> int:
    from drift_retrain_local.demos.local_demo import local_demo
    from drift_retrain_local.exceptions import LocalRunTimeoutError

    try:
        timeline = local_demo(args.out, verbose=args.verbose)
    except LocalRunTimeoutError as error:
        return _local_failure(error)
    return _bootstrapped(timeline)


def _key_value(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise DriftRetrainError(f"--set takes KEY=VALUE, got {item!r}")
    return key.strip().replace("-", "_"), value.strip()


def _read_predictions(path: Path, expected_rows: int | None) -> np.ndarray:
    """Predictions CSV: one row per batch row, one column (or one per class), header optional."""
    try:
        frame = pd.read_csv(path, header=None)
    except (OSError, ValueError) as exc:
        raise PredictionError(f"cannot read predictions {path}: {exc}") from exc
    if len(frame) and frame.iloc[0].map(_is_number).eq(False).all():
        frame = frame.iloc[1:]
    try:
        values = frame.astype(np.float64).to_numpy()
    except ValueError as exc:
        raise PredictionError(f"{path}: predictions must be numbers ({exc})") from exc
    values = values[:, 0] if values.shape[1] == 1 else values
    if expected_rows is not None and len(values) != expected_rows:
        raise PredictionError(f"{path} has {len(values)} predictions for {expected_rows} rows")
    return values


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
