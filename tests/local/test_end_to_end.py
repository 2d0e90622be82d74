"""The real definition and the real handlers, on emulated AWS: what becomes of every message."""

from __future__ import annotations

import json
from typing import Any

import pytest

from order_starter.keys import execution_input
from tests.orders import order
from workflow.local.emulator import ACCOUNT_ID, REGION, EmulatedStack
from workflow.local.run import build_report, drain_queue, executions, notifications, process, run
from workflow.local.runtime import FunctionSpec, LambdaServiceError
from workflow.messages import read_file

HAPPY_PATH = ["ValidateOrder", "SaveOrder", "NotifyCustomer"]
DUPLICATE_PATH = ["ValidateOrder", "SaveOrder", "SkipDuplicate"]


def by_key(items: list[dict[str, Any]], field: str = "orderId") -> dict[str, dict[str, Any]]:
    return {item[field]: item for item in items}


def subscribe_operations(stack: EmulatedStack) -> str:
    return stack.subscribe_queue(stack.resources.operations_topic_arn, "test-operations")


def test_every_kind_of_message_reaches_its_outcome(stack_of_each_type: EmulatedStack) -> None:
    stack = stack_of_each_type
    oversize = json.dumps({"orderId": "ord-big", "padding": "x" * 300_000})
    bodies = [
        order("ord-1"),
        order("ord-2", items=[{"sku": "MUG", "quantity": 0, "unitPrice": "5.001"}]),
        order("ord-3", currency="brl", customer={"id": "c-1", "email": "nope"}),
        order("ord-1"),
        "this is not JSON",
        "[1, 2, 3]",
        oversize,
    ]
    report = run(stack, bodies)

    records = by_key(report["records"])
    assert set(records) == {"ord-1", "ord-2", "ord-3", "ord-big"} | {
        r["orderId"] for r in report["records"] if r["orderId"].startswith("msg-")
    }
    assert len(records) == 6  # the second ord-1 is a duplicate: no record of its own
    assert records["ord-1"] | {"messageId": "", "executionArn": ""} == {
        "orderId": "ord-1",
        "status": "ACCEPTED",
        "total": "40.10",
        "currency": "BRL",
        "messageId": "",
        "executionArn": "",
        "lines": [1, 4],  # the order's line, and its duplicate
    }
    # The record names the execution that wrote it (an Express execution's ARN adds a run id).
    assert ":OrderProcessor-Orders-" in records["ord-1"]["executionArn"]
    assert records["ord-1"]["executionArn"].split(":")[7] == "ord-1"
    assert records["ord-2"]["status"] == "REJECTED"
    assert records["ord-2"]["reasons"] == [
        "items[0].quantity: must be an integer from 1 to 1000",
        "items[0].unitPrice: must be a number or decimal string greater than 0 and at most 1000000, "
        "with at most 2 decimal places",
    ]
    assert [r.split(":")[0] for r in records["ord-3"]["reasons"]] == ["customer.email", "currency"]
    assert records["ord-big"]["reasons"][0].startswith("body: ")
    assert "over the 261,120 it may hold (Step Functions' 256 KiB input limit" in records["ord-big"]["reasons"][0]
    message_keyed = [r for r in report["records"] if r["orderId"].startswith("msg-")]
    assert sorted(r["reasons"][0] for r in message_keyed) == ["body: must be a JSON object", "body: not valid JSON"]

    notifications = report["notifications"]
    assert len(notifications) == 6  # one per record: the duplicate told nobody twice
    assert by_key(notifications)["ord-1"]["status"] == "ACCEPTED"
    assert by_key(notifications)["ord-1"]["subject"] == "Order ord-1 accepted: 40.10 BRL"
    assert {n["status"] for n in notifications if n["orderId"] != "ord-1"} == {"REJECTED"}

    # Standard: the second ord-1 is refused at StartExecution (ExecutionAlreadyExists). Express: it
    # runs, and SaveOrder's condition sends it to SkipDuplicate.
    assert all(e["status"] == "SUCCEEDED" for e in report["executions"])
    paths = sorted((e["name"], e["states"]) for e in report["executions"])
    keys = sorted(records)
    if stack.workflow_type == "STANDARD":
        assert paths == [(key, HAPPY_PATH) for key in keys]
    else:
        assert paths == sorted([(key, HAPPY_PATH) for key in keys] + [("ord-1", DUPLICATE_PATH)])
    assert report["deadLetters"] == []
    assert report["summary"] | {"seconds": 0} == {
        "messages": 7,
        "accepted": 1,
        "rejected": 5,
        "failed": 0,
        "deadLetters": 0,
        "refused": 0,
        "unaccounted": 0,
        "records": 6,
        "notifications": 6,
        "executions": len(report["executions"]),
        "duplicates": 1,
        "faultsInjected": 0,
        "retries": 0,
        "seconds": 0,
    }


