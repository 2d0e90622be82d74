"""DynamoDB: an item's size is measured, and capped, as AWS documents it.

"Service, account, and table quotas in Amazon DynamoDB",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html: "The maximum item size
in DynamoDB is 400 KB, which includes both attribute name binary length (UTF-8 length) and attribute
value lengths (again binary length)". "DynamoDB item sizes and formats",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html: a string
is its UTF-8 bytes; a number about 1 byte per two significant digits plus 1 (leading and trailing zeroes
trimmed); a binary its raw bytes; null and Boolean 1 byte; a List or Map 3 bytes plus its elements,
and 1 byte more per element. 400 KB is 409,600 bytes: moto's own note (models/dynamo_type.py) says
testing against AWS put the limit "between 409 and 410KB".

moto caps an item at 405,000 bytes, measured with numbers as their text and lists and maps without
their overhead, so it refuses items AWS stores. The errors are moto's, as AWS words them: PutItem
`ValidationException` "Item size has exceeded the maximum allowed size", UpdateItem "Item size to update
has exceeded the maximum allowed size".
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict

from workflow.local.patches.fidelity.sizes import utf8_bytes

MAX_ITEM_BYTES = 400 * 1024
_LIST_OR_MAP_OVERHEAD = 3

# Kept to check, in tests, that what is replaced still has the shape the replacements assume.
_original_setitem = LimitedSizeDict.__setitem__


def _number_bytes(number: str) -> int:
    digits = number.lstrip("+-").lower().split("e")[0].replace(".", "").strip("0")
    return (len(digits) + 1) // 2 + 1


def _binary_bytes(value: str | bytes) -> int:
    return len(value) if isinstance(value, bytes) else len(base64.b64decode(value))


_SCALAR_BYTES: dict[str, Callable[[Any], int]] = {
    "S": utf8_bytes,
    "N": _number_bytes,
    "B": _binary_bytes,
    "BOOL": lambda _: 1,
    "NULL": lambda _: 1,
}


def value_bytes(value: Any) -> int:
    """The size of one attribute value, in DynamoDB's typed form."""
    typed = value if isinstance(value, DynamoType) else DynamoType(value)
    kind, content = typed.type, typed.value
    if kind in _SCALAR_BYTES:
        return _SCALAR_BYTES[kind](content)
    if kind in ("SS", "NS", "BS"):
        return sum(_SCALAR_BYTES[kind[0]](v) for v in content)
    if kind == "L":
        return _LIST_OR_MAP_OVERHEAD + sum(1 + value_bytes(v) for v in content)
    if kind == "M":
        return _LIST_OR_MAP_OVERHEAD + sum(1 + utf8_bytes(k) + value_bytes(v) for k, v in content.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_bytes(attributes: dict[str, Any]) -> int:
    return sum(utf8_bytes(name) + value_bytes(value) for name, value in attributes.items())


def _set_within_item_limit(self: LimitedSizeDict, key: str, value: Any) -> None:
    others = {name: v for name, v in self.items() if name != key}
    if item_bytes(others) + utf8_bytes(key) + value_bytes(value) > MAX_ITEM_BYTES:
        raise ItemSizeTooLarge
    dict.__setitem__(self, key, value)


def install(assign: Callable[[Any, str, Any], None] = setattr) -> None:
    """Apply the patch (tests pass `monkeypatch.setattr`, to undo it afterwards)."""
    assign(LimitedSizeDict, "__setitem__", _set_within_item_limit)
