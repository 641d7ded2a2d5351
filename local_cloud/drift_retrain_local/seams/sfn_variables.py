"""Workflow variables in JSONPath states, which moto 5.2.5 stores but cannot read.

Two gaps, both closed here:

On AWS a JSONPath state reads a variable set by ``Assign`` as ``$name``, optionally followed by a JSONPath
into its value (``$plan.storage.KmsKeyId``, ``$checks``), in ``Parameters``, ``ResultSelector``,
``Assign``, a Choice rule's ``Variable`` and ``...Path`` operands, and intrinsic function arguments
(``States.MathAdd($checks, 1)``). moto parses every such reference as ``StringVariableSample`` and
evaluates it with its JSONata engine, which moto leaves empty (``eval_jsonata_expression`` is ``None``):
the read fails with a ``TypeError`` and the execution fails with ``States.Runtime``. And a JSONPath Choice
rule that compares one ``Variable`` drops its ``Assign`` when parsed (``visitChoice_rule_comparison_variable``
passes ``assign=None``; And/Or/Not rules keep theirs), so the rule's variables are never set; a rule that
keeps its ``Assign`` evaluates it against the rule's outcome (``true``) instead of the state's input; and
the Choice state's own ``Assign`` (AWS: only when no rule matches) also runs when a matching rule's
``Next`` happens to be the ``Default`` state, overwriting the rule's variables.

This module gives ``StringVariableSample`` a JSONPath-mode evaluation that needs no JSONata: the variable
comes from the state's variable store (its own scope, then the enclosing ones, as moto keeps them) and
the rest of the reference is a JSONPath into it, evaluated by moto's own ``extract_json``. A missing
variable or path fails the state with ``States.Runtime``, as on AWS. JSONata-mode references are left to
moto (this project uses none). The parser keeps a simple rule's ``Assign`` as it keeps a composite rule's,
a matching rule's ``Assign`` reads the state's input, and the state's ``Assign`` runs only when no rule
matched, as on AWS.

``check()`` fails loudly (``MotoHookMovedError``) if the pinned moto no longer has this shape.
"""

from __future__ import annotations

import copy
import re
import threading
from typing import Any

from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.seams.lookup import attribute, source

__all__ = ["check", "install", "read", "uninstall"]

_ASL = "moto.stepfunctions.parser.asl"
_SAMPLE = f"{_ASL}.component.common.string.string_expression"
_PREPROCESSOR = f"{_ASL}.parse.preprocessor"
_PARSER = f"{_ASL}.antlr.runtime.ASLParser"
_RULE = f"{_ASL}.component.state.choice.choice_rule"
_CHOICE = f"{_ASL}.component.state.choice.state_choice"
#: Set on the execution's environment by a matching rule, read (and cleared) by its Choice state.
_MATCHED = "_drift_retrain_choice_rule_matched"
#: ``$name`` then an optional JSONPath tail (``.field``, ``['field']``, ``[0]``...).
_REFERENCE = re.compile(r"^\$(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<path>(?:[.\[].*)?)$")

_lock = threading.Lock()
_original: Any = None
_original_rule: Any = None
_original_rule_eval: Any = None
_original_choice_output: Any = None


def _sample_class() -> Any:
    return attribute(_SAMPLE, "StringVariableSample")


def _preprocessor_class() -> Any:
    return attribute(_PREPROCESSOR, "Preprocessor")


def _rule_class() -> Any:
    return attribute(_RULE, "ChoiceRule")


def _choice_class() -> Any:
    return attribute(_CHOICE, "StateChoice")


def check() -> None:
    output = _choice_class().__dict__.get("_eval_state_output")
    if not callable(output) or "self.default_state.state_name == next_state_name" not in source(output):
        raise MotoHookMovedError("moto's StateChoice._eval_state_output no longer picks the Default by name")
    if not callable(_rule_class().__dict__.get("_eval_body")):
        raise MotoHookMovedError("moto's ChoiceRule no longer defines _eval_body")
    rule = _preprocessor_class().__dict__.get("visitChoice_rule_comparison_variable")
    if not callable(rule):
        raise MotoHookMovedError("moto's Preprocessor.visitChoice_rule_comparison_variable is gone")
    if not callable(
        getattr(attribute(_PARSER, "ASLParser", "Comparison_variable_stmtContext"), "assign_decl", None)
    ):
        raise MotoHookMovedError("moto's ASLParser.Comparison_variable_stmtContext has no assign_decl")
    sample = _sample_class()
    if not callable(sample.__dict__.get("_eval_body")):
        raise MotoHookMovedError("moto's StringVariableSample no longer defines _eval_body")
    for name in ("query_language_mode", "expression"):
        if name not in sample.__init__.__code__.co_varnames:
            raise MotoHookMovedError(f"moto's StringVariableSample no longer takes {name}")
    store = attribute(f"{_ASL}.eval.variable_store", "VariableStore")
    if not callable(getattr(store, "get", None)):
        raise MotoHookMovedError("moto's VariableStore.get is gone")
    attribute(f"{_ASL}.utils.json_path", "extract_json")
    attribute(f"{_ASL}.component.common.query_language", "QueryLanguageMode", "JSONPath")


