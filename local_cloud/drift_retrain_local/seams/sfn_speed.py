"""Five costs of moto 5.2.5's Step Functions that AWS does not have, removed without changing an answer.

- **The ASL parser runs on every create and every execution.** moto parses the definition with ANTLR
  when a state machine is created (to validate it) and again when each execution starts: about a second
  of CPU for this project's definition, every time. Here each definition is parsed once per process
  (of 64 kept, the least recently used goes first) and every caller gets its own copy of the parsed
  program, unpickled from the cached bytes (1.3 ms for the main definition, where ``deepcopy`` took
  10 ms), so no execution shares state with another. The cache outlives one local cloud (a parse
  depends on the definition alone). A definition that does not parse raises exactly as before (errors
  are never cached). Creating a state machine whose definition already parsed skips the copy too:
  validation only asks whether it parses.
- **GetExecutionHistory ignores its options.** moto returns every event with its full input and output
  whatever the request says. AWS honours ``includeExecutionData=false`` (no ``input``/``output`` in the
  event details), ``reverseOrder`` and ``maxResults``/``nextToken``. Watchers that only need state names
  (``observe.execution_path``) ask for no data, as they would on AWS, instead of re-serialising megabytes
  of state every poll. moto's serialiser also walks each event's 60-member shape member by member (a
  tenth of a workflow's CPU went to reading histories), so a page is written as JSON directly: the
  same document, timestamps as moto writes them (epoch seconds, truncated to milliseconds).
- **Every task makes a new boto3 client.** moto's ``boto_client_for`` builds a client (2 to 8 ms of
  CPU: the client class and its methods are made anew) for each Lambda invoke, each ``aws-sdk`` call and
  each ``.sync`` poll: a tenth of a workflow's CPU. Here a client is made once per default session,
  region, service and endpoint, and shared (botocore clients are thread-safe). The local cloud makes a
  fresh default session for each run and installs its hooks (the Lambda runtime, the API faults) on it
  before any client exists, and the cache is emptied when the seam is uninstalled, so a shared client
  sees exactly the hooks a new one would.
- **Every JSONPath is parsed anew.** moto's ``extract_json`` builds a PLY parser (its grammar tables)
  and parses the path for every ``$.x`` a state reads. A parsed path is a value, so each is parsed once.
- **Every state's data is copied with ``copy.deepcopy``.** moto copies a state's input, result, error
  output and value stack on every step (a twentieth of a workflow's CPU). Here those modules copy through
  a pickle round trip instead: the same deep copy (shared references kept, the same types), written in
  C and about three times faster on JSON data. A value pickle cannot write is copied by ``deepcopy``.

``check()`` fails loudly (``MotoHookMovedError``) if the pinned moto no longer has this shape.
"""

from __future__ import annotations

import calendar
import copy
import functools
import json
import pickle
import re
import sys
import threading
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import boto3

from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.seams.lookup import attribute, module, source

__all__ = ["check", "install", "uninstall"]

_PARSER = "moto.stepfunctions.parser.asl.parse.asl_parser"
_CLIENTS = "moto.stepfunctions.parser.asl.utils.boto_client"
_JSON_PATH = "moto.stepfunctions.parser.asl.utils.json_path"
#: moto's modules that must hold ``boto_client_for`` by name: the Lambda and ``aws-sdk`` integrations
#: this project's definitions use (every other holder found is patched too).
_CLIENT_USERS = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn",
)
#: moto's modules that copy every state's data with ``copy.deepcopy`` (their only use of ``copy``).
_DATA_COPIERS = (
    "moto.stepfunctions.parser.asl.eval.states",
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
)
_RESPONSES = "moto.stepfunctions.responses"
_MODELS = "moto.stepfunctions.parser.models"
#: Parsed definitions kept per process, least recently used evicted first: a stack has seven, and a
#: process may deploy several stacks and run small ad-hoc definitions between them.
_CACHE_LIMIT = 64
#: What ``maxResults`` means when it is absent or 0, as on AWS.
_DEFAULT_PAGE = 100

_lock = threading.Lock()
_cache: dict[str, tuple[Any, Any]] = {}
_originals: dict[str, Any] = {}
#: Modules whose ``boto_client_for`` was replaced (restored by ``uninstall``).
_client_holders: list[Any] = []
_clients: dict[tuple[Any, ...], Any] = {}


def _parser_class() -> Any:
    return attribute(_PARSER, "AmazonStateLanguageParser")


def _backend_class() -> Any:
    return attribute(_MODELS, "StepFunctionsParserBackend")


