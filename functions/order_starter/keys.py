"""The key of a message and the execution input built from it (contract, section 2).

Pure functions: no AWS calls, so the rules are tested on their own.
"""

from __future__ import annotations

import json
import re
from typing import Any

from order_contract.body import ORDER_ID_PATTERN, parse_body
from order_contract.limits import MAX_EXECUTION_INPUT_BYTES, utf8_bytes

# A valid orderId is also a valid execution name.
_ORDER_ID = re.compile(ORDER_ID_PATTERN)

MESSAGE_KEY_PREFIX = "msg-"


def order_key(body: str, message_id: str) -> str:
    """The orderId when the body is a JSON object with a valid one, else `msg-<message id>`."""
    try:
        document = parse_body(body)
    except ValueError:
        document = None
    if isinstance(document, dict):
        order_id = document.get("orderId")
        if isinstance(order_id, str) and _ORDER_ID.fullmatch(order_id):
            return order_id
    return MESSAGE_KEY_PREFIX + message_id


def execution_input(key: str, message_id: str, body: str) -> str:
    """The JSON input of the order's execution.

    The raw body travels as text, so the validator parses money as decimals itself. A body too
    large for an execution input, measured as the input that carries it (escapes included), is left
    out, and that measure travels instead: the workflow records it as a rejection that states it.
    """
    document: dict[str, Any] = {
        "orderKey": key,
        "messageId": message_id,
        "bodyBytes": utf8_bytes(body),
        "body": body,
    }
    text = json.dumps(document, ensure_ascii=False)
    input_bytes = utf8_bytes(text)
    if input_bytes <= MAX_EXECUTION_INPUT_BYTES:
        return text
    del document["body"]
    document["inputBytes"] = input_bytes
    return json.dumps(document, ensure_ascii=False)
