# mypy: disable-error-code="method-assign,assignment,attr-defined"
# (This module assigns to moto's classes on purpose: that is what a patch is.)
"""Step Functions: the interpreter's caches and threads, and a wait for an execution's end.

- moto parses a definition (ANTLR: about 0.13 s of CPU for this stack's) when the state machine is created, to
  validate it, and drops what it built; each execution then parsed the same text again, and builds new boto3
  clients: `AmazonStateLanguageParser.parse` keeps what it returns per definition text (a definition that does
  not parse keeps nothing: it raises the same error every time), so the creation's parse serves every
  execution; the clients are cached too.
- The interpreter builds a JSONPath parser (a yacc table) for every path it evaluates, ResultPath
  included: cache the parsed paths; and it deep-copies a state's whole input at every read, with the
  generic `copy.deepcopy`: copy JSON values (and enum members, which are their own copies) with a
  JSON-only copier (anything else still goes to `copy.deepcopy`). The history GetExecutionHistory reads
  is copied the same way.
- StartExecution looks for an execution of the same name by scanning every execution of the state
  machine: index them by name.
- The local mode waits for an execution's end on an event its worker sets, rather than polling
  DescribeExecution (moto's lookups scan every execution).
"""

from __future__ import annotations

import copy
import enum
import functools
import threading
import types
from typing import Any

import jsonpath_ng
import jsonpath_ng.ext
from moto.core.utils import get_service_model
from moto.stepfunctions import models as sfn_models
from moto.stepfunctions.exceptions import ExecutionAlreadyExists
from moto.stepfunctions.parser import utils as sfn_utils
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import boto_client
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from workflow.local.patches.speed.requests import integration_client
from workflow.local.patches.state import current

_original_boto_client_for = boto_client.boto_client_for
_original_start = Execution.start
_original_terminated = BaseExecutionWorkerCommunication.terminated
# Kept to check, in tests, that what is replaced still has the shape the replacements assume.
_original_entrypoint = ExecutionWorker._get_evaluation_entrypoint
_original_execution_named = sfn_models.StateMachine._handle_name_input_idempotency
_original_parse = AmazonStateLanguageParser.parse

_parsed: dict[str, tuple[Any, Any]] = {}  # definition text -> what `AmazonStateLanguageParser.parse` returns
_clients: dict[tuple[str, str, bool], Any] = {}
_executions: dict[str, Execution] = {}


def _warm_heap_keys(program: Any) -> None:
    """Heap keys are random ids assigned on first use: assign them all before threads share the tree. (Walked
    without recursion: the tree is deep, and CreateStateMachine, which parses it now, runs deep in the stack.)"""
    seen: set[int] = set()
    pending = [program]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, EvalComponent):
            _ = node.heap_key
        for value in vars(node).values() if hasattr(node, "__dict__") else ():
            children = (
                value if isinstance(value, list | tuple) else value.values() if isinstance(value, dict) else (value,)
            )
            pending.extend(
                child
                for child in children
                if hasattr(child, "__dict__") and type(child).__module__.startswith("moto.stepfunctions.parser.asl")
            )


def _parse_once(definition: str) -> tuple[Any, Any]:
    if definition not in _parsed:
        parsed = _original_parse(definition)
        _warm_heap_keys(parsed[0])
        _parsed.setdefault(definition, parsed)
    return _parsed[definition]


def _cached_program(self: ExecutionWorker) -> Any:
    return _parse_once(self._evaluation_details.state_machine_details.definition)[0]


def _cached_boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    key = (region, service, boto_client.botocore_stubber.enabled)
    if key not in _clients and current.runtime is not None:
        # Building a client reads os.environ, which the runtime changes during invocations.
        with current.runtime.lock:
            _clients.setdefault(key, integration_client(region, service))
    return _clients[key]


def _start_with_completion_event(self: Execution) -> None:
    self.done = threading.Event()
    _executions[self.exec_arn] = self
    _original_start(self)


def _terminated_and_signal(self: BaseExecutionWorkerCommunication) -> None:
    try:
        _original_terminated(self)
    finally:
        self.execution.done.set()
        # moto keeps every thread it ever started in this list.
        sfn_utils.TMP_THREADS[:] = [t for t in sfn_utils.TMP_THREADS if t.is_alive()]


