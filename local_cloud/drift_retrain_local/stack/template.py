"""Read ``template.yaml`` and resolve it for the local stack.

The local cloud is derived from the SAM template itself, never from a second description of the stack.
This module knows CloudFormation's short-form YAML tags, the intrinsic functions the template uses and the
physical names the local stack gives its resources. It does not talk to AWS: :mod:`.deploy` deploys what
this module resolves.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from drift_retrain.exceptions import ConfigError
from drift_retrain.settings.values import parse_settings, settings_json
from drift_retrain_local.exceptions import TemplateError
from drift_retrain_local.stack.custom_resources import create_custom_resource
from drift_retrain_local.stack.function_spec import FunctionSpec
from drift_retrain_local.stack.template_yaml import load_template

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_REGION",
    "DEFAULT_STACK_NAME",
    "FunctionSpec",
    "StackTemplate",
    "load_template",
]

DEFAULT_STACK_NAME = "drift-retrain-local"
DEFAULT_REGION = "us-east-1"
#: moto's account for any access key it does not know.
DEFAULT_ACCOUNT_ID = "123456789012"

#: Marker for ``AWS::NoValue``: the property is removed.
_NO_VALUE = object()


# Resource types whose Ref is the ARN (the rest: the physical name).
_REF_IS_ARN = {"AWS::SNS::Topic", "AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"}
_REF_IS_LAYER_VERSION = {"AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"}
# The property that names a resource, per type.
_NAME_PROPERTY = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Serverless::LayerVersion": "LayerName",
    "AWS::Lambda::LayerVersion": "LayerName",
    "AWS::Serverless::StateMachine": "Name",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::CloudWatch::Dashboard": "DashboardName",
    "AWS::Events::Rule": "Name",
    "AWS::SQS::Queue": "QueueName",
}
#: The template parameter that carries the settings' JSON.
SETTINGS_PARAMETER = "Settings"
_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


class StackTemplate:
    """The template resolved for one local stack.

    Parameters
    ----------
    document : dict
        The parsed template (:func:`load_template`).
    root : Path
        Directory that ``CodeUri``, ``ContentUri`` and ``DefinitionUri`` are relative to.
    stack_name, region, account_id : str
        The pseudo parameters of the local stack.
    parameters : Mapping[str, object], optional
        Parameter overrides; every other parameter takes its ``Default``.
    settings : Mapping[str, object], optional
        Setting overrides (``{"alpha": 0.01}``, docs/configuration.md), merged into the ``Settings``
        parameter's JSON as ``sam deploy --parameter-overrides Settings=...`` would carry them.
    """

    def __init__(
        self,
        document: Mapping[str, Any],
        root: str | Path,
        *,
        stack_name: str = DEFAULT_STACK_NAME,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
        parameters: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        self.document = copy.deepcopy(dict(document))
        self.root = Path(root)
        self.stack_name = stack_name
        self.region = region
        self.account_id = account_id
        self.resources: dict[str, dict[str, Any]] = self.document["Resources"]
        self.parameters = self._parameter_values(_with_settings(parameters or {}, settings or {}))
        self._conditions: dict[str, bool] = {}
        self._custom: dict[str, dict[str, str]] = {}

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> StackTemplate:
        """Load ``path`` and resolve it relative to its own directory."""
        path = Path(path)
        return cls(load_template(path), path.parent, **kwargs)

    # ------------------------------------------------------------------------------------------ parameters
    def _parameter_values(self, overrides: Mapping[str, Any]) -> dict[str, str]:
        declared = self.document.get("Parameters") or {}
        unknown = sorted(set(overrides) - set(declared))
        if unknown:
            raise TemplateError(f"unknown parameter(s): {', '.join(unknown)}")
        values: dict[str, str] = {}
        for name, spec in declared.items():
            if name in overrides:
                value = overrides[name]
            elif "Default" in spec:
                value = spec["Default"]
            else:
                raise TemplateError(f"parameter {name} has no Default and no value was given")
            values[name] = _as_text(value)
            allowed = spec.get("AllowedValues")
            if allowed is not None and values[name] not in {_as_text(v) for v in allowed}:
                raise TemplateError(f"parameter {name}={values[name]!r} is not one of {allowed}")
            pattern = spec.get("AllowedPattern")
            if pattern is not None and not re.fullmatch(pattern, values[name]):
                raise TemplateError(f"parameter {name}={values[name]!r} does not match {pattern}")
        return values

    @property
    def settings(self) -> dict[str, Any]:
        """Every setting's value for this stack (the ``Settings`` parameter over the schema's defaults)."""
        try:
            return parse_settings(self.parameters.get(SETTINGS_PARAMETER))
        except ConfigError as error:
            raise TemplateError(f"parameter {SETTINGS_PARAMETER}: {error}") from error

    @property
    def stack_id(self) -> str:
        """A stack id shaped as CloudFormation's (``.../stack/<name>/<uuid>``); the uuid is derived from the
        stack's name, account and region, so a local stack keeps its id and two stacks differ (the template
        derives default names from it)."""
        seed = f"{self.account_id}/{self.region}/{self.stack_name}"
        return (
            f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/"
            f"{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"
        )

    def pseudo(self, name: str) -> Any:
        pseudo = {
            "AWS::AccountId": self.account_id,
            "AWS::Region": self.region,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": self.stack_id,
            "AWS::NotificationARNs": [],
            "AWS::NoValue": _NO_VALUE,
        }
        if name not in pseudo:
            raise TemplateError(f"unknown pseudo parameter {name}")
        return pseudo[name]

    # ------------------------------------------------------------------------------------ names and attributes
    def resource(self, logical_id: str) -> dict[str, Any]:
        try:
            return self.resources[logical_id]
        except KeyError:
            implicit = self._implicit_role(logical_id)
            if implicit is None:
                raise TemplateError(f"no resource {logical_id} in the template") from None
            return implicit

    def _implicit_role(self, logical_id: str) -> dict[str, Any] | None:
        """The execution role SAM generates for a function without ``Role`` (``<Function>Role``), named
        as the local stack creates it (``DeployedStack.function_role``)."""
        function = (
            self.resources.get(logical_id.removesuffix("Role")) if logical_id.endswith("Role") else None
        )
        if not function or function["Type"] != "AWS::Serverless::Function":
            return None
        if "Role" in (function.get("Properties") or {}):
            return None
        return {"Type": "AWS::IAM::Role", "Properties": {"RoleName": f"{self.stack_name}-{logical_id}"}}

    def physical_name(self, logical_id: str) -> str:
        """The local name of a resource: its name property when the template sets one, else generated."""
        resource = self.resource(logical_id)
        name_property = _NAME_PROPERTY.get(resource["Type"])
        properties = resource.get("Properties") or {}
        if name_property and name_property in properties:
            return str(self.resolve(properties[name_property]))
        if resource["Type"] == "AWS::S3::Bucket":
            return f"{self.stack_name}-{logical_id}".lower()
        return f"{self.stack_name}-{logical_id}"

    def arn(self, logical_id: str) -> str:
        kind = self.resource(logical_id)["Type"]
        name = self.physical_name(logical_id)
        prefix = f"arn:aws:{{}}:{self.region}:{self.account_id}"
        arns = {
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::DynamoDB::Table": f"{prefix.format('dynamodb')}:table/{name}",
            "AWS::SNS::Topic": f"{prefix.format('sns')}:{name}",
            "AWS::Serverless::Function": f"{prefix.format('lambda')}:function:{name}",
            "AWS::Lambda::Function": f"{prefix.format('lambda')}:function:{name}",
            "AWS::Serverless::StateMachine": f"{prefix.format('states')}:stateMachine:{name}",
            "AWS::StepFunctions::StateMachine": f"{prefix.format('states')}:stateMachine:{name}",
            "AWS::IAM::Role": f"arn:aws:iam::{self.account_id}:role/{name}",
            "AWS::Logs::LogGroup": f"{prefix.format('logs')}:log-group:{name}:*",
            "AWS::CloudWatch::Alarm": f"{prefix.format('cloudwatch')}:alarm:{name}",
            "AWS::Events::Rule": f"{prefix.format('events')}:rule/{name}",
            "AWS::SQS::Queue": f"{prefix.format('sqs')}:{name}",
            # Not deployed locally (the topic is not encrypted there): the ARN only fills IAM statements.
            "AWS::KMS::Key": f"{prefix.format('kms')}:key/{name}",
        }
        if kind in _REF_IS_LAYER_VERSION:
            # The local stack publishes each layer exactly once: version 1.
            return f"{prefix.format('lambda')}:layer:{name}:1"
        if kind not in arns:
            raise TemplateError(f"no local ARN for {logical_id} ({kind})")
        return arns[kind]

    def ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.parameters:
            return self.parameters[name]
        kind = self.resource(name)["Type"]
        if kind in _REF_IS_ARN or kind in _REF_IS_LAYER_VERSION:
            return self.arn(name)
        if kind == "AWS::SQS::Queue":  # AWS's URL form; moto finds a queue by the URL's last segment
            return f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{self.physical_name(name)}"
        return self.physical_name(name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        kind = self.resource(logical_id)["Type"]
        if kind.startswith("Custom::"):
            attributes = self.custom_attributes(logical_id)
            if attribute not in attributes:
                raise TemplateError(f"GetAtt {logical_id}.{attribute}: {kind} returns no {attribute}")
            return attributes[attribute]
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute in {"Name", "TopicName", "QueueName"}:
            return self.physical_name(logical_id)
        if attribute == "StreamArn":
            return self.arn(logical_id) + "/stream/local"
        raise TemplateError(f"GetAtt {logical_id}.{attribute} is not supported locally")

    def custom_attributes(self, logical_id: str) -> dict[str, str]:
        """A custom resource's attributes, from its provider's answer to a Create (asked once per stack)."""
        if logical_id not in self._custom:
            resource = self.resource(logical_id)
            properties = self.properties(logical_id)
            properties.pop("ServiceToken", None)
            self._custom[logical_id] = create_custom_resource(
                logical_id, resource["Type"], properties, self.stack_id
            )
        return self._custom[logical_id]

    # --------------------------------------------------------------------------------------------- intrinsics
    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            conditions = self.document.get("Conditions") or {}
            if name not in conditions:
                raise TemplateError(f"no condition {name} in the template")
            self._conditions[name] = bool(self.resolve(conditions[name]))
        return self._conditions[name]

    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic function in ``value`` (a template fragment) for the local stack."""
        resolved = self._resolve(value)
        return None if resolved is _NO_VALUE else resolved

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self._resolve(item) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Condition" and isinstance(argument, str):
                return self.condition(argument)
            if key.startswith("Fn::"):
                return self._function(key, argument)
        resolved = {key: self._resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def _function(self, key: str, argument: Any) -> Any:
        if key == "Fn::Sub":
            if isinstance(argument, list):
                text, variables = argument[0], self._resolve(argument[1])
            else:
                text, variables = argument, {}
            return self._sub(text, variables)
        if key == "Fn::GetAtt":
            logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
            return self.get_att(logical_id, self._resolve(attribute))
        if key == "Fn::FindInMap":
            mapping, top, second = (self._resolve(part) for part in argument)
            try:
                return self.document["Mappings"][mapping][top][second]
            except KeyError:
                raise TemplateError(f"FindInMap {mapping}/{top}/{second} has no value") from None
        if key == "Fn::If":
            name, if_true, if_false = argument
            return self._resolve(if_true if self.condition(name) else if_false)
        if key == "Fn::Equals":
            left, right = (self._resolve(part) for part in argument)
            return _as_text(left) == _as_text(right)
        if key == "Fn::Not":
            return not self._resolve(argument[0])
        if key == "Fn::And":
            return all(self._resolve(part) for part in argument)
        if key == "Fn::Or":
            return any(self._resolve(part) for part in argument)
        if key == "Fn::Join":
            separator, parts = argument
            return separator.join(_as_text(part) for part in self._resolve(parts))
        if key == "Fn::Select":
            index, items = self._resolve(argument)
            return items[int(index)]
        if key == "Fn::Split":
            separator, text = self._resolve(argument)
            return text.split(separator)
        if key == "Fn::GetAZs":
            return [f"{self.region}{zone}" for zone in "abc"]
        raise TemplateError(f"{key} is not supported by the local stack")

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name in variables:
                return _as_text(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return _as_text(self.get_att(logical_id, attribute))
            return _as_text(self.ref(name))

        # ${!Literal} stays as ${Literal}.
        return _SUB_VARIABLE.sub(replace, text).replace("${!", "${")

    # ------------------------------------------------------------------------------------------- resources
    def resources_of_type(self, *types: str) -> list[str]:
        """Logical ids of the resources of the given types whose Condition (if any) holds."""
        return [
            logical_id
            for logical_id, resource in self.resources.items()
            if resource["Type"] in types
            and ("Condition" not in resource or self.condition(resource["Condition"]))
        ]

    def properties(self, logical_id: str) -> dict[str, Any]:
        """The resource's properties, resolved (Globals not merged: see :meth:`function`)."""
        return self.resolve(self.resource(logical_id).get("Properties") or {})

    def function(self, logical_id: str) -> FunctionSpec:
        """A serverless function with the template's ``Globals.Function`` merged as SAM merges them."""
        globals_ = self.resolve((self.document.get("Globals") or {}).get("Function") or {})
        own = self.properties(logical_id)
        environment = {
            **((globals_.get("Environment") or {}).get("Variables") or {}),
            **((own.get("Environment") or {}).get("Variables") or {}),
        }
        layers = [*globals_.get("Layers", []), *own.get("Layers", [])]
        settings = {**globals_, **own}
        handler = settings.get("Handler")
        code_uri = settings.get("CodeUri")
        if not handler or not isinstance(code_uri, str):
            raise TemplateError(f"{logical_id} needs a Handler and a local CodeUri")
        return FunctionSpec(
            logical_id=logical_id,
            name=self.physical_name(logical_id),
            arn=self.arn(logical_id),
            handler=handler,
            code_dir=(self.root / code_uri).resolve(),
            runtime=str(settings.get("Runtime", "python3.12")),
            memory_mb=int(settings.get("MemorySize", 128)),
            timeout_s=int(settings.get("Timeout", 3)),
            environment={key: _as_text(value) for key, value in environment.items()},
            layers=tuple(layers),
            layer_dirs=tuple(self._layer_dir(arn) for arn in layers),
            events=dict(own.get("Events") or {}),
            event_invoke=dict(own.get("EventInvokeConfig") or {}),
        )

    def functions(self) -> list[FunctionSpec]:
        return [
            self.function(logical_id) for logical_id in self.resources_of_type("AWS::Serverless::Function")
        ]

    def _layer_dir(self, layer_arn: str) -> Path:
        for logical_id in self.resources_of_type(*_REF_IS_LAYER_VERSION):
            if self.arn(logical_id) == layer_arn:
                content = self.properties(logical_id).get("ContentUri")
                if isinstance(content, str):
                    return (self.root / content).resolve()
        raise TemplateError(f"layer {layer_arn} is not a local layer of the template")

    def state_machine_definition(self, logical_id: str) -> str:
        """The definition text with its ``DefinitionSubstitutions`` applied, as SAM deploys it."""
        properties = self.properties(logical_id)
        if "DefinitionUri" in properties:
            uri = properties["DefinitionUri"]
            if not isinstance(uri, str):
                raise TemplateError(f"{logical_id}: only a local DefinitionUri is supported")
            text = (self.root / uri).read_text(encoding="utf-8")
        elif "Definition" in properties:
            text = json.dumps(properties["Definition"], indent=2)
        else:
            raise TemplateError(f"{logical_id} has no definition")
        substitutions = properties.get("DefinitionSubstitutions") or {}
        for name, value in substitutions.items():
            text = text.replace("${" + name + "}", _as_text(value))
        leftover = sorted(set(_SUB_VARIABLE.findall(text)))
        if leftover:
            raise TemplateError(f"{logical_id}: no substitution for {', '.join(leftover)}")
        return text


def _with_settings(parameters: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """``parameters`` with ``settings`` merged over the keys of their ``Settings`` JSON (checked here, so a
    typo fails before anything starts, naming the nearest key)."""
    if not settings:
        return dict(parameters)
    given = json.loads(str(parameters.get(SETTINGS_PARAMETER) or "{}"))
    try:
        merged = settings_json({**given, **settings})
    except ConfigError as error:
        raise TemplateError(f"settings: {error}") from error
    return {**parameters, SETTINGS_PARAMETER: merged}


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        raise TemplateError(f"expected a scalar, got {value!r}")
    return str(value)
