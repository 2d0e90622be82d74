"""ValidateOrder's handler: the outcome the workflow writes and sends, and the metrics it emits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from order_validation import handler
from order_validation.outcome import ValidationRequest, build_outcome
from order_validation.rules import validate_body
from tests.emf import metric_blobs, metric_values
from tests.orders import ORDER as SAMPLE_ORDER
from workflow import config

ORDER = {**SAMPLE_ORDER, "createdAt": "2026-11-27T12:00:00+02:00"}
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:OrderProcessor-Orders:ord-2026-0001"


class Context:
    function_name = "validate"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:validate"
    aws_request_id = "request-1"


def event(
    body: str | None, key: str = "ord-2026-0001", body_bytes: int | None = None, input_bytes: int | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {"orderKey": key, "messageId": "m-1", "bodyBytes": body_bytes or len(body or "")}
    if body is not None:
        message["body"] = body
    if input_bytes is not None:
        message["inputBytes"] = input_bytes
    return {"message": message, "executionId": EXECUTION, "receivedAt": "2026-11-27T10:00:01.000Z"}


def record_of(outcome: dict[str, Any]) -> dict[str, Any]:
    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in outcome["record"].items()}


def test_accepted_order_becomes_a_typed_record_and_a_notification() -> None:
    outcome = handler.lambda_handler(event(json.dumps(ORDER)), Context())
    assert outcome["status"] == "ACCEPTED"
    record = record_of(outcome)
    assert record["orderKey"] == "ord-2026-0001"
    assert record["status"] == "ACCEPTED"
    assert record["total"] == "40.10"
    assert record["currency"] == "BRL"
    assert record["customer"] == {"id": "c-42", "email": "ana@example.com", "name": "Ana Souza"}
    assert record["items"][1] == {"sku": "PEN-7", "quantity": 3, "unitPrice": "0.10", "lineTotal": "0.30"}
    assert record["createdAt"] == "2026-11-27T10:00:00.000Z"
    assert record["executionArn"] == EXECUTION
    assert record["messageId"] == "m-1"
    assert record["receivedAt"] == "2026-11-27T10:00:01.000Z"
    assert record["recordedAt"].endswith("Z")
    assert outcome["notification"]["subject"] == "Order ord-2026-0001 accepted: 40.10 BRL"
    message = json.loads(outcome["notification"]["message"])
    assert message["status"] == "ACCEPTED"
    assert message["total"] == "40.10"


def test_rejected_order_keeps_its_reasons_and_its_body() -> None:
    bad = {**ORDER, "items": [{"sku": "BOOK-001", "quantity": 0, "unitPrice": "19.901"}]}
    body = json.dumps(bad)
    outcome = handler.lambda_handler(event(body), Context())
    assert outcome["status"] == "REJECTED"
    record = record_of(outcome)
    assert record["status"] == "REJECTED"
    assert record["reasons"] == list(validate_body(body).reasons)  # type: ignore[union-attr]
    assert len(record["reasons"]) == 2
    assert all(reason.startswith("items[0].") for reason in record["reasons"])
    assert record["body"] == body
    assert "total" not in record
    assert outcome["notification"]["subject"] == "Order ord-2026-0001 rejected: 2 problems"
    assert json.loads(outcome["notification"]["message"])["reasons"] == record["reasons"]


def test_body_that_is_not_json_is_rejected_as_such() -> None:
    outcome = handler.lambda_handler(event("{not json", key="msg-m-1"), Context())
    record = record_of(outcome)
    assert record["orderKey"] == "msg-m-1"
    assert record["reasons"] == ["body: not valid JSON"]
    assert outcome["notification"]["subject"] == "Order msg-m-1 rejected: 1 problem"


def test_body_left_out_for_its_size_is_rejected_with_the_size_measured_escapes_included() -> None:
    # 150,000 bytes of text under 256 KiB, whose escapes make the input carrying it 300,049 bytes (the
    # starter measured it: tests/unit/test_starter.py): the reason must not read "150000 bytes ... too large".
    outcome = handler.lambda_handler(event(None, key="msg-m-1", body_bytes=150_000, input_bytes=300_049), Context())
    record = record_of(outcome)
    assert record["status"] == "REJECTED"
    assert record["reasons"] == [
        "body: 150,000 bytes of text; the execution input carrying it as a JSON string, escapes included"
        " (a quote, backslash or control character takes 2 to 6 bytes), would be 300,049 bytes, over the"
        " 261,120 it may hold (Step Functions' 256 KiB input limit, less 1 KiB for what the workflow adds)"
    ]
    assert record["bodyBytes"] == 150_000
    assert "body" not in record


@pytest.mark.parametrize(
    "message",
    [
        {"orderKey": "k", "messageId": "m", "bodyBytes": 3},  # neither the body nor its measure
        {"orderKey": "k", "messageId": "m", "bodyBytes": 3, "body": "{}", "inputBytes": 300_000},
    ],
)
def test_an_input_without_exactly_one_of_body_and_measure_raises_so_the_workflow_records_a_failure(
    message: dict[str, Any],
) -> None:
    with pytest.raises(ValueError, match="either the body or the size"):
        handler.lambda_handler({"message": message, "executionId": EXECUTION, "receivedAt": "x"}, Context())


def test_malformed_event_raises_so_the_workflow_records_a_failure() -> None:
    with pytest.raises(ValueError, match="message"):
        handler.lambda_handler({"executionId": EXECUTION, "receivedAt": "x"}, Context())


def test_outcome_is_counted_in_the_dashboard_metrics(capsys: pytest.CaptureFixture[str]) -> None:
    handler.lambda_handler(event(json.dumps(ORDER)), Context())
    handler.lambda_handler(event("[]", key="msg-m-1"), Context())
    output = capsys.readouterr().out
    assert metric_values(output, config.METRIC_ORDERS_ACCEPTED) == [1.0]
    assert metric_values(output, config.METRIC_ORDERS_REJECTED) == [1.0]
    assert metric_values(output, config.METRIC_ORDER_VALUE) == [40.1]
    value_blob = next(b for b in metric_blobs(output) if config.METRIC_ORDER_VALUE in b)
    directive = value_blob["_aws"]["CloudWatchMetrics"][0]
    # The dashboard searches {namespace, currency, service}: the metric must carry exactly these.
    assert directive["Namespace"] == config.METRICS_NAMESPACE
    assert sorted(directive["Dimensions"][0]) == ["currency", "service"]
    assert value_blob["currency"] == "BRL"


def test_subject_fits_sns_limits_for_the_longest_key() -> None:
    key = "k" * 64
    request = ValidationRequest.model_validate(event("{}", key=key))
    outcome = build_outcome(request, validate_body("{}"), datetime(2026, 1, 1, tzinfo=UTC))
    subject = outcome["notification"]["subject"]
    assert len(subject) <= 100
    assert subject.isprintable()
