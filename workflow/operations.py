"""The operator's way back: dead letters to the queue, failed orders through the workflow again.

The same functions serve the deployed stack (resources found from its CloudFormation outputs) and
the local mode (the emulated stack's clients): they take boto3 clients and resource names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from workflow import config

# An execution name may hold 80 characters; keys hold at most 64.
MAX_RETRY_SUFFIX = 99

# DescribeExecution refuses an Express execution ("Executions of an EXPRESS state machine aren't
# supported by DescribeExecution", https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html):
# its input is nowhere to read back (the state machine logs without execution data).
EXPRESS_NOT_RETRIED = (
    "an Express execution's input cannot be read back (DescribeExecution does not support Express "
    "workflows): send the order's original message to the order queue again"
)


@dataclass(frozen=True)
class StackResources:
    """What the stack's outputs name."""

    queue_url: str
    dead_letter_queue_url: str
    state_machine_arn: str
    table_name: str
    order_topic_arn: str
    operations_topic_arn: str


@dataclass
class RetryResult:
    restarted: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def resources_from_outputs(outputs: dict[str, str]) -> StackResources:
    return StackResources(
        queue_url=outputs[config.OUTPUT_QUEUE_URL],
        dead_letter_queue_url=outputs[config.OUTPUT_DLQ_URL],
        state_machine_arn=outputs[config.OUTPUT_STATE_MACHINE_ARN],
        table_name=outputs[config.OUTPUT_TABLE_NAME],
        order_topic_arn=outputs[config.OUTPUT_ORDER_TOPIC_ARN],
        operations_topic_arn=outputs[config.OUTPUT_OPERATIONS_TOPIC_ARN],
    )


def outputs_of(stack: dict[str, Any]) -> dict[str, str]:
    """A described CloudFormation stack's outputs, by key."""
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    return outputs_of(cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0])


def redrive_dead_letters(sqs: Any, dead_letter_queue_url: str, queue_url: str) -> int:
    """Move every dead letter back to the order queue, body and attributes unchanged; how many moved.

    Each message is sent before it is deleted, so a failure midway duplicates rather than loses it
    (and the workflow deduplicates by key).
    """
    moved = 0
    while messages := sqs.receive_message(
        QueueUrl=dead_letter_queue_url,
        MaxNumberOfMessages=10,
        VisibilityTimeout=60,
        MessageAttributeNames=["All"],
    ).get("Messages", []):
        for message in messages:
            attributes = message.get("MessageAttributes")
            sqs.send_message(
                QueueUrl=queue_url,
                MessageBody=message["Body"],
                **({"MessageAttributes": attributes} if attributes else {}),
            )
            sqs.delete_message(QueueUrl=dead_letter_queue_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved


def scan_records(dynamodb: Any, table_name: str, **scan: Any) -> list[dict[str, Any]]:
    """Every record of the orders table (through a boto3 DynamoDB resource), page by page."""
    table = dynamodb.Table(table_name)
    records: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = dict(scan)
    while True:
        page = table.scan(**kwargs)
        records.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return records
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def failed_records(dynamodb: Any, table_name: str) -> list[dict[str, Any]]:
    return scan_records(dynamodb, table_name, FilterExpression=Attr("status").eq("FAILED"))


def retry_failed_orders(stepfunctions: Any, dynamodb: Any, resources: StackResources) -> RetryResult:
    """Start each FAILED order again, with its original input, as a new execution `<key>-retry-<n>`.

    The workflow's SaveOrder replaces a FAILED record, so a retry that succeeds leaves the order
    ACCEPTED or REJECTED and notified once. The input comes from the failed execution, so this needs
    a Standard workflow (Express executions keep no input to read back; resend the message instead).
    """
    result = RetryResult()
    for record in failed_records(dynamodb, resources.table_name):
        key = str(record["orderKey"])
        if is_express_execution(str(record["executionArn"])):
            result.skipped[key] = EXPRESS_NOT_RETRIED
            continue
        try:
            execution_input = stepfunctions.describe_execution(executionArn=record["executionArn"])["input"]
        except ClientError as error:  # reported per order; the others still go
            result.skipped[key] = f"its execution's input cannot be read: {error}"
            continue
        for attempt in range(1, MAX_RETRY_SUFFIX + 1):
            try:
                stepfunctions.start_execution(
                    stateMachineArn=resources.state_machine_arn,
                    name=f"{key}-retry-{attempt}",
                    input=execution_input,
                )
            except stepfunctions.exceptions.ExecutionAlreadyExists:
                continue
            result.restarted.append(key)
            break
        else:
            result.skipped[key] = f"it was retried {MAX_RETRY_SUFFIX} times already"
    return result


def is_express_execution(execution_arn: str) -> bool:
    """An Express execution's ARN has the resource type `express` (`arn:aws:states:...:express:...`)."""
    parts = execution_arn.split(":")
    return len(parts) > 5 and parts[5] == "express"
