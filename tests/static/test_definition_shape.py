"""Shape rules of the definition that the local-cloud run and the service rely on: every Task can fail
into the notify/release path, every state is reachable, every Wait is data-driven, every loop is bounded,
every way out after the lock releases it, one candidate failing never fails the tournament, and the
trigger is verified (DetectDrift's record) before the lock. Rules about states a phase run as a child
state machine holds read the ``workflow`` tree (each phase nested under the Task that starts it)."""

import json
import re
from collections import defaultdict
from typing import Any

from .conftest import iter_states


def _successors(state: dict[str, Any]) -> set[str]:
    targets = {state.get("Next"), state.get("Default")}
    targets |= {c["Next"] for c in state.get("Choices", [])}
    targets |= {c["Next"] for c in state.get("Catch", [])}
    return {t for t in targets if t}


def test_every_task_outside_a_parallel_has_a_catch_all(definition):
    for name, state in definition["States"].items():
        if state["Type"] in ("Task", "Parallel"):
            catches = [c for c in state.get("Catch", []) if "States.ALL" in c["ErrorEquals"]]
            assert catches, f"{name} has no Catch for States.ALL"


def test_every_state_is_reachable(definition):
    states = definition["States"]
    seen, todo = set(), [definition["StartAt"]]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += _successors(states[name])
    assert set(states) - seen == set()


def test_waits_are_data_driven(workflow):
    for name, state in iter_states(workflow["States"]):
        if state["Type"] == "Wait":
            assert set(state) & {"SecondsPath", "TimestampPath"}, f"{name} waits a literal time"


def _scopes(states: dict[str, Any]):
    """The top-level states, then the states of every Parallel branch and Map processor (each a graph)."""
    yield states
    for state in states.values():
        for branch in state.get("Branches", []):
            yield from _scopes(branch["States"])
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from _scopes(processor["States"])


def _assignments(definition: dict[str, Any]) -> dict[str, list[Any]]:
    """Every value assigned to each workflow variable (``Assign`` on states and Choice rules)."""
    found: dict[str, list[Any]] = defaultdict(list)
    for _, state in iter_states(definition["States"]):
        for assign in [state.get("Assign", {})] + [c.get("Assign", {}) for c in state.get("Choices", [])]:
            for key, value in assign.items():
                found[key.removesuffix(".$")].append(value)
    return found


def counters(definition: dict[str, Any]) -> set[str]:
    """The workflow variables that only ever start at a literal integer or go up by one."""
    return {
        name
        for name, values in _assignments(definition).items()
        if any(v == f"States.MathAdd(${name}, 1)" for v in values)
        and all(isinstance(v, int) or v == f"States.MathAdd(${name}, 1)" for v in values)
    }


def test_loop_counters_start_at_a_literal_and_go_up_by_one(workflow):
    assert counters(workflow) == {"lock_attempts", "training_attempt", "endpoint_checks"}


def test_every_loop_is_bounded_by_a_counter(workflow):
    """Each cycle of every graph passes a Choice that compares a counter (a workflow variable that only
    goes up by one) with a limit from the settings."""
    counted = counters(workflow)

    def bounded(choice: dict[str, Any]) -> bool:
        text = repr(choice.get("Choices", []))
        compared = set(re.findall(r"'Variable': '\$(\w+)'", text))
        return bool(compared & counted) and (
            "NumericGreaterThanEqualsPath': '$.config." in text
            or "NumericLessThanEqualsPath': '$.config." in text
        )

    all_guards = set()
    for states in _scopes(workflow["States"]):
        guards = {name for name, s in states.items() if s["Type"] == "Choice" and bounded(s)}
        all_guards |= guards

        def cycle_without_guard(start: str, states=states, guards=guards) -> bool:
            stack, seen = [start], set()
            while stack:
                name = stack.pop()
                for nxt in _successors(states[name]):
                    if nxt in guards:
                        continue
                    if nxt == start:
                        return True
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append(nxt)
            return False

        assert [n for n in states if n not in guards and cycle_without_guard(n)] == []
    assert {"Was training short of capacity", "Has the endpoint settled"} <= all_guards


