"""One subject format for every notification: ``[drift-retrain] <what happened>: <to what> (<detail>)``.

A team filters its inbox on the prefix and reads the event first; the detail holds the one figure that
matters (the error rates of a swap, the drifted count of an alert). DetectDrift and Notify both use it.
"""

from __future__ import annotations

__all__ = [
    "ALERT",
    "FAILED",
    "NOT_CHECKED",
    "PREFIX",
    "PROMOTED",
    "PROMOTED_INCOMPLETE",
    "QUARANTINED",
    "REJECTED",
    "RETRAIN",
    "SKIPPED",
    "subject",
]

PREFIX = "[drift-retrain]"
ALERT, RETRAIN, QUARANTINED, NOT_CHECKED = (
    "Drift alert",
    "Retrain started",
    "Batch quarantined",
    "Batch not checked",
)
PROMOTED, REJECTED, FAILED, SKIPPED = (
    "New model serving",
    "Candidate rejected",
    "Retrain failed",
    "Retrain skipped",
)
#: The swap happened but PromoteModel's bookkeeping did not finish (never "champion keeps serving").
PROMOTED_INCOMPLETE = "New model serving, bookkeeping incomplete"


def subject(event: str, about: str, detail: str | None = None) -> str:
    """``[drift-retrain] Drift alert: batch-02 (3 of 7 features drifted)``."""
    return f"{PREFIX} {event}: {about}" + (f" ({detail})" if detail else "")
