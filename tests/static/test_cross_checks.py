"""Template <-> definition cross-checks (the definition's shape rules are in test_definition_shape.py).

- every ``${...}`` in the definition has a DefinitionSubstitutions entry, and vice versa;
- every Lambda the definition calls is a function of the template whose handler exists;
- each state machine of the workflow (the workflow and each phase it starts as a child state machine) uses
  its own role, which grants exactly the SageMaker, DynamoDB and Step Functions actions its own states need;
- no IAM Allow statement uses ``*`` where a resource can be named;
- DetectDrift gets exactly its contract; the bucket is encrypted, versioned, private and TLS-only.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from drift_retrain.settings.schema import SETTINGS

from .conftest import PLACEHOLDER, ROOT, iter_states, resolve, source_name

# Actions that accept no resource ARN (AWS service authorization reference); "*" is unavoidable for them.
UNSCOPABLE_ACTIONS = {
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "sagemaker:ListEndpointConfigs",
    "sagemaker:ListModels",
    "sagemaker:ListModelPackages",
    "cloudwatch:PutMetricData",
    "ecr:GetAuthorizationToken",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    # The task token is the authorization (Service Authorization Reference: no resource types).
    "states:SendTaskSuccess",
    "states:SendTaskHeartbeat",
}

# ListTags: AWS's policies for these .sync integrations grant it (docs/aws-notes.md, finding 2).
_SYNC_COMPANIONS = {
    "createTrainingJob": {"DescribeTrainingJob", "StopTrainingJob", "ListTags"},
    "createTransformJob": {"DescribeTransformJob", "StopTransformJob", "ListTags"},
    "createHyperParameterTuningJob": {
        "DescribeHyperParameterTuningJob",
        "StopHyperParameterTuningJob",
        "ListTags",
    },
    "createProcessingJob": {"DescribeProcessingJob", "StopProcessingJob"},
}
_SYNC_RULES = {
    "createTrainingJob": "StepFunctionsGetEventsForSageMakerTrainingJobsRule",
    "createTransformJob": "StepFunctionsGetEventsForSageMakerTransformJobsRule",
    "createHyperParameterTuningJob": "StepFunctionsGetEventsForSageMakerTuningJobsRule",
}
#: The SageMaker calls that pass the execution role (iam:PassRole).
_PASSES_THE_ROLE = {"createTrainingJob", "createHyperParameterTuningJob", "createModel"}
_RESOURCE = re.compile(
    r"^arn:aws:states:::(?:(?P<sdk>aws-sdk):)?(?P<service>[a-zA-Z0-9-]+):(?P<api>[a-zA-Z0-9]+)"
    r"(?:(?P<sync>\.sync(?::2)?)|\.waitForTaskToken)?$"
)


def _tasks(definition: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(n, s) for n, s in iter_states(definition["States"]) if s["Type"] == "Task"]


def _integrations(definition: dict[str, Any]) -> list[tuple[str, str, bool, dict[str, Any]]]:
    found = []
    for name, state in _tasks(definition):
        match = _RESOURCE.match(state["Resource"])
        assert match, f"{name}: unexpected resource {state['Resource']}"
        found.append((match["service"], match["api"], bool(match["sync"]), state))
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Logical id -> IAM statements, from IAM roles and SAM function policies."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                found[logical_id] += policy["PolicyDocument"]["Statement"]
        elif resource["Type"] == "AWS::Serverless::Function":
            for policy in _as_list(properties.get("Policies", [])):
                assert isinstance(policy, dict) and "Statement" in policy, (
                    f"{logical_id}: use inline statements (SAM policy templates and managed policies hide their grants)"
                )
                found[logical_id] += policy["Statement"]
        elif resource["Type"] == "AWS::IAM::RolePolicy":
            # A policy only some parameters add (SageMakerKmsKeyArn, SageMakerSubnetIds), on the role it names.
            found[properties["RoleName"]["Ref"]] += properties["PolicyDocument"]["Statement"]
    return found


def _granted(statements: list[dict[str, Any]], prefix: str) -> set[str]:
    actions = set()
    for statement in statements:
        if statement["Effect"] == "Allow":
            actions |= {
                a.split(":", 1)[1] for a in _as_list(statement["Action"]) if a.startswith(prefix + ":")
            }
    return actions


def _resources(statement: dict[str, Any], template: dict[str, Any]) -> list[str]:
    return [resolve(r, template) for r in _as_list(statement["Resource"])]


# ------------------------------------------------------------------------------------------ substitutions
def test_every_placeholder_has_a_substitution_and_vice_versa(machines):
    for logical_id, machine in machines.items():
        used = set(PLACEHOLDER.findall(machine["text"]))
        declared = set(machine["properties"].get("DefinitionSubstitutions", {}))
        assert used - declared == set(), f"{logical_id}: placeholders without a DefinitionSubstitutions entry"
        assert declared - used == set(), f"{logical_id}: DefinitionSubstitutions entries it never uses"


def test_numeric_and_boolean_settings_are_typed_from_parameters(definition, specs, state_machine):
    """Substituted numbers go through States.StringToJson: the parameter or setting must be a Number (or a
    true/false String)."""

    def typed(settings: dict[str, Any]) -> None:
        for key, value in settings.items():
            if isinstance(value, dict):  # an object of settings (data_capture)
                typed(value)
                continue
            pattern = r"States\.StringToJson\('\$\{(\w+)\}'\)"
            match = re.fullmatch(pattern, value) if key.endswith(".$") else None
            if match:
                spec = specs[source_name(state_machine["DefinitionSubstitutions"][match.group(1)])]
                boolean = spec["Type"] == "String" and set(spec.get("AllowedValues", [])) == {"true", "false"}
                assert spec["Type"] == "Number" or boolean, key

    typed(definition["States"]["Load settings"]["Parameters"])


# ------------------------------------------------------------------------------------------------ lambdas
def test_every_lambda_the_definition_calls_exists_with_its_handler(machines, template):
    every = set()
    for machine_id, machine in machines.items():
        substitutions = machine["properties"].get("DefinitionSubstitutions", {})
        called = set()
        for service, _api, _sync, state in _integrations(machine["definition"]):
            if service != "lambda":
                continue
            name = PLACEHOLDER.fullmatch(state["Parameters"]["FunctionName"])
            assert name, "FunctionName must come from DefinitionSubstitutions"
            logical_id = substitutions[name.group(1)]["Fn::GetAtt"][0]
            called.add(logical_id)
            function = template["Resources"][logical_id]
            assert function["Type"] == "AWS::Serverless::Function"
            module, handler = function["Properties"]["Handler"].split(".")
            source = ROOT / function["Properties"]["CodeUri"] / f"{module}.py"
            tree = ast.parse(source.read_text())
            assert handler in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}, source
        role = _statements(template)[f"{machine_id}Role"]
        invoke = [s for s in role if "lambda:InvokeFunction" in _as_list(s["Action"])]
        granted = {r["Fn::GetAtt"][0] for s in invoke for r in _as_list(s["Resource"])}
        assert granted == called, machine_id
        every |= called
    assert every == {
        "PrepareTrainingDataFunction",
        "EvaluateCandidateFunction",
        "PromoteModelFunction",
        "NotifyFunction",
        "AbTestFunction",
    }


def test_every_state_machine_uses_its_own_role(machines):
    for logical_id, machine in machines.items():
        assert machine["properties"]["Role"] == {"Fn::GetAtt": [f"{logical_id}Role", "Arn"]}
        assert "Policies" not in machine["properties"]


# --------------------------------------------------------------------------------------------------- IAM
def test_sagemaker_actions_granted_are_exactly_those_the_definition_needs(machines, template):
    for logical_id, machine in machines.items():
        needed: set[str] = set()
        tags = False
        for service, api, sync, state in _integrations(machine["definition"]):
            if service != "sagemaker":
                continue
            needed.add(api[0].upper() + api[1:])
            if sync:
                needed |= _SYNC_COMPANIONS[api]
            tags = tags or "Tags" in state["Parameters"]
        if tags:
            needed.add("AddTags")
        granted = _granted(_statements(template)[f"{logical_id}Role"], "sagemaker")
        assert granted == needed, logical_id


def test_sync_integrations_have_their_event_rules_and_pass_role(machines, template):
    for logical_id, machine in machines.items():
        role = _statements(template)[f"{logical_id}Role"]
        integrations = _integrations(machine["definition"])
        sync_apis = {api for service, api, sync, _ in integrations if service == "sagemaker" and sync}
        rules = {
            resource.rsplit("/", 1)[1]
            for statement in role
            if "events:PutRule" in _as_list(statement["Action"])
            for resource in _resources(statement, template)
        }
        expected = {_SYNC_RULES[api] for api in sync_apis}
        if any(service == "states" for service, _, _, _ in integrations):  # startExecution.sync:2
            expected.add("StepFunctionsGetEventsForStepFunctionsExecutionRule")
        assert rules == expected, logical_id
        pass_role = [s for s in role if "iam:PassRole" in _as_list(s["Action"])]
        passing = {api for service, api, _, _ in integrations if service == "sagemaker"} & _PASSES_THE_ROLE
        if not passing:
            assert pass_role == [], logical_id
            continue
        assert len(pass_role) == 1, logical_id
        assert pass_role[0]["Resource"] == {"Fn::GetAtt": ["SageMakerExecutionRole", "Arn"]}
        assert pass_role[0]["Condition"]["StringEquals"]["iam:PassedToService"] == "sagemaker.amazonaws.com"


def test_dynamodb_and_sfn_actions_match_the_definition(machines, template):
    for logical_id, machine in machines.items():
        role = _statements(template)[f"{logical_id}Role"]
        integrations = _integrations(machine["definition"])
        dynamodb = {api[0].upper() + api[1:] for s, api, _, _ in integrations if s == "dynamodb"}
        assert _granted(role, "dynamodb") == dynamodb, logical_id
        sfn = {api[0].upper() + api[1:] for s, api, _, _ in integrations if s == "sfn"}
        if any(s == "states" for s, _, _, _ in integrations):  # a child state machine: start, watch, stop
            sfn |= {"StartExecution", "DescribeExecution", "StopExecution"}
        assert _granted(role, "states") == sfn, logical_id


def test_the_workflow_starts_and_watches_only_its_own_phases(machines, template):
    """states:StartExecution on each child state machine the workflow starts, Describe and Stop on their
    executions only; a phase starts nothing."""
    role = _statements(template)["RetrainStateMachineRole"]
    children = sorted(logical_id for logical_id in machines if logical_id != "RetrainStateMachine")
    names = sorted(resolve(template["Resources"][c]["Properties"]["Name"], template) for c in children)
    started = [
        r for s in role if "states:StartExecution" in _as_list(s["Action"]) for r in _resources(s, template)
    ]
    assert sorted(r.rsplit(":", 1)[1] for r in started) == names
    watched = [
        r for s in role if "states:StopExecution" in _as_list(s["Action"]) for r in _resources(s, template)
    ]
    assert sorted(watched) == [f"arn:aws:states:us-east-1:123456789012:execution:{n}:*" for n in names]
    for child in children:  # a phase starts no execution (the lock reads its holder's status only)
        assert _granted(_statements(template)[f"{child}Role"], "states") <= {"DescribeExecution"}, child


def test_no_iam_statement_uses_a_wildcard_where_a_resource_can_be_named(template):
    offenders = []
    for logical_id, statements in _statements(template).items():
        for statement in statements:
            if statement["Effect"] != "Allow":
                continue
            actions = set(_as_list(statement["Action"]))
            assert not any(a.endswith("*") for a in actions), f"{logical_id}: wildcard action in {actions}"
            for resource in _resources(statement, template):
                account_wide = re.fullmatch(r"arn:aws:[a-z0-9-]+:[a-z0-9-]*:\d*:\*", resource)
                if (resource == "*" or account_wide) and not actions <= UNSCOPABLE_ACTIONS:
                    offenders.append((logical_id, statement.get("Sid"), sorted(actions - UNSCOPABLE_ACTIONS)))
    assert offenders == []


def test_detect_drift_gets_exactly_its_contract(template):
    statements = _statements(template)["DetectDriftFunction"]
    by_action = defaultdict(set)
    for statement in statements:
        for action in _as_list(statement["Action"]):
            by_action[action] |= set(_resources(statement, template))
    bucket = "arn:aws:s3:::drift-retrain-databucket"
    assert by_action["s3:GetObject"] == {
        f"{bucket}/incoming/*",
        f"{bucket}/baseline/*",
        f"{bucket}/reports/drift/*",
        f"{bucket}/reports/challenger/*",  # the challenger's counters, read-modify-write
        f"{bucket}/ab/*",
        f"{bucket}/monitor/windows/*",  # the capture monitor's window batches
        f"{bucket}/monitor/labelled/*",
    }
    assert by_action["s3:PutObject"] == {
        f"{bucket}/quarantine/*",
        f"{bucket}/reports/drift/*",
        f"{bucket}/reports/recovery/*",
        f"{bucket}/reports/challenger/*",
        f"{bucket}/ab/*",
        f"{bucket}/partition-checks/*",  # a large partition's part list, the Distributed Map's items
    }
    endpoint = resolve(template["Outputs"]["EndpointName"]["Value"])
    assert endpoint.startswith("drift-retrain-")  # EndpointName left empty: derived from the stack id
    # The A/B test's token, read from the record: no resource-level permission exists for these.
    assert by_action["states:SendTaskSuccess"] == by_action["states:SendTaskHeartbeat"] == {"*"}
    assert (
        by_action["sagemaker:InvokeEndpoint"]
        == by_action["sagemaker:DescribeEndpoint"]
        == {f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{endpoint}"}
    )
    assert by_action["states:DescribeExecution"] == {
        "arn:aws:states:us-east-1:123456789012:execution:drift-retrain-retrain:*",
        "arn:aws:states:us-east-1:123456789012:execution:drift-retrain-check-partition:*",
    }
    assert by_action["states:StartExecution"] == {
        "arn:aws:states:us-east-1:123456789012:stateMachine:drift-retrain-retrain",
        "arn:aws:states:us-east-1:123456789012:stateMachine:drift-retrain-check-partition",
    }
    assert by_action["sns:Publish"] == {"arn:aws:sns:us-east-1:123456789012:drift-retrain-NotificationTopic"}
    env = template["Resources"]["DetectDriftFunction"]["Properties"]["Environment"]["Variables"]
    assert env["SETTINGS"] == {"Ref": "Settings"}  # the rest of its settings come from there
    from_settings = {setting.env_name for setting in SETTINGS if setting.env}
    expected = {
        "PROFILE_KEY", "ENDPOINT_NAME", "STATE_MACHINE_ARN", "TOPIC_ARN", "ALPHA", "PSI_FLOOR", "CONCEPT_MARGIN",
        "MIN_LABELLED_ROWS", "FEATURE_DRIFT_SHARE", "IMPORTANT_FEATURES", "MAX_ROWS", "MAX_PREDICTION_ROWS",
        "POWERTOOLS_SERVICE_NAME", "PARTITION_CHECK_STATE_MACHINE_ARN", "SINGLE_CHECK_MAX_BYTES",
        "CHALLENGER_EVERY_BATCHES", "CHALLENGER_MAX_JOBS_PER_DAY", "CANDIDATE_STRATEGIES", "ALGORITHMS",
    }  # fmt: skip
    globals_env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert expected <= set(env) | from_settings
    assert {"DATA_BUCKET", "POWERTOOLS_METRICS_NAMESPACE"} <= set(globals_env)


def test_no_function_sets_a_variable_a_setting_carries(template):
    """A variable set on the function would win over its setting in ``SETTINGS``: the setting would be dead."""
    from_settings = {setting.env_name for setting in SETTINGS if setting.env} | {"HYPERPARAMETERS"}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            variables = set(resource["Properties"].get("Environment", {}).get("Variables", {}))
            assert variables & from_settings == set(), logical_id


def test_bucket_is_encrypted_versioned_private_tls_only_and_expires_temporary_prefixes(template):
    bucket = template["Resources"]["DataBucket"]["Properties"]
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"] is True
    expiring = {r.get("Prefix") for r in bucket["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in r}
    assert {"training/", "transforms/", "checkpoints/"} <= expiring
    policy = template["Resources"]["DataBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false" for s in policy
    )


def test_rollback_alarms_in_the_definition_are_the_templates_alarms(machines):
    deploy = machines["DeployStateMachine"]
    update = deploy["definition"]["States"]["Shift traffic to candidate with blue/green update"]["Parameters"]
    alarms = update["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    names = {PLACEHOLDER.fullmatch(a["AlarmName"]).group(1) for a in alarms}
    refs = {deploy["properties"]["DefinitionSubstitutions"][n]["Ref"] for n in names}
    assert refs == {"Endpoint5xxAlarm", "EndpointLatencyAlarm"}


# ---------------------------------------------------------------------------------------- workflow shape
def test_function_folders_have_empty_requirements(template):
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            code = ROOT / resource["Properties"]["CodeUri"]
            requirements = code / "requirements.txt"
            if requirements.exists():
                lines = [
                    line
                    for line in requirements.read_text().splitlines()
                    if line.strip() and not line.startswith("#")
                ]
                assert lines == [], f"{requirements}: dependencies come from the drift_core layer"


def test_every_workflow_function_has_a_sample_event(template):
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function" and logical_id != "DetectDriftFunction":
            folder = Path(resource["Properties"]["CodeUri"]).name
            assert (ROOT / "events" / f"{folder}.json").exists(), folder


def test_layer_build_target_matches_the_template(template):
    layers = {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::LayerVersion"}
    assert list(layers) == ["DriftCoreLayer"]
    layer = layers["DriftCoreLayer"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    makefile = (ROOT / layer["Properties"]["ContentUri"] / "Makefile").read_text()
    assert re.search(r"^build-DriftCoreLayer:", makefile, re.MULTILINE)
    assert template["Globals"]["Function"]["Layers"] == [{"Ref": "DriftCoreLayer"}]
    assert layer["Properties"]["CompatibleRuntimes"] == [template["Globals"]["Function"]["Runtime"]]
