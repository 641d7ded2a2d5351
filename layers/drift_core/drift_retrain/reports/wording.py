"""Identifiers as words: the strategy, test and metric names the workflow records, as people read them.

Reasons are written by the workflow's steps with their field names ("error_rate: candidate 0.035 ...",
"mcnemar_exact_one_sided: p = 1.05e-20"); notifications and pages show them through :func:`humanize`.
"""

from __future__ import annotations

import re

from drift_retrain.reports.formatting import fmt_p, fmt_rate, metric_label

__all__ = ["STRATEGY_WORDS", "TEST_WORDS", "humanize", "reason_for_page"]

STRATEGY_WORDS = {
    "since_change": "the rows since the change",
    "recent": "the newest labelled batches",
    "newest": "the newest batch",
    "bootstrap": "the seed data",
    "bootstrap_newest_half": "the newest half of the seed data",
    "bootstrap_newest_quarter": "the newest quarter of the seed data",
    "registry": "an earlier model, re-scored",
}
TEST_WORDS = {
    "mcnemar_exact_one_sided": "one-sided McNemar exact test",
    "paired_bootstrap_one_sided": "one-sided paired bootstrap",
}
_NUMBER = r"(-?[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?)"
_RATE_AFTER = re.compile(rf"\b(candidate|champion|baseline|error_rate) {_NUMBER}(?![0-9%])")
_RELATIVE = re.compile(r"\(([+-]?)([0-9.]+)% relative")
_COUNT_OF = re.compile(r"\b(1) candidates\b")
_WINS = "the candidate wins: lower by at least the minimum, and significant on the paired test"
_P_VALUE = re.compile(r"\bp ?= ?([0-9.]+(?:e[-+]?[0-9]+)?)")


def humanize(text: str) -> str:
    """Metric, test and strategy identifiers in a reason, as words; p-values rounded."""
    text = _P_VALUE.sub(lambda m: f"p {fmt_p(float(m.group(1)))}", text)
    for name, label in (*TEST_WORDS.items(), *STRATEGY_WORDS.items()):
        text = text.replace(f"({name})", f"({label})").replace(f"{name}:", f"{label}:")
    for name in ("error_rate", "log_loss", "rmse", "mae"):
        text = text.replace(name, metric_label(name))
    return text


def reason_for_page(text: str) -> str:
    """A reason as a page shows it: :func:`humanize`, error rates as percentages, the relative change as
    "lower"/"higher" (as the banner says it), singular counts, and "candidate wins" spelled out."""
    if text.strip() == "candidate wins":
        return _WINS
    if "error_rate" in text:
        text = _RATE_AFTER.sub(lambda m: f"{m.group(1)} {fmt_rate(float(m.group(2)))}", text)
    text = _RELATIVE.sub(lambda m: f"({m.group(2)}% {'higher' if m.group(1) == '-' else 'lower'}", text)
    return humanize(_COUNT_OF.sub(r"\1 candidate", text))