def test_one_candidate_failing_never_fails_the_tournament(workflow):
    """Inside the Map, every Task catches States.ALL into "Candidate failed": the others go on."""
    phase = workflow["States"]["Score candidates and champion on held-out rows"]["Branches"][0]
    parallel = phase["States"][phase["StartAt"]]
    processor = parallel["Branches"][0]["States"]["Train and score each candidate"]["ItemProcessor"]
    for name, state in processor["States"].items():
        if state["Type"] == "Task":
            catches = [c for c in state.get("Catch", []) if "States.ALL" in c["ErrorEquals"]]
            assert catches, f"{name} has no Catch for States.ALL"
            assert {c["Next"] for c in catches} <= {"Candidate failed", "Was training short of capacity"}, (
                name
            )
    assert processor["States"]["Was training short of capacity"]["Default"] == "Candidate failed"


def test_every_way_out_after_the_lock_releases_it(definition):
    states = definition["States"]
    predecessors = defaultdict(set)
    for name, state in states.items():
        for nxt in _successors(state):
            predecessors[nxt].add(name)
    before_lock = set()
    for name, state in states.items():
        if state["Type"] not in ("Succeed", "Fail"):
            continue
        # Pass/Choice states that only rename the error may sit between the release and the end.
        releases, stack, seen = set(), [name], set()
        while stack:
            for before in predecessors[stack.pop()]:
                if before in seen:
                    continue
                seen.add(before)
                if states[before]["Type"] in ("Pass", "Choice"):
                    stack.append(before)
                else:
                    releases.add(before)
        if not releases and definition["StartAt"] in seen | {name}:
            # Reached from the start through Pass and Choice states only: before the lock is taken.
            before_lock.add(name)
            continue
        assert releases, name
        for before in releases:
            assert states[before]["Resource"] == "arn:aws:states:::dynamodb:deleteItem", (name, before)
            assert states[before]["Parameters"]["ConditionExpression"] == "ExecutionArn = :me"
    # Every way out passes the (conditional) release, also before the lock: an input that asks to override
    # a setting outside the allow-list fails the settings check, and the run ends on its failure path.
    assert before_lock == set()


def test_a_held_lock_is_waited_for_not_skipped(workflow):
    """A batch arriving during a retrain must still be trained on: a run that finds the lock held by a
    running execution waits (data-driven, bounded) and tries again; it never ends without training."""
    top = workflow["States"]
    assert top["Check the settings"]["Next"] == "Take the endpoint lock"
    assert top["Take the endpoint lock"]["Next"] == "Prepare training data"
    phase = top["Take the endpoint lock"]["Branches"][0]
    states = phase["States"]
    assert states[phase["StartAt"]]["Assign"] == {"lock_attempts": 1}
    assert states[phase["StartAt"]]["Next"] == "Acquire endpoint lock"
    assert states["Is the lock holder still running"]["Choices"][0]["Next"] == "Has the lock wait run out"
    assert states["Take over stale lock"]["Catch"][0]["Next"] == "Has the lock wait run out"
    assert states["Is the lock still held"]["Default"] == "Has the lock wait run out"
    guard = states["Has the lock wait run out"]
    assert guard["Choices"][0]["Variable"] == "$lock_attempts"
    assert guard["Choices"][0]["NumericGreaterThanEqualsPath"] == "$.config.lock_max_waits"
    assert guard["Choices"][0]["Next"] == "Lock wait timed out"
    assert states["Wait for the lock"] == {
        "Type": "Wait",
        "SecondsPath": "$.config.lock_wait_seconds",
        "Assign": {"lock_attempts.$": "States.MathAdd($lock_attempts, 1)"},
        "Next": "Acquire endpoint lock",
    }
    # the phase fails; the workflow's failure path notifies, and its conditional release keeps the holder's
    assert states["Lock wait timed out"]["Type"] == "Fail"
    assert states["Lock wait timed out"]["Error"] == "LockWaitTimeoutError"
    assert top["Take the endpoint lock"]["Catch"][-1]["Next"] == "Describe failure"
    assert top["Take the endpoint lock"]["Parameters"]["Input"]["owner.$"] == "$$.Execution.Id"
    for name in ("Acquire endpoint lock", "Take over stale lock"):  # the lock item names the workflow's run
        assert states[name]["Parameters"]["Item"]["ExecutionArn"] == {"S.$": "$.owner"}


