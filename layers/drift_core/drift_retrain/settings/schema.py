"""The stack's settings: every tuning knob of the template that is not a parameter, with its type, range,
default and one-line meaning. This table is the single source: the deploy-time validator, the Lambdas
(``SETTINGS``), the local cloud's ``--set`` and docs/configuration.md all read it.

A setting reaches the stack in one of two ways, or both: ``env`` puts it in the environment the Lambdas'
settings readers see (``KEY`` upper-cased, :mod:`.lambda_env`); ``attribute`` makes the validator return it
as ``!GetAtt ValidatedSettings.<Attribute>`` for the resources that take it (state machine, alarms, schedule).
Moving a template parameter here is one row below and ``!Ref X`` -> ``!GetAtt ValidatedSettings.X``.
"""

from __future__ import annotations

from dataclasses import dataclass

from drift_retrain.engine.config import CHOICES as DRIFT_CHOICES
from drift_retrain.engine.config import LIMITS as DRIFT_LIMITS
from drift_retrain.engine.config import SettingRange

__all__ = ["GROUPS", "SETTINGS", "Setting", "by_key"]

#: What a setting's value is: whole number, number, text, one of ``choices``, ``true``/``false``,
#: comma-separated names (each one of ``choices`` when given), or a JSON object of strings.
KINDS = ("int", "number", "text", "choice", "bool", "names", "json")


@dataclass(frozen=True)
class Setting:
    """One setting: ``key`` in ``Settings``, its kind, default, accepted values and meaning."""

    key: str
    kind: str
    default: int | float | str | bool
    doc: str
    group: str
    limits: SettingRange | None = None
    choices: tuple[str, ...] = ()
    #: The Lambdas read it from their environment as ``KEY`` (:mod:`.lambda_env`).
    env: bool = False
    #: The template reads it as ``!GetAtt ValidatedSettings.<attribute>``.
    template: bool = False
    #: ``!GetAtt`` name when it is not the key in CamelCase (the parameter it replaced).
    attribute_name: str = ""

    @property
    def attribute(self) -> str:
        return self.attribute_name or "".join(part[:1].upper() + part[1:] for part in self.key.split("_"))

    @property
    def env_name(self) -> str:
        return self.key.upper()


def _r(low: float | None = None, high: float | None = None) -> SettingRange:
    return SettingRange(low, high)


_SHARE_OPEN = SettingRange(0.0, 1.0, open_low=True, open_high=True)
#: ``window.STRATEGIES`` (a unit test keeps them equal; importing it would load pandas in the validator).
_STRATEGIES = ("since_change", "newest", "recent", "recent_plus_previous", "registry")

_D, _W, _T, _E, _P, _A, _O, _B, _S, _M, _C = (
    "Drift detection (DetectDrift)",
    "Training window",
    "Training (built-in XGBoost and Linear Learner)",
    "Evaluation and promotion",
    "Deployment",
    "A/B promotion",
    "Operations",
    "Bounded input (DetectDrift and PrepareTrainingData)",
    "Partitions checked on a Distributed Map (DetectDrift and CheckPartitionStateMachine)",
    "Capture and data-stream windows (MonitorCapture)",
    "Endpoint and model",
)


def _drift(key: str, kind: str, default: int | float | str, doc: str) -> Setting:
    """A DetectDrift setting: its range and choices are ``DriftConfig``'s own."""
    return Setting(
        key,
        kind,
        default,
        doc,
        _D,
        limits=DRIFT_LIMITS.get(key),
        choices=DRIFT_CHOICES.get(key, ()),
        env=True,
    )


