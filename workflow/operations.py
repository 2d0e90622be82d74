"""The operator's way back: dead letters to the queue, failed orders through the workflow again.

The same functions serve the deployed stack (resources found from its CloudFormation outputs) and
the local mode (the emulated stack's clients): they take boto3 clients and resource names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from workflow import config

# An execution name holds at most 80 characters (StartExecution); an order id at most 64 (contract, section 1).
MAX_EXECUTION_NAME = 80
MAX_ORDER_ID = 64
RETRY_PREFIX = "retry-"
# The fewest hex digits of the retried execution's digest a retry name keeps: retries of one key stay distinct.
MIN_RETRY_DIGEST = 8
# The ends of an execution that leave its order without an outcome (ListExecutions' statusFilter).
FAILED_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")
NOTIFY_STATE = "NotifyCustomer"

# DescribeExecution refuses an Express execution ("Executions of an EXPRESS state machine aren't
# supported by DescribeExecution", https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html):
# its input is nowhere to read back (the state machine logs without execution data).
EXPRESS_NOT_RETRIED = (
    "an Express execution's input cannot be read back (DescribeExecution does not support Express "
    "workflows): send the order's original message to the order queue again"
)


def rfc3339(moment: datetime) -> str:
    """A moment as the project writes times: UTC, RFC 3339, to the millisecond (`2026-11-29T21:56:11.123Z`)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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


def redrive_dead_letters(sqs: Any, dead_letter_queue_url: str, queue_url: str) -> list[tuple[str, str]]:
    """Move every dead letter back to the order queue, body and attributes unchanged; the (dead letter's message
    id, new message id) of each moved. SendMessage answers with "the MessageId of the message sent to the queue"
    (SendMessageResult, AWS SDK for Java API Reference,
    https://docs.aws.amazon.com/AWSJavaSDK/latest/javadoc/com/amazonaws/services/sqs/model/SendMessageResult.html).

    Each message is sent before it is deleted, so a failure midway duplicates rather than loses it
    (and the workflow deduplicates by key).
    """
    moved: list[tuple[str, str]] = []
    while messages := sqs.receive_message(
        QueueUrl=dead_letter_queue_url,
        MaxNumberOfMessages=10,
        VisibilityTimeout=60,
        MessageAttributeNames=["All"],
    ).get("Messages", []):
        for message in messages:
            attributes = message.get("MessageAttributes")
            sent = sqs.send_message(
                QueueUrl=queue_url,
                MessageBody=message["Body"],
                **({"MessageAttributes": attributes} if attributes else {}),
            )
            sqs.delete_message(QueueUrl=dead_letter_queue_url, ReceiptHandle=message["ReceiptHandle"])
            moved.append((message["MessageId"], sent["MessageId"]))
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


def retry_name(key: str, retried_execution_arn: str) -> str:
    """The name of the execution that starts an order again: `retry-<key>-<digest of the retried execution>`,
    cut to 80 characters.

    No key can be this name (contract, section 2): it is longer than any order id (at most 64 characters,
    `functions/order_contract/body.py`) and does not start with `msg-`. It uses only `0-9 A-Z a-z - _`, as
    Step Functions asks of a name for logging to CloudWatch Logs, and at most 80 characters (StartExecution,
    `name`: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html). One
    failed execution has one retry name, so bringing it back twice starts it once (an existing name is
    refused, or, for a running execution with the same input, answered with that execution).
    """
    digest = hashlib.sha256(retried_execution_arn.encode()).hexdigest()
    name = f"{RETRY_PREFIX}{key}-{digest}"[:MAX_EXECUTION_NAME]
    if len(name) < len(RETRY_PREFIX) + len(key) + 1 + MIN_RETRY_DIGEST:
        raise ValueError(f"{key!r} is too long to name a retry of it")
    return name


def key_of(execution_name: str) -> str:
    """The key of the order an execution runs: its name, or the key inside a retry name."""
    if execution_name.startswith(RETRY_PREFIX) and len(execution_name) > MAX_ORDER_ID:
        return execution_name[len(RETRY_PREFIX) : execution_name.rindex("-")]
    return execution_name


