"""Lambda's SQS poller, played locally: what the event source mapping does on AWS.

It receives up to the mapping's batch size, invokes the function once per batch, deletes what
succeeded and, with ReportBatchItemFailures, leaves only the reported failures on the queue.
A failed message becomes visible again after the queue's visibility timeout (scaled like all
local time), and SQS itself moves it to the dead-letter queue after maxReceiveCount receives.
The poller reads the queue as the function's execution role, as the event source mapping does, so
its calls are authorized like the function's own (workflow.local.access).

A batch is also closed when its payload reaches 6 MB ("How Lambda processes records from stream and
queue-based event sources", https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html:
Lambda invokes the function when "the payload size reaches 6 MB. You cannot modify this limit."; the
synchronous invocation limit of "Lambda quotas", https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
SQS messages of up to 1 MiB make that happen before 10 records: the messages received are handed over
in as many invocations as keep each payload within the limit, in order.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from workflow.local.access.enforce import ActingClient
from workflow.local.emulator import REGION, EmulatedStack
from workflow.local.patches import scaled

MAX_PAYLOAD_BYTES = 6_291_456
_OPEN, _SEPARATOR, _CLOSE = b'{"Records": [', b", ", b"]}"


class SqsEventSource:
    def __init__(self, stack: EmulatedStack) -> None:
        self._lambda = stack.client("lambda")
        mapping = stack.event_source_mapping()
        self.function_arn: str = mapping["FunctionArn"]
        # The mapping reads the queue as the function's role, which needs ReceiveMessage, DeleteMessage and
        # GetQueueAttributes ("Creating and configuring an Amazon SQS event source mapping", execution role
        # permissions, https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
        self._sqs = ActingClient(stack.application_client("sqs"), stack.access.function_role(self.function_arn))
        # Shortening a failed message's visibility timeout is the local mode's own (it scales time).
        self._own_sqs = stack.client("sqs")
        self.batch_size: int = mapping.get("BatchSize") or 10
        self.reports_item_failures = "ReportBatchItemFailures" in mapping.get("FunctionResponseTypes", [])
        self.queue_url = stack.resources.queue_url
        attributes = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["All"])["Attributes"]
        self.queue_arn: str = attributes["QueueArn"]
        self.visibility_timeout = int(attributes["VisibilityTimeout"])

    def poll_once(self) -> int:
        """One receive and an invocation per batch of what it got. Returns how many messages it handed over."""
        messages = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            VisibilityTimeout=self.visibility_timeout,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        for batch, payload in self._batches(messages):
            self._hand_over(batch, payload)
        return len(messages)

    def _batches(self, messages: list[dict[str, Any]]) -> list[tuple[list[dict[str, Any]], bytes]]:
        """The messages in order, cut into invocations whose payloads (the event's JSON bytes) stay within the limit."""
        batches: list[tuple[list[dict[str, Any]], bytes]] = []
        batch: list[dict[str, Any]] = []
        records: list[bytes] = []
        size = len(_OPEN) + len(_CLOSE)
        for message in messages:
            record = json.dumps(self._record(message), ensure_ascii=False).encode("utf-8", "surrogatepass")
            if records and size + len(_SEPARATOR) + len(record) > MAX_PAYLOAD_BYTES:
                batches.append((batch, _OPEN + _SEPARATOR.join(records) + _CLOSE))
                batch, records, size = [], [], len(_OPEN) + len(_CLOSE)
            size += len(record) + (len(_SEPARATOR) if records else 0)
            batch.append(message)
            records.append(record)
        if batch:
            batches.append((batch, _OPEN + _SEPARATOR.join(records) + _CLOSE))
        return batches

    def _hand_over(self, messages: list[dict[str, Any]], payload: bytes) -> None:
        response = self._lambda.invoke(FunctionName=self.function_arn, Payload=payload)
        failed = self._failed_ids(response, messages)
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        for message in messages:
            if message["MessageId"] in failed:
                self._own_sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=round(scaled(self.visibility_timeout)),
                )

    def _failed_ids(self, response: dict[str, Any], messages: list[dict[str, Any]]) -> set[str]:
        payload = response["Payload"].read()
        if response.get("FunctionError"):
            return {m["MessageId"] for m in messages}
        if not self.reports_item_failures:
            return set()
        result = json.loads(payload or b"null") or {}
        return {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        """The record shape Lambda's SQS event uses."""
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "binaryValue": value.get("BinaryValue"),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": value["DataType"],
                }
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": REGION,
        }