SETTINGS: tuple[Setting, ...] = (
    # --- Endpoint and model
    Setting(
        "capture_sampling_percent",
        "int",
        100,
        "Whole percent of the endpoint's requests Data Capture keeps (InitialSamplingPercentage).",
        _C,
        _r(0, 100),
        template=True,
    ),
    # --- Drift detection
    _drift(
        "alpha",
        "number",
        0.05,
        "Family-wise significance level of the per-column drift tests (Holm correction).",
    ),
    _drift(
        "psi_floor",
        "number",
        0.005,
        "Minimum PSI effect size for a significant column to count as drifted (0.005 is about a 0.07-sigma mean shift).",
    ),
    _drift(
        "concept_margin",
        "number",
        0.02,
        "Minimum increase of the champion's error rate over its baseline holdout error rate for concept drift.",
    ),
    _drift("min_labelled_rows", "int", 500, "Labelled rows a batch needs before a retrain may start."),
    _drift(
        "retrain_on",
        "choice",
        "performance",
        "performance: retrain only when the serving model's error rose; feature drift alone alerts. performance_or_features: feature_drift_share and important_features retrain too.",
    ),
    _drift(
        "max_recovery_retrains",
        "int",
        3,
        "Follow-up retrains allowed per serving model while its error stays above the reference (the best error before the latest change).",
    ),
    Setting(
        "challenger_every_batches",
        "int",
        4,
        "A challenger (one newest candidate, no loss needed) may start at most every this many labelled batches, when the serving error's rise or a probe fitted on the batch says a fresh model should gain (docs/retraining-policy.md); 0 = off.",
        _D,
        _r(0, 1000),
        env=True,
    ),
    Setting(
        "challenger_max_jobs_per_day",
        "int",
        2,
        "Training jobs a day (UTC) within which a challenger may start; retrains started on loss evidence count against it too.",
        _D,
        _r(0, 1000),
        env=True,
    ),
    _drift(
        "feature_drift_share",
        "number",
        0.3,
        "Share of drifted feature columns that starts a retrain (only with retrain_on performance_or_features; otherwise an alert).",
    ),
    _drift(
        "important_features",
        "names",
        "",
        "Comma-separated feature names whose drift alone starts a retrain (only with retrain_on performance_or_features; empty = none).",
    ),
    _drift(
        "max_rows",
        "int",
        500000,
        "Rows kept from one batch (a seeded uniform sample beyond it), bounding DetectDrift memory.",
    ),
    _drift(
        "max_prediction_rows",
        "int",
        5000,
        "Maximum labelled rows sent to the champion endpoint to measure its error rate.",
    ),
    # --- Training window
    Setting(
        "candidate_strategies",
        "names",
        "since_change,newest,registry",
        "Candidates one retrain compares on the same held-out rows: since_change, newest, recent, recent_plus_previous, registry (docs/retraining-policy.md). One strategy = one training job per retrain.",
        _W,
        choices=_STRATEGIES,
        env=True,
    ),
    Setting(
        "registry_candidates",
        "int",
        2,
        "Earlier promoted models re-scored as free candidates (a recurring concept brings its old model back).",
        _W,
        _r(0, 10),
        env=True,
    ),
    Setting(
        "candidate_concurrency",
        "int",
        3,
        "Candidates trained and scored at the same time (the Map state's MaxConcurrency).",
        _W,
        _r(1, 10),
        template=True,
    ),
    Setting(
        "since_change_max_batches",
        "int",
        20,
        "Most batches in a since_change window (the triggering batch included).",
        _W,
        _r(1),
        env=True,
    ),
    Setting(
        "window_max_batches",
        "int",
        5,
        "Newest labelled batches under incoming/ in a recent window (the triggering batch is always first).",
        _W,
        _r(1),
        env=True,
    ),
    Setting(
        "window_max_rows",
        "int",
        200000,
        "Maximum rows in the training window (newest first).",
        _W,
        _r(100),
        env=True,
    ),
    Setting(
        "previous_data_share",
        "number",
        0.3,
        "Share of the champion's training rows the recent_plus_previous candidate adds to train/validation (never to test).",
        _W,
        _r(0, 1),
        env=True,
    ),
    Setting(
        "test_share",
        "number",
        0.2,
        "Share of window rows held out for the candidate/champion comparison: the newest rows (by the timestamp column, else the file's row order).",
        _W,
        _SHARE_OPEN,
        env=True,
    ),
    Setting(
        "validation_share",
        "number",
        0.1,
        "Share of the remaining rows used as the XGBoost validation channel (early stopping).",
        _W,
        _SHARE_OPEN,
        env=True,
    ),
    Setting(
        "min_training_rows",
        "int",
        200,
        "Fewer labelled rows than this left for training in the window fails the run with NotEnoughTrainingDataError.",
        _W,
        _r(10),
        env=True,
    ),
    Setting(
        "split_seed",
        "int",
        20240601,
        "Seed of the deterministic train/validation shuffle (the held-out test rows are the newest rows).",
        _W,
        _r(0, 2**32 - 1),
        env=True,
    ),
    # --- Training
    Setting(
        "linear_learner_hyperparameters",
        "json",
        "{}",
        'Linear Learner hyperparameters over the defaults, a JSON object of strings, e.g. {"epochs": "30"}; predictor_type, feature_dim, num_classes and normalize_label follow the task.',
        _T,
        env=True,
    ),
    Setting("training_instance_count", "int", 1, "Training instance count.", _T, _r(1), template=True),
    Setting(
        "training_volume_size_gb",
        "int",
        30,
        "EBS volume per training instance (GB).",
        _T,
        _r(1),
        template=True,
        attribute_name="TrainingVolumeSizeGB",
    ),
    Setting(
        "training_max_runtime_seconds",
        "int",
        3600,
        "StoppingCondition.MaxRuntimeInSeconds of every training job (SageMaker allows at most 28 days).",
        _T,
        _r(60, 2419200),
        template=True,
    ),
    Setting("num_round", "int", 200, "XGBoost num_round.", _T, _r(1)),
    Setting("max_depth", "int", 6, "XGBoost max_depth.", _T, _r(0)),
    Setting("eta", "number", 0.2, "XGBoost eta (learning rate).", _T, _r(0, 1)),
    Setting("subsample", "number", 0.8, "XGBoost subsample.", _T, SettingRange(0.0, 1.0, open_low=True)),
    Setting(
        "early_stopping_rounds",
        "int",
        20,
        "XGBoost early_stopping_rounds on the validation channel.",
        _T,
        _r(1),
    ),
    Setting(
        "spot_training",
        "bool",
        False,
        "Managed spot training (up to ~70-90% cheaper; checkpoints go to s3://<bucket>/checkpoints/).",
        _T,
        template=True,
    ),
    Setting(
        "spot_max_wait_seconds",
        "int",
        7200,
        "MaxWaitTimeInSeconds for spot training (must be >= training_max_runtime_seconds).",
        _T,
        _r(120),
        template=True,
    ),
    Setting(
        "training_capacity_retries",
        "int",
        2,
        "Extra training attempts when a job fails with a capacity error.",
        _T,
        _r(0, 10),
        template=True,
    ),
    Setting(
        "capacity_retry_seconds",
        "int",
        600,
        "Wait before a training attempt after a capacity error.",
        _T,
        _r(1),
        template=True,
    ),
    Setting(
        "tuning_enabled",
        "bool",
        False,
        "Run a hyperparameter tuning job instead of a single training job.",
        _T,
        template=True,
    ),
    Setting("tuning_max_jobs", "int", 10, "Maximum training jobs of a tuning job.", _T, _r(1), template=True),
    Setting(
        "tuning_max_parallel_jobs",
        "int",
        2,
        "Maximum parallel training jobs of a tuning job.",
        _T,
        _r(1),
        template=True,
    ),
    # --- Evaluation and promotion
    Setting(
        "transform_instance_count", "int", 1, "Batch transform instance count.", _E, _r(1), template=True
    ),
    Setting(
        "min_improvement",
        "number",
        0.01,
        "Minimum relative reduction of the primary error metric (classification error rate, regression RMSE) the candidate needs over the champion, on the same held-out rows.",
        _E,
        _r(0),
        env=True,
    ),
    Setting(
        "comparison_alpha",
        "number",
        0.05,
        "Significance level of the one-sided paired test (McNemar for classification, paired bootstrap for regression).",
        _E,
        _SHARE_OPEN,
        env=True,
    ),
    Setting(
        "keep_last_models",
        "int",
        3,
        "Endpoint configs and models of this stack kept after a promotion; older ones are deleted, never another stack's or the one serving.",
        _E,
        _r(1),
        env=True,
    ),
    # --- Deployment
    Setting(
        "deployment_strategy",
        "choice",
        "ALL_AT_ONCE",
        "Blue/green traffic shifting of the endpoint update.",
        _P,
        choices=("ALL_AT_ONCE", "CANARY", "LINEAR"),
        template=True,
    ),
    Setting(
        "deployment_step_percent",
        "int",
        25,
        "CANARY size or LINEAR step size, as a percentage of the new fleet's capacity (10-50, as SageMaker requires for a linear step).",
        _P,
        _r(10, 50),
        template=True,
    ),
    Setting(
        "deployment_wait_interval_seconds",
        "int",
        300,
        "Baking time between traffic shifting steps (alarms are watched meanwhile; SageMaker allows 0-3600).",
        _P,
        _r(0, 3600),
        template=True,
    ),
    Setting(
        "deployment_termination_wait_seconds",
        "int",
        300,
        "Time the old fleet is kept after all traffic moved (fast rollback window; SageMaker allows 0-3600).",
        _P,
        _r(0, 3600),
        template=True,
    ),
    Setting(
        "deployment_max_execution_seconds",
        "int",
        3600,
        "MaximumExecutionTimeoutInSeconds of the blue/green update (SageMaker allows 600-28800).",
        _P,
        _r(600, 28800),
        template=True,
    ),
    Setting(
        "endpoint_poll_seconds",
        "int",
        60,
        "Wait between DescribeEndpoint checks while the endpoint updates.",
        _P,
        _r(1),
        template=True,
    ),
    # Bounded so that an execution stays under Standard's 25,000-event history (about 12 events a check;
    # tests/static/test_parameter_limits.py adds up the worst case of every loop).
    Setting(
        "endpoint_max_polls",
        "int",
        180,
        "Maximum DescribeEndpoint checks before the run fails with EndpointWaitTimeoutError (180 x 60 s = 3 h).",
        _P,
        _r(1, 720),
        template=True,
    ),
    Setting(
        "lock_wait_seconds",
        "int",
        300,
        "Wait between attempts to take the endpoint lock while another retrain runs.",
        _P,
        _r(1),
        template=True,
    ),
    # Bounded for the 25,000-event history too (about 28 events a wait).
    Setting(
        "lock_max_waits",
        "int",
        48,
        "Lock waits before a run fails with LockWaitTimeoutError (48 x 300 s = 4 h; the batch is not lost to a skip).",
        _P,
        _r(1, 300),
        template=True,
    ),
    Setting(
        "endpoint_5xx_threshold",
        "int",
        5,
        "Invocation5XXErrors per minute that trip the rollback alarm.",
        _P,
        _r(1),
        template=True,
    ),
    Setting(
        "endpoint_latency_threshold_microseconds",
        "int",
        500000,
        "p90 ModelLatency (microseconds) that trips the rollback alarm.",
        _P,
        _r(1),
        template=True,
    ),
    # --- A/B promotion
    # A percentage, not a share: the definition computes the champion's weight (100 - w) with
    # States.MathAdd, which takes integers.
    Setting(
        "ab_traffic_percent",
        "int",
        10,
        "Percentage of the endpoint's traffic the candidate variant serves during an A/B test (the champion serves the rest).",
        _A,
        _r(1, 99),
        template=True,
    ),
    Setting(
        "ab_max_duration_seconds",
        "int",
        604800,
        "Longest an A/B test runs (7 days); undecided by then, the champion stays.",
        _A,
        _r(1, 2592000),
        template=True,
    ),
    Setting(
        "ab_heartbeat_seconds",
        "int",
        172800,
        "Longest gap between labelled batches during an A/B test (2 days); past it the test ends and the champion stays.",
        _A,
        _r(1, 2592000),
        template=True,
    ),
    Setting(
        "ab_alpha",
        "number",
        0.05,
        "Error rate of the A/B test's mixture SPRT over all its looks together (always-valid p-value).",
        _A,
        _r(0.0001, 0.5),
        template=True,
    ),
    Setting(
        "ab_min_rows",
        "int",
        200,
        "Paired labelled rows the A/B test needs before it may decide (its plug-in variance needs rows).",
        _A,
        _r(2),
        template=True,
    ),
    # --- Operations
    Setting(
        "report_link_expiry_seconds",
        "int",
        0,
        "Notifications add a pre-signed link to the HTML report valid this long (0 = S3 console link only; at most 7 days). The link works for anyone who has it.",
        _O,
        _r(0, 604800),
        env=True,
    ),
    Setting(
        "detect_drift_retry_attempts",
        "int",
        2,
        "Times Lambda retries a DetectDrift invocation that crashed, timed out or ran out of memory (0-2); then the event goes to the failure queue (drift-retrain redrive).",
        _O,
        _r(0, 2),
        template=True,
    ),
    # --- Bounded input
    Setting(
        "max_object_bytes",
        "int",
        2147483648,
        "Most bytes one Lambda reads of one object, as stored (2 GiB, about 70 s of reading): a whole object or part, or one byte range of a plain CSV. A larger object that cannot be cut (Parquet, JSON Lines, gzip) is quarantined as object_too_large; a larger plain CSV is checked in byte ranges, and a retrain reads its newest MAX_OBJECT_BYTES.",
        _B,
        _r(1),
        env=True,
    ),
    Setting(
        "max_decompressed_bytes",
        "int",
        4294967296,
        "Most CSV bytes read from one gzip batch (4 GiB); past it the batch is quarantined as decompressed_too_large.",
        _B,
        _r(1),
        env=True,
    ),
    Setting(
        "max_compression_ratio",
        "number",
        100,
        "Most decompressed bytes per gzip byte once 64 MiB are out (CSV gzips 3-20x); above it, compression_ratio.",
        _B,
        _r(1),
        env=True,
    ),
    # --- Partitions checked on a Distributed Map
    Setting(
        "single_check_max_bytes",
        "int",
        536870912,
        "A partition (incoming/<batch>/part-* with _SUCCESS or _manifest.json) of more than one part or more bytes than this (512 MiB) is checked on a Distributed Map, one child per part; a CSV of more bytes than this (not gzipped), in byte ranges of at most this many bytes cut at line ends; smaller ones are read by DetectDrift itself.",
        _S,
        _r(1),
        env=True,
    ),
    Setting(
        "partition_check_max_concurrency",
        "int",
        16,
        "Most parts of one partition summarised at once (the Distributed Map's MaxConcurrency; each child is a 3 GB Lambda).",
        _S,
        _r(1, 10000),
        template=True,
    ),
    # --- Capture and data-stream windows
    Setting(
        "monitor_window_rows",
        "int",
        1000,
        "A capture stream's window closes at this many captured rows (whole capture files); so does an incoming-stream/<name>/ data stream's (whole objects).",
        _M,
        _r(1, 1000000),
        env=True,
    ),
    Setting(
        "monitor_window_minutes",
        "int",
        60,
        "A window also closes this many minutes after its first row when it holds min_window_rows; a schedule rule at this rate closes quiet ones.",
        _M,
        _r(2, 1440),
        env=True,
        template=True,
    ),
    Setting(
        "min_window_rows",
        "int",
        200,
        "The fewest rows a window closed by time holds (fewer wait for more traffic).",
        _M,
        _r(1, 1000000),
        env=True,
    ),
)

#: Group titles in the order docs/configuration.md lists them.
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(setting.group for setting in SETTINGS))

_BY_KEY = {setting.key: setting for setting in SETTINGS}


def by_key() -> dict[str, Setting]:
    """Key -> setting."""
    return dict(_BY_KEY)
