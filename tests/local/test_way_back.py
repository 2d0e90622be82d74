"""Orders that would end nowhere: a notification and its failure record both failing, a write and its
failure record both failing, a write whose answer is lost. Each ends in one outcome, and the way back
(`retry-failed`, here through `recover`) finds it from the executions and completes it with one record and
one notification.

Each test makes chosen calls of the application fail, every time, for as long as the outage lasts; the
calls the local mode makes itself (the way back included, as an operator's would be) are not touched.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSResponse

from order_starter.keys import execution_input
from tests.orders import order
from workflow.local.emulator import EmulatedStack
from workflow.local.run import build_report, recover, run
from workflow.local.runtime import FunctionSpec
from workflow.operations import key_of, retry_name

HAPPY_PATH = ["ValidateOrder", "SaveOrder", "NotifyCustomer"]
# The errors the API references document for an internal failure, as faults.py injects them.
INTERNAL = {"dynamodb": ("InternalServerError", 500), "sns": ("InternalError", 500)}
# SaveOrder's TimeoutSeconds in the definition: an answer that never comes is cut off after it (real time).
SAVE_TIMEOUT_SECONDS = 5


Answer = tuple[AWSResponse, dict[str, Any]]


def failure(service: str) -> Answer:
    code, status = INTERNAL[service]
    parsed = {
        "Error": {"Code": code, "Message": "We encountered an internal error. Please try again."},
        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "test-outage", "HTTPHeaders": {}},
    }
    return AWSResponse(url="", status_code=status, headers={}, raw=None), parsed


class Outage:
    """Application calls failing as chosen, while `active`; registered before the stack starts, since each
    client copies its session's event hooks when it is built."""

    def __init__(self, stack: EmulatedStack) -> None:
        self.stack = stack
        self.active = True
        self.failed: list[str] = []

    def fail(self, service: str, operation: str, when: Callable[[dict[str, Any]], bool] = lambda _: True) -> None:
        def before_call(params: dict[str, Any], **_: Any) -> Answer | None:
            if not self.active or not when(params):
                return None
            self.failed.append(operation)
            return failure(service)

        self.stack.application_session.events.register(f"before-call.{service}.{operation}", before_call)

    def lose_first_answer(self, operation: str) -> None:
        """DynamoDB applies the first such call; its answer then never comes."""

        def before_call(params: dict[str, Any], **_: Any) -> Answer | None:
            if self.failed:
                return None
            getattr(self.stack.client("dynamodb"), _snake(operation))(**json.loads(params["body"]))
            self.failed.append(operation)
            return hang()

        self.stack.application_session.events.register(f"before-call.dynamodb.{operation}", before_call)


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


@contextmanager
def emulated(assembly: Path, arrange: Callable[[Outage], None]) -> Iterator[tuple[EmulatedStack, Outage]]:
    stack = EmulatedStack(assembly, time_scale=0.0001)
    outage = Outage(stack)
    arrange(outage)
    with stack:
        yield stack, outage


def to_order_topic(stack: EmulatedStack) -> Callable[[dict[str, Any]], bool]:
    """Publishes to the order topic only: the operations topic still hears of the failure."""
    return lambda params: bool(params["body"].get("TopicArn") == stack.resources.order_topic_arn)


def outcomes(stack: EmulatedStack) -> dict[str, Any]:
    report = build_report(stack, seconds=0)
    return {
        "messages": {m["orderId"]: m["outcome"] for m in report["messages"]},
        "records": {r["orderId"]: r["status"] for r in report["records"]},
        "notifications": sorted((n["orderId"], n["status"]) for n in report["notifications"]),
        "executions": sorted((e["name"], e["status"], tuple(e["states"])) for e in report["executions"]),
    }


def failed_execution_arn(stack: EmulatedStack, name: str) -> str:
    executions = stack.client("stepfunctions").list_executions(
        stateMachineArn=stack.resources.state_machine_arn, statusFilter="FAILED"
    )["executions"]
    return str(next(e["executionArn"] for e in executions if e["name"] == name))


