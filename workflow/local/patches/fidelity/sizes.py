"""How AWS counts the size of what it is sent: text as its UTF-8 bytes, and a message with its attributes.

SNS and SQS count a message alike: the body's bytes and, for each message attribute, the bytes of its
name, data type and value ("Amazon SNS message attributes",
https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html; "Amazon SQS message attributes",
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html).
"""

from __future__ import annotations

from typing import Any


def utf8_bytes(value: str | bytes) -> int:
    """The bytes of text as UTF-8 (a lone surrogate, which no UTF-8 text holds, counts as its 3 bytes)."""
    return len(value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass"))


def message_bytes(body: str, attributes: dict[str, Any] | None) -> int:
    size = utf8_bytes(body)
    for name, value in (attributes or {}).items():
        content = value.get("StringValue") if "StringValue" in value else value.get("BinaryValue")
        size += utf8_bytes(name) + utf8_bytes(value.get("DataType") or "") + utf8_bytes(content or "")
    return size
