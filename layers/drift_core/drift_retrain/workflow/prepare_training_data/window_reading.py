"""Reading the training windows from S3: the trigger pinned to its version, then each strategy's batches.

Which batches a strategy wants is decided by pure functions (``window.order_window``,
``change_window.since_change``); this module lists ``incoming/`` and the capture monitor's labelled
windows (``monitor/labelled/``, the newest revision of each, in time order with the ``incoming/`` ones),
asks the drift reports, and reads each batch once even when several windows share it. A labelled window
gives its joined rows only, without its ``_capture_*`` columns. Each batch's rows are put in time order
(its ``timestamp`` column, or the order of its rows), so the held-out rows are its newest.

Every object is streamed through the same reader as DetectDrift, sampled to ``WINDOW_MAX_ROWS`` rows
and bounded by ``ReadLimits``, so memory stays flat whatever the object's size (never the whole object
in memory). A window batch that cannot be used for any reason (invalid, too large, gone, unreadable) is
left out with its reason in the manifest: one bad file never blocks a retrain.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from drift_retrain.aws import storage
from drift_retrain.aws.objects import ObjectRef
from drift_retrain.aws.partitions import is_marker, partition_source
from drift_retrain.aws.ranged import RangedObject, open_for_reading
from drift_retrain.echo import clip
from drift_retrain.engine.batch_reader import read_batch, read_training_data
from drift_retrain.engine.champion import recovered, trained_after_change
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.csv_ranges import HEAD_BYTES, RangeLines, csv_by_name, cuttable
from drift_retrain.engine.profile import BaselineProfile, in_time_order
from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.engine.reading import CsvBatch
from drift_retrain.engine.record_scan import MAX_RECORD_BYTES
from drift_retrain.engine.schema import Schema
from drift_retrain.exceptions import InvalidBatchError
from drift_retrain.monitor.frames import drop_meta, read_frame
from drift_retrain.monitor.keys import LABELLED_PREFIX, is_capture_batch, parse_labelled_key
from drift_retrain.workflow.prepare_training_data.change_window import read_verdicts, since_change
from drift_retrain.workflow.prepare_training_data.partition_listing import listed_batches
from drift_retrain.workflow.prepare_training_data.window import ListedBatch, WindowSettings, order_window

__all__ = [
    "Window",
    "WindowReader",
    "labelled",
    "newest_revisions",
    "read_batch_rows",
    "read_trigger",
    "stream_csv",
    "timed_rows",
]

logger = logging.getLogger(__name__)


def labelled(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """The rows with a label (the only ones a model can learn from or be judged on)."""
    if label not in frame.columns:
        return frame.iloc[0:0]
    return frame[frame[label].notna()].reset_index(drop=True)


def timed_rows(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """A batch's labelled rows in time order (``in_time_order``: its timestamp column, else as read)."""
    return labelled(in_time_order(frame, schema), schema.label)


def stream_csv(
    s3: Any, ref: ObjectRef, limits: ReadLimits | None = None, *, reader=read_batch, **options: Any
) -> CsvBatch:
    """Read one batch (an object in any format, or a partition by its marker) through the streaming
    readers (``options`` go to ``reader``: ``read_batch``, or ``read_training_data`` for a seed).

    The size known from the listing or the event, then the one S3 reports, are checked before reading.
    """
    limits = limits or ReadLimits()
    if is_marker(ref.key):  # a partition: MAX_OBJECT_BYTES applies to each part
        return reader(partition_source(s3, ref), limits=limits, **options)
    newest = _read_newest_bytes(s3, ref, limits, reader, **options)
    if newest is not None:
        return newest
    limits.check_object_size(ref.size)
    with open_for_reading(s3, ref) as opened:
        limits.check_object_size(opened.size)
        return reader(opened.stream, name=ref.key, limits=limits, **options)


