"""The starter against emulated Step Functions: keys, names, duplicates, bad bodies, partial failures."""

from __future__ import annotations

import importlib
import json
import sys
import uuid
from collections.abc import Iterator
from types import ModuleType
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from order_starter.keys import MAX_EXECUTION_INPUT_BYTES, execution_input, order_key
from tests.emf import metric_values
from tests.local.patches.helpers import express_rules
from workflow import config
from workflow.local.patches import reading_back

PASS_DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


def order(order_id: str = "ord-1") -> str:
    return json.dumps(
        {
            "orderId": order_id,
            "customer": {"id": "c-1", "email": "ana@example.com"},
            "items": [{"sku": "BOOK-1", "quantity": 1, "unitPrice": "9.90"}],
            "currency": "BRL",
        }
    )


def sqs_event(*bodies: str) -> tuple[dict[str, Any], list[str]]:
    ids = [str(uuid.uuid4()) for _ in bodies]
    records = [
        {
            "messageId": message_id,
            "receiptHandle": f"handle-{message_id}",
            "body": body,
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:orders",
            "awsRegion": "us-east-1",
        }
        for message_id, body in zip(ids, bodies, strict=True)
    ]
    return {"Records": records}, ids


class Context:
    function_name = "starter"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:starter"
    aws_request_id = "request-1"


