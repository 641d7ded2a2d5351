"""Step Functions Distributed Map as AWS runs it, for what this project's definitions use.

moto 5.2.5 runs a ``Map`` with ``ProcessorConfig.Mode: DISTRIBUTED`` (its ``ItemReader`` over
``s3:getObject`` with ``ReaderConfig.InputType: JSON`` and over ``s3:listObjectsV2`` works, and
``MaxConcurrency`` sets how many workers run the children), but three things differ from AWS:

- **An integer ``ToleratedFailurePercentage`` does not parse.** Its grammar takes a ``NUMBER`` token, and
  the lexer reads ``0`` or ``50`` as ``INT``: the definition is refused. Here the definition moto parses
  (never the stored one) gets ``.0`` after such an integer.
- **A failed child never fails the map.** moto counts the failure and goes on, and the Map state succeeds
  with ``null`` in the failed item's place. On AWS the Map Run fails with
  ``States.ExceedToleratedFailureThreshold`` once more than ``ToleratedFailurePercentage`` percent, or
  more than ``ToleratedFailureCount``, of the items failed; both default to 0, so by default any failed
  child fails it. (moto cannot tell an absent threshold from 0, so a definition here sets at most one.) Here each child's end is recorded (its output, or its error and cause), and after the
  run the thresholds are applied as on AWS (the cause names the count; AWS stops starting children once
  the threshold is crossed, here the children already queued still run: same answer, more work). The
  failed run still writes its results (below), whose ``FAILED`` files say which items failed and why.
- **``ResultWriter`` writes an empty manifest.** AWS writes ``<Prefix>/<map-run-id>/manifest.json`` listing
  ``SUCCEEDED_<n>.json`` / ``FAILED_<n>.json`` result files, each a JSON array of the children's executions
  (``Input``, after ``ItemSelector``, and ``Output`` as JSON strings, ``Status``, ``Error``/``Cause`` for failures). Here those
  files are written with the recorded ends, and the Map state's output is AWS's
  ``{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}``.

``check()`` fails loudly (``MotoHookMovedError``) if a hooked symbol moved.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.seams.lookup import attribute, module

__all__ = ["check", "install", "uninstall"]

_ASL = "moto.stepfunctions.parser.asl"
_MAP = f"{_ASL}.component.state.exec.state_map"
_PARSER = f"{_ASL}.parse.asl_parser"
_WORKER = f"{_MAP}.iteration.itemprocessor.distributed_item_processor_worker"
_ITERATION = f"{_MAP}.iteration.distributed_iteration_component"
_WRITER = f"{_MAP}.result_writer.resource_eval.resource_eval_s3"
_STATE = f"{_MAP}.state_map"
#: An integer ToleratedFailurePercentage, which moto's lexer reads as INT where the grammar wants NUMBER.
_INTEGER_PERCENTAGE = re.compile(r'("ToleratedFailurePercentage"\s*:\s*)(-?\d+)(?=\s*[,}\s])')
#: Entries per result file (AWS splits them at 5 GB; these are small).
_RESULTS_PER_FILE = 1000

_lock = threading.Lock()
_originals: dict[str, Any] = {}
#: The child's input after ItemSelector, as the worker thread evaluating it computed it.
_selected = threading.local()


def _targets() -> dict[str, Any]:
    return {
        "parser": attribute(_PARSER, "AmazonStateLanguageParser"),
        "worker": attribute(_WORKER, "DistributedItemProcessorWorker"),
        "iteration": attribute(_ITERATION, "DistributedIterationComponent"),
        "writer": attribute(_WRITER, "ResourceEvalS3"),
        "state": attribute(_STATE, "StateMap"),
    }


def check() -> None:
    targets = _targets()
    if not isinstance(targets["parser"].__dict__.get("parse"), staticmethod):
        raise MotoHookMovedError("moto's AmazonStateLanguageParser.parse is no longer a staticmethod")
    for name, method in (
        ("worker", "_eval_job"),
        ("iteration", "_map_run"),
        ("writer", "_handle_put_object"),
    ):
        if not callable(targets[name].__dict__.get(method)):
            raise MotoHookMovedError(f"moto's {targets[name].__name__}.{method} is gone")
    for name in ("ProgramEnded", "ProgramError", "ProgramStopped"):
        attribute(f"{_ASL}.eval.program_state", name)
    attribute(f"{_ASL}.component.common.error_name.states_error_name_type", "StatesErrorNameType")


# ============================================================================================ parsing
def with_decimal_percentages(definition: str) -> str:
    """The definition with each integer ``ToleratedFailurePercentage`` written as a decimal."""
    return _INTEGER_PERCENTAGE.sub(r"\g<1>\g<2>.0", definition)


def _parse(definition: str) -> Any:
    return _originals["parse"](with_decimal_percentages(definition))


# ============================================================================= each child's end recorded
def _ends(record: Any) -> list[dict[str, Any]]:
    """The map run's recorded child ends (kept on moto's MapRunRecord)."""
    with _lock:
        if not hasattr(record, "_child_ends"):
            record._child_ends = []
        return record._child_ends


def _eval_input(self: Any, env_frame: Any) -> None:
    _originals["eval_input"](self, env_frame)
    _selected.value = env_frame.states.get_input()


def _eval_job(self: Any, env: Any, job: Any) -> None:
    started = datetime.now(UTC)
    _selected.value = job.job_input
    _originals["eval_job"](self, env, job)
    ended = env.program_state()
    states = module(f"{_ASL}.eval.program_state")
    end: dict[str, Any] = {"index": job.job_index, "input": _selected.value, "start": started}
    if isinstance(ended, states.ProgramEnded):
        end.update(status="SUCCEEDED", output=job.job_output)
    elif isinstance(ended, states.ProgramStopped):
        end.update(status="ABORTED", error=ended.error, cause=ended.cause)
    else:
        details = getattr(ended, "error", None) or {}
        end.update(status="FAILED", error=details.get("error"), cause=details.get("cause"))
    end["stop"] = datetime.now(UTC)
    _ends(self._map_run_record).append(end)


def _map_run(self: Any, env: Any, eval_input: Any) -> None:
    """moto's run, then AWS's failure thresholds over the recorded ends."""
    _originals["map_run"](self, env, eval_input)
    record = eval_input.map_run_record
    ends = _ends(record)
    failed = sum(1 for end in ends if end["status"] != "SUCCEEDED")
    if not failed:
        return
    percentage = float(record.tolerated_failure_percentage or 0)
    count = int(record.tolerated_failure_count or 0)
    # moto gives an absent threshold its default (0), so "either crossed" would fail a map that sets only
    # a percentage at its first failure; "both crossed" is AWS's rule whenever at most one is set.
    if failed > count and 100.0 * failed / len(ends) > percentage:
        _fail_threshold(env, failed, len(ends))


def _fail_threshold(env: Any, failed: int, total: int) -> None:
    api = module("moto.stepfunctions.parser.api")
    failure = module(f"{_ASL}.component.common.error_name.failure_event")
    names = module(f"{_ASL}.component.common.error_name.states_error_name")
    types = module(f"{_ASL}.component.common.error_name.states_error_name_type")
    details = module(f"{_ASL}.eval.event.event_detail")
    name = names.StatesErrorName(typ=types.StatesErrorNameType.StatesExceedToleratedFailureThreshold)
    cause = f"The specified tolerated failure threshold was exceeded: {failed} of {total} items failed"
    crossed = failure.FailureEventException(
        failure_event=failure.FailureEvent(
            env=env,
            error_name=name,
            event_type=api.HistoryEventType.MapRunFailed,
            event_details=details.EventDetails(
                mapRunFailedEventDetails=api.MapRunFailedEventDetails(error=name.error_name, cause=cause)
            ),
        )
    )
    crossed.results_to_write = True
    raise crossed


def _eval_execution(self: Any, env: Any) -> None:
    """The Map state; a run failed by its threshold still writes its results (its ``FAILED`` files say
    which items failed and why), as on AWS."""
    try:
        _originals["eval_execution"](self, env)
    except Exception as error:
        if getattr(error, "results_to_write", False) and self.result_writer is not None:
            env.stack.append([])  # the outputs moto's writer pops; the files come from the recorded ends
            self.result_writer.eval(env)
            env.stack.pop()
        raise


# =========================================================================================== results
def _result_entry(record: Any, end: dict[str, Any]) -> dict[str, Any]:
    run_id = record.map_run_arn.split(":")[-1]
    machine = record.map_state_machine_arn.rsplit(":", 1)[-1]
    name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{record.map_run_arn}/{end['index']}"))
    entry = {
        "ExecutionArn": f"{record.map_state_machine_arn.rsplit(':stateMachine:', 1)[0]}:execution:"
        f"{machine}:{name}",
        "Input": json.dumps(end["input"]),
        "InputDetails": {"Included": True},
        "Name": name,
        "MapRunArn": record.map_run_arn,
        "RunId": run_id,
        "StartDate": end["start"].isoformat(),
        "StateMachineArn": record.map_state_machine_arn,
        "Status": end["status"],
        "StopDate": end["stop"].isoformat(),
    }
    if end["status"] == "SUCCEEDED":
        entry.update(Output=json.dumps(end.get("output")), OutputDetails={"Included": True})
    else:
        entry.update(Error=end.get("error"), Cause=end.get("cause"))
    return entry


def _handle_put_object(env: Any, resource_runtime_part: Any, state_credentials: Any) -> None:
    """AWS's result files and manifest under ``<Prefix>/<map-run-id>/``; the Map state's output points at it."""
    parameters = env.stack.pop()
    env.stack.pop()  # the children's outputs: written from the recorded ends instead
    s3 = _originals["writer"]._get_s3_client(resource_runtime_part, state_credentials)
    record = env.map_run_record_pool_manager.get_all()[-1]
    bucket, prefix = parameters["Bucket"], parameters.get("Prefix") or ""
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    folder = f"{prefix}{record.map_run_arn.split(':')[-1]}/"
    files: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    ends = sorted(_ends(record), key=lambda end: end["index"])
    for status in ("SUCCEEDED", "FAILED"):
        entries = [
            _result_entry(record, e) for e in ends if (e["status"] == "SUCCEEDED") == (status == "SUCCEEDED")
        ]
        for n, start in enumerate(range(0, len(entries), _RESULTS_PER_FILE)):
            body = json.dumps(entries[start : start + _RESULTS_PER_FILE]).encode()
            key = f"{folder}{status}_{n}.json"
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            files[status].append({"Key": key, "Size": len(body)})
    manifest = {"DestinationBucket": bucket, "MapRunArn": record.map_run_arn, "ResultFiles": files}
    key = f"{folder}manifest.json"
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(manifest).encode())
    env.stack.append({"MapRunArn": record.map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": key}})


# ======================================================================================= install
def install() -> None:
    with _lock:
        check()
        if _originals:
            return
        targets = _targets()
        _originals["parse"] = targets["parser"].parse
        _originals["eval_job"] = targets["worker"]._eval_job
        _originals["eval_input"] = targets["worker"]._eval_input
        _originals["map_run"] = targets["iteration"]._map_run
        _originals["writer"] = targets["writer"]
        _originals["put_object"] = targets["writer"].__dict__["_handle_put_object"]
        _originals["eval_execution"] = targets["state"]._eval_execution
        targets["state"]._eval_execution = _eval_execution
        targets["parser"].parse = staticmethod(_parse)
        targets["worker"]._eval_job = _eval_job
        targets["worker"]._eval_input = _eval_input
        targets["iteration"]._map_run = _map_run
        targets["writer"]._handle_put_object = staticmethod(_handle_put_object)


def uninstall() -> None:
    with _lock:
        if not _originals:
            return
        targets = _targets()
        targets["parser"].parse = staticmethod(_originals.pop("parse"))
        targets["worker"]._eval_job = _originals.pop("eval_job")
        del targets["worker"]._eval_input  # inherited again
        _originals.pop("eval_input")
        targets["iteration"]._map_run = _originals.pop("map_run")
        targets["writer"]._handle_put_object = _originals.pop("put_object")
        targets["state"]._eval_execution = _originals.pop("eval_execution")
        _originals.clear()
