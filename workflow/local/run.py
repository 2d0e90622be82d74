"""A local run: send each line of a file as one message, drive the system until every message has
reached its end, and read back what happened from the emulated services (contract, section 4)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from workflow.local.emulator import EmulatedStack
from workflow.local.patches import reading_back, scaled
from workflow.local.patches.fidelity.sizes import utf8_bytes
from workflow.local.patches.fidelity.sqs import MAX_BATCH_BYTES, MAX_BATCH_ENTRIES
from workflow.local.poller import SqsEventSource
from workflow.operations import redrive_dead_letters, retry_failed_orders, scan_records

REPORTED_FIELDS = ("total", "currency", "reasons", "error", "cause", "messageId")


@dataclass
class Progress:
    messages: int
    delivered: int = 0
    executions: int = 0
    finished: int = 0


ProgressCallback = Callable[[Progress], None]


def read_messages(lines: Iterable[str], duplicates: int = 1) -> list[str]:
    """Every line is one message body, as it is; blank lines are skipped. With `duplicates` K, each
    line is sent K times in a row, as a client that retries would send it."""
    return [line.rstrip("\r\n") for line in lines if line.strip() for _ in range(duplicates)]


def send_batches(bodies: list[str]) -> list[list[str]]:
    """The bodies in order, in SendMessageBatch requests of at most 10 entries and 1 MiB in all."""
    batches: list[list[str]] = [[]]
    size = 0
    for body in bodies:
        body_bytes = utf8_bytes(body)
        if batches[-1] and (len(batches[-1]) == MAX_BATCH_ENTRIES or size + body_bytes > MAX_BATCH_BYTES):
            batches.append([])
            size = 0
        batches[-1].append(body)
        size += body_bytes
    return [batch for batch in batches if batch]


@dataclass
class Sent:
    """What the queue made of the bodies: each one's message id, in order (None where it was refused),
    and the refusals as SQS reported them (`message`: the body's 1-based position among those sent)."""

    ids: list[str | None]
    refused: list[dict[str, Any]]


def send_messages(stack: EmulatedStack, bodies: list[str]) -> Sent:
    """Send each body as one message. A body the queue refuses (SendMessageBatch reports it in `Failed`,
    and sends the others) is reported as refused, and the rest go on (contract, section 4)."""
    sqs = stack.client("sqs")
    sent = Sent(ids=[], refused=[])
    for batch in send_batches(bodies):
        start = len(sent.ids)
        response = sqs.send_message_batch(
            QueueUrl=stack.resources.queue_url,
            Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(batch)],
        )
        ids = {entry["Id"]: entry["MessageId"] for entry in response["Successful"]}
        sent.ids.extend(ids.get(str(i)) for i in range(len(batch)))
        sent.refused.extend(
            {"message": start + int(entry["Id"]) + 1, "code": entry["Code"], "reason": entry.get("Message", "")}
            for entry in sorted(response.get("Failed", []), key=lambda e: int(e["Id"]))
        )
    return sent


def queue_depth(stack: EmulatedStack) -> int:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.resources.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def drain(stack: EmulatedStack, progress: Progress, on_progress: ProgressCallback, timeout: float) -> None:
    """Poll until the queue is empty (every message started, or moved to the dead-letter queue)."""
    source = SqsEventSource(stack)
    deadline = time.monotonic() + timeout
    handed_over = 0
    while True:
        received = source.poll_once()
        handed_over += received
        progress.delivered = min(handed_over, progress.messages)
        on_progress(progress)
        if received:
            continue
        # Counting the queue costs a scan of it: only when a receive came back empty.
        depth = queue_depth(stack)
        if depth == 0:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"{depth} messages still on the queue after {timeout:.0f} s")
        # Only messages waiting out their (scaled) visibility timeout remain.
        time.sleep(max(0.01, scaled(1)))
    progress.delivered = progress.messages
    on_progress(progress)


def execution_arns(stack: EmulatedStack) -> list[str]:
    sfn = stack.client("stepfunctions")
    arns: list[str] = []
    # AWS lists no Express executions (they leave only logs); the emulator keeps them for the report.
    with reading_back():
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=stack.resources.state_machine_arn):
            arns.extend(e["executionArn"] for e in page["executions"])
    return arns


def wait_for_executions(
    stack: EmulatedStack, progress: Progress, on_progress: ProgressCallback, timeout: float
) -> None:
    arns = execution_arns(stack)
    progress.executions = len(arns)
    deadline = time.monotonic() + timeout
    for arn in arns:
        stack.wait_for_execution(arn, timeout=max(0.0, deadline - time.monotonic()))
        progress.finished += 1
        on_progress(progress)


@dataclass
class Processed:
    seconds: float
    refused: list[dict[str, Any]]


def process(
    stack: EmulatedStack, bodies: list[str], on_progress: ProgressCallback = lambda p: None, timeout: float = 600
) -> Processed:
    """Send, and drive the system until every message has reached its end; the seconds it took, and the
    bodies the queue refused."""
    started = time.monotonic()
    progress = Progress(messages=len(bodies))
    sent = send_messages(stack, bodies)
    drain(stack, progress, on_progress, timeout)
    wait_for_executions(stack, progress, on_progress, timeout)
    return Processed(seconds=time.monotonic() - started, refused=sent.refused)


def run(
    stack: EmulatedStack, bodies: list[str], on_progress: ProgressCallback = lambda p: None, timeout: float = 600
) -> dict[str, Any]:
    """Send, drive, wait, and return the report (contract, section 4)."""
    processed = process(stack, bodies, on_progress, timeout)
    # Reading the report back is not part of the time the messages took.
    return build_report(stack, messages=len(bodies), seconds=processed.seconds, refused=processed.refused)


