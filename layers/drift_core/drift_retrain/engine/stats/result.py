"""The outcome of one test on counts: computed (statistic, p-value, effect) or not, and why not."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Outcome",
]


@dataclass(frozen=True)
class Outcome:
    """A test's numbers, or the reason it could not be computed.

    A test that cannot be computed (too few rows, a single level, ...) says so with ``reason``; it is
    never passed off as ``p = 1``. ``effect`` is in Cohen's w units (bias-corrected, 0 when the data
    show no more difference than chance), so one floor fits every categorical test.
    """

    statistic: float | None
    p_value: float | None
    effect: float | None = None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def tested(self) -> bool:
        return self.reason is None

    @classmethod
    def untested(cls, reason: str, **details: Any) -> Outcome:
        return cls(None, None, None, reason, dict(details))