class _NotJson(Exception):
    pass


_JSON_SCALARS = (str, int, float, bool, type(None))


def _copy_json(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {key: _copy_json(item) for key, item in value.items()}
    if kind is list:
        return [_copy_json(item) for item in value]
    if kind in _JSON_SCALARS:
        return value
    if issubclass(kind, enum.Enum):
        # As `copy.deepcopy` does (Enum.__deepcopy__): a member is its own copy. Every history event's type
        # is one (HistoryEventType), which sent each history read back to the generic copy.
        return value
    raise _NotJson


def _deepcopy(value: Any, memo: Any = None) -> Any:
    if memo is None:
        try:
            return _copy_json(value)
        except _NotJson:
            pass
    return copy.deepcopy(value, memo)


_fast_copy_module = types.SimpleNamespace(deepcopy=_deepcopy, copy=copy.copy)


def install() -> None:
    AmazonStateLanguageParser.parse = staticmethod(_parse_once)
    ExecutionWorker._get_evaluation_entrypoint = _cached_program
    cached_parsers = {
        parser: functools.lru_cache(maxsize=4096)(parser) for parser in (jsonpath_ng.parse, jsonpath_ng.ext.parse)
    }
    for module in _interpreter_modules():
        if getattr(module, "copy", None) is copy:
            module.copy = _fast_copy_module
        if getattr(module, "parse", None) in cached_parsers:
            module.parse = cached_parsers[module.parse]
        if getattr(module, "boto_client_for", None) is _original_boto_client_for:
            module.boto_client_for = _cached_boto_client_for
    Execution.start = _start_with_completion_event
    BaseExecutionWorkerCommunication.terminated = _terminated_and_signal
    sfn_models.StateMachine._handle_name_input_idempotency = _execution_named


def _interpreter_modules() -> list[types.ModuleType]:
    """Every module of moto's Step Functions interpreter (names imported `from x import y` live in each)."""
    import importlib
    import pkgutil

    from moto.stepfunctions.parser import asl

    found = []
    for info in pkgutil.walk_packages(asl.__path__, asl.__name__ + "."):
        try:
            found.append(importlib.import_module(info.name))
        except ImportError:  # a few LocalStack leftovers moto never imports
            continue
    return found


# Per state machine: its executions list (kept, so its id is not reused), an index of it by name,
# and how many of its executions are indexed. Not on the state machine itself: StartExecution
# deep-copies the state machine, and executions cannot be copied.
_executions_by_name: dict[int, tuple[list[Any], dict[str, Any], int]] = {}


def _execution_named(self: sfn_models.StateMachine, name: str, execution_input: str) -> Any:
    """moto's idempotency check for StartExecution, by an index rather than a scan of every execution."""
    executions = self.executions
    kept, index, indexed = _executions_by_name.get(id(executions), (executions, {}, 0))
    if kept is not executions or indexed > len(executions):
        index, indexed = {}, 0
    for execution in executions[indexed:]:
        index.setdefault(execution.name, execution)  # the first of a name, as moto's scan finds it
    _executions_by_name[id(executions)] = (executions, index, len(executions))
    execution = index.get(name)
    if execution is None:
        return None
    if execution_input == execution.execution_input and execution.status == "RUNNING":
        return execution
    raise ExecutionAlreadyExists("Execution Already Exists: '" + execution.execution_arn + "'")


def wait_for_execution(execution_arn: str, timeout: float) -> str:
    """Block until the execution ends; its status (looked up directly: moto's lookups scan every execution)."""
    execution = _executions[execution_arn]
    execution.done.wait(timeout)
    return str(getattr(execution.exec_status, "value", execution.exec_status))


def warm_up(region: str, services: tuple[str, ...]) -> None:
    """Load service models and integration clients once, before executions race to do it on many threads."""
    for service in services:
        get_service_model(service)
        _cached_boto_client_for(region, service)


def forget_stack() -> None:
    """Integration clients and executions belong to one emulated stack (and its fault injector)."""
    _clients.clear()
    _executions.clear()
    _executions_by_name.clear()
