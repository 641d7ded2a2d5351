"""The CLI's commands that act on a deployed stack: ``repair`` and ``redrive``.

Both use boto3's default credentials and region, so they work against AWS and, with
``AWS_ENDPOINT_URL`` pointing at ``drift-retrain local serve``, against the local cloud.
boto3 is imported when a command runs, never when the CLI starts.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from drift_retrain_local.cli.exit_codes import EXIT_FAILED, EXIT_OK

__all__ = ["add_stack_commands"]

#: samconfig.toml's stack name.
DEFAULT_STACK = "drift-retrain"


def add_stack_commands(commands: argparse._SubParsersAction) -> None:
    """``repair`` and ``redrive``."""
    repair = commands.add_parser(
        "repair",
        help="finish a promotion that ended PromotedIncomplete (the candidate serves, bookkeeping not)",
    )
    repair.add_argument("--execution-arn", required=True, help="the execution that ended PromotedIncomplete")
    repair.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    repair.set_defaults(handler=_repair)

    redrive = commands.add_parser(
        "redrive",
        help="check again the batches DetectDrift could not check (its failure queue); "
        "a message is deleted only when its batch is processed",
    )
    redrive.add_argument(
        "--stack", default=DEFAULT_STACK, help=f"stack whose outputs name the queue (default {DEFAULT_STACK})"
    )
    redrive.add_argument(
        "--queue-url", help="the failure queue (default: the stack's DetectDriftFailureQueueUrl)"
    )
    redrive.add_argument(
        "--function",
        help="DetectDrift's name (default: the stack's output; given alone, its on-failure queue is used)",
    )
    redrive.add_argument("--dry-run", action="store_true", help="list the queued batches, change nothing")
    redrive.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    redrive.set_defaults(handler=_redrive)


def _session(region: str | None) -> Any:
    import boto3

    return boto3.session.Session(region_name=region)


def _repair(args: argparse.Namespace) -> int:
    from drift_retrain_local.cli.repair import RepairError, repair

    session = _session(args.region)
    try:
        result = repair(
            session.client("stepfunctions"),
            session.client("lambda"),
            session.client("sagemaker"),
            args.execution_arn,
        )
    except RepairError as error:
        print(f"drift-retrain repair: {error}", file=sys.stderr)
        return EXIT_FAILED
    promotion = result.promotion
    print(f"repaired {result.execution_arn}: {result.endpoint} serves {result.endpoint_config}")
    print(f"  baseline profile: {promotion.get('baseline_profile')}")
    print(f"  registry: {promotion.get('model_package_arn') or promotion.get('registry_error')}")
    print(f"  lineage: {promotion.get('lineage')}")
    return EXIT_OK


def _redrive(args: argparse.Namespace) -> int:
    from botocore.config import Config

    from drift_retrain_local.cli.redrive import RedriveError, Redriven, find_target, redrive

    session = _session(args.region)
    # A check may take DetectDrift's whole 900 s timeout: wait for it, and never retry an invocation.
    lambda_client = session.client(
        "lambda", config=Config(read_timeout=960, retries={"total_max_attempts": 1})
    )
    sqs = session.client("sqs")
    try:
        target = find_target(
            cloudformation=session.client("cloudformation"),
            lambda_client=lambda_client,
            sqs=sqs,
            stack=None if args.function else args.stack,
            queue_url=args.queue_url,
            function=args.function,
        )
    except RedriveError as error:
        print(f"drift-retrain redrive: {error}", file=sys.stderr)
        return EXIT_FAILED

    def show(result: Redriven) -> None:
        mark = "listed" if args.dry_run else ("ok" if result.ok else "FAILED")
        print(f"{mark:7} {result.key}  {result.outcome}")

    print(f"{'listing' if args.dry_run else 'redriving'} {target.queue_url} -> {target.function}")
    results = redrive(sqs, lambda_client, target, dry_run=args.dry_run, echo=show)
    failed = sum(not r.ok for r in results)
    if args.dry_run:
        print(f"{len(results)} on the queue (nothing changed)")
        return EXIT_OK
    print(f"{len(results) - failed} processed, {failed} failed" + (" (left on the queue)" if failed else ""))
    return EXIT_FAILED if failed else EXIT_OK
