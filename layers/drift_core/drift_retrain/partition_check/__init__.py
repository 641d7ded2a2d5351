"""A partition checked on a Distributed Map: each part summarised by one child (:mod:`.part`), the
summaries merged and checked once by the reduce step (:mod:`.reduce`), which decides as DetectDrift does
for one object (``detect.actions``). DetectDrift starts it (``detect.scale_out``)."""

from drift_retrain.partition_check.part import summarise_part
from drift_retrain.partition_check.reduce import record_failed_check, reduce_partition

__all__ = ["record_failed_check", "reduce_partition", "summarise_part"]
