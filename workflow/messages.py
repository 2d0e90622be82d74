"""The lines of a file as SQS messages, and sending them: what `orders local run` and `orders submit` share
(contract, section 4). No emulator here: `orders submit` sends to AWS or `orders local serve` alike."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

# "SendMessageBatch": at most 10 entries, and "the maximum allowed individual message size and the maximum
# total payload size (the sum of the individual lengths of all of the batched messages) are both 1 MiB"
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html).
MAX_BATCH_BYTES = 1_048_576
MAX_BATCH_ENTRIES = 10

# SQS takes Unicode text only: "A message can include only XML, JSON, and unformatted text" in the
# characters `#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF` ("Amazon SQS
# message quotas", https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html).
# Bytes that are not UTF-8 are no characters at all: no SQS client can send them, so they are refused here.
NOT_UTF8 = "NotUTF8"
_UTF16_OR_32_MARKS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_UTF8_MARK = b"\xef\xbb\xbf"
# Blank: nothing but JSON's insignificant whitespace (RFC 8259, section 2), which a line may also end with.
_BLANK = b" \t\r"
_SNIFF_BYTES = 8000


class Unreadable(ValueError):
    """FILE cannot be read: missing, a directory, or refused by the system (one line for the person)."""


def read_input(file: str) -> bytes:
    """FILE's bytes, or standard input's for `-`."""
    if file == "-":
        return sys.stdin.buffer.read()
    path = Path(file)
    try:
        if path.is_dir():
            raise Unreadable(f"{file} is a directory, not a file of messages")
        return path.read_bytes()
    except FileNotFoundError:
        raise Unreadable(f"{file}: no such file") from None
    except OSError as error:
        raise Unreadable(f"{file} cannot be read: {error.strerror or error}") from None


class NotText(ValueError):
    """The file as a whole is not UTF-8 text (UTF-16, or binary): one clear reason rather than a refusal per line."""


@dataclass(frozen=True)
class Message:
    """One message to send: the text of line `line` (1-based) of the file. `refusal` (code, reason) when the
    line cannot be a message body at all; `body` then shows it as well as it can."""

    line: int
    body: str
    refusal: tuple[str, str] | None = None


def read_file(data: bytes, duplicates: int = 1) -> list[Message]:
    """The messages of a file's bytes (contract, section 4): a line ends at a line feed, a carriage return
    just before it is dropped, and nothing else ends it (U+2028, U+2029, U+0085, vertical tab and form feed
    are characters of the line); blank lines are skipped but counted, so each message keeps its line's
    number. A line that is not UTF-8 is a refused message; the others go on. With `duplicates` K, each line
    is sent K times in a row, as a client that retries would send it."""
    if data.startswith(_UTF16_OR_32_MARKS):
        raise NotText("it starts with a UTF-16 or UTF-32 byte order mark: save it as UTF-8, one message per line")
    sniffed = data[:_SNIFF_BYTES]
    nuls = sniffed.count(0)
    # UTF-16 text of ASCII is half NUL bytes; a binary file holds NULs among bytes that are not UTF-8. A NUL
    # in UTF-8 text is a character of its line, which SQS refuses on its own.
    if nuls * 8 > len(sniffed) or (nuls and not _is_utf8(sniffed)):
        raise NotText(f"{nuls} of its first {len(sniffed)} bytes are NUL: it is binary or UTF-16, not UTF-8 text")
    messages: list[Message] = []
    for number, raw in enumerate(data.removeprefix(_UTF8_MARK).split(b"\n"), start=1):
        line = raw.removesuffix(b"\r")
        if not line.strip(_BLANK):
            continue
        try:
            message = Message(number, line.decode("utf-8"))
        except UnicodeDecodeError as error:
            bad = line[error.start]
            reason = (
                f"not valid UTF-8: byte 0x{bad:02X} at byte {error.start + 1} of the line "
                f"({error.reason}); SQS takes only Unicode text"
            )
            message = Message(number, line.decode("utf-8", "backslashreplace"), (NOT_UTF8, reason))
        messages.extend(message for _ in range(duplicates))
    return messages


def _is_utf8(data: bytes) -> bool:
    """Whether `data` is UTF-8, but for a character cut at its end."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(data) - 3 and error.reason == "unexpected end of data"
    return True


