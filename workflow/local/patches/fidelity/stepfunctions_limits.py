"""Step Functions: the limits AWS enforces that moto's interpreter misses or measures otherwise.

State data, 256 KiB. "Step Functions service quotas", https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html:
"Maximum input or output size for a task, state, or execution: 256 KiB of data as a UTF-8 encoded string.
This quota affects tasks (activity, Lambda function, or integrated service), state or execution output,
and input data when scheduling a task, entering a state, or starting an execution." "Handling errors in
Step Functions workflows", https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html:
`States.DataLimitExceeded` is reported when a connector's output, a state's output, or a state's input
after Parameters is larger than that quota; it is a terminal error that `States.ALL` does not catch.
moto checks a task's result and a state's output, but measures them as `json.dumps` prints them by
default (`\\u00e9` for `é`, a space after each `:` and `,`), refuses exactly 262,144 bytes, never checks
the input after Parameters, lets `States.ALL` catch the error, and some service tasks (DynamoDB's among
them) report it under their own name (`DynamoDB.AmazonDynamoDBException`), which `States.ALL` catches
too. Here the size is the UTF-8 length of the compact JSON text, as the execution history shows state
data; 262,144 bytes is the largest allowed.

StartExecution, "StartExecution", https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html:
`input` at most 262,144 bytes (UTF-8); `name` 1 to 80 characters and none of: white space, `< > { } [ ]`,
`? *`, `" # % \\ ^ | ~ ` $ & , ; : /`, control characters (U+0000-001F, U+007F-009F, U+FFFE-FFFF),
surrogates (U+D800-DFFF), U+10FFFF. A length outside its constraint is a `ValidationException`, a refused
character `InvalidName` (both HTTP 400). moto's executing backend checks neither.

TimeoutSeconds: moto's Program enforces it in real seconds. Locally, Wait states and Retry back-off are
scaled (`--time-scale`) while handlers run in real time, so neither clock alone is AWS's: the execution's
clock (`state.ExecutionClock`) counts the real time it took plus the full, unscaled length of every
scaled wait. An execution times out locally when it would on AWS: a handler that hangs past the
timeout, or waits and back-off that add up to it (on the execution's own thread; Parallel and Map
branches run on threads of their own, whose waits are not counted).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from typing import Any

from moto.stepfunctions.exceptions import InvalidName, ValidationException
from moto.stepfunctions.parser import quotas
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.component.program import program as program_module
from moto.stepfunctions.parser.asl.component.state import state as state_module
from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task, state_task_lambda
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service,
    state_task_service_factory,  # noqa: F401 (imports every service integration, so all are patched)
)
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.utils.encoding import _DateTimeEncoder
from moto.stepfunctions.parser.utils import TMP_THREADS
from moto.stepfunctions.responses import StepFunctionResponse

from workflow.local.patches.fidelity.sizes import utf8_bytes
from workflow.local.patches.state import ExecutionClock

MAX_STATE_DATA_BYTES = 262_144
MAX_EXECUTION_NAME_LENGTH = 80
# `\s` is Unicode white space; the rest as the StartExecution reference lists them.
_REFUSED_IN_NAME = re.compile(r'[\s<>{}\[\]?*"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff\U0010ffff]')
_DATA_LIMIT_EXCEEDED = StatesErrorName(typ=StatesErrorNameType.StatesStatesDataLimitExceeded)

# Kept to check, in tests, that what is replaced still has the shape the replacements assume.
_original_is_within_size_quota = quotas.is_within_size_quota
_original_error_equals = ErrorEqualsDecl._eval_body
_original_task_parameters = state_task.StateTask._eval_parameters
_original_lambda_parameters = state_task_lambda.StateTaskLambda._eval_parameters
_original_program_eval = program_module.Program.eval
_original_start_execution = StepFunctionResponse.start_execution
# The interpreter modules that imported moto's size check by name.
_SIZE_CHECKERS = (state_module, state_task_lambda, state_task_service)


def state_data_bytes(value: Any) -> int:
    """The size Step Functions counts: the UTF-8 bytes of the value's compact JSON text."""
    return utf8_bytes(json.dumps(value, cls=_DateTimeEncoder, ensure_ascii=False, separators=(",", ":")))


def _within_state_data_quota(value: Any) -> bool:
    return state_data_bytes(value) <= MAX_STATE_DATA_BYTES


def _error_equals_leaving_data_limit(self: ErrorEqualsDecl, env: Any) -> None:
    """`States.ALL` matches every error but States.DataLimitExceeded, which only its own name matches."""
    if env.stack[-1] == _DATA_LIMIT_EXCEEDED:
        env.stack.append(env.stack.pop() in self.error_names)
        return
    _original_error_equals(self, env)