@dataclass(frozen=True)
class Unfinished:
    """An order without its outcome: the failed execution to start again, and the record an execution wrote
    before failing (ACCEPTED or REJECTED, its customer never notified) that is to be recorded FAILED first."""

    key: str
    execution_arn: str
    unnotified_record_of: str | None = None


def failed_executions(stepfunctions: Any, state_machine_arn: str) -> dict[str, str]:
    """The latest execution of each key that ended FAILED, TIMED_OUT or ABORTED, from the executions themselves.

    Raises StateMachineTypeNotSupported for an Express state machine, whose executions ListExecutions does
    not list (https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html).
    """
    latest: dict[str, tuple[Any, str]] = {}
    paginator = stepfunctions.get_paginator("list_executions")
    for status in FAILED_STATUSES:
        for page in paginator.paginate(stateMachineArn=state_machine_arn, statusFilter=status):
            for execution in page["executions"]:
                key = key_of(execution["name"])
                if key not in latest or execution["startDate"] > latest[key][0]:
                    latest[key] = (execution["startDate"], execution["executionArn"])
    return {key: arn for key, (_, arn) in latest.items()}


def execution_history(stepfunctions: Any, execution_arn: str, **parameters: Any) -> list[dict[str, Any]]:
    """An execution's whole history: every page of GetExecutionHistory, 1,000 events a page, the most it gives
    (100 unless asked for more: https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html,
    maxResults)."""
    pages = stepfunctions.get_paginator("get_execution_history").paginate(
        executionArn=execution_arn, PaginationConfig={"PageSize": 1000}, **parameters
    )
    return [event for page in pages for event in page["events"]]


def notified(stepfunctions: Any, execution_arn: str) -> bool:
    """Whether the execution's NotifyCustomer step succeeded, as its history shows."""
    return notified_in((event["type"], _entered(event)) for event in execution_history(stepfunctions, execution_arn))


def notified_in(events: Iterable[tuple[str, str]]) -> bool:
    """Whether a history's (event type, state entered or "") pairs show NotifyCustomer succeeding: the one
    rule by which the way back and the local report both tell a notified order from an unnotified one."""
    state = ""
    for event_type, entered in events:
        if entered:
            state = entered
        elif event_type == "TaskSucceeded" and state == NOTIFY_STATE:
            return True
    return False


def event_details(event: dict[str, Any]) -> dict[str, Any]:
    """A history event's details: the one `...EventDetails` member its type carries (HistoryEvent,
    https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html), or none."""
    found: dict[str, Any] = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
    return found


def _entered(event: dict[str, Any]) -> str:
    return str(event["stateEnteredEventDetails"]["name"]) if "stateEnteredEventDetails" in event else ""


def unfinished_orders(stepfunctions: Any, dynamodb: Any, resources: StackResources) -> dict[str, Unfinished]:
    """Every order of a Standard workflow that has no outcome yet: its latest execution failed, timed out or
    was aborted, and no execution has since recorded and notified it. A key is finished when its record is
    ACCEPTED or REJECTED and the execution that wrote it succeeded, is still running, or notified the
    customer before it ended. FAILED records whose execution is no longer listed (Standard workflows keep
    a closed execution's history 90 days: Step Functions service quotas,
    https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html) are included too.
    """
    table = dynamodb.Table(resources.table_name)
    failed = failed_executions(stepfunctions, resources.state_machine_arn)
    for record in failed_records(dynamodb, resources.table_name):
        failed.setdefault(str(record["orderKey"]), str(record["executionArn"]))
    unfinished: dict[str, Unfinished] = {}
    for key, execution_arn in sorted(failed.items()):
        record = table.get_item(Key={"orderKey": key}, ConsistentRead=True).get("Item")
        if record is None or record["status"] == "FAILED":
            unfinished[key] = Unfinished(key, execution_arn)
            continue
        writer = str(record["executionArn"])
        if not _finished_by(stepfunctions, writer):
            unfinished[key] = Unfinished(key, execution_arn, unnotified_record_of=writer)
    return unfinished


