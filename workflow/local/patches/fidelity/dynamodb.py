# mypy: disable-error-code="method-assign"
# (This module assigns to moto's classes on purpose: that is what a patch is.)
"""DynamoDB: a write is atomic, its condition included; an item's size is measured, and capped, as AWS
documents it.

"Individual write operations such as UpdateItem are atomic and always operate on the most recent version
of the item, regardless of concurrency" (DynamoDB developer guide, "Best practices for handling
concurrent updates in DynamoDB",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/BestPractices_ImplementingVersionControl.html).
moto reads the item, evaluates the condition, then writes: two threads writing one key can both pass
`attribute_not_exists`, which AWS never lets happen (two Express executions of one order, running
concurrently, would then both record and notify it). The emulator's writes take one lock.

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
import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models import DynamoDBBackend
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


# Kept to check, in tests, that what is wrapped still exists where the wrappers expect it.
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_originals: dict[str, Callable[..., Any]] = {name: getattr(DynamoDBBackend, name) for name in _WRITES}

# Reentrant: a transaction's writes go through the single-item writes.
_write_lock = threading.RLock()


def _atomic(write: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(write)
    def atomic_write(*args: Any, **kwargs: Any) -> Any:
        with _write_lock:
            return write(*args, **kwargs)

    return atomic_write


def install(assign: Callable[[Any, str, Any], None] = setattr) -> None:
    """Apply the patches (tests pass `monkeypatch.setattr`, to undo them afterwards)."""
    assign(LimitedSizeDict, "__setitem__", _set_within_item_limit)
    for name, original in _originals.items():
        assign(DynamoDBBackend, name, _atomic(original))