def test_a_message_sent_k_times_is_one_order_or_k_rejections_without_an_order_id(
    stack_of_each_type: EmulatedStack,
) -> None:
    stack = stack_of_each_type
    report = run(stack, read_file(f"{order('ord-1')}\nnot JSON".encode(), duplicates=3))

    records = by_key(report["records"])
    assert sorted(r["status"] for r in records.values()) == ["ACCEPTED", "REJECTED", "REJECTED", "REJECTED"]
    assert records["ord-1"]["status"] == "ACCEPTED"
    assert sorted(n["orderId"] for n in report["notifications"]) == sorted(records)  # each notified once
    paths = [e["states"] for e in report["executions"] if e["name"] == "ord-1"]
    # Standard: one execution per key, the other deliveries refused by name. Express: one per delivery.
    expected = [HAPPY_PATH] if stack.workflow_type == "STANDARD" else [HAPPY_PATH, DUPLICATE_PATH, DUPLICATE_PATH]
    assert sorted(paths) == sorted(expected)
    assert report["summary"]["duplicates"] == 2


def test_a_handler_that_raises_is_caught_recorded_failed_and_reported(stack: EmulatedStack) -> None:
    def broken_validator(spec: FunctionSpec, event: Any) -> None:
        if "Validate" in spec.name and event["message"]["orderKey"] == "ord-bug":
            raise KeyError("customer")

    stack.runtime.hooks.append(broken_validator)
    operations = subscribe_operations(stack)
    report = run(stack, [order("ord-bug"), order("ord-fine")])

    records = by_key(report["records"])
    assert records["ord-bug"]["status"] == "FAILED"
    assert records["ord-bug"]["error"] == "KeyError"
    assert records["ord-fine"]["status"] == "ACCEPTED"
    failed = by_key(report["executions"], "name")["ord-bug"]
    assert failed["status"] == "FAILED"
    assert failed["error"] == "OrderFailed"
    assert failed["states"] == ["ValidateOrder", "RecordFailure", "AlertOperations", "OrderFailed"]
    alerts = [json.loads(m["Body"]) for m in drain_queue(stack, operations)]
    assert [a["Subject"] for a in alerts] == ["Order ord-bug failed"]
    assert "KeyError" in alerts[0]["Message"]
    assert [n["orderId"] for n in report["notifications"]] == ["ord-fine"]


def test_a_transient_lambda_error_is_retried_and_recovers(stack: EmulatedStack) -> None:
    throttled: list[str] = []

    def throttle_once(spec: FunctionSpec, event: Any) -> None:
        if "Validate" in spec.name and not throttled:
            throttled.append(spec.name)
            raise LambdaServiceError("TooManyRequestsException", "Rate exceeded", status=429)

    stack.runtime.hooks.append(throttle_once)
    report = run(stack, [order("ord-retry")])

    assert throttled
    assert [(r["orderId"], r["status"], r["total"]) for r in report["records"]] == [("ord-retry", "ACCEPTED", "40.10")]
    execution = report["executions"][0]
    assert execution["status"] == "SUCCEEDED"
    types = [e["type"] for e in execution["events"]]
    assert types.count("TaskFailed") == 1  # the throttled attempt
    assert types.count("TaskSucceeded") == 3
    assert len(report["notifications"]) == 1


def test_a_message_the_starter_cannot_start_ends_unchanged_in_the_dead_letter_queue(stack: EmulatedStack) -> None:
    poison = order("ord-poison")

    def failing_starter(spec: FunctionSpec, event: Any) -> None:
        if "Starter" in spec.name and any(r["body"] == poison for r in event["Records"]):
            raise ConnectionError("Step Functions unreachable")

    stack.runtime.hooks.append(failing_starter)
    report = run(stack, [poison])

    assert [letter["body"] for letter in report["deadLetters"]] == [poison]
    assert report["records"] == []
    assert report["executions"] == []
    assert report["summary"]["deadLetters"] == 1
    # Lambda's poller tried it as often as the queue's redrive policy allows.
    assert stack.runtime.invocations[next(n for n in stack.runtime.invocations if "Starter" in n)] == 5