def recover(stack: EmulatedStack, timeout: float = 600) -> dict[str, Any]:
    """The operator's way back, after the faults are gone: dead letters back to the queue, FAILED
    orders through the workflow again (workflow.operations, as against a deployed stack)."""
    stack.faults.configure({}, stack.faults.seed)
    resources = stack.resources
    redriven = redrive_dead_letters(stack.client("sqs"), resources.dead_letter_queue_url, resources.queue_url)
    progress = Progress(messages=redriven)
    drain(stack, progress, lambda p: None, timeout)
    retried = retry_failed_orders(stack.client("stepfunctions"), stack.resource("dynamodb"), resources)
    wait_for_executions(stack, progress, lambda p: None, timeout)
    return {"deadLettersRedriven": redriven, "ordersRetried": retried.restarted, "ordersNotRetried": retried.skipped}


# --- The report, read back from the emulated services ---------------------------------------


def records(stack: EmulatedStack) -> list[dict[str, Any]]:
    items = scan_records(stack.resource("dynamodb"), stack.resources.table_name)
    report = []
    for item in sorted(items, key=lambda i: str(i["orderKey"])):
        record: dict[str, Any] = {"orderId": item["orderKey"], "status": item["status"]}
        # Every field taken is text (money included), so the report holds no binary floats.
        record.update({name: item[name] for name in REPORTED_FIELDS if name in item})
        report.append(record)
    return report


def drain_queue(stack: EmulatedStack, queue_url: str, *, keep: bool = False) -> list[dict[str, Any]]:
    """Every message on a queue, read once; with `keep`, left visible again for another consumer."""
    sqs = stack.client("sqs")
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300, AttributeNames=["All"]
    ).get("Messages", []):
        messages.extend(batch)
    if keep:
        for message in messages:
            sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
    return messages


def notifications(stack: EmulatedStack) -> list[dict[str, Any]]:
    found = []
    for message in drain_queue(stack, stack.notifications_queue_url, keep=True):
        envelope = json.loads(message["Body"])
        attributes = {name: value["Value"] for name, value in envelope.get("MessageAttributes", {}).items()}
        found.append(
            {
                "orderId": attributes.get("orderKey"),
                "status": attributes.get("status"),
                "subject": envelope.get("Subject"),
                "message": envelope["Message"],
            }
        )
    return sorted(found, key=lambda n: (str(n["orderId"]), str(n["status"])))


def dead_letters(stack: EmulatedStack) -> list[dict[str, Any]]:
    return [
        {"messageId": m["MessageId"], "body": m["Body"]}
        for m in drain_queue(stack, stack.resources.dead_letter_queue_url, keep=True)
    ]


def executions(stack: EmulatedStack) -> list[dict[str, Any]]:
    sfn = stack.client("stepfunctions")
    found: list[tuple[str, Any, dict[str, Any]]] = []
    with reading_back():  # as in execution_arns
        for arn in execution_arns(stack):
            described = sfn.describe_execution(executionArn=arn)
            events = sfn.get_execution_history(executionArn=arn)["events"]
            started = events[0]["timestamp"] if events else described["startDate"]
            entry: dict[str, Any] = {
                "name": described["name"],
                "executionArn": arn,
                "status": described["status"],
                "states": [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e],
                "events": [_event(e, started) for e in events],
            }
            if described.get("error"):
                entry["error"] = described["error"]
            found.append((str(described["name"]), described["startDate"], entry))
    # By name, and executions of one name (Express) in the order they started.
    return [entry for *_, entry in sorted(found, key=lambda f: f[:2])]


def _event(event: dict[str, Any], started: Any) -> dict[str, Any]:
    details: dict[str, Any] = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
    return {
        "id": event["id"],
        "type": event["type"],
        "state": details.get("name", ""),
        "error": details.get("error", ""),
        "elapsedMs": round((event["timestamp"] - started).total_seconds() * 1000),
    }


def build_report(
    stack: EmulatedStack, *, messages: int, seconds: float, refused: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    refused = refused or []
    report_records = records(stack)
    report_notifications = notifications(stack)
    report_dead_letters = dead_letters(stack)
    report_executions = executions(stack)
    faults = stack.faults.summary()

    def count(status: str) -> int:
        return sum(r["status"] == status for r in report_records)

    return {
        "workflowType": stack.workflow_type,
        "records": report_records,
        "notifications": report_notifications,
        "deadLetters": report_dead_letters,
        "refused": refused,
        "executions": report_executions,
        "faults": faults,
        "summary": {
            "messages": messages,
            "accepted": count("ACCEPTED"),
            "rejected": count("REJECTED"),
            "failed": count("FAILED"),
            "deadLetters": len(report_dead_letters),
            "refused": len(refused),
            "notifications": len(report_notifications),
            # Deliveries of a key that already had a record: no record, no notification of their own.
            "duplicates": max(0, messages - len(refused) - len(report_records) - len(report_dead_letters)),
            "faultsInjected": sum(faults.values()),
            "retries": sum(retries(e) for e in report_executions),
            "seconds": round(seconds, 2),
        },
    }


def retries(execution: dict[str, Any]) -> int:
    """Task attempts beyond the first, as the execution's history shows them."""
    types = [e["type"] for e in execution["events"]]
    return types.count("TaskScheduled") - types.count("TaskStateEntered")
