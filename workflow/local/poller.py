"""Lambda's SQS poller, played locally: what the event source mapping does on AWS.

It receives up to the mapping's batch size, invokes the function once per batch, deletes what
succeeded and, with ReportBatchItemFailures, leaves only the reported failures on the queue.
A failed message becomes visible again after the queue's visibility timeout (scaled like all
local time), and SQS itself moves it to the dead-letter queue after maxReceiveCount receives.
The poller reads the queue as the function's execution role, as the event source mapping does, so
its calls are authorized like the function's own (workflow.local.access).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from workflow.local.access.enforce import ActingClient
from workflow.local.emulator import REGION, EmulatedStack
from workflow.local.patches import scaled


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
        """One receive and, if it got messages, one invocation. Returns how many messages it handed over."""
        messages = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            VisibilityTimeout=self.visibility_timeout,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        response = self._lambda.invoke(
            FunctionName=self.function_arn, Payload=json.dumps({"Records": [self._record(m) for m in messages]})
        )
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
        return len(messages)

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
