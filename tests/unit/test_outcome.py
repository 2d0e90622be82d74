"""The notification the validator shapes: its SNS subject is one SNS accepts, for every key and total.

SNS refuses a Publish whose subject breaks its rule, so NotifyCustomer would fail on every attempt and
the order would end FAILED, whatever `retry-failed` tries. The rule, from the Amazon SNS API Reference,
Publish, `Subject` (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html; the same text in the
SDK references generated from it, e.g. https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/sns/aws.sdk.kotlin.services.sns.model/-publish-request/subject.html):
"Subjects must be UTF-8 text with no line breaks or control characters, and less than 100 characters
long."

The keys the contract allows (section 2): an `orderId` of 1-64 characters of `A-Za-z0-9_-`, or `msg-`
followed by an SQS message id, whose maximum length is 100 characters ("Amazon SQS queue and message
identifiers", https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html;
its characters are not documented, so any are tried). The totals the contract allows: up to 100 items of
up to 1000 x 1,000,000, that is 100,000,000,000.00.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from order_contract.body import ORDER_ID_PATTERN
from order_validation.outcome import MAX_STORED_BODY_BYTES, ValidationRequest, build_outcome
from order_validation.rules import (
    MAX_ITEMS,
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    NOT_JSON_REASON,
    AcceptedOrder,
    Customer,
    LineItem,
    Rejection,
    validate_body,
)

MAX_SQS_MESSAGE_ID = 100
LARGEST_TOTAL = MAX_ITEMS * MAX_QUANTITY * MAX_UNIT_PRICE
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

keys = st.from_regex(ORDER_ID_PATTERN, fullmatch=True) | st.text(max_size=MAX_SQS_MESSAGE_ID).map("msg-".__add__)
totals = st.decimals(min_value=Decimal("0.01"), max_value=LARGEST_TOTAL, places=2)
currencies = st.from_regex(r"[A-Z]{3}", fullmatch=True)


def assert_sns_accepts(subject: str) -> None:
    """SNS's rule for a subject: under 100 characters, UTF-8, no line breaks or control characters."""
    assert len(subject) < 100, (len(subject), subject)
    subject.encode("utf-8")  # no lone surrogate: it would not be UTF-8 text
    # Stricter than SNS, never looser: isprintable also refuses format, unassigned and non-ASCII space characters.
    assert subject.isprintable(), repr(subject)


def request(key: str) -> ValidationRequest:
    return request_with_body(key, "{}")


def request_with_body(key: str, body: str) -> ValidationRequest:
    return ValidationRequest.model_validate(
        {
            "message": {"orderKey": key, "messageId": "m-1", "bodyBytes": len(body.encode()), "body": body},
            "executionId": "arn:aws:states:us-east-1:123456789012:execution:OrderProcessor-Orders:x",
            "receivedAt": "2026-11-27T10:00:00.000Z",
        }
    )


def accepted(key: str, total: Decimal, currency: str) -> AcceptedOrder:
    customer = Customer(id="c-1", email="ana@example.com", name=None)
    item = LineItem(sku="SKU", quantity=1, unit_price=total, line_total=total)
    return AcceptedOrder(
        order_id=key, customer=customer, items=(item,), currency=currency, created_at=None, total=total
    )


def subject_of(key: str, result: AcceptedOrder | Rejection) -> str:
    subject: str = build_outcome(request(key), result, NOW)["notification"]["subject"]
    return subject


def test_the_largest_order_with_the_longest_order_id_gets_a_subject_sns_accepts() -> None:
    """The worst case the contract allows: 64-character id, 100 items of 1000 at 1,000,000 (it made exactly 100)."""
    order_id = "ord-" + "9" * 60
    body = json.dumps(
        {
            "orderId": order_id,
            "customer": {"id": "c-1", "email": "ana@example.com"},
            "items": [{"sku": f"SKU-{i}", "quantity": 1000, "unitPrice": "1000000"} for i in range(100)],
            "currency": "USD",
        }
    )
    result = validate_body(body)
    assert isinstance(result, AcceptedOrder) and result.total == LARGEST_TOTAL

    subject = subject_of(order_id, result)

    assert_sns_accepts(subject)
    assert subject.startswith("Order ord-999")
    assert subject.endswith(" accepted: 100000000000.00 USD")


@given(keys, totals, currencies)
def test_every_accepted_subject_is_one_sns_accepts_and_names_the_order_and_outcome(
    key: str, total: Decimal, currency: str
) -> None:
    subject = subject_of(key, accepted(key, total, currency))

    assert_sns_accepts(subject)
    assert subject.endswith(f" accepted: {total:.2f} {currency}")
    assert subject.startswith("Order ")


@given(keys, st.integers(min_value=1, max_value=9999))
def test_every_rejected_subject_is_one_sns_accepts_and_names_the_order_and_outcome(key: str, problems: int) -> None:
    """A body breaks at most about 300 rules (100 items of 3 fields, and the order's own): 4 digits are plenty."""
    subject = subject_of(key, Rejection(reasons=(NOT_JSON_REASON,) * problems))

    assert_sns_accepts(subject)
    assert subject.startswith("Order ")
    assert subject.endswith(" rejected: 1 problem" if problems == 1 else f" rejected: {problems} problems")


@given(st.from_regex(ORDER_ID_PATTERN, fullmatch=True) | st.uuids().map(lambda u: f"msg-{u}"))
def test_a_key_that_fits_is_shown_whole(key: str) -> None:
    """Every orderId and every `msg-` key of today's SQS message ids (UUIDs) appears in full for a rejection."""
    assert subject_of(key, Rejection(reasons=("body: not valid JSON",))) == f"Order {key} rejected: 1 problem"


def test_the_largest_outcome_the_validator_returns_fits_in_a_state() -> None:
    """ValidateOrder's result becomes the state (256 KiB of UTF-8 JSON; "Step Functions service quotas",
    https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html): the largest one fits with room.

    The largest: a rejection breaking every rule it can (each of 100 items in its 3 fields, the order's
    own fields), whose body is kept in the record (up to MAX_STORED_BODY_BYTES) and written with the
    characters that grow most when the state escapes them (a quote and a backslash take 2 bytes in the
    body and 4 in the state; SQS accepts no control character but tab, line feed and carriage return).
    """
    broken_item = {"sku": "no spaces allowed", "quantity": 0, "unitPrice": "-1"}
    document = {
        "orderId": "not valid!",
        "customer": {"id": " ", "email": "nope", "name": "n" * 201},
        "items": [broken_item] * MAX_ITEMS,
        "currency": "euro",
        "createdAt": "yesterday",
        "padding": "",
    }
    growing = '"\\\t'  # 6 bytes in the body, 12 in the state
    document["padding"] = growing * ((MAX_STORED_BODY_BYTES - len(json.dumps(document))) // 6)
    body = json.dumps(document)
    assert MAX_STORED_BODY_BYTES - 6 < len(body.encode()) <= MAX_STORED_BODY_BYTES
    result = validate_body(body)
    assert isinstance(result, Rejection) and len(result.reasons) == 3 * MAX_ITEMS + 6

    outcome = build_outcome(request_with_body("not valid!", body), result, NOW)

    assert outcome["record"]["body"] == {"S": body}
    state_bytes = len(json.dumps(outcome, ensure_ascii=False).encode())
    assert state_bytes < 0.9 * 256 * 1024, state_bytes
