"""ValidateOrder's typed JSON writer: the record it returns is the one boto3's TypeSerializer would write.

The state machine writes the record with a direct `dynamodb:putItem`, so any difference (a number written
as text, a list as a set) would change what is stored. boto3 stays the reference here, in the tests only.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from boto3.dynamodb.types import TypeSerializer
from hypothesis import given, settings
from hypothesis import strategies as st

from order_validation.outcome import ValidationRequest, build_outcome
from order_validation.rules import validate_body
from order_validation.typed_json import MAX_NUMBER_DIGITS, attribute_value

SERIALIZER = TypeSerializer()
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

numbers = st.integers(min_value=-(10**MAX_NUMBER_DIGITS) + 1, max_value=10**MAX_NUMBER_DIGITS - 1)
json_values = st.recursive(
    st.none() | st.booleans() | numbers | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)

# Orders as senders write them: mostly valid (accepted), some breaking a rule (rejected), in every shape.
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2).map(str)
items = st.fixed_dictionaries(
    {"sku": st.from_regex(r"[A-Z0-9-]{1,12}", fullmatch=True), "quantity": st.integers(0, 1001), "unitPrice": money}
)
orders = st.fixed_dictionaries(
    {
        "orderId": st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
        "customer": st.fixed_dictionaries(
            {"id": st.text(min_size=1, max_size=10), "email": st.emails()},
            optional={"name": st.text(max_size=20)},
        ),
        "items": st.lists(items, min_size=1, max_size=5),
        "currency": st.sampled_from(["BRL", "EUR", "USD", "usd"]),
    },
    optional={"createdAt": st.just("2026-11-27T12:00:00+02:00")},
)


def request(body: str) -> ValidationRequest:
    return ValidationRequest.model_validate(
        {
            "message": {"orderKey": "ord-1", "messageId": "m-1", "bodyBytes": len(body.encode()), "body": body},
            "executionId": "arn:aws:states:us-east-1:123456789012:execution:OrderProcessor-Orders:ord-1",
            "receivedAt": "2026-11-29T11:59:59.000Z",
        }
    )


@settings(deadline=None)
@given(orders | st.text().map(lambda text: {"not": text}))
def test_each_record_is_what_type_serializer_writes(order: dict[str, Any]) -> None:
    body = json.dumps(order)
    result = validate_body(body)
    written = build_outcome(request(body), result, NOW)
    with mock.patch("order_validation.outcome.attribute_value", SERIALIZER.serialize):
        expected = build_outcome(request(body), result, NOW)
    assert written == expected


@settings(deadline=None)
@given(json_values)
def test_every_json_value_is_written_as_type_serializer_writes_it(value: Any) -> None:
    assert attribute_value(value) == SERIALIZER.serialize(value)


@pytest.mark.parametrize("value", [1.5, 10**MAX_NUMBER_DIGITS, -(10**MAX_NUMBER_DIGITS), Decimal("1.5"), {1, 2}, b"x"])
def test_what_it_is_not_written_for_is_refused_not_guessed(value: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        attribute_value(value)


def test_a_number_too_long_for_dynamodb_is_refused_by_type_serializer_too() -> None:
    with pytest.raises(ArithmeticError):
        SERIALIZER.serialize(10**MAX_NUMBER_DIGITS)
