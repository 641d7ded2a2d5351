"""Parse and validate a ``Settings`` JSON object against the schema: what the deploy-time validator, the
Lambdas' cold start and the local cloud's ``--set`` all run, so a value one accepts the others accept.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from drift_retrain.exceptions import ConfigError
from drift_retrain.settings.schema import SETTINGS, Setting, by_key

__all__ = ["defaults", "parse_settings", "settings_json", "template_attributes", "validate_settings"]

_NAME = re.compile(r"^[^,\s]+$")


def defaults() -> dict[str, Any]:
    """Every setting at its default."""
    return {setting.key: setting.default for setting in SETTINGS}


def parse_settings(text: str | None) -> dict[str, Any]:
    """The ``Settings`` parameter's JSON text -> every setting's value (defaults for keys not given)."""
    raw = (text or "").strip() or "{}"
    try:
        overrides = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(
            f"Settings is not valid JSON ({exc.msg} at character {exc.pos}): {raw[:80]!r}"
        ) from exc
    if not isinstance(overrides, dict):
        raise ConfigError(f'Settings must be a JSON object such as {{"alpha": 0.01}}, got {raw[:80]!r}')
    return validate_settings(overrides)


def validate_settings(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Every setting's value: ``overrides`` converted and checked, defaults for the rest.

    Raises ``ConfigError`` naming each bad key: an unknown one with the nearest valid key, a bad value with
    what the key accepts.
    """
    known = by_key()
    problems = [_unknown(key, known) for key in sorted(set(overrides) - set(known))]
    values = defaults()
    for key, raw in overrides.items():
        if key in known:
            try:
                values[key] = convert(known[key], raw)
            except ConfigError as error:
                problems.append(str(error))
    if not problems:
        problems = _cross_checks(values)
    if problems:
        raise ConfigError("; ".join(problems))
    return values


def convert(setting: Setting, raw: Any) -> Any:
    """``raw`` (JSON value or ``--set`` text) as the setting's type, checked against its range or choices."""
    key, kind = setting.key, setting.kind
    try:
        if kind == "int":
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            value: Any = int(str(raw).strip()) if isinstance(raw, str) else int(raw)
        elif kind == "number":
            if isinstance(raw, bool):
                raise ValueError
            value = float(raw)
        elif kind == "bool":
            text = str(raw).strip().lower()
            if text not in ("true", "false"):
                raise ValueError
            value = text == "true"
        elif kind == "json":
            value = _json_object(key, raw)
        elif kind == "names":
            value = _names(setting, raw)
        else:
            value = str(raw).strip()
    except (TypeError, ValueError):
        what = {"int": "a whole number", "number": "a number", "bool": "true or false"}[kind]
        limits = f" {setting.limits.describe()}" if setting.limits else ""
        raise ConfigError(f"{key} must be {what}{limits}, got {raw!r}") from None
    if kind == "choice" and value not in setting.choices:
        raise ConfigError(f"{key} must be one of {', '.join(setting.choices)}, got {raw!r}")
    if kind in ("int", "number") and setting.limits is not None:
        if not math.isfinite(value):
            raise ConfigError(f"{key} must be {setting.limits.describe()}, got {raw!r}")
        setting.limits.check(key, value)
    return value


def _json_object(key: str, raw: Any) -> str:
    """A JSON object of strings, kept as its JSON text (what the Lambda reads)."""
    parsed = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
        raise ConfigError(f'{key} must be a JSON object of strings such as {{"epochs": "30"}}, got {raw!r}')
    return json.dumps(parsed, separators=(",", ":"), sort_keys=True)


def _names(setting: Setting, raw: Any) -> str:
    """Comma-separated names (a JSON list works too), each one of the choices when the setting has some."""
    parts = [str(part).strip() for part in (raw if isinstance(raw, list) else str(raw).split(","))]
    parts = [part for part in parts if part]
    bad = [
        part for part in parts if not _NAME.match(part) or (setting.choices and part not in setting.choices)
    ]
    if bad or (setting.choices and not parts):
        allowed = f"one or more of {', '.join(setting.choices)}" if setting.choices else "names"
        raise ConfigError(f"{setting.key} must be comma-separated {allowed}, got {raw!r}")
    return ",".join(parts)


def _cross_checks(values: Mapping[str, Any]) -> list[str]:
    """Rules between keys that SageMaker or the split would refuse only later, in a run."""
    problems = []
    if values["spot_training"] and values["spot_max_wait_seconds"] < values["training_max_runtime_seconds"]:
        problems.append("spot_max_wait_seconds must be >= training_max_runtime_seconds with spot_training")
    if values["test_share"] + values["validation_share"] >= 1.0:
        problems.append("test_share + validation_share must be < 1 (rows must remain to train on)")
    return problems


def _unknown(key: str, known: Mapping[str, Setting]) -> str:
    """``unknown setting 'alpah' (did you mean 'alpha'?)``."""
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f"unknown setting {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def text(value: Any) -> str:
    """A value as the template and the environment take it (``true``, ``0.05``, ``200``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def template_attributes(values: Mapping[str, Any]) -> dict[str, str]:
    """What the validator returns for ``!GetAtt ValidatedSettings.<Attribute>``."""
    return {setting.attribute: text(values[setting.key]) for setting in SETTINGS if setting.template}


def settings_json(overrides: Mapping[str, Any]) -> str:
    """The ``Settings`` parameter value for ``overrides`` (validated first, so a typo fails here)."""
    validate_settings(overrides)
    return json.dumps(dict(overrides), separators=(",", ":"), sort_keys=True)
