"""The definition's Task parameters, traced to their sources and checked against botocore's service models.

moto checks none of this, so a parameter AWS would refuse passes every local test. Each Task's
``Parameters`` become a tree of :class:`Source` leaves:

- ``static``: a literal of the definition (``${...}`` placeholders resolved to the sample values);
- ``parameter``: a template parameter, reached through ``$.config.<key>`` (the "Load settings" state) or
  ``States.StringToJson('${X}')``; its Default, MinValue, MaxValue and AllowedValues are all checked;
- ``string``: a string built at run time (context object, ``States.Format``);
- ``data``: a value a Lambda or an earlier task produced (only its member name is checked here; the
  Lambdas' payloads are typed in ``tests/static/test_payloads.py``).

A path that an earlier Pass state builds (``$.traffic_routing``) is replaced by every Pass state's
``Parameters`` written there, and a workflow variable (``$training_plan.spot``) by every ``Assign`` of it
(on a state or a Choice rule), so each alternative is checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session

from .conftest import PLACEHOLDER, iter_states

__all__ = [
    "RESOURCE",
    "Source",
    "Task",
    "botocore_model",
    "check_definition",
    "member",
    "parameter_bindings",
    "tasks",
]

RESOURCE = re.compile(
    r"^arn:aws:states:::(?:(?P<sdk>aws-sdk):)?(?P<service>[a-zA-Z0-9-]+):(?P<api>[a-zA-Z0-9]+)"
    r"(?:\.(?P<pattern>sync(?::2)?|waitForTaskToken))?$"
)
#: Step Functions service names -> botocore service names.
BOTOCORE_SERVICE = {
    "sfn": "stepfunctions",
    "states": "stepfunctions",
    "sagemaker": "sagemaker",
    "dynamodb": "dynamodb",
    "lambda": "lambda",
}
#: A workflow variable and the path into it: ``$storage.training_output`` (not ``$.`` nor ``$$.``).
_VARIABLE = re.compile(r"^\$([A-Za-z_]\w*)((?:\.[\w.]+)?)$")
_CONTEXT_STRINGS = {"$$.Execution.Name", "$$.Execution.Id", "$$.Execution.StartTime", "$$.State.EnteredTime"}
_STRING_TO_JSON = re.compile(r"^States\.StringToJson\('\$\{(\w+)\}'\)$")
_NUMERIC = {"integer", "long", "double", "float"}


@dataclass(frozen=True)
class Source:
    kind: str  # static | parameter | string | data
    value: Any = None


class Alternatives(tuple):
    """The values one path can hold (each is checked)."""


@dataclass(frozen=True)
class Task:
    name: str
    state: dict[str, Any]
    service: str
    api: str
    sdk: bool
    operation: Any  # botocore OperationModel

    @property
    def label(self) -> str:
        return f"{self.name} ({'aws-sdk:' if self.sdk else ''}{self.service}:{self.api})"


@cache
def botocore_model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(BOTOCORE_SERVICE.get(service, service))


def tasks(definition: dict[str, Any]) -> list[Task]:
    found = []
    for name, state in iter_states(definition["States"]):
        if state["Type"] != "Task":
            continue
        match = RESOURCE.match(state["Resource"])
        assert match, f"{name}: unexpected resource {state['Resource']}"
        api = match["api"]
        operation = botocore_model(match["service"]).operation_model(api[0].upper() + api[1:])
        found.append(Task(name, state, match["service"], api, bool(match["sdk"]), operation))
    return found


def member(shape: Any, key: str) -> Any | None:
    """The member ``key`` of a structure; Step Functions writes camelCase API members in PascalCase."""
    members = shape.members
    if key in members:
        return members[key]
    for name, candidate in members.items():
        if name[:1].upper() + name[1:] == key:
            return candidate
    return None


# ------------------------------------------------------------------------------------------------ sources
class _Resolver:
    def __init__(self, definition: dict[str, Any], template: dict[str, Any], substitutions: dict[str, str]):
        self.template = template
        self.substitutions = substitutions
        self.raw_substitutions = {  # the workflow's and its phases' (one name means one value in each)
            key: value
            for r in template["Resources"].values()
            if r["Type"] == "AWS::Serverless::StateMachine"
            for key, value in r["Properties"].get("DefinitionSubstitutions", {}).items()
        }
        self.states = dict(iter_states(definition["States"]))
        self.settings = self.states["Load settings"]["Parameters"]
        self.assigns = [
            assign
            for state in self.states.values()
            for assign in [state.get("Assign")] + [c.get("Assign") for c in state.get("Choices", [])]
            if assign
        ]

    def placeholder(self, name: str) -> Source:
        raw = self.raw_substitutions[name]
        named = _parameter_or_setting(raw)
        if named is not None and named in self.template["Parameters"]:
            return Source("parameter", named)
        derived = _derived_when_empty(raw, self.template)
        if derived is not None:  # the parameter when set, else the name derived from the stack (resolved)
            return Alternatives((Source("parameter", derived), Source("static", self.substitutions[name])))
        return Source("static", self.substitutions[name])

    def static(self, value: Any) -> Source:
        if isinstance(value, str):
            whole = PLACEHOLDER.fullmatch(value)
            if whole:
                return self.placeholder(whole.group(1))
            return Source("static", PLACEHOLDER.sub(lambda m: self.substitutions[m.group(1)], value))
        return Source("static", value)

    def path(self, path: str) -> Alternatives:
        """Every value ``path`` can hold: a Source, or a resolved Parameters tree of a Pass state."""
        if path in _CONTEXT_STRINGS or path.startswith("States.Format("):
            return Alternatives([Source("string")])
        to_json = _STRING_TO_JSON.match(path)
        if to_json:
            return Alternatives([self.placeholder(to_json.group(1))])
        variable = _VARIABLE.match(path)
        if variable:
            return self.variable(variable.group(1), variable.group(2))
        if path.startswith("$.config."):
            key = path.removeprefix("$.config.")
            if key in self.settings:  # a literal, or an object of literals and paths (data_capture)
                return Alternatives([self.tree(self.settings[key])])
            return self.path(self.settings[f"{key}.$"])
        producers: list[Any] = []
        for state in self.states.values():
            target = state.get("ResultPath")
            if state["Type"] != "Pass" or not target or not (path == target or path.startswith(target + ".")):
                continue
            found = _descend(state.get("Parameters"), [p for p in path[len(target) :].split(".") if p])
            if isinstance(found, tuple):
                producers += self.path(found[1])
            elif found is not None:
                producers.append(self.tree(found))
        return Alternatives(producers or [Source("data", path)])

    def variable(self, name: str, rest: str) -> Alternatives:
        """Every value ``$name<rest>`` can hold: each Assign of ``name``, descended into by ``rest``."""
        producers: list[Any] = []
        for assign in self.assigns:
            if name in assign:
                found = _descend(assign[name], [p for p in rest.split(".") if p])
                if isinstance(found, tuple):
                    producers += self.path(found[1])
                elif found is not None:
                    producers.append(self.tree(found))
            elif f"{name}.$" in assign and not assign[f"{name}.$"].startswith("States."):
                producers += self.path(assign[f"{name}.$"] + rest)
        return Alternatives(producers or [Source("data", f"${name}{rest}")])

    def tree(self, node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key.removesuffix(".$"): self.path(value) if key.endswith(".$") else self.tree(value)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [self.tree(v) for v in node]
        return self.static(node)


def _descend(node: Any, parts: list[str]) -> Any:
    """``parts`` of a Pass state's Parameters: a subtree, ``("path", <path>)`` for a ``.$`` key, or None."""
    for index, part in enumerate(parts):
        if not isinstance(node, dict):
            return None
        if part in node:
            node = node[part]
        elif f"{part}.$" in node and index == len(parts) - 1:
            return ("path", node[f"{part}.$"])
        else:
            return None
    return node