def test_an_order_recorded_but_never_notified_is_brought_back_and_notified_once(assembly: Path) -> None:
    """NotifyCustomer fails every retry, then RecordFailure too: the record says ACCEPTED, nobody was told, and
    the only trace of the failure is the failed execution. The way back finds it there, records it FAILED as
    RecordFailure would have, and starts it again: one record, one notification, and a second way back
    changes nothing."""

    def arrange(outage: Outage) -> None:
        outage.fail("sns", "Publish", when=to_order_topic(outage.stack))
        outage.fail("dynamodb", "UpdateItem")

    with emulated(assembly, arrange) as (stack, outage):
        run(stack, [order("ord-unsent"), order("ord-fine")])
        during = outcomes(stack)
        assert during["records"] == {"ord-unsent": "ACCEPTED", "ord-fine": "ACCEPTED"}
        # Recorded but never told: each message is a failure in the report, not the record's ACCEPTED.
        assert during["messages"] == {"ord-unsent": "FAILED", "ord-fine": "FAILED"}
        assert during["notifications"] == []  # ord-fine's publish failed too: same outage
        assert {name: status for name, status, _ in during["executions"]} == {
            "ord-unsent": "FAILED",
            "ord-fine": "FAILED",
        }
        failed = failed_execution_arn(stack, "ord-unsent")

        outage.active = False
        recovery = recover(stack)

        assert sorted(recovery["ordersRetried"]) == ["ord-fine", "ord-unsent"]
        assert recovery["ordersNotRetried"] == {}
        after = outcomes(stack)
        assert after["records"] == {"ord-unsent": "ACCEPTED", "ord-fine": "ACCEPTED"}
        assert after["messages"] == {"ord-unsent": "ACCEPTED", "ord-fine": "ACCEPTED"}
        assert after["notifications"] == [("ord-fine", "ACCEPTED"), ("ord-unsent", "ACCEPTED")]
        assert (retry_name("ord-unsent", failed), "SUCCEEDED", tuple(HAPPY_PATH)) in after["executions"]

        again = recover(stack)
        assert again["ordersRetried"] == []
        assert outcomes(stack)["notifications"] == after["notifications"]


def test_an_order_neither_saved_nor_recorded_failed_is_found_from_its_execution(assembly: Path) -> None:
    """SaveOrder fails every retry, then RecordFailure too: no record at all, and the second copy of the message
    is refused by name. The failed execution is the order's only trace: the way back finds it there and brings
    the order to one record and one notification."""

    def arrange(outage: Outage) -> None:
        outage.fail("dynamodb", "PutItem")
        outage.fail("dynamodb", "UpdateItem")

    with emulated(assembly, arrange) as (stack, outage):
        run(stack, [order("ord-nowhere"), order("ord-nowhere")])
        during = outcomes(stack)
        assert during["records"] == {}
        assert during["notifications"] == []
        assert [(name, status) for name, status, _ in during["executions"]] == [("ord-nowhere", "FAILED")]

        outage.active = False
        recovery = recover(stack)

        assert recovery["ordersRetried"] == ["ord-nowhere"]
        after = outcomes(stack)
        assert after["records"] == {"ord-nowhere": "ACCEPTED"}
        assert after["notifications"] == [("ord-nowhere", "ACCEPTED")]
        retries = [(key_of(name), status) for name, status, _ in after["executions"] if name != "ord-nowhere"]
        assert retries == [("ord-nowhere", "SUCCEEDED")]


def hang() -> Answer:
    """An answer that never comes: the Task's TimeoutSeconds cuts the attempt off first (what the thread
    answers afterwards, nobody reads)."""
    time.sleep(SAVE_TIMEOUT_SECONDS + 0.5)
    return failure("dynamodb")


def test_a_write_whose_answer_is_lost_is_retried_as_its_own_and_notified_once(assembly: Path) -> None:
    """DynamoDB applies SaveOrder's first PutItem, and its answer never comes: the Task's TimeoutSeconds cuts the
    attempt off (States.Timeout). The retried write finds the record its own execution wrote: not a duplicate
    (contract, section 3), so the order goes on to be notified, once, with no operator needed. (An answer lost
    as an internal error is retried by the same rule: tests/local/test_end_to_end.py.)"""
    with emulated(assembly, lambda outage: outage.lose_first_answer("PutItem")) as (stack, outage):
        report = run(stack, [order("ord-lost")])

    assert outage.failed == ["PutItem"]
    assert [(r["orderId"], r["status"]) for r in report["records"]] == [("ord-lost", "ACCEPTED")]
    assert [(n["orderId"], n["status"]) for n in report["notifications"]] == [("ord-lost", "ACCEPTED")]
    [execution] = report["executions"]
    assert (execution["status"], execution["states"]) == ("SUCCEEDED", HAPPY_PATH)
    assert [e["type"] for e in execution["events"]].count("TaskScheduled") == 4  # SaveOrder twice


def test_an_execution_stopped_midway_is_found_and_its_order_completed(stack: EmulatedStack) -> None:
    """An execution an operator stops ends ABORTED: no record, no alert, nothing in the definition runs. The way
    back lists ABORTED executions too and brings the order to one record and one notification."""
    key = "ord-stopped"
    entered, release = threading.Event(), threading.Event()

    def held(spec: FunctionSpec, event: Any) -> None:
        if "Validate" in spec.name and not release.is_set():
            entered.set()
            release.wait(10)

    stack.runtime.hooks.append(held)
    sfn = stack.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=stack.resources.state_machine_arn, name=key, input=execution_input(key, "m-1", order(key))
    )["executionArn"]
    assert entered.wait(10)
    sfn.stop_execution(executionArn=arn)
    release.set()
    assert stack.wait_for_execution(arn) == "ABORTED"
    assert outcomes(stack)["records"] == {}

    recovery = recover(stack)

    assert recovery["ordersRetried"] == [key]
    after = outcomes(stack)
    assert after["records"] == {key: "ACCEPTED"}
    assert after["notifications"] == [(key, "ACCEPTED")]
