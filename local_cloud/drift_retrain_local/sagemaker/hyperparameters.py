"""The built-in XGBoost (1.7-1) hyperparameters: names, parsing, ranges, dependencies.

``validate(hyperparameters)`` turns the job's string hyperparameters into ``xgboost.train`` arguments or
raises :class:`JobFailedError` with the algorithm toolkit's wording (``Missing required hyperparameter``,
``could not parse value``, ``... is not in [0, 1]``). One deliberate difference: a name the algorithm
does not know fails there with ``Extraneous hyperparameter found``; here it is ignored and reported as a
note, so a local run does not die on a typo the reader can see in the outcome.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drift_retrain_local.sagemaker.exceptions import JobFailedError

__all__ = ["OBJECTIVES", "TrainingParameters", "validate"]

INF = math.inf

OBJECTIVES = (
    "binary:logistic",
    "binary:logitraw",
    "binary:hinge",
    "count:poisson",
    "multi:softmax",
    "multi:softprob",
    "rank:pairwise",
    "rank:ndcg",
    "rank:map",
    "reg:linear",
    "reg:squarederror",
    "reg:logistic",
    "reg:gamma",
    "reg:absoluteerror",
    "reg:pseudohubererror",
    "reg:squaredlogerror",
    "reg:tweedie",
    "survival:cox",
    "survival:aft",
)
EVAL_METRICS = (
    "rmse",
    "rmsle",
    "mae",
    "mape",
    "mphe",
    "logloss",
    "error",
    "merror",
    "mlogloss",
    "auc",
    "aucpr",
    "ndcg",
    "map",
    "poisson-nloglik",
    "gamma-nloglik",
    "gamma-deviance",
    "tweedie-nloglik",
    "cox-nloglik",
    "aft-nloglik",
    "interval-regression-accuracy",
)
_PARAMETRISED_METRICS = ("error@", "ndcg@", "map@", "ndcg-", "map-")

# name -> (kind, low, low_closed, high, high_closed) for numbers; (kind, choices) for categoricals.
_INT, _FLOAT, _CHOICE, _LIST, _TEXT = "int", "float", "choice", "list", "text"
_SPEC: dict[str, tuple[Any, ...]] = {
    "num_round": (_INT, 1, True, INF, False),
    "num_class": (_INT, 2, True, INF, False),
    "early_stopping_rounds": (_INT, 1, True, INF, False),
    "csv_weights": (_INT, 0, True, 1, True),
    "booster": (_CHOICE, ("gbtree", "gblinear", "dart")),
    "verbosity": (_INT, 0, True, 3, True),
    "nthread": (_INT, 1, True, INF, False),
    "eta": (_FLOAT, 0, True, 1, True),
    "gamma": (_FLOAT, 0, True, INF, False),
    "max_depth": (_INT, 0, True, INF, False),
    "min_child_weight": (_FLOAT, 0, True, INF, False),
    "max_delta_step": (_FLOAT, 0, True, INF, False),
    "subsample": (_FLOAT, 0, False, 1, True),
    "sampling_method": (_CHOICE, ("uniform", "gradient_based")),
    "colsample_bytree": (_FLOAT, 0, False, 1, True),
    "colsample_bylevel": (_FLOAT, 0, False, 1, True),
    "colsample_bynode": (_FLOAT, 0, False, 1, True),
    "lambda": (_FLOAT, 0, True, INF, False),
    "alpha": (_FLOAT, 0, True, INF, False),
    "tree_method": (_CHOICE, ("auto", "exact", "approx", "hist", "gpu_hist")),
    "sketch_eps": (_FLOAT, 0, False, 1, False),
    "scale_pos_weight": (_FLOAT, 0, False, INF, False),
    "refresh_leaf": (_INT, 0, True, 1, True),
    "process_type": (_CHOICE, ("default", "update")),
    "grow_policy": (_CHOICE, ("depthwise", "lossguide")),
    "max_leaves": (_INT, 0, True, INF, False),
    "max_bin": (_INT, 2, True, INF, False),
    "num_parallel_tree": (_INT, 1, True, INF, False),
    "sample_type": (_CHOICE, ("uniform", "weighted")),
    "normalize_type": (_CHOICE, ("tree", "forest")),
    "rate_drop": (_FLOAT, 0, True, 1, True),
    "one_drop": (_INT, 0, True, 1, True),
    "skip_drop": (_FLOAT, 0, True, 1, True),
    "tweedie_variance_power": (_FLOAT, 1, False, 2, False),
    "huber_slope": (_FLOAT, 0, False, INF, False),
    "objective": (_CHOICE, OBJECTIVES),
    "base_score": (_FLOAT, -INF, False, INF, False),
    "eval_metric": (_LIST, EVAL_METRICS),
    "seed": (_INT, -(2**31), True, 2**31 - 1, True),
    "max_cat_to_onehot": (_INT, 1, True, INF, False),
    "interaction_constraints": (_TEXT,),
    "monotone_constraints": (_TEXT,),
    "deterministic_histogram": (_CHOICE, ("true", "false")),
    "single_precision_histogram": (_CHOICE, ("true", "false")),
    "save_model_on_termination": (_CHOICE, ("true", "false")),
    "_tuning_objective_metric": (_TEXT,),
    # Accepted by the algorithm, not passed to xgboost.train (container-level switches).
    "_kfold": (_INT, 2, True, INF, False),
    "_num_cv_round": (_INT, 1, True, INF, False),
    "use_dask_gpu_training": (_CHOICE, ("true", "false")),
}
#: Read by the container itself, never handed to xgboost.train as a parameter.
_CONTAINER_ONLY = {
    "num_round",
    "early_stopping_rounds",
    "csv_weights",
    "save_model_on_termination",
    "_tuning_objective_metric",
    "_kfold",
    "_num_cv_round",
    "use_dask_gpu_training",
    "deterministic_histogram",
    "single_precision_histogram",
}


@dataclass
class TrainingParameters:
    """Validated hyperparameters split the way ``xgboost.train`` takes them."""

    params: dict[str, Any]
    num_round: int
    early_stopping_rounds: int | None
    csv_weights: bool
    eval_metrics: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def objective(self) -> str:
        return str(self.params.get("objective", "reg:squarederror"))

    @property
    def num_class(self) -> int:
        return int(self.params.get("num_class", 0))


def _interval(low: float, low_closed: bool, high: float, high_closed: bool) -> str:
    left = f"[{low:g}, " if low_closed else ("(-inf, " if low == -INF else f"({low:g}, ")
    right = f"{high:g}]" if high_closed else ("+inf)" if high == INF else f"{high:g})")
    return left + right


def _parse(name: str, value: str, spec: tuple[Any, ...]) -> Any:
    kind = spec[0]
    text = str(value).strip()
    if kind in (_INT, _FLOAT):
        try:
            number: float = int(text) if kind == _INT else float(text)
        except ValueError:
            raise JobFailedError.client(f"Hyperparameter {name}: could not parse value {value!r}") from None
        low, low_closed, high, high_closed = spec[1:]
        inside = (number >= low if low_closed else number > low) and (
            number <= high if high_closed else number < high
        )
        if not inside or (kind == _FLOAT and math.isnan(number)):
            raise JobFailedError.client(
                f"Hyperparameter {name}: {value} is not in {_interval(low, low_closed, high, high_closed)}"
            )
        return number
    if kind == _CHOICE:
        if text not in spec[1]:
            raise JobFailedError.client(f"Hyperparameter {name}: value {text} not in range {list(spec[1])}")
        return text
    if kind == _LIST:
        items = [item.strip() for item in text.split(",") if item.strip()]
        bad = [m for m in items if m not in spec[1] and not m.startswith(_PARAMETRISED_METRICS)]
        if bad or not items:
            raise JobFailedError.client(
                f"Hyperparameter {name}: value {bad or items} not in range {list(spec[1])}"
            )
        return items
    return text


def validate(hyperparameters: Mapping[str, Any]) -> TrainingParameters:
    """Validate a CreateTrainingJob ``HyperParameters`` map (all values strings).

    Raises
    ------
    JobFailedError
        ``ClientError: ...`` for a missing ``num_round``, an unparsable or out-of-range value, or
        ``multi:*`` without ``num_class``.
    """
    notes: list[str] = []
    parsed: dict[str, Any] = {}
    for name, value in hyperparameters.items():
        spec = _SPEC.get(name)
        if spec is None:
            notes.append(
                f"ignored unknown hyperparameter {name}={value!r} (SageMaker's built-in XGBoost 1.7-1 fails "
                f"with 'ClientError: Extraneous hyperparameter found: {name}')"
            )
            continue
        parsed[name] = _parse(name, value, spec)
    if "num_round" not in parsed:
        raise JobFailedError.client("Missing required hyperparameter: num_round")
    objective = parsed.get("objective", "reg:squarederror")
    if objective.startswith("multi:") and "num_class" not in parsed:
        raise JobFailedError.client(f"Require input for parameter num_class for objective {objective}")
    if "num_class" in parsed and not objective.startswith("multi:"):
        notes.append(f"num_class is ignored by objective {objective}")
        parsed.pop("num_class")

    metrics = list(parsed.get("eval_metric", []))
    tuning = parsed.get("_tuning_objective_metric")
    if tuning:
        metric = tuning.split(":", 1)[-1]
        if metric not in metrics:
            metrics.append(metric)
    params = {k: v for k, v in parsed.items() if k not in _CONTAINER_ONLY and k != "eval_metric"}
    params.setdefault("objective", objective)
    if metrics:
        params["eval_metric"] = metrics
    return TrainingParameters(
        params=params,
        num_round=int(parsed["num_round"]),
        early_stopping_rounds=parsed.get("early_stopping_rounds"),
        csv_weights=parsed.get("csv_weights", 0) == 1,
        eval_metrics=metrics,
        notes=notes,
    )
