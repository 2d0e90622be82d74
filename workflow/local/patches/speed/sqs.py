# mypy: disable-error-code="method-assign,assignment,attr-defined"
# (This module assigns to moto's classes on purpose: that is what a patch is.)
"""SQS: the queue operations the pipeline makes, without scanning and re-scanning whole queues.

- moto checks each received message's retention by computing every attribute of its queue, counting
  all its messages three times: read the retention period directly; it builds two datetimes to read
  the clock for every message it looks at: read the clock directly; and it counts a queue's messages
  through two properties per message: compare each message's times to one clock reading.
- moto's SendMessage counts every message on the queue three times, for counts it never reads: do not
  count inside SendMessage.
- moto's DeleteMessage scans the queue twice, listing every message's receipt handles: once.
- moto's ChangeMessageVisibility scans the queue for the message that had the receipt handle, building a
  list of every message's receipt handles on the way (peeking at 2,000 notifications: 2 million lists):
  compare without the lists.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from moto.sqs import models as sqs_models
from moto.sqs.exceptions import ReceiptHandleIsInvalid
from moto.sqs.models import Queue, SQSBackend

_original_unix_time_millis = sqs_models.unix_time_millis
_original_send_message = SQSBackend.send_message
# Kept to check, in tests, that what is replaced still has the shape the replacements assume.
_original_delete_message = Queue.delete_message
_original_had_receipt_handle = sqs_models.Message.had_receipt_handle


def _retained(self: SQSBackend, queue_name: str, message: Any) -> bool:
    retention_period = int(self.get_queue(queue_name).message_retention_period)
    return bool(retention_period + message.sent_timestamp / 1000 > time.time())


def _now_millis(dt: Any = None) -> float:
    return time.time() * 1000.0 if dt is None else float(_original_unix_time_millis(dt))


def _counts(queue: Any) -> tuple[int, int, int]:
    """(visible, in flight, delayed) messages of a queue, as moto's count properties define them."""
    now = time.time() * 1000.0
    visible = in_flight = delayed = 0
    for message in queue._messages:
        is_delayed = now < message.delayed_until
        delayed += is_delayed
        if now <= message.visible_at:
            in_flight += 1
        elif not is_delayed:
            visible += 1
    return visible, in_flight, delayed


def _visible_messages(queue: Any) -> list[Any]:
    now = time.time() * 1000.0
    return [m for m in queue._messages if now > m.visible_at and not now < m.delayed_until]


_sending = threading.local()


def _counts_outside_send(queue: Any) -> tuple[int, int, int]:
    # SendMessage builds the queue's whole attribute map to read ContentBasedDeduplication from it:
    # the counts in that map are never read, and counting scans every message on the queue.
    return (0, 0, 0) if getattr(_sending, "active", False) else _counts(queue)


def _send_message(self: SQSBackend, *args: Any, **kwargs: Any) -> Any:
    _sending.active = True
    try:
        return _original_send_message(self, *args, **kwargs)
    finally:
        _sending.active = False


def _delete_message(self: Queue, receipt_handle: str) -> None:
    """moto's DeleteMessage in one pass: it scans the queue twice, building every message's list of
    receipt handles each time."""
    if receipt_handle in self.deleted_messages:
        return  # already deleted: deleting again is fine
    kept: list[Any] = []
    deleted: list[Any] = []
    for message in self._messages:
        had = message.receipt_handle == receipt_handle or receipt_handle in message._old_receipt_handles
        (deleted if had else kept).append(message)
    if not deleted:
        raise ReceiptHandleIsInvalid()
    for message in deleted:
        self.pending_messages.discard(message)
        self.deleted_messages.update(message.all_receipt_handles)
    self._messages = kept


def _had_receipt_handle(self: Any, receipt_handle: str) -> bool:
    return receipt_handle == self.receipt_handle or receipt_handle in self._old_receipt_handles


def install() -> None:
    sqs_models.Message.had_receipt_handle = _had_receipt_handle
    SQSBackend.is_message_valid_based_on_retention_period = _retained
    Queue.delete_message = _delete_message
    SQSBackend.send_message = _send_message
    sqs_models.unix_time_millis = _now_millis
    Queue.messages = property(_visible_messages)
    Queue.approximate_number_of_messages = property(lambda self: _counts_outside_send(self)[0])
    Queue.approximate_number_of_messages_not_visible = property(lambda self: _counts_outside_send(self)[1])
    Queue.approximate_number_of_messages_delayed = property(lambda self: _counts_outside_send(self)[2])