def read(store: Any, reference: str) -> Any:
    """The value of a JSONPath-mode variable reference (``$name`` or ``$name.path``) in ``store``.

    Raises ``LookupError`` with AWS's wording when the reference, the variable or the path is missing."""
    match = _REFERENCE.match(reference)
    if match is None:
        raise LookupError(f"'{reference}' is not a variable reference")
    name, path = match["name"], match["path"]
    no_such_variable = attribute(f"{_ASL}.eval.variable_store", "NoSuchVariable")
    try:
        value = store.get(variable_identifier=name)
    except no_such_variable as error:
        raise LookupError(f"The variable '${name}' is not defined") from error
    if not path:
        return copy.deepcopy(value)
    no_such_path = attribute(f"{_ASL}.utils.json_path", "NoSuchJsonPathError")
    try:
        found = attribute(f"{_ASL}.utils.json_path", "extract_json")(f"${path}", value)
    except no_such_path as error:
        raise LookupError(
            f"The JSONPath '{reference}' could not be found in the variable '${name}'"
        ) from error
    return copy.deepcopy(found)


def _runtime_failure(env: Any, cause: str) -> Exception:
    """The ``FailureEventException`` moto raises for a ``States.Runtime`` error in a state."""
    api = f"{_ASL}.component.common.error_name"
    failure_event = attribute(f"{api}.failure_event", "FailureEvent")
    failure = attribute(f"{api}.failure_event", "FailureEventException")
    states_name = attribute(f"{api}.states_error_name", "StatesErrorName")
    runtime = attribute(f"{api}.states_error_name_type", "StatesErrorNameType", "StatesRuntime")
    history = attribute("moto.stepfunctions.parser.api", "HistoryEventType", "TaskFailed")
    details = attribute("moto.stepfunctions.parser.api", "TaskFailedEventDetails")
    event_details = attribute(f"{_ASL}.eval.event.event_detail", "EventDetails")
    return failure(
        failure_event=failure_event(
            env=env,
            error_name=states_name(typ=runtime),
            event_type=history,
            event_details=event_details(taskFailedEventDetails=details(error=runtime.to_name(), cause=cause)),
        )
    )


def _eval_body(self: Any, env: Any) -> None:
    jsonpath = attribute(f"{_ASL}.component.common.query_language", "QueryLanguageMode", "JSONPath")
    if self.query_language_mode != jsonpath:
        _original(self, env)
        return
    try:
        env.stack.append(read(env.variable_store, self.expression))
    except LookupError as error:
        raise _runtime_failure(env, str(error)) from None


def _choice_rule(self: Any, ctx: Any) -> Any:
    """moto's parse of a one-``Variable`` Choice rule, with the rule's ``Assign`` kept."""
    rule = _original_rule(self, ctx)
    if rule.assign is None:
        statement = attribute(_PARSER, "ASLParser", "Comparison_variable_stmtContext")
        for child in ctx.children:
            if isinstance(child, statement) and child.assign_decl() is not None:
                rule.assign = self.visit(child.assign_decl())
    return rule


def _rule_eval_body(self: Any, env: Any) -> None:
    """A Choice rule: its comparison, then (when it matches) its ``Assign`` on the state's input."""
    self.comparison.eval(env)
    if env.stack[-1] is not True:
        return
    setattr(env, _MATCHED, True)
    if self.assign is not None:
        matched = env.stack.pop()
        self.assign.eval(env=env)
        env.stack.append(matched)


def _choice_output(self: Any, env: Any) -> None:
    """moto's ``StateChoice._eval_state_output``, with the state's Assign/Output only for the Default."""
    matched = vars(env).pop(_MATCHED, False)
    next_state_name: str = env.stack.pop()
    if not matched and self.default_state and self.default_state.state_name == next_state_name:
        if self.assign_decl:
            self.assign_decl.eval(env=env)
        if self.output:
            self.output.eval(env=env)
    if self._is_language_query_jsonpath():
        if self.output_path:
            self.output_path.eval(env=env)
        else:
            env.states.reset(input_value=env.stack.pop())
    env.next_state_name = next_state_name


def install() -> None:
    global _original, _original_rule, _original_rule_eval, _original_choice_output
    with _lock:
        check()
        if _original is None:
            sample = _sample_class()
            _original = sample.__dict__["_eval_body"]
            sample._eval_body = _eval_body
            preprocessor = _preprocessor_class()
            _original_rule = preprocessor.__dict__["visitChoice_rule_comparison_variable"]
            preprocessor.visitChoice_rule_comparison_variable = _choice_rule
            rule = _rule_class()
            _original_rule_eval = rule.__dict__["_eval_body"]
            rule._eval_body = _rule_eval_body
            choice = _choice_class()
            _original_choice_output = choice.__dict__["_eval_state_output"]
            choice._eval_state_output = _choice_output


def uninstall() -> None:
    global _original, _original_rule, _original_rule_eval, _original_choice_output
    with _lock:
        if _original is not None:
            _sample_class()._eval_body = _original
            _preprocessor_class().visitChoice_rule_comparison_variable = _original_rule
            _rule_class()._eval_body = _original_rule_eval
            _choice_class()._eval_state_output = _original_choice_output
            _original = _original_rule = _original_rule_eval = _original_choice_output = None