@pytest.fixture
def machine_arn(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with mock_aws():
        iam = boto3.client("iam")
        role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        arn = boto3.client("stepfunctions").create_state_machine(
            name="orders", definition=PASS_DEFINITION, roleArn=role
        )["stateMachineArn"]
        monkeypatch.setenv("ORDER_STATE_MACHINE_ARN", arn)
        yield arn


@pytest.fixture
def express_machine_arn(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An Express state machine on the emulator, with the local mode's Express rules (AWS's)."""
    express_rules(monkeypatch)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        iam = boto3.client("iam")
        role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        arn = boto3.client("stepfunctions").create_state_machine(
            name="orders", definition=PASS_DEFINITION, roleArn=role, type="EXPRESS"
        )["stateMachineArn"]
        monkeypatch.setenv("ORDER_STATE_MACHINE_ARN", arn)
        yield arn


def import_starter() -> ModuleType:
    sys.modules.pop("order_starter.handler", None)
    return importlib.import_module("order_starter.handler")


@pytest.fixture
def starter(machine_arn: str) -> ModuleType:
    """The handler module, imported inside the mock with its environment, as Lambda would."""
    return import_starter()


def executions(arn: str) -> dict[str, dict[str, Any]]:
    sfn = boto3.client("stepfunctions")
    found = {}
    for summary in sfn.list_executions(stateMachineArn=arn)["executions"]:
        found[summary["name"]] = json.loads(sfn.describe_execution(executionArn=summary["executionArn"])["input"])
    return found


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (order("ord-2026-0001"), "ord-2026-0001"),
        (order("A_b-9"), "A_b-9"),
        (order("x" * 64), "x" * 64),
        (order("x" * 65), "msg-m1"),
        (order("ord 1"), "msg-m1"),
        (order("ord/1"), "msg-m1"),
        (order(""), "msg-m1"),
        ('{"orderId": 42}', "msg-m1"),
        ('{"customer": {}}', "msg-m1"),
        ("not json", "msg-m1"),
        ('["ord-1"]', "msg-m1"),
        ('"ord-1"', "msg-m1"),
        ('{"orderId": "ord-1", "total": NaN}', "msg-m1"),
        ("[" * 100_000, "msg-m1"),
        ("", "msg-m1"),
    ],
)
def test_key_is_the_valid_order_id_or_the_message_id(body: str, expected: str) -> None:
    assert order_key(body, "m1") == expected


def test_execution_input_carries_the_raw_body_text() -> None:
    body = '{"orderId": "ord-1", "items": [{"unitPrice": 19.999999999999999999}]}'
    document = json.loads(execution_input("ord-1", "m1", body))
    # The body stays text: money in it is parsed once, as decimals, by the validator.
    assert document == {"orderKey": "ord-1", "messageId": "m1", "bodyBytes": len(body), "body": body}


def carried(key: str, message_id: str, body: str) -> str:
    """The execution input that carries the body, as Step Functions would be given it."""
    return json.dumps(
        {"orderKey": key, "messageId": message_id, "bodyBytes": len(body.encode()), "body": body}, ensure_ascii=False
    )


def test_execution_input_leaves_out_a_body_too_large_for_step_functions() -> None:
    body = json.dumps({"orderId": "ord-1", "padding": "é" * 200_000})
    text = execution_input("ord-1", "m1", body)
    assert len(text.encode()) <= MAX_EXECUTION_INPUT_BYTES
    assert json.loads(text) == {
        "orderKey": "ord-1",
        "messageId": "m1",
        "bodyBytes": len(body.encode()),
        "inputBytes": len(carried("ord-1", "m1", body).encode()),
    }


def test_execution_input_measures_the_body_with_its_escapes() -> None:
    # 150,000 bytes of text that fit Step Functions' 256 KiB, until they are carried as a JSON string:
    # each `\"` of the body becomes `\\\"` in the input.
    body = json.dumps({"orderId": "ord-1", "note": '"' * 74_984})
    assert len(body.encode()) == 150_000
    document = json.loads(execution_input("ord-1", "m1", body))
    assert "body" not in document
    assert document["bodyBytes"] == 150_000
    assert document["inputBytes"] == len(carried("ord-1", "m1", body).encode()) == 300_049


# What JSON escapes (quotes, backslashes, control characters) and what it does not: each grows differently
# once carried as a JSON string.
snippets = st.text(alphabet=st.sampled_from('a"\\\n\t\x00\x1f\x7fé€😀\u2028/'), min_size=1, max_size=8)
ENVELOPE_BYTES = len(carried("ord-1", "m1", "").encode())


@settings(max_examples=100)
@given(snippets, st.integers(-3, 3))
def test_execution_input_carries_every_body_that_fits_and_measures_every_body_that_does_not(
    snippet: str, offset: int
) -> None:
    # Bodies whose escaped size lands a few snippets either side of the limit.
    escaped = len(carried("ord-1", "m1", snippet).encode()) - ENVELOPE_BYTES
    body = snippet * ((MAX_EXECUTION_INPUT_BYTES - ENVELOPE_BYTES) // escaped + offset)
    text = execution_input("ord-1", "m1", body)
    document = json.loads(text)
    size = len(carried("ord-1", "m1", body).encode())
    assert len(text.encode()) <= MAX_EXECUTION_INPUT_BYTES
    if size <= MAX_EXECUTION_INPUT_BYTES:
        assert text == carried("ord-1", "m1", body)
    else:
        assert "body" not in document
        assert document["inputBytes"] == size
    assert document["bodyBytes"] == len(body.encode())


def test_execution_input_measures_the_largest_body_sqs_takes_at_its_escaped_size() -> None:
    body = '"' * (1024 * 1024)  # SQS's largest message; each quote is two bytes once escaped
    document = json.loads(execution_input("ord-1", "m1", body))
    assert document["inputBytes"] == len(carried("ord-1", "m1", body).encode()) > 2 * 1024 * 1024


def test_each_message_starts_one_execution_named_by_its_key(starter: ModuleType, machine_arn: str) -> None:
    event, ids = sqs_event(order("ord-1"), "not json", order("ord-2"))
    assert starter.lambda_handler(event, Context()) == {"batchItemFailures": []}
    started = executions(machine_arn)
    assert set(started) == {"ord-1", "ord-2", f"msg-{ids[1]}"}
    assert started["ord-1"]["body"] == order("ord-1")
    assert started[f"msg-{ids[1]}"] == {
        "orderKey": f"msg-{ids[1]}",
        "messageId": ids[1],
        "bodyBytes": 8,
        "body": "not json",
    }


def test_a_second_delivery_of_an_order_is_a_handled_duplicate(
    starter: ModuleType, machine_arn: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    first, _ = sqs_event(order("ord-1"))
    second, _ = sqs_event(order("ord-1"), order("ord-1"))
    assert starter.lambda_handler(first, Context()) == {"batchItemFailures": []}
    assert starter.lambda_handler(second, Context()) == {"batchItemFailures": []}
    assert list(executions(machine_arn)) == ["ord-1"]
    assert caplog.messages.count("Duplicate order: its key already has an execution") == 2
    output = capsys.readouterr().out
    assert sum(metric_values(output, config.METRIC_DUPLICATE_ORDERS)) == 2
    assert sum(metric_values(output, config.METRIC_ORDERS_STARTED)) == 1


def test_on_an_express_workflow_every_delivery_starts_an_execution_and_none_counts_as_duplicate(
    express_machine_arn: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # An Express workflow does not deduplicate names ("Execution guarantees",
    # https://docs.aws.amazon.com/step-functions/latest/dg/express-at-least-once-execution.html):
    # SaveOrder's conditional write catches the repeated order instead, so the starter sees none.
    starter = import_starter()
    first, _ = sqs_event(order("ord-1"))
    second, _ = sqs_event(order("ord-1"), order("ord-1"))
    assert starter.lambda_handler(first, Context()) == {"batchItemFailures": []}
    assert starter.lambda_handler(second, Context()) == {"batchItemFailures": []}
    with reading_back():
        listed = boto3.client("stepfunctions").list_executions(stateMachineArn=express_machine_arn)["executions"]
    assert [e["name"] for e in listed] == ["ord-1"] * 3
    assert len({e["executionArn"] for e in listed}) == 3
    assert caplog.messages.count("Order execution started") == 3
    output = capsys.readouterr().out
    assert sum(metric_values(output, config.METRIC_ORDERS_STARTED)) == 3
    assert sum(metric_values(output, config.METRIC_DUPLICATE_ORDERS)) == 0


def test_an_oversize_body_still_starts_an_execution_without_the_body(starter: ModuleType, machine_arn: str) -> None:
    event, ids = sqs_event("x" * (MAX_EXECUTION_INPUT_BYTES + 1))
    assert starter.lambda_handler(event, Context()) == {"batchItemFailures": []}
    started = executions(machine_arn)
    key = f"msg-{ids[0]}"
    size = MAX_EXECUTION_INPUT_BYTES + 1
    measured = len(carried(key, ids[0], "x" * size).encode())
    assert started == {key: {"orderKey": key, "messageId": ids[0], "bodyBytes": size, "inputBytes": measured}}


def test_only_messages_that_could_not_be_started_are_reported(starter: ModuleType, machine_arn: str) -> None:
    real_start = starter.stepfunctions.start_execution
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "StartExecution")

    def flaky_start(**kwargs: Any) -> Any:
        if kwargs["name"] == "ord-2":
            raise throttled
        return real_start(**kwargs)

    event, ids = sqs_event(order("ord-1"), order("ord-2"), order("ord-3"))
    with mock.patch.object(starter.stepfunctions, "start_execution", side_effect=flaky_start):
        response = starter.lambda_handler(event, Context())
    assert response == {"batchItemFailures": [{"itemIdentifier": ids[1]}]}
    assert set(executions(machine_arn)) == {"ord-1", "ord-3"}


# As Lambda sets it for an invocation under active tracing: the trace, the function's segment, sampled.
TRACE_HEADER = "Root=1-6749a2b0-5f0c2d8e9a1b4c3d2e1f0a9b;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:0"


def start_requests(starter: ModuleType) -> list[dict[str, Any]]:
    """The body of each StartExecution request the starter's client sends, as it goes on the wire."""
    sent: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.append(json.loads(params["body"]))

    starter.stepfunctions.meta.events.register("before-call.sfn.StartExecution", record)
    return sent


def test_each_execution_joins_the_invocations_trace(
    starter: ModuleType, machine_arn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One trace from the starter's invocation through the execution: Lambda sets `_X_AMZN_TRACE_ID` for each
    invocation ("Defined runtime environment variables",
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html), and StartExecution's `traceHeader`
    passes it to the execution (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html)."""
    sent = start_requests(starter)
    monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE_HEADER)
    event, _ = sqs_event(order("ord-1"), order("ord-2"))
    assert starter.lambda_handler(event, Context()) == {"batchItemFailures": []}
    assert [request["traceHeader"] for request in sent] == [TRACE_HEADER, TRACE_HEADER]
    # The next invocation has a trace of its own: the header is read for each, not once at init.
    monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE_HEADER.replace("Parent=53995c3f42cd8ad8", "Parent=0123456789abcdef"))
    event, _ = sqs_event(order("ord-3"))
    starter.lambda_handler(event, Context())
    assert sent[-1]["traceHeader"].endswith("Parent=0123456789abcdef;Sampled=1;Lineage=a87bd80c:0")


def test_a_trace_header_of_the_largest_length_start_execution_takes_is_passed(
    starter: ModuleType, machine_arn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = start_requests(starter)
    monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE_HEADER.ljust(256, "x"))
    event, _ = sqs_event(order("ord-1"))
    assert starter.lambda_handler(event, Context()) == {"batchItemFailures": []}
    assert sent[0]["traceHeader"] == TRACE_HEADER.ljust(256, "x")


def test_on_lambda_botocore_also_sends_the_trace_header_which_start_execution_prefers(
    starter: ModuleType, machine_arn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Lambda (`AWS_LAMBDA_FUNCTION_NAME` set) botocore sends `_X_AMZN_TRACE_ID` as the `X-Amzn-Trace-Id` HTTP
    header of every call (its handler `add_recursion_detection_header`), and Step Functions uses that header over
    the body's `traceHeader` when both are given (API_StartExecution, `traceHeader`, above): what the README says."""
    headers: list[str] = []

    def record(request: Any, **_: Any) -> None:
        headers.append(request.headers["X-Amzn-Trace-Id"].decode())

    starter.stepfunctions.meta.events.register("before-send.sfn.StartExecution", record)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "OrderProcessor-OrderStarter")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE_HEADER)
    event, _ = sqs_event(order("ord-1"))
    assert starter.lambda_handler(event, Context()) == {"batchItemFailures": []}
    assert headers == [TRACE_HEADER]


@pytest.mark.parametrize(
    "header",
    [None, "", TRACE_HEADER.ljust(257, "x")],
)
def test_a_trace_header_start_execution_would_refuse_is_left_out_and_the_order_still_starts(
    starter: ModuleType, machine_arn: str, monkeypatch: pytest.MonkeyPatch, header: str | None
) -> None:
    """StartExecution's traceHeader takes at most 256 characters (API_StartExecution, above): an invocation without
    one, or with one StartExecution would refuse in the body, still starts its orders, without the body's field
    rather than failed (on Lambda the HTTP header botocore sends still carries the trace, test above)."""
    sent = start_requests(starter)
    if header is None:
        monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    else:
        monkeypatch.setenv("_X_AMZN_TRACE_ID", header)
    event, _ = sqs_event(order("ord-1"))
    assert starter.lambda_handler(event, Context()) == {"batchItemFailures": []}
    assert "traceHeader" not in sent[0]
    assert set(executions(machine_arn)) == {"ord-1"}
