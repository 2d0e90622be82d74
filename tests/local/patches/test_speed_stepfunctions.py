"""The interpreter internals `speed.stepfunctions` replaces keep the shape it expects, and answer as moto's own."""

from __future__ import annotations

import inspect
import json
import threading
import types

import boto3
import pytest
from moto import mock_aws
from moto.core.utils import get_service_model
from moto.stepfunctions import models as sfn_models
from moto.stepfunctions.parser import utils as sfn_utils
from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringJsonPath
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds, TimeoutSecondsPath
from moto.stepfunctions.parser.asl.component.state.exec import execute_state
from moto.stepfunctions.parser.asl.utils import boto_client

from tests.local.patches.helpers import parameters
from workflow.local.emulator import EmulatedStack
from workflow.local.patches.speed import stepfunctions as patch


def test_patched_step_functions_internals_keep_their_shape() -> None:
    assert parameters(patch._original_entrypoint) == ["self"]
    assert parameters(patch._original_boto_client_for) == ["region", "service", "state_credentials"]
    assert hasattr(boto_client, "botocore_stubber")
    assert parameters(patch._original_start) == ["self"]
    assert parameters(patch._original_terminated) == ["self"]
    assert isinstance(sfn_utils.TMP_THREADS, list)
    holders = [m for m in patch._interpreter_modules() if hasattr(m, "boto_client_for")]
    assert len(holders) >= 5, "the interpreter no longer imports boto_client_for where the patch expects"
    copiers = [m for m in patch._interpreter_modules() if hasattr(m, "copy")]
    assert any(m.__name__.endswith("eval.states") for m in copiers)
    assert hasattr(get_service_model, "cache_info")


def test_patched_task_evaluation_keeps_its_shape() -> None:
    assert parameters(patch._original_evaluate_with_timeout) == ["self", "env"]
    source = inspect.getsource(patch._original_evaluate_with_timeout)
    assert "Thread(target=_exec_and_notify, daemon=True)" in source
    assert "terminated_event.wait(timeout_seconds)" in source
    assert TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS == 99999999


class _TaskState:
    def __init__(self, timeout: object) -> None:
        self.timeout = timeout


def _thread_for(state: _TaskState, monkeypatch: pytest.MonkeyPatch) -> tuple[object, list[str]]:
    """What the patched evaluation hands moto's code when it asks for a Task thread."""
    made: list[object] = []
    ran: list[str] = []

    def evaluate(self: _TaskState, env: object) -> None:
        thread = execute_state.Thread(target=lambda: ran.append("task"), daemon=True)
        thread.start()
        made.append(thread)

    monkeypatch.setattr(patch, "_original_evaluate_with_timeout", evaluate)
    patch._evaluate_inline_without_timeout(state, env=None)
    made[0].join()  # type: ignore[attr-defined]
    return made[0], ran


def test_a_task_without_timeout_runs_on_the_execution_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(execute_state, "Thread", patch._task_thread)
    thread, ran = _thread_for(_TaskState(TimeoutSeconds(TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS)), monkeypatch)
    assert isinstance(thread, patch._InlineTask)
    assert ran == ["task"]


def test_a_task_with_a_timeout_keeps_its_own_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(execute_state, "Thread", patch._task_thread)
    for timeout in (TimeoutSeconds(30), TimeoutSecondsPath(StringJsonPath("$.seconds"))):  # type: ignore[arg-type]
        thread, ran = _thread_for(_TaskState(timeout), monkeypatch)
        assert isinstance(thread, threading.Thread)
        assert ran == ["task"]


def test_start_execution_finds_an_execution_of_the_same_name_as_moto_s_scan_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert parameters(patch._original_execution_named) == ["self", "name", "execution_input"]
    monkeypatch.setattr(sfn_models.StateMachine, "_handle_name_input_idempotency", patch._execution_named)
    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        machine = sfn.create_state_machine(
            name="m",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
            roleArn="arn:aws:iam::123456789012:role/r",
        )["stateMachineArn"]

        def start(name: str, document: str = "{}") -> str:
            return str(sfn.start_execution(stateMachineArn=machine, name=name, input=document)["executionArn"])

        first = start("order-1")
        for i in range(2, 50):
            start(f"order-{i}")
        assert start("order-1") == first  # same name, same input, still running: the same execution
        with pytest.raises(sfn.exceptions.ExecutionAlreadyExists, match="order-1"):
            start("order-1", '{"other": 1}')
        sfn.stop_execution(executionArn=first)
        with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
            start("order-1")
        assert start("order-50") != first


def test_integration_clients_are_built_once_even_as_the_state_machine_s_role(stack: EmulatedStack) -> None:
    """The access check wraps each integration client in the state machine's role: the client under it
    must still be the cached one (building a client reads os.environ while an invocation may change it)."""
    holders = {m.boto_client_for for m in patch._interpreter_modules() if hasattr(m, "boto_client_for")}
    (client_for,) = holders
    credentials = types.SimpleNamespace(role_arn="arn:aws:iam::123456789012:role/states")
    first = client_for("us-east-1", "dynamodb", credentials)
    second = client_for("us-east-1", "dynamodb", credentials)
    assert first._client is second._client
