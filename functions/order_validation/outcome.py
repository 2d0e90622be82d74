"""Shapes a validation result into what the workflow writes and sends (pure, no AWS calls).

The record is returned in DynamoDB's typed JSON so the state machine can write it with a direct
`dynamodb:putItem` integration, whatever the outcome: one write step serves both outcomes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from order_contract.limits import FIRST_TASK_ROOM_BYTES, MAX_EXECUTION_INPUT_BYTES, STEP_FUNCTIONS_INPUT_LIMIT_BYTES
from order_validation.rules import BODY_PATH, AcceptedOrder, Rejection
from order_validation.typed_json import attribute_value

ACCEPTED = "ACCEPTED"
REJECTED = "REJECTED"
# A rejected body is kept in its record up to this size: the record travels through the workflow,
# whose state data is capped at 256 KiB. A larger body stays in the execution's input.
MAX_STORED_BODY_BYTES = 64 * 1024
# SNS Publish: "Subjects must be UTF-8 text with no line breaks or control characters, and less than 100
# characters long" (Amazon SNS API Reference, Publish: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
MAX_SUBJECT_CHARACTERS = 99
_SHORTENED = "..."


class QueuedMessage(BaseModel):
    """The execution input the starter wrote: the raw body, or, when the input carrying it would be too
    large for an execution, the size of that input (`inputBytes`) instead."""

    model_config = ConfigDict(populate_by_name=True)

    order_key: str = Field(alias="orderKey")
    message_id: str = Field(alias="messageId")
    body_bytes: int = Field(alias="bodyBytes")
    body: str | None = None
    input_bytes: int | None = Field(None, alias="inputBytes")

    @model_validator(mode="after")
    def _body_or_its_measure(self) -> QueuedMessage:
        if (self.body is None) == (self.input_bytes is None):
            raise ValueError("an execution input carries either the body or the size that kept it out")
        return self


class ValidationRequest(BaseModel):
    """What the ValidateOrder state passes: the message and the execution it runs in."""

    model_config = ConfigDict(populate_by_name=True)

    message: QueuedMessage
    execution_id: str = Field(alias="executionId")
    received_at: str = Field(alias="receivedAt")


def rfc3339(moment: datetime) -> str:
    """UTC, second precision with milliseconds, `Z` suffix."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def oversize_reason(message: QueuedMessage) -> str:
    """Why a body the starter left out is rejected, with the size it measured (escapes included)."""
    return (
        f"{BODY_PATH}: {message.body_bytes:,} bytes of text; the execution input carrying it as a JSON string,"
        f" escapes included (a quote, backslash or control character takes 2 to 6 bytes), would be"
        f" {message.input_bytes:,} bytes, over the {MAX_EXECUTION_INPUT_BYTES:,} it may hold"
        f" (Step Functions' {STEP_FUNCTIONS_INPUT_LIMIT_BYTES // 1024} KiB input limit,"
        f" less {FIRST_TASK_ROOM_BYTES // 1024} KiB for what the workflow adds)"
    )


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def subject(key: str, outcome: str) -> str:
    """`Order <key> <outcome>`, a subject SNS accepts whatever the key.

    Characters a subject may not hold become `?`; a key too long for the subject keeps its start and
    end around `...` (the full key is in the message and its `orderKey` attribute). Only keys the
    contract allows but nothing produces today need it: a `msg-` key of a message id longer than a
    UUID, or a 64-character order id with a total of 100,000,000,000.00.
    """
    shown = "".join(c if c.isprintable() else "?" for c in key)
    room = MAX_SUBJECT_CHARACTERS - len(f"Order  {outcome}")
    if len(shown) > room:
        head = (room - len(_SHORTENED) + 1) // 2
        tail = room - len(_SHORTENED) - head
        shown = shown[:head] + _SHORTENED + shown[len(shown) - tail :]
    return f"Order {shown} {outcome}"


def _accepted_fields(order: AcceptedOrder) -> dict[str, Any]:
    customer: dict[str, Any] = {"id": order.customer.id, "email": order.customer.email}
    if order.customer.name is not None:
        customer["name"] = order.customer.name
    fields: dict[str, Any] = {
        "orderId": order.order_id,
        "total": _money(order.total),
        "currency": order.currency,
        "customer": customer,
        "items": [
            {
                "sku": item.sku,
                "quantity": item.quantity,
                "unitPrice": _money(item.unit_price),
                "lineTotal": _money(item.line_total),
            }
            for item in order.items
        ],
    }
    if order.created_at is not None:
        fields["createdAt"] = rfc3339(order.created_at)
    return fields


def build_outcome(request: ValidationRequest, result: AcceptedOrder | Rejection, now: datetime) -> dict[str, Any]:
    """The outcome the workflow records and notifies: status, typed record, notification."""
    key = request.message.order_key
    record: dict[str, Any] = {
        "orderKey": key,
        "messageId": request.message.message_id,
        "executionArn": request.execution_id,
        "receivedAt": request.received_at,
        "recordedAt": rfc3339(now),
    }
    if isinstance(result, AcceptedOrder):
        status = ACCEPTED
        record.update(_accepted_fields(result))
        summary: dict[str, Any] = {"orderKey": key, "status": status, **_accepted_fields(result)}
        title = subject(key, f"accepted: {_money(result.total)} {result.currency}")
    else:
        status = REJECTED
        reasons = list(result.reasons)
        record["reasons"] = reasons
        record["bodyBytes"] = request.message.body_bytes
        # The raw body stays with the rejection so an operator can see what was sent.
        if request.message.body is not None and request.message.body_bytes <= MAX_STORED_BODY_BYTES:
            record["body"] = request.message.body
        summary = {"orderKey": key, "status": status, "reasons": reasons}
        problems = "1 problem" if len(reasons) == 1 else f"{len(reasons)} problems"
        title = subject(key, f"rejected: {problems}")
    record["status"] = status
    return {
        "status": status,
        "record": {name: attribute_value(value) for name, value in record.items()},
        "notification": {"subject": title, "message": json.dumps(summary, ensure_ascii=False, indent=2)},
    }
