"""The key of a message and the execution input built from it (contract, section 2).

Pure functions: no AWS calls, so the rules are tested on their own.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Must equal the validator's pattern (a test checks): a valid orderId is also a valid execution name.
ORDER_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_ORDER_ID = re.compile(ORDER_ID_PATTERN)

# Step Functions refuses an execution input larger than 256 KiB (UTF-8 bytes).
MAX_EXECUTION_INPUT_BYTES = 256 * 1024

MESSAGE_KEY_PREFIX = "msg-"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def order_key(body: str, message_id: str) -> str:
    """The orderId when the body is a JSON object with a valid one, else `msg-<message id>`."""
    try:
        document = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
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
