"""AWS's size limits, end to end on the emulated stack: what the workflow does at the edge of each.

The limits are enforced by `workflow/local/patches/fidelity/` (each cited there); these tests show what
they mean for an order: the largest body the starter carries still reaches its outcome, and fails
into a FAILED record and an alert (issue 9, item 5); SQS messages of up to 1 MiB reach the starter in
invocations Lambda accepts.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from order_starter.keys import MAX_EXECUTION_INPUT_BYTES, execution_input
from tests.local.test_end_to_end import by_key, subscribe_operations
from tests.orders import ORDER
from workflow.local.emulator import EmulatedStack
from workflow.local.patches.fidelity.lambda_ import MAX_SYNC_REQUEST_BYTES
from workflow.local.patches.fidelity.stepfunctions_limits import MAX_STATE_DATA_BYTES
from workflow.local.poller import MAX_PAYLOAD_BYTES
from workflow.local.run import drain_queue, run
from workflow.local.runtime import FunctionSpec

MESSAGE_ID = "00000000-0000-0000-0000-000000000000"  # SQS message ids are UUIDs: 36 characters


def largest_body(order_id: str, **changes: Any) -> str:
    """The order with an ignored `padding` field (two-byte characters, so bytes and characters differ)
    as long as the starter still carries the body in the execution input."""
    document = {**ORDER, "orderId": order_id, **changes, "padding": ""}

    def carried(length: int) -> bool:
        document["padding"] = "é" * length
        return '"body"' in execution_input(order_id, MESSAGE_ID, json.dumps(document, ensure_ascii=False))

    low, high = 0, MAX_EXECUTION_INPUT_BYTES
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if carried(middle) else (low, middle - 1)
    assert not carried(low + 1)
    assert carried(low)
    return json.dumps(document, ensure_ascii=False)


def test_the_largest_body_the_starter_carries_is_still_accepted_or_rejected(stack: EmulatedStack) -> None:
    accepted, rejected = largest_body("ord-largest"), largest_body("ord-largest-bad", currency="brl")
    size = len(execution_input("ord-largest", MESSAGE_ID, accepted).encode())
    assert 0 <= MAX_EXECUTION_INPUT_BYTES - size <= 1  # the starter's cap, to a two-byte character
    # Nothing lowered: within 1 KiB of what StartExecution takes (room for the first task's execution id).
    assert 0 < MAX_STATE_DATA_BYTES - MAX_EXECUTION_INPUT_BYTES <= 1024
    report = run(stack, [accepted, rejected])

    records = by_key(report["records"])
    assert records["ord-largest"]["status"] == "ACCEPTED"
    assert records["ord-largest"]["total"] == "40.10"
    assert records["ord-largest-bad"]["status"] == "REJECTED"
    assert records["ord-largest-bad"]["reasons"] == ["currency: must be three upper-case letters"]
    assert {e["status"] for e in report["executions"]} == {"SUCCEEDED"}
    assert sorted(n["status"] for n in report["notifications"]) == ["ACCEPTED", "REJECTED"]


def _lambda_service_errors(stack: EmulatedStack) -> None:
    stack.faults.configure({"lambda": 1.0}, 0)


def _a_bug_with_a_long_message(stack: EmulatedStack) -> None:
    # A handler error whose message quotes the order, as many do: its Cause is kilobytes.
    def quoting_bug(spec: FunctionSpec, event: Any) -> None:
        if "Validate" in spec.name:
            raise ValueError(f"cannot read the order: {event['message']['body'][:4096]}")

    stack.runtime.hooks.append(quoting_bug)


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(_lambda_service_errors, id="lambda-service-errors"),
        # Failed before the definition's catchers handed on only the error output: `ResultPath: "$.failure"`
        # added a Cause of kilobytes to a ~255 KiB state, States.DataLimitExceeded, which States.ALL does not catch.
        pytest.param(_a_bug_with_a_long_message, id="handler-error-of-kilobytes"),
    ],
)
def test_the_largest_body_ends_failed_with_a_record_and_an_alert_when_validation_keeps_failing(
    stack: EmulatedStack, failure: Any
) -> None:
    operations = subscribe_operations(stack)
    failure(stack)
    report = run(stack, [largest_body("ord-largest")])

    execution = by_key(report["executions"], "name")["ord-largest"]
    assert execution["status"] == "FAILED"
    assert execution["error"] == "OrderFailed"  # not States.DataLimitExceeded
    assert execution["states"][-3:] == ["RecordFailure", "AlertOperations", "OrderFailed"]
    assert [(r["orderId"], r["status"]) for r in report["records"]] == [("ord-largest", "FAILED")]
    alerts = [json.loads(m["Body"]) for m in drain_queue(stack, operations)]
    assert [a["Subject"] for a in alerts] == ["Order ord-largest failed"]
    assert report["notifications"] == []


def test_messages_of_1_mib_reach_the_starter_in_invocations_within_6_mb(stack: EmulatedStack) -> None:
    payloads: list[int] = []

    def measure(spec: FunctionSpec, event: Any) -> None:
        if "Starter" in spec.name:
            payloads.append(len(json.dumps(event, ensure_ascii=False).encode()))

    stack.runtime.hooks.append(measure)
    bodies = []
    for i in range(10):
        document = {"orderId": f"ord-huge-{i}", "padding": ""}
        document["padding"] = "x" * (1024 * 1024 - len(json.dumps(document)))
        bodies.append(json.dumps(document))
    assert {len(body.encode()) for body in bodies} == {1024 * 1024}  # SQS's largest message
    report = run(stack, bodies)

    assert len(payloads) == 2, payloads  # 10 x 1 MiB cannot go in one invocation
    assert max(payloads) <= MAX_PAYLOAD_BYTES
    records = by_key(report["records"])
    assert sorted(records) == [f"ord-huge-{i}" for i in range(10)]
    assert {r["status"] for r in records.values()} == {"REJECTED"}
    assert all(
        "over the 261,120 it may hold (Step Functions' 256 KiB input limit" in r["reasons"][0] for r in records.values()
    )
    assert report["deadLetters"] == []


def test_lambda_refuses_a_synchronous_request_over_6_mb(stack: EmulatedStack) -> None:
    client = stack.client("lambda")
    function = next(f["FunctionArn"] for f in client.list_functions()["Functions"] if "Validate" in f["FunctionName"])
    largest = json.dumps({"padding": "x" * (MAX_SYNC_REQUEST_BYTES - len('{"padding": ""}'))}).encode()
    assert len(largest) == MAX_SYNC_REQUEST_BYTES
    assert client.invoke(FunctionName=function, Payload=largest)["StatusCode"] == 200
    with pytest.raises(client.exceptions.ClientError) as raised:
        client.invoke(FunctionName=function, Payload=largest[:-2] + b'x"}')
    assert raised.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
