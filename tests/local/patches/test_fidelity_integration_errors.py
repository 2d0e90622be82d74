"""The local mode names the state machine's integration errors as Step Functions does.

A Retry list is only as good as the names it lists: if the emulator named errors otherwise than AWS
(moto 5.2.5 names DynamoDB's by the bare code, `DynamoDB.InternalServerError`), a list tested here would
miss them on AWS, or one right for AWS would never retry here. The rule and its pages are in
`workflow/local/patches/fidelity/integration_errors.py`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from tests.local.patches.helpers import parameters
from tests.local.test_end_to_end import by_key
from tests.orders import order
from workflow.local.emulator import EmulatedStack
from workflow.local.faults import SERVICES
from workflow.local.patches.fidelity import integration_errors as patch
from workflow.local.run import run

# Which tasks call each service, and enough orders that every code of a service is drawn at least once
# (for this seed: the test checks it).
TASKS = {"lambda": {"ValidateOrder"}, "dynamodb": {"SaveOrder", "RecordFailure"}, "sns": {"NotifyCustomer"}}
ORDERS = 4
# Written out, not computed by the rule under test: `<Service>.<Code>`, with `Exception` added where the
# code lacks it ("Learning to use AWS service SDK integrations in Step Functions", cited in the module).
AWS_NAMES = {
    "lambda": {"Lambda.TooManyRequestsException", "Lambda.ServiceException"},
    "dynamodb": {
        "DynamoDB.ProvisionedThroughputExceededException",
        "DynamoDB.RequestLimitExceededException",
        "DynamoDB.ThrottlingException",
        "DynamoDB.InternalServerErrorException",
        "DynamoDB.ServiceUnavailableException",
    },
    "sns": {
        "SNS.ThrottlingException",
        "SNS.KMSThrottlingException",
        "SNS.InternalErrorException",
        "SNS.InternalFailureException",
        "SNS.ServiceUnavailableException",
    },
}


def task_failures(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(state, error) of each TaskFailed event: the state is the one last entered."""
    failures, state = [], ""
    for event in events:
        if event["type"] == "TaskStateEntered":
            state = event["state"]
        elif event["type"] == "TaskFailed":
            failures.append((state, event["error"]))
    return failures


def test_every_injected_error_reaches_the_state_machine_under_the_name_step_functions_gives_it(
    stack: EmulatedStack,
) -> None:
    for service, tasks in TASKS.items():
        stack.faults.configure({service: 1.0}, seed=3)
        stack.faults.injected.clear()
        keys = [f"names-{service}-{i}" for i in range(ORDERS)]

        report = run(stack, [order(key) for key in keys])

        executions = by_key(report["executions"], "name")
        seen = {error for key in keys for state, error in task_failures(executions[key]["events"]) if state in tasks}
        injected = {name.split(":", 1)[1] for name in stack.faults.summary()}
        assert injected == {code for code, _ in SERVICES[service]}, f"seed 3 does not draw every {service} code"
        assert seen == AWS_NAMES[service]


def test_the_patched_dynamodb_error_naming_keeps_its_shape() -> None:
    original = patch._original_dynamodb_error_cause
    assert parameters(original) == ["client_error"]
    error = ClientError(
        {
            "Error": {"Code": "InternalServerError", "Message": "m"},
            "ResponseMetadata": {"HTTPStatusCode": 500, "RequestId": "r"},
        },
        "PutItem",
    )
    name, cause = original(error)
    assert name == "DynamoDB.InternalServerError", "moto now names DynamoDB's errors itself: drop the patch"
    assert isinstance(cause, str)


def test_a_task_cut_off_by_its_timeout_fails_with_states_timeout(assembly: Path) -> None:
    """A Task past its TimeoutSeconds fails with States.Timeout (Amazon States Language, Task state, cited in
    the module), whatever it calls: moto's own DynamoDB integration named it `DynamoDB.AmazonDynamoDBException`.
    Here every PutItem hangs past SaveOrder's 5 seconds, once; the definition retries States.Timeout there."""
    hung: list[str] = []

    def hang_once(**_: Any) -> None:
        if not hung:
            hung.append("PutItem")
            time.sleep(5.5)

    stack = EmulatedStack(assembly, time_scale=0.0001)
    stack.application_session.events.register("before-call.dynamodb.PutItem", hang_once)
    with stack:
        report = run(stack, [order("ord-hung")])

    events = report["executions"][0]["events"]
    assert [e["type"] for e in events].count("TaskTimedOut") == 1
    assert not task_failures(events)
    assert next(e["error"] for e in events if e["type"] == "TaskTimedOut") == "States.Timeout"