def _finished_by(stepfunctions: Any, writer: str) -> bool:
    """Whether the execution that wrote an ACCEPTED or REJECTED record saw it through: it succeeded, is still
    running, or notified the customer before it failed. One that cannot be read back is not taken as finished:
    bringing it back then reports why."""
    try:
        status = stepfunctions.describe_execution(executionArn=writer)["status"]
        return status not in FAILED_STATUSES or notified(stepfunctions, writer)
    except ClientError:
        return False


def record_failure(stepfunctions: Any, dynamodb: Any, table_name: str, key: str, writer: str) -> None:
    """What RecordFailure does when the table lets it, done by the way back when it did not: the record the
    failed execution `writer` wrote becomes FAILED with that execution's error, keeping what it holds. Only
    that execution's record: the condition fails if another has written since."""
    described = stepfunctions.describe_execution(executionArn=writer)
    dynamodb.Table(table_name).update_item(
        Key={"orderKey": key},
        UpdateExpression="SET #status = :failed, #error = :error, #cause = :cause, failedAt = :now",
        ConditionExpression="executionArn = :writer",
        ExpressionAttributeNames={"#status": "status", "#error": "error", "#cause": "cause"},
        ExpressionAttributeValues={
            ":failed": "FAILED",
            ":error": described.get("error") or described["status"],
            ":cause": described.get("cause") or f"the execution ended {described['status']} before notifying",
            ":now": rfc3339(datetime.now(UTC)),
            ":writer": writer,
        },
    )


def retry_failed_orders(stepfunctions: Any, dynamodb: Any, resources: StackResources) -> RetryResult:
    """Start each unfinished order again, with its failed execution's input, as a new execution named by
    `retry_name`.

    Standard workflows: the orders come from the executions themselves (`unfinished_orders`), whether or not
    their failure could be recorded. A record written by an execution that failed before notifying is
    recorded FAILED first; SaveOrder replaces a FAILED record, so the retry leaves the order ACCEPTED or
    REJECTED and notified once. Express workflows keep no execution to list or read back: each FAILED record
    is reported as not retried (send the order's message again); what else failed is in the state
    machine's logs (README, Failure handling).
    """
    result = RetryResult()
    try:
        unfinished = unfinished_orders(stepfunctions, dynamodb, resources)
    except stepfunctions.exceptions.StateMachineTypeNotSupported:
        for record in failed_records(dynamodb, resources.table_name):
            result.skipped[str(record["orderKey"])] = EXPRESS_NOT_RETRIED
        return result
    for order in unfinished.values():
        if is_express_execution(order.execution_arn):  # a FAILED record from before a switch to Standard
            result.skipped[order.key] = EXPRESS_NOT_RETRIED
            continue
        try:
            _start_again(stepfunctions, dynamodb, resources, order)
        except ClientError as error:  # reported per order; the others still go
            result.skipped[order.key] = f"not started again: {error}"
        except ValueError as error:
            result.skipped[order.key] = str(error)
        else:
            result.restarted.append(order.key)
    return result


def _start_again(stepfunctions: Any, dynamodb: Any, resources: StackResources, order: Unfinished) -> None:
    name = retry_name(order.key, order.execution_arn)
    execution_input = stepfunctions.describe_execution(executionArn=order.execution_arn)["input"]
    if order.unnotified_record_of is not None:
        record_failure(stepfunctions, dynamodb, resources.table_name, order.key, order.unnotified_record_of)
    stepfunctions.start_execution(stateMachineArn=resources.state_machine_arn, name=name, input=execution_input)


def is_express_execution(execution_arn: str) -> bool:
    """An Express execution's ARN has the resource type `express` (`arn:aws:states:...:express:...`)."""
    parts = execution_arn.split(":")
    return len(parts) > 5 and parts[5] == "express"
