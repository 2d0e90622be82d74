# mypy: disable-error-code="method-assign,assignment"
# (This module assigns to moto's classes on purpose: that is what a patch is.)
"""Step Functions, Express workflows: what AWS does with them that it does not do with Standard ones.

moto runs an Express state machine's executions as Standard ones. AWS's page "Execution guarantees"
(https://docs.aws.amazon.com/step-functions/latest/dg/express-at-least-once-execution.html) says what
differs for an asynchronous Express workflow, and the API reference says which calls refuse it:

- Names do not deduplicate: "Idempotency is not automatically managed. Starting multiple workflows
  with the same name results in concurrent executions." (StartExecution, API reference: "StartExecution
  is not idempotent for EXPRESS workflows",
  https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html). Each start is
  a new execution, with an ARN of its own: `arn:aws:states:<region>:<account>:express:<state machine>:
  <name>:<id>` (moto names every execution `...:execution:<state machine>:<name>`, so two starts with one
  name would share an ARN).
- "At-least-once workflow execution": a share of starts (`--faults express=SHARE`, the run's
  `FaultInjector.runs_twice`) runs twice, concurrently, with the same name and input.
- "Execution history is not captured by Step Functions" (CloudWatch Logs only): DescribeExecution,
  GetExecutionHistory and ListExecutions are "not supported by EXPRESS state machines" (API reference,
  API_DescribeExecution.html, API_GetExecutionHistory.html, API_ListExecutions.html), and StopExecution
  refuses an Express ARN too. AWS's answers, as recorded from AWS in LocalStack's snapshot tests
  (tests/aws/services/stepfunctions/v2/test_sfn_api_express.snapshot.json), since the API reference
  names no error for them: `InvalidArn` "Invalid Arn: 'Resource type not valid in this context: express'"
  for an Express execution's ARN, `StateMachineTypeNotSupported` "This operation is not supported by
  this type of state machine" for ListExecutions. The local mode's own report still reads them from the
  emulator, inside `reading_back()`: moto keeps what AWS would only have logged.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.core.exceptions import AWSError
from moto.stepfunctions import models as sfn_models
from moto.stepfunctions.exceptions import ExecutionDoesNotExist, InvalidArn
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from workflow.local.faults import EXPRESS_TWICE
from workflow.local.patches.state import current
from workflow.operations import is_express_execution

EXPRESS = "EXPRESS"

# Kept to check, in tests, that what is wrapped still has the shape the wrappers assume.
_original_state_machine_init = sfn_models.StateMachine.__init__
_original_execution_init = Execution.__init__
_original_start_execution = StepFunctionsParserBackend.start_execution
_original_describe_execution = sfn_models.StepFunctionBackend.describe_execution
_original_stop_execution = sfn_models.StepFunctionBackend.stop_execution
_original_list_executions = sfn_models.StepFunctionBackend.list_executions


class StateMachineTypeNotSupported(AWSError):
    TYPE = "StateMachineTypeNotSupported"


_reading = threading.local()


@contextmanager
def reading_back() -> Iterator[None]:
    """The local mode reading its own report on this thread: Express executions are listed and described."""
    was_reading = getattr(_reading, "active", False)
    _reading.active = True
    try:
        yield
    finally:
        _reading.active = was_reading


def _refused() -> bool:
    return not getattr(_reading, "active", False)


def _no_name_check(name: str, execution_input: str) -> None:
    """An Express state machine's StartExecution never finds an execution of the same name."""
    return None


def _init_state_machine(self: sfn_models.StateMachine, *args: Any, **kwargs: Any) -> None:
    _original_state_machine_init(self, *args, **kwargs)
    if self.type == EXPRESS:
        # StartExecution calls the state machine's name check (moto's scan, or the speed index that
        # replaces it on the class); an Express machine's own attribute takes its place.
        self._handle_name_input_idempotency = _no_name_check


def _init_execution(self: Execution, **kwargs: Any) -> None:
    machine = kwargs["state_machine"]
    if machine.type == EXPRESS:
        name = kwargs["name"] or str(uuid.uuid4())  # AWS names an unnamed execution with a UUID
        prefix = machine.arn.replace(":stateMachine:", ":express:", 1)
        kwargs.update(name=name, exec_arn=f"{prefix}:{name}:{uuid.uuid4()}")
    _original_execution_init(self, **kwargs)


def _start_execution(self: StepFunctionsParserBackend, state_machine_arn: str, *args: Any, **kwargs: Any) -> Any:
    execution = _original_start_execution(self, state_machine_arn, *args, **kwargs)
    faults = current.faults
    if faults is None or not faults.rates.get(EXPRESS_TWICE):
        return execution  # no second runs asked for: no need to look the state machine up on every start
    express = self.describe_state_machine(state_machine_arn).type == EXPRESS
    if express and faults.runs_twice(execution.name):
        _original_start_execution(self, state_machine_arn, *args, **kwargs)  # at least once: here, twice
    return execution


def _not_in_this_context() -> InvalidArn:
    return InvalidArn("Invalid Arn: 'Resource type not valid in this context: express'")


def _describe_execution(self: sfn_models.StepFunctionBackend, execution_arn: str) -> Any:
    """DescribeExecution (and GetExecutionHistory, which moto answers through it)."""
    if not is_express_execution(execution_arn):
        return _original_describe_execution(self, execution_arn)
    if _refused():
        raise _not_in_this_context()
    machine = self._get_state_machine_for_execution(execution_arn)
    found = next((e for e in machine.executions if e.execution_arn == execution_arn), None)
    if found is None:
        raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{execution_arn}'")
    return found


def _stop_execution(self: sfn_models.StepFunctionBackend, execution_arn: str) -> Any:
    if is_express_execution(execution_arn):
        raise _not_in_this_context()
    return _original_stop_execution(self, execution_arn)


def _list_executions(self: sfn_models.StepFunctionBackend, state_machine_arn: str, *args: Any, **kwargs: Any) -> Any:
    if _refused() and self.describe_state_machine(state_machine_arn).type == EXPRESS:
        raise StateMachineTypeNotSupported("This operation is not supported by this type of state machine")
    return _original_list_executions(self, state_machine_arn, *args, **kwargs)


def install() -> None:
    sfn_models.StateMachine.__init__ = _init_state_machine
    Execution.__init__ = _init_execution
    StepFunctionsParserBackend.start_execution = _start_execution
    sfn_models.StepFunctionBackend.describe_execution = _describe_execution
    sfn_models.StepFunctionBackend.stop_execution = _stop_execution
    sfn_models.StepFunctionBackend.list_executions = _list_executions