def test_the_lock_is_a_conditional_write(workflow):
    acquire = dict(iter_states(workflow["States"]))["Acquire endpoint lock"]
    assert acquire["Resource"] == "arn:aws:states:::dynamodb:putItem"
    assert acquire["Parameters"]["ConditionExpression"] == "attribute_not_exists(LockId)"


#: What an execution's input may name before the trigger is verified: nothing a run trains on.
_TRIGGER_FIELDS = ("batch", "report", "reasons", "drifted_features", "concept_drift", "kind", "labelled_rows")


def test_no_path_reaches_the_lock_without_verifying_the_trigger(definition):
    """The input names a trigger only through "Verify the trigger" (DetectDrift's record, read from S3):
    with that state removed, the lock (and everything after it) must be unreachable: only the settings
    check and the failure path are left."""
    states = definition["States"]
    seen, todo = set(), [definition["StartAt"]]
    while todo:
        name = todo.pop()
        if name not in seen and name != "Verify the trigger":
            seen.add(name)
            todo += _successors(states[name])
    assert "Take the endpoint lock" not in seen and "Prepare training data" not in seen
    failure_path, todo = set(), ["Describe failure"]
    while todo:
        name = todo.pop()
        if name not in failure_path:
            failure_path.add(name)
            todo += _successors(states[name])
    assert seen - failure_path == {"Load settings"}, seen


def test_the_trigger_comes_from_the_verification_only(definition, definition_text):
    verify = definition["States"]["Verify the trigger"]
    assert verify["Parameters"]["Payload"] == {
        "action": "verify_trigger",
        "execution_name.$": "$$.Execution.Name",
        "execution_input.$": "$$.Execution.Input",
    }
    assert verify["Catch"][-1]["Next"] == "Describe failure"
    check = definition["States"][verify["Next"]]  # the run goes on with the verified trigger in $.trigger
    assert check["Parameters"]["Input"]["run.$"] == "States.JsonMerge($, $.verified, false)"
    assert check["ResultSelector"]["state.$"] == "States.JsonMerge($.Output.run, $.Output.checked, false)"
    assert check["OutputPath"] == "$.settings_check.state" and check["Next"] == "Take the endpoint lock"
    for field in _TRIGGER_FIELDS:  # no state reads what the input says about the trigger
        assert not re.search(rf'"\$\.{field}[".]', definition_text), field


def _sagemaker_tasks(workflow, suffix: str) -> list[dict]:
    parallel = workflow["States"]["Score candidates and champion on held-out rows"]
    return [s for _, s in iter_states({"p": parallel}) if s.get("Resource", "").endswith(suffix)]