def _read_newest_bytes(
    s3: Any, ref: ObjectRef, limits: ReadLimits, reader, **options: Any
) -> CsvBatch | None:
    """A plain CSV over ``MAX_OBJECT_BYTES`` (DetectDrift checked it in byte ranges) is read from its
    newest ``MAX_OBJECT_BYTES``: the lines that start in its last bytes, after its header. Row order is
    time, so these are the rows a retrain wants most (its held-out rows are the newest), and one Lambda
    reads no more than it would of any object. ``None`` for any other object."""
    if not csv_by_name(ref.key) or (ref.size is not None and ref.size <= limits.max_object_bytes):
        return None
    source = RangedObject(s3, ref)
    try:
        if source.size <= limits.max_object_bytes or not cuttable(ref.key, source.read(HEAD_BYTES)):
            return None
        start = source.size - limits.max_object_bytes
        logger.info(
            "Reading the newest bytes of a large CSV",
            extra={"key": ref.key, "size": source.size, "from_byte": start},
        )
        # the header comes first, outside the range: the read may pass the limit by one record
        widened = replace(limits, max_object_bytes=limits.max_object_bytes + MAX_RECORD_BYTES)
        return reader(RangeLines(source, start, source.size), name=ref.key, limits=widened, **options)
    finally:
        source.close()


def read_batch_rows(
    s3: Any, ref: ObjectRef, limits: ReadLimits | None, *, schema: Schema, max_rows: int, seed: int
) -> pd.DataFrame:
    """One batch's rows as the schema reads them: an ``incoming/`` CSV through the streaming reader, a
    labelled capture window through the monitor's reader (its ``_capture_*`` columns dropped)."""
    if not is_capture_batch(ref.key):
        return stream_csv(s3, ref, limits, schema=schema, max_rows=max_rows, seed=seed).frame
    limits = limits or ReadLimits()
    limits.check_object_size(ref.size)
    frame = drop_meta(read_frame(storage.read_object(s3, ref.bucket, ref.key, ref.pinned_version), schema))
    return frame.sample(n=max_rows, random_state=seed).sort_index() if len(frame) > max_rows else frame


def newest_revisions(listed: list[ListedBatch], trigger_key: str | None = None) -> list[ListedBatch]:
    """The newest revision of each labelled window (an earlier one holds a subset of its rows); the
    trigger's own window is represented by the trigger (a newer revision has its own retrain)."""
    newest: dict[tuple[str, str, str], tuple[int, ListedBatch]] = {}
    for batch in listed:
        parsed = parse_labelled_key(batch.key)
        if parsed is None:
            continue
        slot = (parsed.stream.endpoint, parsed.stream.variant, parsed.window)
        if batch.key == trigger_key:
            newest[slot] = (10**9, batch)
        elif slot not in newest or parsed.revision > newest[slot][0]:
            newest[slot] = (parsed.revision, batch)
    return [batch for _, batch in newest.values()]


def read_trigger(
    s3: Any,
    batch: Mapping[str, Any],
    champion: BaselineProfile | None,
    *,
    label_column: str,
    max_rows: int,
    seed: int,
    limits: ReadLimits | None = None,
    bootstrap: bool = False,
) -> tuple[Schema, pd.DataFrame]:
    """The schema and the trigger's labelled rows.

    A retrain reads the trigger with the champion's schema. A bootstrap (or a first model) infers the
    schema from its seed file, whatever serves: that is how a model with a new class set, new columns
    or new kinds starts. The seed is read once, through the same reader and cell rules DetectDrift
    uses (``read_training_data``), so its rows are typed exactly as later batches are. The trigger is pinned
    to the revision DetectDrift checked (its version id), never held in memory whole.
    """
    ref = ObjectRef(bucket=batch["bucket"], key=batch["key"], version_id=batch.get("version_id"))
    if champion is not None and not bootstrap:
        rows = read_batch_rows(s3, ref, limits, schema=champion.schema, max_rows=max_rows, seed=seed)
        return champion.schema, timed_rows(rows, champion.schema)
    table = stream_csv(
        s3, ref, limits, reader=read_training_data, label=label_column, max_rows=max_rows, seed=seed
    )
    assert table.schema is not None
    return table.schema, timed_rows(table.frame, table.schema)


@dataclass
class Window:
    """One strategy's batches, newest (the trigger) first, and why it stops where it does; it trains on
    the newest ``newest_share`` of their rows left after the held-out rows."""

    strategy: str
    keys: list[str]
    ended: str
    skipped: list[dict[str, str]] = field(default_factory=list)
    newest_share: float = 1.0


