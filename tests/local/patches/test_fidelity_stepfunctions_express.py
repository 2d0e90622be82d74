"""Express and Standard state machines answer StartExecution, and the calls that read executions, as AWS does.

AWS's page "Execution guarantees"
(https://docs.aws.amazon.com/step-functions/latest/dg/express-at-least-once-execution.html): a Standard
workflow "automatically returns an idempotent response on starting an execution with the same name as a
currently-running workflow" (and refuses a used name otherwise); for an asynchronous Express workflow
"starting multiple workflows with the same name results in concurrent executions", run "at least once".
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.stepfunctions import models as sfn_models
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

from tests.local.patches.helpers import express_rules, parameters
from workflow.local.faults import FaultInjector
from workflow.local.patches.fidelity import stepfunctions as scaled_waits
from workflow.local.patches.fidelity import stepfunctions_express as patch
from workflow.local.patches.speed import stepfunctions as speed
from workflow.local.patches.state import current

# Executions wait 0.3 s (1 s on a time scale of 0.3): long enough to be seen running, short enough to wait for.
DEFINITION = json.dumps({"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 1, "End": True}}})
TIME_SCALE = 0.3
NAME_CHECKS = ["moto's scan", "the speed index"]
ROLE = "arn:aws:iam::123456789012:role/r"


def test_wrapped_step_functions_internals_keep_their_shape() -> None:
    assert parameters(patch._original_start_execution) == [
        "self",
        "state_machine_arn",
        "name",
        "execution_input",
        "trace_header",
    ]
    assert parameters(patch._original_describe_execution) == ["self", "execution_arn"]
    assert parameters(patch._original_stop_execution) == ["self", "execution_arn"]
    assert parameters(patch._original_list_executions)[:2] == ["self", "state_machine_arn"]
    assert {"name", "exec_arn", "state_machine"} <= set(parameters(patch._original_execution_init))


@pytest.fixture
def sfn(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A Step Functions client on the executing emulator, with the Express rules and a name check
    (the speed index unless the test asks for moto's scan too)."""
    name_check = (
        speed._original_execution_named if getattr(request, "param", "") == NAME_CHECKS[0] else speed._execution_named
    )
    monkeypatch.setattr(sfn_models.StateMachine, "_handle_name_input_idempotency", name_check)
    express_rules(monkeypatch)
    monkeypatch.setattr(WaitFunction, "_wait_interval", scaled_waits._scaled_wait_interval)
    monkeypatch.setattr(current, "time_scale", TIME_SCALE)
    speed.forget_stack()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield boto3.client("stepfunctions", region_name="us-east-1")


def machine(sfn: Any, workflow_type: str) -> str:
    return str(
        sfn.create_state_machine(name=f"m-{workflow_type}", definition=DEFINITION, roleArn=ROLE, type=workflow_type)[
            "stateMachineArn"
        ]
    )


def start(sfn: Any, arn: str, name: str, document: str = "{}") -> str:
    return str(sfn.start_execution(stateMachineArn=arn, name=name, input=document)["executionArn"])


def statuses(sfn: Any, arn: str) -> list[tuple[str, str]]:
    with patch.reading_back():
        listed = sfn.list_executions(stateMachineArn=arn)["executions"]
    return sorted((e["name"], e["status"]) for e in listed)


def wait_until_ended(sfn: Any, arn: str) -> list[tuple[str, str]]:
    deadline = time.monotonic() + 10
    while any(status == "RUNNING" for _, status in statuses(sfn, arn)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return statuses(sfn, arn)


@pytest.mark.parametrize("sfn", NAME_CHECKS, indirect=True)
def test_express_starts_with_one_name_are_concurrent_executions_with_arns_of_their_own(sfn: Any) -> None:
    express = machine(sfn, "EXPRESS")
    first = start(sfn, express, "order-1")
    second = start(sfn, express, "order-1")

    assert first != second
    for arn in (first, second):
        prefix, _, execution_id = arn.rpartition(":")
        assert prefix == "arn:aws:states:us-east-1:123456789012:express:m-EXPRESS:order-1"
        assert len(execution_id) == 36  # a UUID
    assert statuses(sfn, express) == [("order-1", "RUNNING"), ("order-1", "RUNNING")]
    assert wait_until_ended(sfn, express) == [("order-1", "SUCCEEDED"), ("order-1", "SUCCEEDED")]


@pytest.mark.parametrize("sfn", NAME_CHECKS, indirect=True)
def test_standard_starts_with_one_name_return_the_running_execution_or_are_refused(sfn: Any) -> None:
    standard = machine(sfn, "STANDARD")
    first = start(sfn, standard, "order-1")

    assert first == "arn:aws:states:us-east-1:123456789012:execution:m-STANDARD:order-1"
    assert start(sfn, standard, "order-1") == first  # same name and input, still running: the same execution
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists, match="order-1"):
        start(sfn, standard, "order-1", '{"other": 1}')
    assert wait_until_ended(sfn, standard) == [("order-1", "SUCCEEDED")]
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        start(sfn, standard, "order-1")  # the name is used until AWS forgets the execution (90 days)


def test_an_express_start_runs_twice_for_the_share_the_run_asks_for(sfn: Any) -> None:
    express = machine(sfn, "EXPRESS")
    current.faults = FaultInjector({"express": 1.0}, seed=3)
    start(sfn, express, "twice")
    current.faults = FaultInjector({"express": 0.0}, seed=3)
    start(sfn, express, "once")

    assert wait_until_ended(sfn, express) == [("once", "SUCCEEDED"), ("twice", "SUCCEEDED"), ("twice", "SUCCEEDED")]


def test_express_executions_are_not_described_listed_or_stopped_as_aws_refuses_them(sfn: Any) -> None:
    express = machine(sfn, "EXPRESS")
    execution = start(sfn, express, "order-1")

    for call in (sfn.describe_execution, sfn.get_execution_history, sfn.stop_execution):
        with pytest.raises(sfn.exceptions.InvalidArn) as refused:
            call(executionArn=execution)
        assert refused.value.response["Error"]["Message"] == (
            "Invalid Arn: 'Resource type not valid in this context: express'"
        )
    with pytest.raises(sfn.exceptions.ClientError) as refused:
        sfn.list_executions(stateMachineArn=express)
    assert refused.value.response["Error"] == {
        "Code": "StateMachineTypeNotSupported",
        "Message": "This operation is not supported by this type of state machine",
    }
    # The local mode's own report reads what moto keeps.
    wait_until_ended(sfn, express)
    with patch.reading_back():
        assert sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED"
        events = sfn.get_execution_history(executionArn=execution)["events"]
    assert [e["type"] for e in events][-1] == "ExecutionSucceeded"


def test_standard_executions_are_described_listed_and_stopped(sfn: Any) -> None:
    standard = machine(sfn, "STANDARD")
    execution = start(sfn, standard, "order-1")

    assert sfn.describe_execution(executionArn=execution)["name"] == "order-1"
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=standard)["executions"]] == [execution]
    sfn.stop_execution(executionArn=execution)
    assert wait_until_ended(sfn, standard) == [("order-1", "ABORTED")]