def _parameter_or_setting(raw: Any) -> str | None:
    """``P`` for ``!Ref P`` or ``!GetAtt ValidatedSettings.P`` (a setting, checked as a parameter)."""
    if isinstance(raw, dict) and set(raw) == {"Ref"}:
        return raw["Ref"]
    if isinstance(raw, dict) and set(raw) == {"Fn::GetAtt"} and raw["Fn::GetAtt"][0] == "ValidatedSettings":
        return raw["Fn::GetAtt"][1]
    return None


# --------------------------------------------------------------------------------------------- checking
def _derived_when_empty(raw: Any, template: dict[str, Any]) -> str | None:
    """``P`` for ``!If [Derived..., <derived name>, !Ref P]``: a name parameter whose empty value means
    "derive it from the stack" (its AllowedPattern starts with ``^$|``)."""
    if not (isinstance(raw, dict) and set(raw) == {"Fn::If"}):
        return None
    branch = raw["Fn::If"][2]
    if isinstance(branch, dict) and set(branch) == {"Ref"} and branch["Ref"] in template["Parameters"]:
        return branch["Ref"]
    return None


def _parameter_values(spec: dict[str, Any]) -> list[Any]:
    values = [spec[k] for k in ("Default", "MinValue", "MaxValue") if k in spec]
    if str(spec.get("AllowedPattern", "")).startswith("^$|") and spec.get("Default") == "":
        values.remove("")  # empty = derived from the stack: the derived value is checked in its place
    values += list(spec.get("AllowedValues", []))
    if spec["Type"] == "Number":
        return [float(v) if "." in str(v) else int(v) for v in values]
    return [str(v) for v in values]


