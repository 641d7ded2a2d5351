"""Deploy the template's stack into the embedded AWS (moto), resource by resource.

What is created comes from ``template.yaml`` through :class:`~drift_retrain_local.stack.template.StackTemplate`:
the data bucket (versioning, encryption, lifecycle, EventBridge notifications), the lock table, the topic,
the IAM roles, the queues, the layer and the functions (registered in moto with a placeholder zip so their
ARNs exist, with their ``EventInvokeConfig``; their code runs in-process, see :mod:`drift_retrain_local.cloud.lambdas`), the EventBridge rules of the functions' ``EventBridgeRule``
events (with the dead-letter queue SAM would create), the state machine with its ``DefinitionSubstitutions``,
the log groups and the alarms. Resource types the local cloud has no use for are listed in
``DeployedStack.skipped`` instead of silently ignored.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from drift_retrain_local.exceptions import DeployError
from drift_retrain_local.stack.buckets import create_bucket, put_bucket_policy
from drift_retrain_local.stack.queues import create_queue, put_event_invoke_config, put_queue_policy
from drift_retrain_local.stack.template import FunctionSpec, StackTemplate
from drift_retrain_local.stack.template_rules import check_rules

__all__ = ["DeployedRule", "DeployedStack", "deploy_stack"]

_LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
_DEPLOYED_TYPES = {
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::DynamoDB::Table",
    "AWS::SNS::Topic",
    "AWS::SNS::Subscription",
    "AWS::IAM::Role",
    "AWS::Serverless::LayerVersion",
    "AWS::Serverless::Function",
    "AWS::Serverless::StateMachine",
    "AWS::Logs::LogGroup",
    "AWS::CloudWatch::Alarm",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
}


@dataclass(frozen=True)
class DeployedRule:
    """An EventBridge rule SAM makes from a function's ``EventBridgeRule`` event."""

    name: str
    arn: str
    pattern: dict[str, Any]
    function: str
    target_id: str
    dead_letter_queue_url: str | None
    #: ``rate(...)`` / ``cron(...)`` of a SAM ``Schedule`` event (its rule has no pattern); fired only by
    #: :meth:`drift_retrain_local.cloud.events.EventRouter.tick`.
    schedule: str | None = None


#: The logical ID of the state machine a batch's retrain decision starts.
RETRAIN_STATE_MACHINE = "RetrainStateMachine"


@dataclass
class DeployedStack:
    """The physical resources of the local stack."""

    template: StackTemplate
    bucket: str
    lock_table: str
    topic_arn: str
    #: The retrain workflow's state machine (``RETRAIN_STATE_MACHINE``), the one a batch starts.
    state_machine_arn: str
    functions: dict[str, FunctionSpec]
    rules: list[DeployedRule]
    skipped: dict[str, str] = field(default_factory=dict)
    #: The template's queues: logical ID -> URL.
    queues: dict[str, str] = field(default_factory=dict)
    #: The template's Outputs as this stack resolves them (e.g. ``EndpointName``, derived when left empty).
    outputs: dict[str, str] = field(default_factory=dict)
    #: Every state machine of the template: logical ID -> ARN (the retrain one included).
    state_machines: dict[str, str] = field(default_factory=dict)

    @property
    def endpoint_name(self) -> str:
        """The endpoint this stack retrains (the EndpointName parameter, or derived from the stack id)."""
        return self.outputs["EndpointName"]

    def function(self, logical_id: str) -> FunctionSpec:
        for function in self.functions.values():
            if function.logical_id == logical_id:
                return function
        raise KeyError(logical_id)


def _placeholder_zip(handler: str) -> bytes:
    """A tiny deployment package: the code really runs in-process, this only makes the function exist."""
    module = handler.rpartition(".")[0].replace(".", "/") or "app"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            f"{module}.py",
            "# Placeholder: the local cloud runs the real handler in-process (drift_retrain_local.cloud.lambdas).\n",
        )
    return buffer.getvalue()


