"""SQS: the event source mapping is driven by `workflow.local.poller`; SendMessage refuses what AWS refuses.

moto invokes an event source mapping inside SendMessage, one message at a time and ignoring partial
batch responses: it is detached, and the poller reads its settings.

Message size and content. "SendMessage", https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html,
and "SetQueueAttributes" (MaximumMessageSize: 1,024 bytes to 1 MiB, default 1 MiB; the stack's queues set
none, so the default holds): a message is at most the queue's MaximumMessageSize in bytes, and "all
components of a message attribute are included" in that size ("Amazon SQS message attributes",
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html).
A body may hold only `#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`, else
`InvalidMessageContents` ("Amazon SQS message quotas",
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html).
"SendMessageBatch", https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html:
the sum of the messages' lengths is at most 1 MiB, else the whole request fails (`BatchRequestTooLong`);
otherwise "the result of sending each message is reported individually", so an entry too large or with
refused characters is a `Failed` entry (`InvalidMessageContents` is not among the errors SendMessageBatch
returns) and the others are sent.

moto counts characters rather than bytes, leaves attributes out of the size, refuses a whole batch for
one entry too large, and accepts any character.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from moto.sqs.exceptions import (
    BatchRequestTooLong,
    InvalidParameterValue,
    SQSException,
    TooManyEntriesInBatchRequest,
)
from moto.sqs.models import SQSBackend, sqs_backends
from moto.sqs.responses import SQSResponse

from workflow.local.patches.fidelity.sizes import message_bytes
from workflow.messages import MAX_BATCH_BYTES, MAX_BATCH_ENTRIES

_REFUSED_CHARACTER = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# Kept to check, in tests, that what is replaced still has the shape the replacements assume.
_original_send_message = SQSResponse.send_message
_original_send_message_batch = SQSBackend.send_message_batch


class InvalidMessageContents(SQSException):
    code = "InvalidMessageContents"


def detach_event_source_mappings(account_id: str, region: str, queue_name: str) -> None:
    """Keep the mapping (its settings are read by the poller) but stop moto invoking it on SendMessage."""
    sqs_backends[account_id][region].get_queue(queue_name).lambda_event_source_mappings.clear()


def check_message(body: str, attributes: dict[str, Any] | None, max_bytes: int) -> None:
    """Raise the error SQS returns for a message too large or holding a character SQS refuses."""
    if message_bytes(body, attributes) > max_bytes:
        raise InvalidParameterValue(
            f"One or more parameters are invalid. Reason: Message must be shorter than {max_bytes} bytes."
        )
    refused = _REFUSED_CHARACTER.search(body)
    if refused:
        raise InvalidMessageContents(
            f"Invalid binary character '#x{ord(refused.group()):X}' was found in the message body, the set of "
            "allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"
        )


def _max_message_bytes(backend: SQSBackend, queue_name: str) -> int:
    return int(backend.get_queue(queue_name).maximum_message_size)  # type: ignore[attr-defined]


def _send_message_within_limits(self: SQSResponse) -> Any:
    max_bytes = _max_message_bytes(self.sqs_backend, self._get_queue_name())
    check_message(self._get_param("MessageBody") or "", self._get_param("MessageAttributes"), max_bytes)
    return _original_send_message(self)


def _send_message_batch_within_limits(
    self: SQSBackend, queue_name: str, entries: dict[str, dict[str, Any]]
) -> tuple[list[Any], list[dict[str, Any]]]:
    if len(entries) > MAX_BATCH_ENTRIES:
        raise TooManyEntriesInBatchRequest(len(entries))
    total = sum(message_bytes(e["MessageBody"], e.get("MessageAttributes")) for e in entries.values())
    if total > MAX_BATCH_BYTES:
        raise BatchRequestTooLong(total)
    max_bytes = _max_message_bytes(self, queue_name)
    failed: list[dict[str, Any]] = []
    accepted: dict[str, dict[str, Any]] = {}
    for key, entry in entries.items():
        try:
            check_message(entry["MessageBody"], entry.get("MessageAttributes"), max_bytes)
        except SQSException as error:
            failed.append({"Id": entry["Id"], "SenderFault": True, "Code": error.code, "Message": error.message})
        else:
            accepted[key] = entry
    sent, also_failed = _original_send_message_batch(self, queue_name, accepted) if accepted else ([], [])
    return sent, [*failed, *also_failed]


def install(assign: Callable[[Any, str, Any], None] = setattr) -> None:
    """Apply the patches (tests pass `monkeypatch.setattr`, to undo them afterwards)."""
    assign(SQSResponse, "send_message", _send_message_within_limits)
    assign(SQSBackend, "send_message_batch", _send_message_batch_within_limits)