@cache
def _java_pattern(pattern: str) -> re.Pattern[str]:
    """botocore keeps the service's Java regex: Unicode classes (``\\p{L}``...) become ``\\w\\s``."""
    return re.compile(re.sub(r"\\p\{\w+\}", r"\\w\\s", pattern))


def _scalar_problems(shape: Any, value: Any, where: str) -> list[str]:
    meta, kind = shape.metadata, shape.type_name
    if kind in _NUMERIC:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [f"{where}: {value!r} is not a number ({shape.name})"]
        if kind in {"integer", "long"} and value != int(value):
            return [f"{where}: {value!r} is not an integer ({shape.name})"]
        if ("min" in meta and value < meta["min"]) or ("max" in meta and value > meta["max"]):
            return [f"{where}: {value} outside {meta.get('min')}..{meta.get('max')} ({shape.name})"]
    elif kind == "boolean":
        if not isinstance(value, bool):
            return [f"{where}: {value!r} is not a boolean"]
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{where}: {value!r} is not a string ({shape.name})"]
        if shape.enum and value not in shape.enum:
            return [f"{where}: {value!r} is not one of {shape.name}'s values"]
        if not meta.get("min", 0) <= len(value) <= meta.get("max", 1 << 30):
            return [f"{where}: {value!r} has {len(value)} characters, {shape.name} allows {meta}"]
        if "pattern" in meta and _java_pattern(meta["pattern"]).search(value) is None:
            return [f"{where}: {value!r} does not match {shape.name}'s pattern {meta['pattern']}"]
    return []


def _parameter_problems(shape: Any, name: str, spec: dict[str, Any], where: str) -> list[str]:
    where = f"{where} <- parameter {name}"
    if shape.type_name == "boolean":  # States.StringToJson of a "true"/"false" String parameter
        if spec["Type"] == "String" and set(spec.get("AllowedValues", [])) <= {"true", "false"}:
            return []
        return [f"{where}: a {spec['Type']} parameter without AllowedValues true/false feeds a boolean"]
    numeric = shape.type_name in _NUMERIC
    if numeric != (spec["Type"] == "Number"):
        return [f"{where}: a {spec['Type']} parameter feeds a {shape.type_name} member"]
    problems = []
    for value in _parameter_values(spec):
        problems += _scalar_problems(shape, value, f"{where} = {value!r}")
    meta = shape.metadata
    if numeric and "max" in meta and "MaxValue" not in spec and not spec.get("AllowedValues"):
        problems.append(f"{where}: no MaxValue, but {shape.name} allows at most {meta['max']}")
    if numeric and meta.get("min", 0) > 0 and "MinValue" not in spec and not spec.get("AllowedValues"):
        problems.append(f"{where}: no MinValue, but {shape.name} needs at least {meta['min']}")
    if shape.type_name == "string" and "max" in meta and not shape.enum:
        if spec.get("AllowedValues"):
            pass
        elif "MaxLength" not in spec:
            problems.append(f"{where}: no MaxLength, but {shape.name} allows {meta['max']} characters")
        elif int(spec["MaxLength"]) > meta["max"]:
            problems.append(f"{where}: MaxLength {spec['MaxLength']} > {shape.name}'s {meta['max']}")
    return problems