def _keeping_failure_events(original: Callable[..., Any]) -> Callable[..., Any]:
    """A task's `_from_error` that reports an interpreter failure (States.DataLimitExceeded) as raised."""

    def from_error(self: Any, env: Any, ex: Exception) -> Any:
        if isinstance(ex, FailureEventException):
            return ex.failure_event
        return original(self, env, ex)

    return from_error


def _states_with_own_error_mapping() -> list[type]:
    """Every Task class that maps errors itself: the service integrations, plain Lambda, activities."""
    found: list[type] = []
    pending: list[type] = list(ExecutionState.__subclasses__())
    while pending:
        kind = pending.pop()
        pending.extend(kind.__subclasses__())
        if "_from_error" in vars(kind):
            found.append(kind)
    return found


def _input_limit_failure(env: Any, state_name: str) -> FailureEventException:
    # AWS documents the error name, not the cause's wording for this case: the wording is ours.
    cause = f"The state/task '{state_name}' has an input, after Parameters, larger than the maximum number of bytes"
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=_DATA_LIMIT_EXCEEDED,
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(  # type: ignore[typeddict-item]
                taskFailedEventDetails=TaskFailedEventDetails(
                    error=StatesErrorNameType.StatesStatesDataLimitExceeded.to_name(), cause=cause
                )
            ),
        )
    )


def _task_parameters_within_quota(self: Any, env: Any) -> dict[str, Any]:
    parameters: dict[str, Any] = _original_task_parameters(self, env)
    if not _within_state_data_quota(parameters):
        raise _input_limit_failure(env, self.name)
    return parameters


def _lambda_parameters_within_quota(self: Any, env: Any) -> dict[str, Any]:
    # A plain Lambda ARN task: the state's input after Parameters is the payload.
    parameters: dict[str, Any] = _original_lambda_parameters(self, env)
    if not _within_state_data_quota(parameters["Payload"]):
        raise _input_limit_failure(env, self.name)
    return parameters


def _program_eval_on_the_execution_clock(self: Any, env: Any) -> None:
    """moto's Program.eval, with TimeoutSeconds counted on the execution's clock (see the module's docstring)."""
    if self.timeout_seconds is None:
        _original_program_eval(self, env)
        return
    env.next_state_name = self.start_at.start_at_name
    clock = ExecutionClock(self.timeout_seconds.timeout_seconds, on_expired=env.set_timed_out)
    worker = threading.Thread(target=clock.run, args=(EvalComponent.eval, self, env), daemon=True)
    TMP_THREADS.append(worker)
    worker.start()
    while worker.is_alive():
        remaining = clock.remaining()
        if remaining > 0:
            worker.join(remaining)
        elif clock.expire():
            # Real time ran out with the worker still busy (a handler that hangs): as moto does, the
            # execution ends TIMED_OUT and the worker stops at its next state.
            return
        else:
            # The worker's own scaled wait ran past the timeout: it stops at once, after recording it.
            worker.join()


def _start_execution_within_limits(self: StepFunctionResponse) -> Any:
    name = self._get_param("name")
    execution_input = self._get_param("input")
    if name is not None and not 1 <= len(name) <= MAX_EXECUTION_NAME_LENGTH:
        bound = "greater than or equal to 1" if not name else f"less than or equal to {MAX_EXECUTION_NAME_LENGTH}"
        raise ValidationException(
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
            f"Member must have length {bound}"
        )
    if execution_input is not None and utf8_bytes(execution_input) > MAX_STATE_DATA_BYTES:
        # A sensitive member: AWS's validation message leaves its value out.
        raise ValidationException(
            "1 validation error detected: Value at 'input' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_STATE_DATA_BYTES}"
        )
    if name is not None and _REFUSED_IN_NAME.search(name):
        raise InvalidName(f"Invalid Name: '{name}'")
    return _original_start_execution(self)


def install(assign: Callable[[Any, str, Any], None] = setattr) -> None:
    """Apply the patches (tests pass `monkeypatch.setattr`, to undo them afterwards)."""
    for module in _SIZE_CHECKERS:
        assign(module, "is_within_size_quota", _within_state_data_quota)
    assign(ErrorEqualsDecl, "_eval_body", _error_equals_leaving_data_limit)
    assign(state_task.StateTask, "_eval_parameters", _task_parameters_within_quota)
    assign(state_task_lambda.StateTaskLambda, "_eval_parameters", _lambda_parameters_within_quota)
    for kind in _states_with_own_error_mapping():
        assign(kind, "_from_error", _keeping_failure_events(vars(kind)["_from_error"]))
    assign(program_module.Program, "eval", _program_eval_on_the_execution_clock)
    assign(StepFunctionResponse, "start_execution", _start_execution_within_limits)
