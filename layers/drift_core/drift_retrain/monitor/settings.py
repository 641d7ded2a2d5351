"""MonitorCapture's settings, read from the Lambda's environment (the template sets every variable)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.exceptions import ConfigError
from drift_retrain.layout import DEFAULT_PROFILE_KEY
from drift_retrain.monitor.windows import LABEL_REVISION_STEP, WindowRules

__all__ = ["LABEL_REVISION_STEP", "MonitorSettings"]


def _number(environ: Mapping[str, str], name: str, default: float, cast: type = int) -> float:
    raw = (environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        return cast(raw)
    except ValueError as error:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from error


@dataclass(frozen=True)
class MonitorSettings:
    data_bucket: str | None = None
    profile_key: str = DEFAULT_PROFILE_KEY
    rules: WindowRules = field(default_factory=lambda: WindowRules(1000, 60, 200))
    min_labelled_rows: int = 500
    limits: ReadLimits = field(default_factory=ReadLimits)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> MonitorSettings:
        """``DATA_BUCKET``, ``PROFILE_KEY``, ``MONITOR_WINDOW_ROWS``, ``MONITOR_WINDOW_MINUTES``,
        ``MIN_WINDOW_ROWS``, ``MIN_LABELLED_ROWS`` and the read limits (``MAX_OBJECT_BYTES``, ...)."""
        defaults = cls()
        try:
            rules = WindowRules(
                window_rows=int(_number(environ, "MONITOR_WINDOW_ROWS", defaults.rules.window_rows)),
                window_minutes=float(
                    _number(environ, "MONITOR_WINDOW_MINUTES", defaults.rules.window_minutes, float)
                ),
                min_rows=int(_number(environ, "MIN_WINDOW_ROWS", defaults.rules.min_rows)),
            )
        except ValueError as error:
            raise ConfigError(str(error)) from error
        return cls(
            data_bucket=(environ.get("DATA_BUCKET") or "").strip() or None,
            profile_key=(environ.get("PROFILE_KEY") or "").strip() or DEFAULT_PROFILE_KEY,
            rules=rules,
            min_labelled_rows=DriftConfig.from_env(environ).min_labelled_rows,
            limits=ReadLimits.from_env(environ),
        )