def _check(shape: Any, node: Any, where: str, template: dict[str, Any], seen: list) -> list[str]:
    if isinstance(node, Alternatives):
        return [p for alternative in node for p in _check(shape, alternative, where, template, seen)]
    if isinstance(node, Source):
        seen.append((where, shape, node))
        if node.kind == "static":
            if shape.type_name == "blob":
                return []
            return _scalar_problems(shape, node.value, where) if shape.type_name != "structure" else []
        if node.kind == "parameter":
            spec = template["Parameters"][node.value]
            return _parameter_problems(shape, node.value, spec, where)
        if node.kind == "string" and shape.type_name not in {"string", "blob"}:
            return [f"{where}: a string feeds a {shape.type_name} member"]
        return []
    if isinstance(node, dict):
        if shape.type_name == "blob" or shape.name == "SensitiveData":
            return []  # Lambda's Payload, a child execution's Input: Step Functions serializes the object
        if shape.type_name == "map":
            return [
                p for k, v in node.items() for p in _check(shape.value, v, f"{where}.{k}", template, seen)
            ]
        if shape.type_name != "structure":
            return [f"{where}: an object feeds a {shape.type_name} member"]
        problems = []
        for key, value in node.items():
            child = member(shape, key)
            if child is None:
                problems.append(f"{where}: {shape.name} has no member {key!r}")
            else:
                problems += _check(child, value, f"{where}.{key}", template, seen)
        present = {k[:1].lower() + k[1:] for k in node}
        for required in shape.required_members:
            if required[:1].lower() + required[1:] not in present:
                problems.append(f"{where}: required member {required!r} of {shape.name} is missing")
        return problems
    if isinstance(node, list):  # a static JSON list against a list shape
        meta = shape.metadata
        if not meta.get("min", 0) <= len(node) <= meta.get("max", 1 << 30):
            problems = [f"{where}: {len(node)} items, {shape.name} allows {meta}"]
        else:
            problems = []
        return problems + [
            p
            for i, item in enumerate(node)
            for p in _check(shape.member, item, f"{where}[{i}]", template, seen)
        ]
    raise AssertionError(f"{where}: unexpected node {node!r}")


def check_definition(
    definition: dict[str, Any], template: dict[str, Any], substitutions: dict[str, str]
) -> tuple[list[str], list[tuple[str, Any, Source]]]:
    """Every problem of every Task's Parameters, and every (member, shape, source) binding checked."""
    resolver = _Resolver(definition, template, substitutions)
    problems: list[str] = []
    seen: list[tuple[str, Any, Source]] = []
    for task in tasks(definition):
        tree = resolver.tree(task.state.get("Parameters", {}))
        problems += _check(task.operation.input_shape, tree, task.label, template, seen)
    return problems, seen


def parameter_bindings(
    definition: dict[str, Any], template: dict[str, Any], substitutions: dict[str, str]
) -> dict[str, list[tuple[str, Any]]]:
    """Template parameter -> every (API member, botocore shape) it reaches."""
    found: dict[str, list[tuple[str, Any]]] = {}
    for where, shape, source in check_definition(definition, template, substitutions)[1]:
        if source.kind == "parameter":
            found.setdefault(source.value, []).append((where, shape))
    return found
