"""SQS as `fidelity.sqs` makes it: the event source mapping detachable where it expects, SendMessage and
SendMessageBatch refusing what AWS refuses (size in bytes with attributes, characters, the batch total).

Pages: "SendMessage", "SendMessageBatch", "Amazon SQS message quotas", cited in the module under test.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.sqs.models import Queue

from tests.local.patches.helpers import parameters
from workflow.local.patches.fidelity import sqs as patch


def test_event_source_mappings_are_where_detaching_expects() -> None:
    assert "lambda_event_source_mappings" in Queue.__init__.__code__.co_names


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    patch.install(monkeypatch.setattr)
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        yield sqs, sqs.create_queue(QueueName="orders")["QueueUrl"]


def of_bytes(size: int) -> str:
    """A body of `size` UTF-8 bytes, mostly `é` (2 bytes, 1 character)."""
    return "é" * (size // 2) + "x" * (size % 2)


def error_of(call: Any, **kwargs: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_patched_sending_keeps_its_shape() -> None:
    assert parameters(patch._original_send_message) == ["self"]
    assert parameters(patch._original_send_message_batch) == ["self", "queue_name", "entries"]
    source = inspect.getsource(patch._original_send_message_batch)
    assert "return messages, failedInvalidDelay" in source


def test_a_message_of_1_mib_with_its_attributes_is_sent_and_one_byte_more_refused(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    attributes = {"source": {"DataType": "String", "StringValue": "test"}}
    body = of_bytes(patch.MAX_BATCH_BYTES - len("source") - len("String") - len("test"))
    assert sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attributes)["MessageId"]
    assert error_of(sqs.send_message, QueueUrl=url, MessageBody=body + "x", MessageAttributes=attributes) == (
        "InvalidParameterValue",
        400,
    )


def test_the_queue_maximum_message_size_is_the_limit(queue: tuple[Any, str]) -> None:
    sqs, _ = queue
    url = sqs.create_queue(QueueName="small", Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    assert sqs.send_message(QueueUrl=url, MessageBody=of_bytes(1024))["MessageId"]
    assert error_of(sqs.send_message, QueueUrl=url, MessageBody=of_bytes(1025)) == ("InvalidParameterValue", 400)


ALLOWED = "\t\n\r \ud7ff\ue000\ufffd\U00010000\U0010ffff"
REFUSED = ["\x00", "\x08", "\x0b", "\x0c", "\x1f", "\ud800", "\udfff", "\ufffe", "\uffff"]


def test_only_the_characters_sqs_accepts_are_sent(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    assert sqs.send_message(QueueUrl=url, MessageBody=f"all {ALLOWED} allowed")["MessageId"]
    answers = {f"U+{ord(c):04X}": error_of(sqs.send_message, QueueUrl=url, MessageBody=f"a{c}b") for c in REFUSED}
    assert answers == dict.fromkeys(answers, ("InvalidMessageContents", 400))


def test_a_batch_reports_each_refused_entry_and_sends_the_others(queue: tuple[Any, str]) -> None:
    sqs, _ = queue
    url = sqs.create_queue(QueueName="small", Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    entries = [
        {"Id": "fine", "MessageBody": f"ok {ALLOWED}"},
        {"Id": "control", "MessageBody": "a\x01b"},
        {"Id": "large", "MessageBody": of_bytes(1025)},
        {"Id": "largest", "MessageBody": of_bytes(1024)},
    ]
    response = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert sorted(e["Id"] for e in response["Successful"]) == ["fine", "largest"]
    assert sorted((e["Id"], e["Code"], e["SenderFault"]) for e in response["Failed"]) == [
        ("control", "InvalidMessageContents", True),
        ("large", "InvalidParameterValue", True),
    ]
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in received) == sorted([entries[0]["MessageBody"], entries[3]["MessageBody"]])


def test_a_batch_of_more_than_1_mib_in_all_is_refused_whole(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    quarter = patch.MAX_BATCH_BYTES // 4
    fits = [{"Id": str(i), "MessageBody": of_bytes(quarter)} for i in range(4)]
    assert len(sqs.send_message_batch(QueueUrl=url, Entries=fits)["Successful"]) == 4
    too_much = [*fits[:3], {"Id": "3", "MessageBody": of_bytes(quarter + 1)}]
    with pytest.raises(sqs.exceptions.BatchRequestTooLong) as raised:
        sqs.send_message_batch(QueueUrl=url, Entries=too_much)
    # The code SQS's query-compatible JSON protocol returns for this error.
    assert raised.value.response["Error"]["Code"] == "AWS.SimpleQueueService.BatchRequestTooLong"
    depth = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert depth["ApproximateNumberOfMessages"] == "4"  # the first batch's, none of the refused one
