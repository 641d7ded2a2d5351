"""Every place the local cloud reaches into moto's internals (moto pinned exactly in pyproject.toml).

One module per patched concern; a moto upgrade means reading this package and nothing else:

- :mod:`.eventbridge`: S3 -> EventBridge -> the in-process DetectDrift (moto would need Docker);
- :mod:`.lambda_invoke`: Lambda Invoke over HTTP (another process's client) runs the real handler;
- :mod:`.s3_keys`: S3's 1,024-byte key limit (``KeyTooLongError``), which moto does not enforce;
- :mod:`.sns_signing`: SNS deliveries signed with one key per process, not a new RSA key per subscription;
- :mod:`.parallel`: a Parallel branch's ``States.*`` error keeps its name (moto renames it);
- :mod:`.sfn_parameters`: ``aws-sdk`` tasks get parameters and results in AWS's PascalCase;
- :mod:`.sagemaker`: SageMaker jobs and endpoints run by the local SageMaker, the runtime serves;
- :mod:`.sfn_sagemaker`: ``sagemaker:*`` Step Functions tasks, with ``.sync`` and ``TimeoutSeconds``;
- :mod:`.sfn_distributed_map`: Distributed Map's integer ``ToleratedFailurePercentage``, failure
  thresholds and ``ResultWriter`` result files as on AWS;
- :mod:`.sfn_clock`: Wait states and Retry intervals on a simulated clock (tests opt in);
- :mod:`.sfn_speed`: the ASL parsed once per definition, GetExecutionHistory's options honoured, one
  boto3 client per service shared by the tasks, and each JSONPath parsed once;
- :mod:`.sfn_variables`: JSONPath states read workflow variables (``$name``, ``$name.path``) set by
  ``Assign`` (moto evaluates the reference with its empty JSONata engine);
- :mod:`.sfn_child_executions`: ``states:startExecution.sync:2`` (a child state machine) sends and
  returns AWS's names, and a child's end is seen at once;
- :mod:`.sfn_callbacks`: task tokens (``.waitForTaskToken``) answer as on AWS: the failure's cause kept,
  ``States.HeartbeatTimeout``, ``TaskTimedOut`` for a token whose task ended.

:func:`check_all` verifies every hooked symbol is where the pinned moto has it and raises
``MotoHookMovedError`` otherwise; the local cloud runs it at start-up and a test runs it too.
"""

from drift_retrain_local.seams import (
    eventbridge,
    lambda_invoke,
    parallel,
    s3_keys,
    sagemaker,
    sfn_callbacks,
    sfn_child_executions,
    sfn_clock,
    sfn_distributed_map,
    sfn_parameters,
    sfn_speed,
    sfn_variables,
    sns_signing,
)

__all__ = [
    "check_all",
    "eventbridge",
    "lambda_invoke",
    "parallel",
    "s3_keys",
    "sagemaker",
    "sfn_callbacks",
    "sfn_child_executions",
    "sfn_clock",
    "sfn_distributed_map",
    "sfn_parameters",
    "sfn_speed",
    "sfn_variables",
    "sns_signing",
]


def check_all() -> None:
    """Fail loudly (``MotoHookMovedError``) when any moto internal a seam relies on has moved."""
    for seam in (
        eventbridge,
        lambda_invoke,
        parallel,
        s3_keys,
        sfn_parameters,
        sagemaker,
        sfn_callbacks,
        sfn_child_executions,
        sfn_distributed_map,
        sfn_clock,
        sfn_speed,
        sfn_variables,
        sns_signing,
    ):
        seam.check()
