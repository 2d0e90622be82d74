"""The names the way back gives the executions it starts, against the rules of keys and of execution names."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import strategies as st

from order_contract.body import ORDER_ID_PATTERN
from order_starter.keys import MESSAGE_KEY_PREFIX, order_key
from workflow.operations import failed_executions, key_of, retry_name

# StartExecution, `name`: 1-80 characters, none of white space, brackets `< > { } [ ]`, wildcards `? *`,
# special characters `" # % \ ^ | ~ ` $ & , ; : /`, control characters (U+0000-001F, U+007F-009F, U+FFFE-FFFF),
# surrogates; "To enable logging with CloudWatch Logs, the name should only contain 0-9, A-Z, a-z, - and _"
# (AWS Step Functions API Reference, StartExecution,
# https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html). The state machine
# logs to CloudWatch Logs, so a name the system makes keeps to that alphabet.
LOGGABLE_EXECUTION_NAME = re.compile(r"[0-9A-Za-z_-]{1,80}")

order_ids = st.from_regex(ORDER_ID_PATTERN, fullmatch=True)
# SQS message ids are UUIDs today, and documented only as at most 100 characters; any id drawn here makes a key
# the starter can name an execution by (the alphabet above) with room for a retry name.
message_keys = st.text(
    alphabet=st.characters(codec="ascii", categories=["L", "N"]) | st.sampled_from("-_"), max_size=61
)
keys = order_ids | message_keys.map(lambda message_id: MESSAGE_KEY_PREFIX + message_id)
execution_arns = st.text(min_size=1, max_size=200)


@given(key=keys, retried=execution_arns, body_id=st.text(max_size=20))
def test_no_key_can_be_a_retry_name(key: str, retried: str, body_id: str) -> None:
    """Whatever a message holds, the key the starter gives it is never a name the way back makes: a body
    whose orderId is a retry name gets a `msg-` key instead, and no `msg-` key is a retry name."""
    name = retry_name(key, retried)

    assert LOGGABLE_EXECUTION_NAME.fullmatch(name), name
    assert not re.fullmatch(ORDER_ID_PATTERN, name)
    assert not name.startswith(MESSAGE_KEY_PREFIX)
    assert order_key(json.dumps({"orderId": name}), body_id) != name
    assert key_of(name) == key


@given(key=keys)
def test_a_key_is_its_own_execution_name(key: str) -> None:
    assert key_of(key) == key


@given(key=keys, first=execution_arns, second=execution_arns)
def test_each_failed_execution_has_its_own_retry_name(key: str, first: str, second: str) -> None:
    """One name per retried execution: the way back started twice starts each order once, and a retry that
    fails too is retried under a name of its own."""
    assert retry_name(key, first) == retry_name(key, first)
    assert (retry_name(key, first) == retry_name(key, second)) == (first == second)


def test_the_failed_executions_are_read_page_by_page_and_the_latest_of_each_key_kept() -> None:
    """ListExecutions returns a page at a time (`nextToken`), one status per call
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html): every page of every
    end that leaves an order without its outcome is read, and a key's retries count as that key."""
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:Orders"
    client = boto3.client("stepfunctions", region_name="us-east-1")

    def listed(name: str, minute: int) -> dict[str, Any]:
        return {
            "executionArn": f"{machine.replace(':stateMachine:', ':execution:')}:{name}",
            "stateMachineArn": machine,
            "name": name,
            "status": "FAILED",
            "startDate": datetime(2026, 11, 29, 12, minute, tzinfo=UTC),
        }

    retried = listed("ord-1", 0)["executionArn"]
    pages: dict[str, list[dict[str, Any]]] = {
        "FAILED": [
            {"executions": [listed("ord-1", 0)], "nextToken": "page-2"},
            {"executions": [listed(retry_name("ord-1", retried), 5), listed("ord-2", 1)]},
        ],
        "TIMED_OUT": [{"executions": [listed("ord-3", 2)]}],
        "ABORTED": [{"executions": []}],
    }
    with Stubber(client) as stubber:
        for status, responses in pages.items():
            for number, response in enumerate(responses):
                expected = {"stateMachineArn": machine, "statusFilter": status}
                stubber.add_response(
                    "list_executions", response, expected | ({"nextToken": "page-2"} if number else {})
                )
        found = failed_executions(client, machine)

    assert found == {
        "ord-1": listed(retry_name("ord-1", retried), 5)["executionArn"],
        "ord-2": listed("ord-2", 1)["executionArn"],
        "ord-3": listed("ord-3", 2)["executionArn"],
    }