class WindowReader:
    """Lists ``incoming/`` once and reads each batch once for all the windows of one retrain."""

    def __init__(
        self,
        s3: Any,
        bucket: str,
        incoming_prefix: str,
        settings: WindowSettings,
        schema: Schema,
        seed: int,
        limits: ReadLimits | None = None,
        trigger_key: str | None = None,
    ) -> None:
        self.s3, self.bucket, self.settings, self.schema, self.seed = s3, bucket, settings, schema, seed
        self.trigger_key = trigger_key
        self.incoming_prefix = incoming_prefix
        self.limits = limits or ReadLimits()
        self.frames: dict[str, pd.DataFrame] = {}
        self.etags: dict[str, str] = {}
        self.unusable: dict[str, str] = {}
        self._listed: list[ListedBatch] | None = None

    def listed(self) -> list[ListedBatch]:
        if self._listed is None:
            incoming = listed_batches(
                storage.list_objects(self.s3, self.bucket, self.incoming_prefix), self.incoming_prefix
            )
            windows = [
                ListedBatch(o.key, o.last_modified, o.etag, o.size)
                for o in storage.list_objects(self.s3, self.bucket, LABELLED_PREFIX)
            ]
            self._listed = incoming + newest_revisions(windows, self.trigger_key)
        return self._listed

    def recent(self, trigger_key: str) -> Window:
        """The newest ``WINDOW_MAX_BATCHES`` batches (P(y|x) held, or history helps)."""
        keys = [b.key for b in order_window(self.listed(), trigger_key, self.settings.max_batches)]
        return Window(
            "recent", [trigger_key, *keys], f"the newest WINDOW_MAX_BATCHES={self.settings.max_batches}"
        )

    def since_change(
        self, trigger_key: str, champion: BaselineProfile, drift: DriftConfig, *, refresh: bool = False
    ) -> Window:
        """The newest run of batches the serving model got wrong; for a refresh, every batch since the
        serving model's change (see ``change_window``)."""
        older = order_window(self.listed(), trigger_key)
        # Skipped batches (unlabelled, invalid) do not count against the window: read a few more reports.
        limit = 4 * self.settings.since_change_max_batches
        verdicts = read_verdicts(self.s3, self.bucket, older, limit)
        after_change = trained_after_change(champion)
        chosen, skipped, ended = since_change(
            older[:limit],
            verdicts,
            serving_model=champion.metadata.get("model_name"),
            serving_recovered=recovered(champion.holdout, champion.reference, drift),
            max_batches=self.settings.since_change_max_batches,
            serving_window=champion.metadata.get("training_batches") or () if after_change else (),
            refresh=refresh and after_change,
        )
        return Window("since_change", [trigger_key, *(b.key for b in chosen)], ended, skipped)

    def rows(self, window: Window, trigger_frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
        """The window's labelled rows within ``WINDOW_MAX_ROWS``, the trigger first; unusable batches
        (quarantined by DetectDrift, or unlabelled) are left out and listed in ``unusable``."""
        frames = [(window.keys[0], trigger_frame)]
        budget = self.settings.max_rows - len(trigger_frame)
        for key in window.keys[1:]:
            if budget <= 0:
                window.ended = f"the window holds WINDOW_MAX_ROWS={self.settings.max_rows} rows"
                break
            frame = self._read(key)
            if frame is None:
                continue
            frame = frame.iloc[:budget]
            frames.append((key, frame))
            budget -= len(frame)
        return frames

    def _read(self, key: str) -> pd.DataFrame | None:
        if key in self.unusable:
            return None
        if key not in self.frames:
            listed = next((b for b in self.listed() if b.key == key), None)
            ref = ObjectRef(
                self.bucket,
                key,
                etag=(listed.etag or None) if listed else None,
                size=listed.size if listed else None,
            )
            try:
                rows = read_batch_rows(
                    self.s3,
                    ref,
                    self.limits,
                    schema=self.schema,
                    max_rows=self.settings.max_rows,
                    seed=self.seed,
                )
            except InvalidBatchError as exc:
                self.unusable[key] = f"{exc.code}: {exc}"
                return None
            except Exception as exc:  # one unreadable file must never block the retrain: skip it, say why
                logger.warning("window batch skipped", exc_info=True, extra={"key": key})
                self.unusable[key] = f"unreadable: {type(exc).__name__}: {clip(exc, 500)}"
                return None
            frame = timed_rows(rows, self.schema)
            if frame.empty:
                self.unusable[key] = "no labelled rows"
                return None
            self.frames[key] = frame
            self.etags[key] = listed.etag if listed else ""
        return self.frames[key]
