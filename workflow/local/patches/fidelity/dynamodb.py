# mypy: disable-error-code="method-assign"
# (This module assigns to moto's classes on purpose: that is what a patch is.)
"""DynamoDB: a write is atomic, its condition included.

"Individual write operations such as UpdateItem are atomic and always operate on the most recent version
of the item, regardless of concurrency" (DynamoDB developer guide, "Best practices for handling
concurrent updates in DynamoDB",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/BestPractices_ImplementingVersionControl.html).
moto reads the item, evaluates the condition, then writes: two threads writing one key can both pass
`attribute_not_exists`, which AWS never lets happen (two Express executions of one order, running
concurrently, would then both record and notify it). The emulator's writes take one lock.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

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


def install() -> None:
    for name, original in _originals.items():
        setattr(DynamoDBBackend, name, _atomic(original))
