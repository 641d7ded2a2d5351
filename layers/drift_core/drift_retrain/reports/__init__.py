"""Reports people open: the drift report, the evaluation report and the error-over-time timeline as
self-contained HTML pages (Chart.js inlined, no network request), and the number formatting that every
report, table and notification shares. Pure: each renderer takes the JSON the service already writes."""

from drift_retrain.reports.drift import render_drift_html
from drift_retrain.reports.formatting import fmt_count, fmt_num, fmt_p, fmt_rate, fmt_seconds

__all__ = [
    "fmt_count",
    "fmt_num",
    "fmt_p",
    "fmt_rate",
    "fmt_seconds",
    "render_drift_html",
]
