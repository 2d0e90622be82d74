"""Local end-to-end tests: one synthesized assembly per workflow type and session, a fresh emulated
account per test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from workflow import config
from workflow.console import local_sources
from workflow.console.app import console_app
from workflow.local.emulator import EmulatedStack, synthesize_for_local
from workflow.local.run import process
from workflow.local.serve import LocalServer


@pytest.fixture(scope="session")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthesize_for_local(tmp_path_factory.mktemp("local-cdk.out"))


@pytest.fixture(scope="session")
def express_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stack synthesized with `orders:workflowType=EXPRESS`."""
    return synthesize_for_local(
        tmp_path_factory.mktemp("local-cdk-express.out"), context={config.CONTEXT_WORKFLOW_TYPE: "EXPRESS"}
    )


@pytest.fixture
def stack(assembly: Path) -> Iterator[EmulatedStack]:
    with EmulatedStack(assembly, time_scale=0.0001) as emulated:
        yield emulated


@pytest.fixture(params=config.WORKFLOW_TYPES)
def stack_of_each_type(request: pytest.FixtureRequest) -> Iterator[EmulatedStack]:
    """The stack deployed once as a Standard workflow, once as an Express one."""
    assembly: Path = request.getfixturevalue("express_assembly" if request.param == "EXPRESS" else "assembly")
    with EmulatedStack(assembly, time_scale=0.0001) as emulated:
        yield emulated


# --- A run whose executions take every path the console colours (tests/local/test_console*.py) ---

CONSOLE_ORDERS = ("ord-ok", "ord-retried", "ord-caught")


def console_order(order_id: str) -> str:
    return json.dumps(
        {
            "orderId": order_id,
            "customer": {"id": "c-1", "email": "ana@example.com"},
            "items": [{"sku": "BOOK-1", "quantity": 2, "unitPrice": "19.90"}],
            "currency": "EUR",
        }
    )


def fail_calls(code: str, status: int, about: str, times: int) -> Any:
    """A botocore `before-call` hook failing the calls whose request mentions `about`, `times` times, as
    workflow.local.faults fails a call: the error AWS returns, but for chosen orders rather than by chance."""
    left = [times]

    def before_call(params: dict[str, Any], **kwargs: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if about not in str(params) or left[0] == 0:
            return None
        left[0] -= 1
        parsed = {
            "Error": {"Code": code, "Message": "injected by the test"},
            "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "test", "HTTPHeaders": {}},
        }
        return AWSResponse(url="", status_code=status, headers={}, raw=None), parsed

    return before_call


@pytest.fixture(scope="module")
def console_stack(assembly: Path) -> Iterator[EmulatedStack]:
    """One run: `ord-ok` straight through; `ord-retried`'s notification throttled once, then sent (NotifyCustomer
    failed, then retried); every write of `ord-caught` failing (SaveOrder retried, then caught: RecordFailure,
    AlertOperations, OrderFailed); a body that is not JSON (REJECTED); and `ord-ok` started again under another
    name, as an operator might (SaveOrder's condition fails, caught into SkipDuplicate: a duplicate)."""
    stack = EmulatedStack(assembly, time_scale=0.0001)
    # Registered before the stack starts: the state machine's clients copy the session's hooks when built.
    events = stack.application_session.events
    events.register("before-call.sns.Publish", fail_calls("ThrottlingException", 400, "ord-retried", 1))
    events.register("before-call.dynamodb.PutItem", fail_calls("InternalServerError", 500, "ord-caught", 99))
    with stack:
        process(stack, [*(console_order(o) for o in CONSOLE_ORDERS), "not json"])
        sfn = stack.client("stepfunctions")
        first = sfn.describe_execution(executionArn=f"{execution_prefix(stack)}ord-ok")
        again = sfn.start_execution(
            stateMachineArn=stack.resources.state_machine_arn, name="ord-ok-again", input=first["input"]
        )
        stack.wait_for_execution(again["executionArn"])
        yield stack


def execution_prefix(stack: EmulatedStack) -> str:
    """An execution's ARN without its name."""
    return stack.resources.state_machine_arn.replace(":stateMachine:", ":execution:") + ":"


@pytest.fixture(scope="module")
def console_url(console_stack: EmulatedStack) -> Iterator[str]:
    """The console as `orders local serve` serves it: mounted beside the AWS endpoint, on a free port."""
    with LocalServer(console_stack, 0, console_app(lambda: local_sources(console_stack))) as server:
        yield server.console_url
