"""The stack deployed into the embedded AWS is the one template.yaml describes."""

from __future__ import annotations

import json

from drift_retrain.settings.lambda_env import settings_environ
from drift_retrain_local.cloud.local_cloud import REPOSITORY_TEMPLATE, LocalCloud
from drift_retrain_local.stack.template import StackTemplate, load_template

ROOT = REPOSITORY_TEMPLATE.parent


def test_short_form_tags_become_long_form() -> None:
    document = load_template(REPOSITORY_TEMPLATE)
    function = document["Resources"]["DetectDriftFunction"]["Properties"]
    assert function["Environment"]["Variables"]["SETTINGS"] == {"Ref": "Settings"}
    assert document["Resources"]["Endpoint5xxAlarm"]["Properties"]["Threshold"] == {
        "Fn::GetAtt": ["ValidatedSettings", "Endpoint5xxThreshold"]
    }
    assert document["Resources"]["RetrainStateMachine"]["Properties"]["Role"] == {
        "Fn::GetAtt": ["RetrainStateMachineRole", "Arn"]
    }


def test_parameters_are_overridable_and_reach_the_functions() -> None:
    template = StackTemplate.from_file(REPOSITORY_TEMPLATE, parameters={"LabelColumn": "target"})
    environment = template.function("PrepareTrainingDataFunction").environment
    assert environment["LABEL_COLUMN"] == "target"


def test_settings_reach_the_functions_and_the_templates_other_resources() -> None:
    """A setting given to the local stack is the ``Settings`` JSON the functions read (``SETTINGS``, laid out
    as ``ALPHA``) and the validated value the alarms and the state machine read (``!GetAtt``)."""
    template = StackTemplate.from_file(
        REPOSITORY_TEMPLATE, settings={"alpha": 0.01, "endpoint_5xx_threshold": 9}
    )
    environment = template.function("DetectDriftFunction").environment
    assert json.loads(environment["SETTINGS"]) == {"alpha": 0.01, "endpoint_5xx_threshold": 9}
    assert settings_environ(environment)["ALPHA"] == "0.01"
    assert template.properties("Endpoint5xxAlarm")["Threshold"] == "9"
    assert template.settings["alpha"] == 0.01 and template.settings["max_rows"] == 500_000
    # Globals are merged under the function's own variables.
    assert environment["DATA_BUCKET"] == template.physical_name("DataBucket")
    assert environment["STATE_MACHINE_ARN"] == template.arn("RetrainStateMachine")


def test_a_second_stack_runs_beside_the_first(cloud: LocalCloud) -> None:
    """Two deployments in one account: their own names, functions and rules; the defaults derive the
    endpoint and the name prefix from each stack's id, so they differ."""
    second = cloud.add_stack("drift-retrain-second")
    first = cloud.stack
    assert cloud.stacks == [first, second]
    assert second.bucket != first.bucket and second.state_machine_arn != first.state_machine_arn
    assert second.endpoint_name != first.endpoint_name
    assert second.outputs["ModelNamePrefix"] != first.outputs["ModelNamePrefix"]
    for function in second.functions.values():
        assert cloud.lambdas.resolve(function.arn) is function
    assert {r.name for r in second.rules}.isdisjoint({r.name for r in first.rules})


def test_state_machine_definition_is_the_file_after_substitution(cloud: LocalCloud) -> None:
    template = cloud.stack.template
    text = (ROOT / "statemachine" / "retrain.asl.json").read_text()
    substitutions = template.properties("RetrainStateMachine")["DefinitionSubstitutions"]
    for name, value in substitutions.items():
        text = text.replace("${" + name + "}", str(value))
    described = cloud.client("stepfunctions").describe_state_machine(
        stateMachineArn=cloud.stack.state_machine_arn
    )
    assert described["definition"] == text
    assert "${" not in described["definition"]
    assert json.loads(described["definition"])["StartAt"]
    assert described["roleArn"] == template.get_att("RetrainStateMachineRole", "Arn")


def test_bucket_versioning_and_rule_pattern_are_the_templates(cloud: LocalCloud) -> None:
    s3 = cloud.client("s3")
    assert s3.get_bucket_versioning(Bucket=cloud.stack.bucket)["Status"] == "Enabled"
    (rule,) = [r for r in cloud.stack.rules if r.function == cloud.stack.function("DetectDriftFunction").name]
    described = cloud.client("events").describe_rule(Name=rule.name)
    template_pattern = cloud.stack.template.function("DetectDriftFunction").events["BatchArrived"][
        "Properties"
    ]
    assert json.loads(described["EventPattern"]) == template_pattern["Pattern"]
    (target,) = cloud.client("events").list_targets_by_rule(Rule=rule.name)["Targets"]
    assert target["Arn"] == cloud.stack.function("DetectDriftFunction").arn
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 4
    dead_letter_arn = cloud.stack.template.arn("BatchArrivedDeadLetterQueue")
    assert target["DeadLetterConfig"] == {"Arn": dead_letter_arn}
    sqs = cloud.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=dead_letter_arn.rsplit(":", 1)[1])["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]


def test_functions_are_registered_with_their_template_configuration(cloud: LocalCloud) -> None:
    function = cloud.stack.function("DetectDriftFunction")
    configuration = cloud.client("lambda").get_function_configuration(FunctionName=function.name)
    assert configuration["FunctionArn"] == function.arn
    assert configuration["MemorySize"] == 3008
    assert configuration["Timeout"] == 900
    assert configuration["Environment"]["Variables"] == function.environment
    assert [layer["Arn"] for layer in configuration["Layers"]] == list(function.layers)


def test_lock_table_topic_and_alarms_exist(cloud: LocalCloud) -> None:
    table = cloud.client("dynamodb").describe_table(TableName=cloud.stack.lock_table)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "LockId", "KeyType": "HASH"}]
    assert cloud.client("sns").get_topic_attributes(TopicArn=cloud.stack.topic_arn)["Attributes"]
    alarm_names = {a["AlarmName"] for a in cloud.client("cloudwatch").describe_alarms()["MetricAlarms"]}
    assert f"{cloud.stack.template.stack_name}-endpoint-5xx" in alarm_names
    assert set(cloud.stack.skipped) == {
        "NotificationTopicPolicy",
        "NotificationEmailSubscription",
        "Dashboard",
        "DataBucketPolicy.DenyInsecureTransport",
        "DataBucketPolicy.OnlyTheStackWritesItsRecords",
        "NotificationKey",
        # SageMakerKmsKeyArn's and SageMakerSubnetIds' policies (AWS::IAM::RolePolicy, off by default)
        "SageMakerKeyPolicy",
        "TrainAndScoreStateMachineKeyPolicy",
        "DeployStateMachineKeyPolicy",
        "EvaluateCandidateKeyPolicy",
        "PromoteModelKeyPolicy",
        "SageMakerVpcPolicy",
        # EnableDataCapture's (on by default): the local cloud deploys no AWS::IAM::RolePolicy
        "SageMakerCapturePolicy",
    }
