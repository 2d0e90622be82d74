"""What a file's bytes become in `orders local run` (contract, section 4): one message per line, a line
ending at a line feed only, each message keeping its line's number, and each line SQS could never take
refused on its own."""

from __future__ import annotations

import json

import pytest

from workflow.local.patches.fidelity.sqs import MAX_BATCH_BYTES, MAX_BATCH_ENTRIES
from workflow.messages import NOT_UTF8, Message, NotText, read_file, send_batches


def test_a_line_ends_at_a_line_feed_and_a_carriage_return_before_it_is_dropped() -> None:
    data = b'{"orderId": "a"}\r\n{"orderId": "b"}\n{"orderId": "c"}'
    assert read_file(data) == [
        Message(1, '{"orderId": "a"}'),
        Message(2, '{"orderId": "b"}'),
        Message(3, '{"orderId": "c"}'),
    ]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\r"])
def test_no_other_separator_ends_a_line(separator: str) -> None:
    """str.splitlines() splits at each of these; U+2028 and U+2029 are legal inside a JSON string."""
    body = json.dumps({"orderId": "ord-1", "customer": {"name": f"Ana{separator}Souza"}}, ensure_ascii=False)
    assert read_file(body.encode() + b"\n") == [Message(1, body)]


def test_blank_lines_are_skipped_and_every_message_keeps_its_line_number() -> None:
    data = b'\n  \n{"orderId": "a"}\n\t\r\n\nnot json\n\n'
    assert read_file(data) == [Message(3, '{"orderId": "a"}'), Message(6, "not json")]
    assert read_file(b"") == read_file(b"\n \r\n\t\n") == []


def test_each_copy_of_a_line_sent_k_times_names_that_line() -> None:
    assert read_file(b"a\nb\n", duplicates=2) == [Message(1, "a"), Message(1, "a"), Message(2, "b"), Message(2, "b")]


def test_a_line_that_is_not_utf8_is_refused_alone_with_the_byte_that_is_wrong() -> None:
    messages = read_file(b'{"orderId": "a"}\n{"orderId": "caf\xe9"}\n{"orderId": "c"}\n')
    assert [(m.line, m.refusal is None) for m in messages] == [(1, True), (2, False), (3, True)]
    assert messages[1].refusal is not None
    code, reason = messages[1].refusal
    assert code == NOT_UTF8
    assert reason.startswith("not valid UTF-8: byte 0xE9 at byte 17 of the line")
    assert messages[1].body == '{"orderId": "caf\\xe9"}'  # shown as it is, never sent


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_line() -> None:
    assert read_file(b'\xef\xbb\xbf{"orderId": "a"}\n') == [Message(1, '{"orderId": "a"}')]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ('{"orderId": "a"}\n'.encode("utf-16"), "UTF-16 or UTF-32 byte order mark"),
        ('{"orderId": "a"}\n{"orderId": "b"}\n'.encode("utf-16-le"), "NUL: it is binary or UTF-16"),
        (bytes(range(256)) * 4, "NUL: it is binary or UTF-16"),
    ],
)
def test_a_file_that_is_not_text_at_all_is_one_reason_not_a_refusal_per_line(data: bytes, reason: str) -> None:
    with pytest.raises(NotText, match=reason):
        read_file(data)


def test_a_nul_here_and_there_is_a_character_of_its_line_for_sqs_to_refuse() -> None:
    assert read_file(b'{"orderId": "a", "x": "\x00"}\n' + b'{"orderId": "b"}\n' * 10)[0].body.endswith('"\x00"}')


def test_send_batches_hold_at_most_10_entries_and_1_mib() -> None:
    """SendMessageBatch: at most 10 entries, and "the sum of the individual lengths of all of the batched
    messages" at most 1 MiB (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html)."""
    small = ["x"] * 25
    assert [len(b) for b in send_batches(small)] == [MAX_BATCH_ENTRIES, MAX_BATCH_ENTRIES, 5]
    # Three 400,000-byte bodies (in UTF-8: 200,000 two-byte characters each) do not fit in one batch.
    large = ["é" * 200_000] * 3
    assert send_batches(large) == [[0, 1], [2]]
    # A body over the limit on its own is alone in its batch (sent with SendMessage, for SQS to refuse).
    assert send_batches(["a", "b" * (MAX_BATCH_BYTES + 1), "c"]) == [[0], [1], [2]]