class _Deployer:
    def __init__(self, template: StackTemplate, session: Any) -> None:
        self.t = template
        self.session = session
        self._clients: dict[str, Any] = {}
        self.skipped: dict[str, str] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, region_name=self.t.region)
        return self._clients[service]

    # ---------------------------------------------------------------------------------------------- storage
    def bucket(self, logical_id: str) -> str:
        name = self.t.physical_name(logical_id)
        create_bucket(self.client("s3"), name, self.t.region, logical_id, self.t.properties(logical_id))
        return name

    def bucket_policy(self, logical_id: str) -> None:
        p = self.t.properties(logical_id)
        skipped = put_bucket_policy(self.client("s3"), p["Bucket"], p["PolicyDocument"])
        for sid in skipped:
            self.skipped[f"{logical_id}.{sid}"] = (
                "a deny moto cannot evaluate (requests without TLS: the embedded AWS is plain HTTP on "
                "loopback; a condition on the caller's principal: moto has no request context)"
            )

    def table(self, logical_id: str) -> str:
        name = self.t.physical_name(logical_id)
        p = self.t.properties(logical_id)
        kwargs: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": p["AttributeDefinitions"],
            "KeySchema": p["KeySchema"],
            "BillingMode": p.get("BillingMode", "PROVISIONED"),
        }
        if "ProvisionedThroughput" in p:
            kwargs["ProvisionedThroughput"] = p["ProvisionedThroughput"]
        self.client("dynamodb").create_table(**kwargs)
        return name

    def topic(self, logical_id: str) -> str:
        p = self.t.properties(logical_id)
        attributes = {"DisplayName": p["DisplayName"]} if "DisplayName" in p else {}
        arn = self.client("sns").create_topic(Name=self.t.physical_name(logical_id), Attributes=attributes)[
            "TopicArn"
        ]
        if arn != self.t.arn(logical_id):
            raise DeployError(
                f"{logical_id}: moto named the topic {arn}, the template resolves {self.t.arn(logical_id)}"
            )
        return arn

    def subscription(self, logical_id: str) -> None:
        p = self.t.properties(logical_id)
        self.client("sns").subscribe(TopicArn=p["TopicArn"], Protocol=p["Protocol"], Endpoint=p["Endpoint"])

    # -------------------------------------------------------------------------------------------------- IAM
    def role(self, logical_id: str) -> None:
        p = self.t.properties(logical_id)
        iam = self.client("iam")
        name = self.t.physical_name(logical_id)
        iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(p["AssumeRolePolicyDocument"]),
            Description=p.get("Description", ""),
        )
        for policy in p.get("Policies", []):
            iam.put_role_policy(
                RoleName=name,
                PolicyName=policy["PolicyName"],
                PolicyDocument=json.dumps(policy["PolicyDocument"]),
            )

    def function_role(self, function: FunctionSpec) -> str:
        """The execution role SAM generates for a function (``<Function>Role``) with its inline policies."""
        iam = self.client("iam")
        name = f"{self.t.stack_name}-{function.logical_id}Role"
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(_LAMBDA_TRUST))["Role"]
        policies = self.t.properties(function.logical_id).get("Policies") or []
        for index, policy in enumerate(policies):
            if isinstance(policy, dict) and "Statement" in policy:
                document = {"Version": "2012-10-17", **policy}
                iam.put_role_policy(
                    RoleName=name,
                    PolicyName=f"{function.logical_id}RolePolicy{index}",
                    PolicyDocument=json.dumps(document),
                )
        return role["Arn"]

    # ------------------------------------------------------------------------------------------------ code
    def layer(self, logical_id: str) -> None:
        p = self.t.properties(logical_id)
        response = self.client("lambda").publish_layer_version(
            LayerName=self.t.physical_name(logical_id),
            Description=p.get("Description", ""),
            Content={"ZipFile": _placeholder_zip("python.placeholder")},
            CompatibleRuntimes=p.get("CompatibleRuntimes", []),
        )
        if response["LayerVersionArn"] != self.t.arn(logical_id):
            raise DeployError(
                f"{logical_id}: moto published {response['LayerVersionArn']}, the template resolves "
                f"{self.t.arn(logical_id)} (was the embedded AWS reset?)"
            )

    def function(self, function: FunctionSpec) -> None:
        role_arn = self.function_role(function)
        self.client("lambda").create_function(
            FunctionName=function.name,
            Runtime=function.runtime,
            Role=role_arn,
            Handler=function.handler,
            Code={"ZipFile": _placeholder_zip(function.handler)},
            Timeout=function.timeout_s,
            MemorySize=function.memory_mb,
            Environment={"Variables": function.environment},
            Layers=list(function.layers),
            Description=self.t.properties(function.logical_id).get("Description", ""),
        )

    def rules(self, function: FunctionSpec) -> list[DeployedRule]:
        deployed = []
        for event_name, event in function.events.items():
            if event.get("Type") == "Schedule":
                deployed.append(self.schedule_rule(function, event_name, event.get("Properties") or {}))
                continue
            if event.get("Type") != "EventBridgeRule":
                self.skipped[f"{function.logical_id}.Events.{event_name}"] = f"event type {event.get('Type')}"
                continue
            p = event.get("Properties") or {}
            rule_name = p.get("RuleName") or f"{self.t.stack_name}-{function.logical_id}{event_name}"
            events = self.client("events")
            rule_arn = events.put_rule(
                Name=rule_name,
                EventPattern=json.dumps(p["Pattern"]),
                State=p.get("State", "ENABLED"),
                EventBusName=p.get("EventBusName", "default"),
            )["RuleArn"]
            target: dict[str, Any] = {
                "Id": p.get("Target", {}).get("Id", f"{function.logical_id}{event_name}LambdaTarget"),
                "Arn": function.arn,
            }
            if "RetryPolicy" in p:
                target["RetryPolicy"] = p["RetryPolicy"]
            queue_url = None
            dead_letter = p.get("DeadLetterConfig")
            if dead_letter:
                if "Arn" in dead_letter:
                    target["DeadLetterConfig"] = {"Arn": dead_letter["Arn"]}
                else:
                    sqs = self.client("sqs")
                    queue_url = sqs.create_queue(
                        QueueName=f"{self.t.stack_name}-{function.logical_id}{event_name}Queue"
                    )["QueueUrl"]
                    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
                        "Attributes"
                    ]["QueueArn"]
                    target["DeadLetterConfig"] = {"Arn": queue_arn}
            events.put_targets(
                Rule=rule_name, EventBusName=p.get("EventBusName", "default"), Targets=[target]
            )
            self.client("lambda").add_permission(
                FunctionName=function.name,
                StatementId=f"{event_name}Permission",
                Action="lambda:InvokeFunction",
                Principal="events.amazonaws.com",
                SourceArn=rule_arn,
            )
            deployed.append(
                DeployedRule(rule_name, rule_arn, p["Pattern"], function.name, target["Id"], queue_url)
            )
        return deployed

    def schedule_rule(self, function: FunctionSpec, event_name: str, p: dict[str, Any]) -> DeployedRule:
        """The rule SAM makes from a function's ``Schedule`` event: a ``ScheduleExpression`` rule whose
        target is the function (with the event's ``Input`` when given)."""
        events = self.client("events")
        rule_name = p.get("Name") or f"{self.t.stack_name}-{function.logical_id}{event_name}"
        enabled = p.get("Enabled", True) and p.get("State", "ENABLED") == "ENABLED"
        rule_arn = events.put_rule(
            Name=rule_name,
            ScheduleExpression=str(p["Schedule"]),
            State="ENABLED" if enabled else "DISABLED",
        )["RuleArn"]
        target: dict[str, Any] = {"Id": f"{function.logical_id}{event_name}LambdaTarget", "Arn": function.arn}
        if "Input" in p:
            target["Input"] = p["Input"]
        events.put_targets(Rule=rule_name, Targets=[target])
        self.client("lambda").add_permission(
            FunctionName=function.name,
            StatementId=f"{event_name}Permission",
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn=rule_arn,
        )
        return DeployedRule(rule_name, rule_arn, {}, function.name, target["Id"], None, str(p["Schedule"]))

    # -------------------------------------------------------------------------------------------- workflow
    def state_machine(self, logical_id: str) -> str:
        p = self.t.properties(logical_id)
        kwargs: dict[str, Any] = {
            "name": self.t.physical_name(logical_id),
            "definition": self.t.state_machine_definition(logical_id),
            "roleArn": p["Role"],
            "type": p.get("Type", "STANDARD"),
        }
        if "Tracing" in p:
            kwargs["tracingConfiguration"] = {"enabled": bool(p["Tracing"].get("Enabled"))}
        arn = self.client("stepfunctions").create_state_machine(**kwargs)["stateMachineArn"]
        if arn != self.t.arn(logical_id):
            raise DeployError(
                f"{logical_id}: moto created {arn}, the template resolves {self.t.arn(logical_id)}"
            )
        return arn

    # ------------------------------------------------------------------------------------------ monitoring
    def log_group(self, logical_id: str) -> None:
        p = self.t.properties(logical_id)
        logs = self.client("logs")
        logs.create_log_group(logGroupName=p["LogGroupName"])
        if "RetentionInDays" in p:
            logs.put_retention_policy(
                logGroupName=p["LogGroupName"], retentionInDays=int(p["RetentionInDays"])
            )

    def alarm(self, logical_id: str) -> None:
        p = dict(self.t.properties(logical_id))
        numbers = {"Period", "EvaluationPeriods", "DatapointsToAlarm"}
        kwargs = {key: (int(value) if key in numbers else value) for key, value in p.items()}
        if "Threshold" in kwargs:
            kwargs["Threshold"] = float(kwargs["Threshold"])
        for metric in kwargs.get("Metrics", []):
            if "MetricStat" in metric:
                metric["MetricStat"]["Period"] = int(metric["MetricStat"]["Period"])
        self.client("cloudwatch").put_metric_alarm(**kwargs)