def test_transforms_ask_for_the_output_format_of_the_models_algorithm(workflow):
    from drift_retrain.workflow.shared.algorithms import transform_format

    candidate, champion = _sagemaker_tasks(workflow, "createTransformJob.sync")
    states = dict(iter_states(workflow["States"]))
    for state, root, plan in (
        (candidate, "$.candidate.transform", "Is candidate storage encrypted with a KMS key"),
        (champion, "$.data.champion_transform", "Is champion scoring encrypted with a KMS key"),
    ):
        # TransformOutput comes from the storage plan (with or without SageMakerKmsKeyArn): both ask alike.
        assert state["Parameters"]["TransformOutput.$"] == "$storage.transform_output"
        choice = states[plan]
        assigns = [rule["Assign"] for rule in choice["Choices"]]
        outputs = [assign["storage"]["transform_output"] for assign in assigns]
        assert len(outputs) == 2 and all(output["Accept.$"] == f"{root}.accept" for output in outputs)
        assert state["Parameters"]["DataProcessing.$"] == f"{root}.data_processing"
    # XGBoost keeps the label next to its prediction; Linear Learner answers JSON Lines, labels read apart.
    assert transform_format("xgboost") == {
        "accept": "text/csv",
        "data_processing": {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
    }
    assert transform_format("linear-learner")["data_processing"]["JoinSource"] == "None"


def test_training_tuning_and_model_read_the_algorithm_from_the_candidate(workflow):
    text = json.dumps(workflow)
    assert "$.config.training_image" not in text.replace('"training_image.$": "$.config.training_image"', "")
    trains = _sagemaker_tasks(workflow, "createTrainingJob.sync")
    tunes = _sagemaker_tasks(workflow, "createHyperParameterTuningJob.sync")
    models = _sagemaker_tasks(workflow, "sagemaker:createModel")
    assert len(trains) == len(tunes) == len(models) == 3  # the plain Task and its two network variants
    for train, tune, model in zip(trains, tunes, models, strict=True):
        _read_the_algorithm_from_the_candidate(train, tune, model)


def _read_the_algorithm_from_the_candidate(train: dict, tune: dict, model: dict) -> None:
    assert train["Parameters"]["AlgorithmSpecification"]["TrainingImage.$"] == "$.candidate.training_image"
    assert train["Parameters"]["HyperParameters.$"] == "$.candidate.hyperparameters"
    job = tune["Parameters"]["TrainingJobDefinition"]
    assert job["AlgorithmSpecification"]["TrainingImage.$"] == "$.candidate.training_image"
    assert job["StaticHyperParameters.$"] == "$.candidate.static_hyperparameters"
    tuning = tune["Parameters"]["HyperParameterTuningJobConfig"]
    assert tuning["ParameterRanges.$"] == "$.candidate.tuning_ranges"
    assert (
        tuning["HyperParameterTuningJobObjective"]["MetricName.$"]
        == "$.candidate.tuning_objective.metric_name"
    )
    assert model["Parameters"]["PrimaryContainer"]["Image.$"] == "$.candidate.training_image"


_NETWORK_KEYS = ("EnableNetworkIsolation", "EnableNetworkIsolation.$", "VpcConfig.$")


def _job(state: dict) -> dict:
    """Where a job's network settings go: the request, or the tuning job's training job definition."""
    return state["Parameters"].get("TrainingJobDefinition", state["Parameters"])


def test_network_variants_are_the_plain_task_plus_the_network_settings_only(workflow):
    """One copy of each job's request: the variants may differ from it only in VpcConfig and isolation, and
    the plain Task (no VPC, no isolation: what was sent before the options) carries neither."""
    states = dict(iter_states(workflow["States"]))
    for plain in ("Train candidate model", "Tune candidate hyperparameters", "Create candidate model"):
        isolated, in_vpc = states[f"{plain} in network isolation"], states[f"{plain} in the VPC"]
        assert not set(_NETWORK_KEYS) & set(_job(states[plain]))
        assert _job(isolated)["EnableNetworkIsolation"] is True
        assert (_job(in_vpc)["VpcConfig.$"], _job(in_vpc)["EnableNetworkIsolation.$"]) == (
            "$network.vpc",
            "$network.isolation",
        )
        for variant in (isolated, in_vpc):
            stripped = json.loads(json.dumps(variant))
            for key in _NETWORK_KEYS:
                _job(stripped).pop(key, None)
            assert stripped == states[plain], plain


def test_state_names_read_like_a_story(workflow):
    for name, _ in iter_states(workflow["States"]):
        assert len(name) <= 80 and re.fullmatch(r"[A-Z][A-Za-z0-9 /-]+", name), name


# ------------------------------------------------------------------------------------ local-cloud friendliness
def test_moto_step_functions_parser_accepts_the_definition(substituted_definition):
    """The local cloud executes this definition on moto's interpreter; its parser must accept it.

    Only moto's public-ish parser entry point is used; if it moves, the local-cloud hook module moves too,
    so a moved module fails this test (moto is pinned exactly) instead of skipping it.
    """
    import importlib

    parser = importlib.import_module("moto.stepfunctions.parser.asl.parse.asl_parser")
    program = parser.AmazonStateLanguageParser.parse(substituted_definition)
    assert program is not None
