"""The key of a message and the execution input built from it (contract, section 2).

Pure functions: no AWS calls, so the rules are tested on their own.
"""

from __future__ import annotations

import json
import re
from typing import Any

from order_contract.body import ORDER_ID_PATTERN, parse_body

# A valid orderId is also a valid execution name.
_ORDER_ID = re.compile(ORDER_ID_PATTERN)

# Step Functions refuses an execution input larger than 256 KiB (UTF-8 bytes); the first task's
# parameters add the execution's id and start time to it, so leave them room.
MAX_EXECUTION_INPUT_BYTES = 256 * 1024 - 1024

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
    large for an execution input is left out: the workflow records it as a rejection instead.
    """
    body_bytes = len(body.encode("utf-8", "surrogatepass"))
    document: dict[str, Any] = {
        "orderKey": key,
        "messageId": message_id,
        "bodyBytes": body_bytes,
        "body": body,
    }
    text = json.dumps(document, ensure_ascii=False)
    if len(text.encode("utf-8", "surrogatepass")) <= MAX_EXECUTION_INPUT_BYTES:
        return text
    del document["body"]
    return json.dumps(document, ensure_ascii=False)