def _response_class() -> Any:
    return attribute(_RESPONSES, "StepFunctionResponse")


def check() -> None:
    parse = _parser_class().__dict__.get("parse")
    if not isinstance(parse, staticmethod):
        raise MotoHookMovedError("moto's AmazonStateLanguageParser.parse is no longer a staticmethod")
    if not isinstance(_backend_class().__dict__.get("_validate_definition"), staticmethod):
        raise MotoHookMovedError(
            "moto's StepFunctionsParserBackend._validate_definition is no longer a staticmethod"
        )
    if not callable(getattr(_response_class(), "get_execution_history", None)):
        raise MotoHookMovedError("moto's StepFunctionResponse.get_execution_history is gone")
    if not callable(getattr(attribute("moto.core.responses", "ActionResult"), "execute_result", None)):
        raise MotoHookMovedError("moto's ActionResult no longer serialises through execute_result")
    original = _originals.get("client_for") or attribute(_CLIENTS, "boto_client_for")
    for name in _CLIENT_USERS:
        if getattr(module(name), "boto_client_for", None) not in (original, _shared_client_for):
            raise MotoHookMovedError(f"{name} no longer calls moto's boto_client_for")
    if getattr(module(_JSON_PATH), "parse", None) not in (
        attribute("jsonpath_ng.ext", "parse"),
        _parsed_json_path,
    ):
        raise MotoHookMovedError("moto's json_path no longer takes parse from jsonpath_ng.ext")
    if "input_expr = parse(path)" not in source(attribute(_JSON_PATH, "extract_json")):
        raise MotoHookMovedError("moto's extract_json no longer parses its path with jsonpath_ng's parse")
    for name in _DATA_COPIERS:
        holder = module(name)
        if getattr(holder, "copy", None) not in (copy, _pickle_copy):
            raise MotoHookMovedError(f"{name} no longer imports the copy module")
        if set(re.findall(r"\bcopy\.(\w+)", source(holder))) != {"deepcopy"}:
            raise MotoHookMovedError(f"{name} uses more of the copy module than deepcopy")


def _cached_parse(definition: str) -> tuple[Any, Any]:
    """moto's ``parse``, once per definition: a fresh copy of the program for every caller."""
    with _lock:
        found = _cache.pop(definition, None)
        if found is not None:
            _cache[definition] = found  # the most recently used is the last evicted
    if found is None:
        program, tree = _originals["parse"](definition)  # raises for a bad definition: nothing cached
        found = (_frozen(program), tree)
        with _lock:
            while len(_cache) >= _CACHE_LIMIT:
                _cache.pop(next(iter(_cache)))
            _cache[definition] = found
    program, tree = found
    return _thawed(program), tree


def _frozen(program: Any) -> Any:
    """A parsed program as kept in the cache: its pickle, or the program itself if it has none."""
    try:
        return pickle.dumps(program, pickle.HIGHEST_PROTOCOL)
    except Exception:  # something in it pickle cannot write: callers get deep copies instead
        return program


def _thawed(kept: Any) -> Any:
    """A fresh copy of a cached program: unpickled (a few times faster than ``deepcopy``), or deep-copied."""
    return pickle.loads(kept) if isinstance(kept, bytes) else copy.deepcopy(kept)


def _copy_data(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """``copy.deepcopy`` of a state's data as a pickle round trip (deepcopy for what pickle cannot write)."""
    if memo is None:
        try:
            return pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
        except Exception:  # anything pickle refuses (a local class, a lock) is deep-copied as before
            pass
    return copy.deepcopy(value, memo)


#: What the copying modules see as ``copy`` while the seam is installed.
_pickle_copy = SimpleNamespace(deepcopy=_copy_data)


def _validate_definition(definition: str) -> None:
    """moto's validation, skipped for a definition that already parsed (it is in the cache)."""
    with _lock:
        parsed = definition in _cache
    if not parsed:
        _originals["validate"](definition)


def _without_data(event: dict[str, Any]) -> dict[str, Any]:
    """The event as AWS gives it with ``includeExecutionData=false``: no input or output in its details."""
    trimmed = {}
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in ("input", "output")}
        trimmed[key] = value
    return trimmed


