"""Which model served a captured row: the variant, the endpoint config in force at its inference time.

A capture record names its endpoint and variant, not its model. The monitor keeps the endpoint's config
history (``monitor/models/<endpoint>.json``): each time it sees the endpoint InService on a config it has
not recorded, it adds ``{since: LastModifiedTime, config, variants: {variant: model}}``. A row is
attributed to the entry in force at its ``inferenceTime``, so rows a previous champion answered keep that
champion's name even when its successor serves by the time the file is read. DescribeEndpoint's
``LastModifiedTime`` is when the update finished; during a blue/green shift both fleets answer for a few
minutes, and those rows are attributed to the config the update ended on. ``inferenceTime`` is written to
the second, so a row of the second in which the config changed is attributed to the new config as well
(comparing it with the sub-second ``LastModifiedTime`` would give a whole second of the new model's rows
to the old one).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError

from drift_retrain.monitor.documents import update_document
from drift_retrain.monitor.keys import models_key

__all__ = ["UNKNOWN_MODEL", "attribute_models", "record_serving_config"]

logger = logging.getLogger(__name__)

#: The model of a row whose endpoint was never seen InService (no history yet).
UNKNOWN_MODEL = ""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _describe(sagemaker: Any, endpoint: str) -> dict[str, Any] | None:
    """``{since, config, variants}`` of the endpoint now, or ``None`` when it is not InService (or unknown)."""
    try:
        described = sagemaker.describe_endpoint(EndpointName=endpoint)
        if described.get("EndpointStatus") != "InService":
            return None
        config_name = described["EndpointConfigName"]
        config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    except (ClientError, BotoCoreError) as error:
        logger.warning("Serving config unknown", extra={"endpoint": endpoint, "error": str(error)})
        return None
    since = described.get("LastModifiedTime") or described.get("CreationTime") or datetime.now(UTC)
    return {
        "since": _iso(since),
        "config": config_name,
        "variants": {v["VariantName"]: v["ModelName"] for v in config.get("ProductionVariants", [])},
    }


def record_serving_config(s3: Any, sagemaker: Any, bucket: str, endpoint: str) -> list[dict[str, Any]]:
    """The endpoint's config history, with the config serving now added when it is new."""
    current = _describe(sagemaker, endpoint) if sagemaker is not None else None

    def add(document: dict[str, Any]) -> tuple[dict[str, Any], None]:
        history = list(document.get("history") or [])
        if current is None or (history and history[-1]["config"] == current["config"]):
            return document, None
        return {"endpoint": endpoint, "history": [*history, current]}, None

    document, _ = update_document(
        s3, bucket, models_key(endpoint), {"endpoint": endpoint, "history": []}, add
    )
    return list(document.get("history") or [])


def attribute_models(times: pd.Series, variant: str, history: list[dict[str, Any]]) -> pd.Series:
    """The model of each row (``inferenceTime`` strings): the newest entry in force at that time; rows
    older than the first entry get the first entry's model (the endpoint served it before we looked)."""
    if not history:
        return pd.Series(UNKNOWN_MODEL, index=times.index, dtype=object)
    since = pd.to_datetime([entry["since"] for entry in history], utc=True).floor("s")
    models = [entry["variants"].get(variant, UNKNOWN_MODEL) for entry in history]
    when = pd.to_datetime(times, utc=True, errors="coerce")
    position = since.searchsorted(when.fillna(since[-1]).to_numpy(), side="right") - 1
    position = position.clip(min=0)
    return pd.Series([models[i] for i in position], index=times.index, dtype=object)
