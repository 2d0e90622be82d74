"""Nothing ends nowhere, even at the size limit: an order as large as an execution input may be still
ends in an outcome when a step fails.

Step Functions caps a state's data at 256 KiB; going over it is `States.DataLimitExceeded`, which
"can't be caught by the States.ALL error type" ("Handling errors in Step Functions workflows",
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html; the quota: "Step
Functions service quotas", https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
The execution then fails with no FAILED record and no alert. A catcher that added the error output to
a state holding the body (`ResultPath: "$.failure"`) went over it whenever the error's `Cause` was
larger than the room the starter leaves: a handler's error carries its message and stack trace.
moto's interpreter enforces the quota on every state's output (`moto/stepfunctions/parser/quotas.py`).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from order_starter.keys import MAX_EXECUTION_INPUT_BYTES, execution_input
from tests.local.test_end_to_end import by_key, subscribe_operations
from tests.orders import order
from workflow.local.emulator import EmulatedStack
from workflow.local.run import drain_queue, run
from workflow.local.runtime import FunctionSpec

KEY = "ord-near-cap"
SQS_MESSAGE_ID = "0" * 36  # the emulator's message ids are UUIDs, as SQS's are today


def body_at_the_cap() -> str:
    """A valid order padded with an ignored field until its execution input is exactly the starter's cap."""
    document = json.loads(order(KEY)) | {"padding": "x" * (MAX_EXECUTION_INPUT_BYTES - 1000)}
    while (short := MAX_EXECUTION_INPUT_BYTES - len(execution_input(KEY, SQS_MESSAGE_ID, json.dumps(document)))) > 0:
        document["padding"] += "x" * short  # the size field grows with the body: fill up in steps
    body = json.dumps(document)
    assert len(execution_input(KEY, SQS_MESSAGE_ID, body).encode()) == MAX_EXECUTION_INPUT_BYTES
    return body


def lambda_service_errors(stack: EmulatedStack) -> None:
    """Every invoke fails as Lambda's service fails it (throttling, internal error): a short Cause."""
    stack.faults.configure({"lambda": 1.0}, seed=9)


def a_handler_error_of_some_kilobytes(stack: EmulatedStack) -> None:
    """The handler raises, as a bug would, with a message quoting its input: a Cause of about 4 KB."""

    def bug(spec: FunctionSpec, event: Any) -> None:
        if "Validate" in spec.name:
            raise ValueError(f"unexpected order: {event['message']['body'][:4000]}")

    stack.runtime.hooks.append(bug)


@pytest.mark.parametrize("failing", [lambda_service_errors, a_handler_error_of_some_kilobytes])
def test_an_order_at_the_input_cap_whose_validation_fails_is_recorded_failed_and_alerted(
    stack: EmulatedStack, failing: Any
) -> None:
    failing(stack)
    operations = subscribe_operations(stack)

    report = run(stack, [body_at_the_cap()])

    execution = by_key(report["executions"], "name")[KEY]
    assert execution["status"] == "FAILED"
    assert execution["error"] == "OrderFailed"  # not States.DataLimitExceeded
    assert execution["states"][-3:] == ["RecordFailure", "AlertOperations", "OrderFailed"]
    assert [(r["orderId"], r["status"]) for r in report["records"]] == [(KEY, "FAILED")]
    alerts = [json.loads(m["Body"]) for m in drain_queue(stack, operations)]
    assert [a["Subject"] for a in alerts] == [f"Order {KEY} failed"]
    assert report["notifications"] == []
