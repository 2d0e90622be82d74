"""The SQS internals `speed.sqs` replaces still have the shape it expects, and answer as moto's own."""

from __future__ import annotations

import inspect

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import Message, Queue, SQSBackend, sqs_backends

from workflow.local.patches.speed import sqs as patch


def test_patched_sqs_internals_keep_their_shape() -> None:
    # The queue counts compare these message times directly.
    assert {"visible_at", "delayed_until"} <= set(Message.__init__.__code__.co_names)
    assert {"messages", "approximate_number_of_messages", "approximate_number_of_messages_not_visible"} <= set(
        vars(Queue)
    )
    # SendMessage reads one attribute of the map it builds; the counts in it are skipped there.
    sending = inspect.getsource(patch._original_send_message)
    assert sending.count(".attributes") == 1
    assert 'queue.attributes.get("ContentBasedDeduplication")' in sending


def test_sending_a_message_does_not_count_the_queue_and_its_counts_stay_right(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(SQSBackend, "send_message", patch._send_message)
    for name, index in (
        ("approximate_number_of_messages", 0),
        ("approximate_number_of_messages_not_visible", 1),
        ("approximate_number_of_messages_delayed", 2),
    ):
        monkeypatch.setattr(Queue, name, property(lambda queue, i=index: patch._counts_outside_send(queue)[i]))
    counted: list[int] = []
    original_counts = patch._counts
    monkeypatch.setattr(patch, "_counts", lambda queue: counted.append(1) or original_counts(queue))
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        for i in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=str(i))
        sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
        assert counted == []
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "2"
        assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
        assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"
        assert counted


def test_deleting_a_message_by_any_of_its_receipt_handles_as_moto_does(monkeypatch: pytest.MonkeyPatch) -> None:
    source = inspect.getsource(patch._original_delete_message)
    assert "message.had_receipt_handle(receipt_handle)" in source
    assert "self.deleted_messages.update(message.all_receipt_handles)" in source
    monkeypatch.setattr(Queue, "delete_message", patch._delete_message)
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
        for body in ("a", "b"):
            sqs.send_message(QueueUrl=url, MessageBody=body)
        first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
        again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]  # new handles, same messages
        stale = next(m["ReceiptHandle"] for m in first if m["Body"] == "a")
        sqs.delete_message(QueueUrl=url, ReceiptHandle=stale)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=next(m["ReceiptHandle"] for m in again if m["Body"] == "a"))
        with pytest.raises(ClientError, match="ReceiptHandleIsInvalid"):
            sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
        left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
        assert [m["Body"] for m in left] == ["b"]


def test_changing_visibility_finds_a_message_by_any_of_its_receipt_handles_as_moto_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "message.had_receipt_handle(receipt_handle)" in inspect.getsource(SQSBackend.change_message_visibility)
    monkeypatch.setattr(Message, "had_receipt_handle", patch._had_receipt_handle)
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="a")
        stale = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
        current = sqs.receive_message(QueueUrl=url, VisibilityTimeout=300)["Messages"][0]["ReceiptHandle"]
        (message,) = sqs_backend_messages()
        for handle in (stale, current, "not-a-handle"):
            assert patch._had_receipt_handle(message, handle) == patch._original_had_receipt_handle(message, handle)
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=stale, VisibilityTimeout=0)
        assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["a"]
        with pytest.raises(ClientError, match="ReceiptHandleIsInvalid"):
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle="not-a-handle", VisibilityTimeout=0)


def sqs_backend_messages() -> list[Message]:
    return list(sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_queue("q")._messages)