def send_batches(bodies: list[str]) -> list[list[int]]:
    """The bodies' positions in order, in SendMessageBatch requests of at most 10 entries and 1 MiB in all
    ("SendMessageBatch": "The maximum allowed individual message size and the maximum total payload size
    (the sum of the individual lengths of all of the batched messages) are both 1 MiB",
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html).
    A body larger than that on its own makes a batch of one, which `send_messages` sends with SendMessage."""
    batches: list[list[int]] = [[]]
    size = 0
    for position, body in enumerate(bodies):
        body_bytes = utf8_bytes(body)
        if batches[-1] and (len(batches[-1]) == MAX_BATCH_ENTRIES or size + body_bytes > MAX_BATCH_BYTES):
            batches.append([])
            size = 0
        batches[-1].append(position)
        size += body_bytes
    return [batch for batch in batches if batch]


@dataclass
class Sent:
    """What the queue made of the messages: each one's message id, in order (None where it was refused),
    and the refusals, each naming its line (`lines`) with the code and reason."""

    ids: list[str | None]
    refused: list[dict[str, Any]]


def send_lines(sqs: Any, queue_url: str, messages: Sequence[Message]) -> Sent:
    """Send each message to the queue. A line that cannot be a body is refused here; a body the queue refuses
    (SendMessageBatch reports it in `Failed`, and sends the others; SendMessage answers an error) is refused
    with SQS's code and reason; the rest go on (contract, section 4)."""
    ids: dict[int, str] = {}
    refusals: dict[int, tuple[str, str]] = {i: m.refusal for i, m in enumerate(messages) if m.refusal}
    sendable = [i for i, m in enumerate(messages) if not m.refusal]
    for batch in send_batches([messages[i].body for i in sendable]):
        positions = [sendable[b] for b in batch]
        if len(positions) == 1 and utf8_bytes(messages[positions[0]].body) > MAX_BATCH_BYTES:
            try:
                response = sqs.send_message(QueueUrl=queue_url, MessageBody=messages[positions[0]].body)
            except ClientError as error:
                refusals[positions[0]] = (error.response["Error"]["Code"], error.response["Error"].get("Message", ""))
            else:
                ids[positions[0]] = response["MessageId"]
            continue
        response = sqs.send_message_batch(
            QueueUrl=queue_url, Entries=[{"Id": str(p), "MessageBody": messages[p].body} for p in positions]
        )
        ids.update({int(entry["Id"]): entry["MessageId"] for entry in response["Successful"]})
        refusals.update({int(e["Id"]): (e["Code"], e.get("Message", "")) for e in response.get("Failed", [])})
    refused = [
        {"lines": [messages[p].line], "code": code, "reason": reason} for p, (code, reason) in sorted(refusals.items())
    ]
    return Sent(ids=[ids.get(p) for p in range(len(messages))], refused=refused)


def peek(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every message on a queue, left there for other readers: received (hidden meanwhile), then made visible
    again at once, ten to a request ("You can send up to 10 ChangeMessageVisibility requests with each
    ChangeMessageVisibilityBatch action",
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibilityBatch.html)."""
    received: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=MAX_BATCH_ENTRIES, VisibilityTimeout=30, AttributeNames=["All"]
    ).get("Messages", []):
        received.extend(batch)
    for start in range(0, len(received), MAX_BATCH_ENTRIES):
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
            for i, m in enumerate(received[start : start + MAX_BATCH_ENTRIES])
        ]
        sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)
    return received


def utf8_bytes(text: str) -> int:
    """The bytes of text as UTF-8 (a lone surrogate, which no UTF-8 text holds, counts as its 3 bytes)."""
    return len(text.encode("utf-8", "surrogatepass"))
