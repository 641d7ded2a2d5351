"""The Lambdas' view of the settings: the ``SETTINGS`` variable (the stack's ``Settings`` JSON) parsed and
validated once per execution environment, laid out as the variables the settings readers take
(``ALPHA``, ``MAX_OBJECT_BYTES``, ``HYPERPARAMETERS``...).

A variable set on the function itself wins over the setting of the same name (tests set them directly).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping

from drift_retrain.settings.schema import SETTINGS
from drift_retrain.settings.values import parse_settings, text

__all__ = ["SETTINGS_VARIABLE", "setting_variables", "settings_environ"]

#: The function environment variable that carries the stack's ``Settings`` JSON.
SETTINGS_VARIABLE = "SETTINGS"
#: XGBoost's hyperparameters, read by PrepareTrainingData as one JSON object.
_XGBOOST = ("num_round", "max_depth", "eta", "subsample", "early_stopping_rounds")


@functools.lru_cache(maxsize=8)
def setting_variables(raw: str) -> dict[str, str]:
    """``SETTINGS`` JSON -> the variables the Lambdas read (validated; a bad value is a ``ConfigError``)."""
    values = parse_settings(raw)
    variables = {setting.env_name: text(values[setting.key]) for setting in SETTINGS if setting.env}
    variables["HYPERPARAMETERS"] = json.dumps({key: text(values[key]) for key in _XGBOOST})
    return variables


def settings_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with every setting's variable added (``environ``'s own variables win)."""
    return {**setting_variables(environ.get(SETTINGS_VARIABLE, "") or ""), **environ}