def deploy_stack(template: StackTemplate, session: Any) -> DeployedStack:
    """Create the template's resources in the embedded AWS.

    Parameters
    ----------
    template : StackTemplate
        The resolved template (stack name, region, parameters).
    session : boto3.Session
        A session whose clients reach the embedded AWS (``EmbeddedAws.session``).

    Returns
    -------
    DeployedStack
        Physical names and ARNs, the functions and rules, and what was skipped and why.
    """
    check_rules(template)  # as CloudFormation does before it creates anything
    d = _Deployer(template, session)
    t = template
    for logical_id, resource in t.resources.items():
        if resource["Type"].startswith("Custom::"):
            t.custom_attributes(logical_id)  # a FAILED answer fails the deploy here (DeployError)

    def only(kind: str) -> str:
        ids = t.resources_of_type(kind)
        if len(ids) != 1:
            raise DeployError(f"the local cloud expects exactly one {kind}, the template has {ids}")
        return ids[0]

    try:
        for logical_id in t.resources_of_type("AWS::IAM::Role"):
            d.role(logical_id)
        bucket = d.bucket(only("AWS::S3::Bucket"))
        for logical_id in t.resources_of_type("AWS::S3::BucketPolicy"):
            d.bucket_policy(logical_id)
        lock_table = d.table(only("AWS::DynamoDB::Table"))
        topic_arn = d.topic(only("AWS::SNS::Topic"))
        for logical_id in t.resources_of_type("AWS::SNS::Subscription"):
            d.subscription(logical_id)
        for logical_id in t.resources_of_type("AWS::Serverless::LayerVersion"):
            d.layer(logical_id)
        queues = {
            logical_id: create_queue(d.client("sqs"), t.physical_name(logical_id), t.properties(logical_id))
            for logical_id in t.resources_of_type("AWS::SQS::Queue")
        }
        for logical_id in t.resources_of_type("AWS::SQS::QueuePolicy"):
            put_queue_policy(d.client("sqs"), t.properties(logical_id))
        functions = t.functions()
        for function in functions:
            d.function(function)
            put_event_invoke_config(d.client("lambda"), function)
        for logical_id in t.resources_of_type("AWS::Logs::LogGroup"):
            d.log_group(logical_id)
        state_machines = {
            logical_id: d.state_machine(logical_id)
            for logical_id in t.resources_of_type("AWS::Serverless::StateMachine")
        }
        if RETRAIN_STATE_MACHINE not in state_machines:
            raise DeployError(
                f"the local cloud expects the state machine {RETRAIN_STATE_MACHINE}, "
                f"the template has {sorted(state_machines)}"
            )
        rules = [rule for function in functions for rule in d.rules(function)]
        for logical_id in t.resources_of_type("AWS::CloudWatch::Alarm"):
            d.alarm(logical_id)
    except ClientError as error:
        raise DeployError(f"deploying the local stack failed: {error}") from error
    for logical_id, resource in t.resources.items():
        if resource["Type"].startswith("Custom::"):
            continue  # answered above
        if resource["Type"] not in _DEPLOYED_TYPES:
            d.skipped[logical_id] = f"{resource['Type']} is not deployed locally"
        elif "Condition" in resource and not t.condition(resource["Condition"]):
            d.skipped[logical_id] = f"condition {resource['Condition']} is false"
    return DeployedStack(
        template=t,
        bucket=bucket,
        lock_table=lock_table,
        topic_arn=topic_arn,
        state_machine_arn=state_machines[RETRAIN_STATE_MACHINE],
        state_machines=state_machines,
        functions={function.name: function for function in functions},
        rules=rules,
        skipped=d.skipped,
        queues=queues,
        outputs={
            name: str(t.resolve(output["Value"]))
            for name, output in (t.document.get("Outputs") or {}).items()
        },
    )