def test_a_save_retried_after_its_own_write_succeeded_still_notifies_the_customer(stack: EmulatedStack) -> None:
    """An internal error can reach the state machine after DynamoDB applied the write; the retried SaveOrder
    then finds the record its own execution wrote. "A retry of an execution's own write is not a duplicate"
    (contract, section 3): the order must still be notified. Here the first attempt's record is written
    before the execution starts."""
    key = "ord-own-retry"
    name = stack.resources.state_machine_arn.split(":")[-1]
    execution_arn = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:execution:{name}:{key}"
    table = stack.resource("dynamodb").Table(stack.resources.table_name)
    table.put_item(Item={"orderKey": key, "status": "ACCEPTED", "executionArn": execution_arn})

    stack.client("stepfunctions").start_execution(
        stateMachineArn=stack.resources.state_machine_arn, name=key, input=execution_input(key, "m-1", order(key))
    )

    assert stack.wait_for_execution(execution_arn) == "SUCCEEDED"
    execution = by_key(executions(stack), "name")[key]
    assert execution["states"] == HAPPY_PATH
    assert [(n["orderId"], n["status"]) for n in notifications(stack)] == [(key, "ACCEPTED")]
    assert table.get_item(Key={"orderKey": key})["Item"]["total"] == "40.10"


def test_a_body_the_queue_refuses_is_reported_and_the_others_go_on(stack: EmulatedStack) -> None:
    """SQS refuses a body with a character it does not accept (SendMessage, "Message" constraints);
    contract section 4: reported as refused, with the reason, and the run goes on with the others."""
    report = run(stack, [order("ord-before"), '{"orderId": "ord-control", "note": "\x01"}', order("ord-after")])

    assert [(r["lines"], r["code"]) for r in report["refused"]] == [([2], "InvalidMessageContents")]
    assert "#x1" in report["refused"][0]["reason"]
    assert sorted(by_key(report["records"])) == ["ord-after", "ord-before"]
    assert report["summary"] | {"seconds": 0} == report["summary"] | {
        "messages": 3,
        "accepted": 2,
        "refused": 1,
        "duplicates": 0,
        "deadLetters": 0,
        "seconds": 0,
    }


def test_each_execution_is_read_back_with_its_history_alone_and_reads_as_described(stack: EmulatedStack) -> None:
    """The report reads an execution's input, status, error and cause from one ListExecutions item and its
    history, not from DescribeExecution as well (one call per execution fewer for 2,000 orders): what it
    reads is what DescribeExecution answers, for an execution that failed as for one that succeeded."""

    def broken_validator(spec: FunctionSpec, event: Any) -> None:
        if "Validate" in spec.name and event["message"]["orderKey"] == "ord-bug":
            raise KeyError("customer")

    stack.runtime.hooks.append(broken_validator)
    process(stack, [order("ord-bug"), order("ord-fine")])
    sfn = stack.client("stepfunctions")
    calls: list[str] = []
    sfn.meta.events.register("before-call.sfn.*", lambda model, **kwargs: calls.append(model.name))

    report = build_report(stack, seconds=0)

    assert sorted(calls) == ["GetExecutionHistory", "GetExecutionHistory", "ListExecutions"]
    for execution in report["executions"]:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        assert execution["status"] == described["status"]
        assert (execution.get("error"), execution.get("cause")) == (described.get("error"), described.get("cause"))
        started = json.loads(described["input"])
        assert (execution["messageId"], execution["orderKey"]) == (started["messageId"], started["orderKey"])
    assert {e["name"]: e.get("error") for e in report["executions"]} == {"ord-bug": "OrderFailed", "ord-fine": None}
    assert "KeyError" in by_key(report["executions"], "name")["ord-bug"]["cause"]


def test_a_history_of_several_pages_is_read_whole(stack: EmulatedStack, monkeypatch: pytest.MonkeyPatch) -> None:
    """GetExecutionHistory answers 100 events a page unless asked for more, and at most 1,000 (API reference,
    https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html): an execution
    is read through every page of its history. (The emulator answers in one page: here, pages of 4 events.)"""
    run(stack, [order("ord-paged")])
    sfn = stack.client("stepfunctions")
    whole = executions(stack)[0]
    read_in_one_page = sfn.get_execution_history

    def in_pages_of_four(executionArn: str, nextToken: str = "0", **kwargs: Any) -> dict[str, Any]:
        events = read_in_one_page(executionArn=executionArn, **kwargs)["events"]
        start = int(nextToken)
        page: dict[str, Any] = {"events": events[start : start + 4]}
        if start + 4 < len(events):
            page["nextToken"] = str(start + 4)
        return page

    monkeypatch.setattr(sfn, "get_execution_history", in_pages_of_four)
    paged = executions(stack)[0]

    assert len(whole["events"]) > 8
    assert paged == whole
    assert paged["status"] == "SUCCEEDED" and paged["states"] == HAPPY_PATH