def _epoch(value: datetime | str) -> int | float:
    """A timestamp as moto's JSON serialiser writes it: epoch seconds, truncated to milliseconds (moto
    keeps history timestamps as ISO text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    seconds = calendar.timegm(value.timetuple())
    return seconds + (value.microsecond // 1000) / 1000.0 if value.microsecond else seconds


def _json_value(value: Any) -> Any:
    """An event's details as moto's JSON serialiser writes them: no ``None`` members."""
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def _event_document(event: dict[str, Any]) -> dict[str, Any]:
    document = _json_value(event)
    if "timestamp" in document:  # the one timestamp a HistoryEvent has
        document["timestamp"] = _epoch(document["timestamp"])
    return document


@functools.cache
def _history_page_class() -> type:
    """moto's ``ActionResult`` for a GetExecutionHistory page, its events written as JSON directly."""
    base = attribute("moto.core.responses", "ActionResult")

    class HistoryPage(base):  # type: ignore[misc, valid-type]
        def execute_result(self, context: Any) -> Any:
            page = self.result
            status, headers, body = base({"events": []}).execute_result(context)  # moto's status, headers
            document = json.loads(body)
            document["events"] = [_event_document(event) for event in page["events"]]
            if "nextToken" in page:
                document["nextToken"] = page["nextToken"]
            return status, headers, json.dumps(document)

    return HistoryPage


def _history(self: Any) -> Any:
    """GetExecutionHistory with AWS's ``includeExecutionData``, ``reverseOrder`` and pagination."""
    result = _originals["history"](self)
    events = list((result.result or {}).get("events") or [])
    if self._get_param("reverseOrder") is True:
        events.reverse()
    if self._get_param("includeExecutionData") is False:
        events = [_without_data(event) for event in events]
    start = int(self._get_param("nextToken") or 0)
    size = int(self._get_param("maxResults") or _DEFAULT_PAGE)
    page: dict[str, Any] = {"events": events[start : start + size]}
    if start + size < len(events):
        page["nextToken"] = str(start + size)
    return _history_page_class()(page)


def _shared_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    """moto's ``boto_client_for``, one client per default session, region, service and endpoint (moto's
    clients ignore ``state_credentials``: every one signs with the same fixed keys)."""
    original = _originals.get("client_for")
    if original is None:  # uninstalled (a caller kept this function): moto's own, a new client each time
        return attribute(_CLIENTS, "boto_client_for")(region, service, state_credentials)
    stubbed = attribute("moto.core.models", "botocore_stubber").enabled
    port = None if stubbed else attribute("moto.settings", "moto_server_port")()
    key = (boto3.DEFAULT_SESSION, region, service, port)
    with _lock:
        client = _clients.get(key)
    if client is None:
        client = original(region, service, state_credentials)
        with _lock:
            client = _clients.setdefault(key, client)
    return client


@functools.lru_cache(maxsize=1024)
def _parsed_json_path(path: str, debug: bool | None = None) -> Any:
    """jsonpath_ng's ``ext.parse``, once per path (a parsed path is only read by ``find``)."""
    return attribute("jsonpath_ng.ext", "parse")(path, debug)


def _install_shared_clients() -> None:
    original = attribute(_CLIENTS, "boto_client_for")
    _originals["client_for"] = original
    for name in _CLIENT_USERS:
        module(name)
    for holder in list(sys.modules.values()):
        if getattr(holder, "__name__", "").startswith("moto.") and (
            getattr(holder, "boto_client_for", None) is original
        ):
            holder.boto_client_for = _shared_client_for
            _client_holders.append(holder)


def install() -> None:
    with _lock:
        check()
        if _originals:
            return
        parser, responses, backend = _parser_class(), _response_class(), _backend_class()
        _originals["parse"] = parser.parse
        _originals["history"] = responses.get_execution_history
        _originals["validate"] = backend._validate_definition
        parser.parse = staticmethod(_cached_parse)
        backend._validate_definition = staticmethod(_validate_definition)
        responses.get_execution_history = _history
        _install_shared_clients()
        json_path = module(_JSON_PATH)
        _originals["json_path_parse"] = json_path.parse
        json_path.parse = _parsed_json_path
        for name in _DATA_COPIERS:
            module(name).copy = _pickle_copy


def uninstall() -> None:
    with _lock:
        if not _originals:
            return
        _parser_class().parse = staticmethod(_originals.pop("parse"))
        _response_class().get_execution_history = _originals.pop("history")
        _backend_class()._validate_definition = staticmethod(_originals.pop("validate"))
        module(_JSON_PATH).parse = _originals.pop("json_path_parse")
        for name in _DATA_COPIERS:
            module(name).copy = copy
        client_for = _originals.pop("client_for")
        for holder in _client_holders:
            holder.boto_client_for = client_for
        _client_holders.clear()
        _clients.clear()
