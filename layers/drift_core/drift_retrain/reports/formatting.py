"""Numbers for people: one precision rule for every report, table and notification.

Reports used to print ``p=2.1566794387366062e-91`` next to ``470.5`` and ``0.03055``. Here a statistic has
three significant digits, a p-value two (and "< 0.0001" below that: nobody decides on the 91st decimal),
a rate is a percentage, a count has thousands separators, and a missing value is a dash.
"""

from __future__ import annotations

import math
from typing import Any

from drift_retrain.engine.metric_names import is_rate, metric_name

__all__ = [
    "DASH",
    "P_FLOOR",
    "fmt_count",
    "fmt_counted",
    "fmt_metric",
    "fmt_num",
    "fmt_p",
    "fmt_rate",
    "fmt_seconds",
    "fmt_signed_rate",
    "metric_label",
    "p_phrase",
    "wilson_interval",
]

DASH = "-"
#: p-values below this print as "< 0.0001".
P_FLOOR = 1e-4
_METRIC_LABELS = {
    "error_rate": "error rate",
    "rmse": "RMSE",
    "mae": "MAE",
    "mse": "MSE",
    "auc": "AUC",
    "log_loss": "log loss",
    "accuracy": "accuracy",
}


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def fmt_num(value: Any, digits: int = 3) -> str:
    """Three significant digits; thousands separators from 1,000; "< 0.001" below; scientific from 1e9."""
    number = _number(value)
    if number is None:
        return DASH
    if number == 0:
        return "0"
    magnitude = abs(number)
    if magnitude < 1e-3:
        return "< 0.001" if number > 0 else "> -0.001"
    if magnitude >= 1e9:
        return f"{number:.{digits - 1}e}"
    if magnitude >= 10 ** (digits - 1):
        return f"{round(number):,}"
    decimals = digits - 1 - math.floor(math.log10(magnitude))
    text = f"{number:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_p(value: Any) -> str:
    """A p-value: two significant digits, "< 0.0001" below :data:`P_FLOOR`."""
    number = _number(value)
    if number is None:
        return DASH
    if number < P_FLOOR:
        return "< 0.0001"
    return f"{min(number, 1.0):.2g}"


def p_phrase(value: Any) -> str:
    """A p-value in a sentence: "p = 0.012", "p < 0.0001"."""
    text = fmt_p(value)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def fmt_rate(value: Any) -> str:
    """A share or an error rate as a percentage: 0.037 -> "3.7%", 0.0004 -> "< 0.1%"."""
    number = _number(value)
    if number is None:
        return DASH
    percent = number * 100
    if 0 < abs(percent) < 0.1:
        return "< 0.1%"
    return f"{percent:.1f}%" if abs(percent) < 99.95 or percent == 100 else f"{percent:.0f}%"


def fmt_signed_rate(value: Any) -> str:
    """A change in a rate, in percentage points with its sign: 0.383 -> "+38.3 pts"."""
    number = _number(value)
    if number is None:
        return DASH
    return f"{number * 100:+.1f} pts"


def fmt_count(value: Any) -> str:
    """A count with thousands separators."""
    number = _number(value)
    return DASH if number is None else f"{round(number):,}"


def fmt_counted(value: Any, singular: str, plural: str | None = None) -> str:
    """A count with its noun, singular or plural as the count asks: "1 batch", "3 batches", "1,200 rows"
    ("? batches" when the count is not recorded). The one place counts meet nouns (pages, notifications)."""
    plural = plural or f"{singular}s"
    number = _number(value)
    if number is None:
        return f"? {plural}"
    return f"{fmt_count(number)} {singular if round(number) == 1 else plural}"


def fmt_seconds(value: Any) -> str:
    """A duration: "45 s", "3 min 05 s", "1 h 02 min"."""
    number = _number(value)
    if number is None:
        return DASH
    seconds = round(number)
    if seconds < 60:
        return f"{number:.0f} s" if number >= 10 else f"{number:.1f} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def metric_label(name: Any) -> str:
    """A metric's name as people say it ("error_rate" -> "error rate", "mse" -> "MSE")."""
    text = metric_name(name) or ""
    return _METRIC_LABELS.get(text, text.replace("_", " "))


def fmt_metric(value: Any, metric: Any, *, named: bool = False, signed: bool = False) -> str:
    """A metric's value, the one rule of every page, table and notification: a rate as a percentage
    ("2.9%"), anything else to three digits ("1.23"); ``named`` puts the metric's name first ("error rate
    2.9%", "MSE 1.23"); ``signed`` shows a difference (a rate in percentage points: "+1.2 pts")."""
    if signed:
        number = _number(value)
        plus = "+" if number is not None and number > 0 else ""
        text = fmt_signed_rate(value) if is_rate(metric) else plus + fmt_num(value)
    else:
        text = fmt_rate(value) if is_rate(metric) else fmt_num(value)
    return f"{metric_label(metric)} {text}" if named else text


def wilson_interval(rate: Any, rows: Any, z: float = 1.959964) -> tuple[float, float] | None:
    """95% Wilson score interval of an error rate seen on ``rows`` rows (``None`` without data)."""
    p, n = _number(rate), _number(rows)
    if p is None or n is None or n <= 0:
        return None
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)
