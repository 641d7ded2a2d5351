"""One child of the partition check: one part read and summarised, the summary written to S3.

The summary (``engine.summary.PartialSummary``) can be megabytes, past Step Functions' 256 KB for a
child's output, so it is written to ``partition-checks/<batch-id>/partials/<n>.json`` and the child
returns where. A part that is bad input (``InvalidBatchError``: its reason code, prefixed with its name)
is returned as such, not raised: retrying cannot make it better, and the reduce step quarantines the
batch with that reason. Anything else raises: the map retries the child, then records it as failed.
"""

from __future__ import annotations

import logging
from typing import Any

from drift_retrain.aws.objects import ObjectRef
from drift_retrain.aws.ranged import open_for_reading
from drift_retrain.aws.storage import write_json
from drift_retrain.detect.context import DetectSettings
from drift_retrain.detect.inputs import load_profile, predictor
from drift_retrain.echo import echo
from drift_retrain.engine.summary import summarize_source
from drift_retrain.exceptions import InvalidBatchError, ProfileError
from drift_retrain.layout import partition_check_keys

__all__ = ["summarise_part"]

logger = logging.getLogger(__name__)


def summarise_part(clients: Any, settings: DetectSettings, event: dict[str, Any]) -> dict[str, Any]:
    """Summarise the part ``event["part"]`` (``index``, ``key``, ``etag``, ``size``) of ``event["batch"]``.

    Returns ``{"index", "key", "etag", "partial_key"}``, or ``{"index", "key", "etag", "invalid": {...}}``
    for a bad part.
    """
    batch, part = event["batch"], event["part"]
    _, partials = partition_check_keys(batch["batch_id"])
    done = {"index": part["index"], "key": part["key"], "etag": part.get("etag")}
    profile = load_profile(clients, settings, batch["bucket"])
    if isinstance(profile, str):  # the reduce step reports it (notified once, there)
        raise ProfileError(profile)
    ref = ObjectRef(batch["bucket"], part["key"], etag=part.get("etag"), size=part.get("size"))
    try:
        settings.limits.check_object_size(ref.size)
        with open_for_reading(clients.s3, ref) as opened:
            summary = summarize_source(
                profile,
                opened.stream,
                settings.drift,
                predictor=predictor(clients, settings, profile, event.get("champion_variant")),
                part=part["key"],
                limits=settings.limits,
            )
    except InvalidBatchError as error:
        logger.warning("Bad part", extra={"key": part["key"], "code": error.code, "line": error.line})
        reason = f"part {echo(part['key'])}: {error}"
        return {
            **done,
            "invalid": {"code": error.code, "reason": reason, "line": error.line, "column": error.column},
        }
    partial_key = f"{partials}{part['index']:05d}.json"
    write_json(clients.s3, batch["bucket"], partial_key, summary.to_json())
    logger.info("Part summarised", extra={"key": part["key"], "partial_key": partial_key})
    return {**done, "partial_key": partial_key}
