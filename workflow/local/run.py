"""A local run: send each line of a file as one message, drive the system until every message has
reached its end, and read back what happened from the emulated services (contract, section 4)."""

from __future__ import annotations

import json
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from workflow.local.emulator import EmulatedStack
from workflow.local.patches import reading_back, scaled
from workflow.local.poller import SqsEventSource
from workflow.messages import Message, Sent, peek, send_lines
from workflow.operations import (
    FAILED_STATUSES,
    event_details,
    execution_history,
    notified_in,
    redrive_dead_letters,
    retry_failed_orders,
    scan_records,
)

REPORTED_FIELDS = ("total", "currency", "reasons", "error", "cause", "messageId", "executionArn")

# The outcome of each message (contract, sections 3 and 4): a record's status, or one of these.
DUPLICATE = "duplicate"
DEAD_LETTER = "dead letter"
REFUSED = "refused"
# A message none of the services can tell the end of (still on the queue, or an execution still running
# when the run gave up waiting): never expected, counted so that it cannot pass unseen.
UNACCOUNTED = "unaccounted"
FAILED = "FAILED"
# Exit status 1 when any message ended so (contract, section 4).
NOT_A_SUCCESS = (FAILED, DEAD_LETTER, REFUSED, UNACCOUNTED)


@dataclass
class Progress:
    messages: int
    delivered: int = 0
    executions: int = 0
    finished: int = 0


ProgressCallback = Callable[[Progress], None]


def as_messages(bodies: Sequence[str | Message]) -> list[Message]:
    """Bodies given as plain text are lines 1, 2, ... in that order."""
    return [b if isinstance(b, Message) else Message(number, b) for number, b in enumerate(bodies, start=1)]


def send_messages(stack: EmulatedStack, bodies: Sequence[str | Message]) -> Sent:
    """Send each message to the order queue (`workflow.messages.send_lines`), kept in the run's ledger."""
    messages = as_messages(bodies)
    sent = send_lines(stack.client("sqs"), stack.resources.queue_url, messages)
    book = ledger(stack)
    book.sent.extend(zip(messages, sent.ids, strict=True))
    book.refused.extend(sent.refused)
    return sent


@dataclass
class Ledger:
    """What a run can learn only as it happens, from the services' own answers: the message id SQS gave each
    line, each StartExecution that Step Functions refused as a duplicate (ExecutionAlreadyExists: what
    CloudTrail records of a call, errors included), and the new message id SQS gave each dead letter the way
    back sent again (to tie that new message to its line). Which outcome each message reached is read
    afterwards from the services (`account`)."""

    sent: list[tuple[Message, str | None]] = field(default_factory=list)
    duplicates: dict[str, str] = field(default_factory=dict)  # message id -> key, of each start refused by name
    redriven: dict[str, str] = field(default_factory=dict)  # dead letter's message id -> the id it was sent again as
    refused: list[dict[str, Any]] = field(default_factory=list)  # the lines SQS gave no message id, and why

    def note_start(self, params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
        context[_START_INPUT] = params.get("input")

    def started(self, parsed: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
        if parsed.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
            # The starter's input names the message and its key (order_starter.keys.execution_input).
            execution_input = _json_object(context.get(_START_INPUT))
            self.duplicates[str(execution_input.get("messageId"))] = str(execution_input.get("orderKey"))


_START_INPUT = "local-run-start-input"
_ledgers: weakref.WeakKeyDictionary[EmulatedStack, Ledger] = weakref.WeakKeyDictionary()


def ledger(stack: EmulatedStack) -> Ledger:
    """The stack's ledger, listening to the application's StartExecution calls from the first time it is asked for."""
    if stack not in _ledgers:
        book = _ledgers[stack] = Ledger()
        events = stack.application_session.events
        events.register("before-parameter-build.sfn.StartExecution", book.note_start, unique_id="local-run-start")
        events.register("after-call.sfn.StartExecution", book.started, unique_id="local-run-started")
    return _ledgers[stack]


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


def listed_executions(stack: EmulatedStack) -> list[dict[str, Any]]:
    """Every execution of the state machine as ListExecutions gives it: ARN, name, status, start date."""
    sfn = stack.client("stepfunctions")
    found: list[dict[str, Any]] = []
    # AWS lists no Express executions (they leave only logs); the emulator keeps them for the report.
    with reading_back():
        # Pages of at most 1,000, the largest ListExecutions allows (maxResults:
        # https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html).
        pages = sfn.get_paginator("list_executions").paginate(
            stateMachineArn=stack.resources.state_machine_arn, PaginationConfig={"PageSize": 1000}
        )
        for page in pages:
            found.extend(page["executions"])
    return found


def execution_arns(stack: EmulatedStack) -> list[str]:
    return [e["executionArn"] for e in listed_executions(stack)]


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


def process(
    stack: EmulatedStack,
    bodies: Sequence[str | Message],
    on_progress: ProgressCallback = lambda p: None,
    timeout: float = 600,
) -> Processed:
    """Send, and drive the system until every message has reached its end; the seconds it took."""
    started = time.monotonic()
    messages = as_messages(bodies)
    progress = Progress(messages=len(messages))
    send_messages(stack, messages)
    drain(stack, progress, on_progress, timeout)
    wait_for_executions(stack, progress, on_progress, timeout)
    return Processed(seconds=time.monotonic() - started)


def run(
    stack: EmulatedStack,
    bodies: Sequence[str | Message],
    on_progress: ProgressCallback = lambda p: None,
    timeout: float = 600,
) -> dict[str, Any]:
    """Send, drive, wait, and return the report (contract, section 4)."""
    processed = process(stack, bodies, on_progress, timeout)
    # Reading the report back is not part of the time the messages took.
    return build_report(stack, seconds=processed.seconds)


def recover(stack: EmulatedStack, timeout: float = 600) -> dict[str, Any]:
    """The operator's way back, after the faults are gone: dead letters back to the queue, FAILED
    orders through the workflow again (workflow.operations, as against a deployed stack)."""
    stack.faults.configure({}, stack.faults.seed)
    resources = stack.resources
    redriven = redrive_dead_letters(stack.client("sqs"), resources.dead_letter_queue_url, resources.queue_url)
    # What is sent back becomes new messages: which dead letters they were, to tie them to their lines.
    ledger(stack).redriven.update(redriven)
    progress = Progress(messages=len(redriven))
    drain(stack, progress, lambda p: None, timeout)
    retried = retry_failed_orders(stack.client("stepfunctions"), stack.resource("dynamodb"), resources)
    wait_for_executions(stack, progress, lambda p: None, timeout)
    return {
        "deadLettersRedriven": len(redriven),
        "ordersRetried": retried.restarted,
        "ordersNotRetried": retried.skipped,
    }


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
    """Every message on a queue, read once; with `keep`, left visible again for another consumer (`peek`)."""
    sqs = stack.client("sqs")
    if keep:
        return peek(sqs, queue_url)
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300, AttributeNames=["All"]
    ).get("Messages", []):
        messages.extend(batch)
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


# The history event that ends an execution which did not succeed carries its error and cause
# (ExecutionFailedEventDetails, ExecutionTimedOutEventDetails, ExecutionAbortedEventDetails:
# https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html).
_UNSUCCESSFUL_ENDS = ("ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted")


def executions(stack: EmulatedStack) -> list[dict[str, Any]]:
    """Each execution, read with one ListExecutions item and its history, nothing else: ListExecutions gives
    its name, status and start date; the history (GetExecutionHistory,
    https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html) gives the
    rest, as DescribeExecution would (for an ABORTED execution, the error and cause StopExecution gave, which
    the ExecutionAborted event holds): the input is ExecutionStarted's (ExecutionStartedEventDetails.input,
    https://docs.aws.amazon.com/step-functions/latest/apireference/API_ExecutionStartedEventDetails.html), the
    error and cause those of the event that ended it
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_ExecutionFailedEventDetails.html)."""
    sfn = stack.client("stepfunctions")
    found: list[tuple[str, Any, dict[str, Any]]] = []
    with reading_back():  # as in listed_executions
        for listed in listed_executions(stack):
            arn = listed["executionArn"]
            events = execution_history(sfn, arn)
            first = events[0] if events else {}
            started = first.get("timestamp", listed["startDate"])
            execution_input = _json_object(first.get("executionStartedEventDetails", {}).get("input"))
            entry: dict[str, Any] = {
                "name": listed["name"],
                "executionArn": arn,
                # The message that started it and its key, as the starter wrote them into its input.
                "messageId": execution_input.get("messageId"),
                "orderKey": execution_input.get("orderKey"),
                "status": listed["status"],
                "states": [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e],
                "events": [_event(e, started) for e in events],
            }
            end = event_details(events[-1]) if events and events[-1]["type"] in _UNSUCCESSFUL_ENDS else {}
            for name in ("error", "cause"):
                if end.get(name):
                    entry[name] = end[name]
            found.append((str(listed["name"]), listed["startDate"], entry))
    # By name, and executions of one name (Express) in the order they started.
    return [entry for *_, entry in sorted(found, key=lambda f: f[:2])]


def _json_object(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _event(event: dict[str, Any], started: Any) -> dict[str, Any]:
    details = event_details(event)
    return {
        "id": event["id"],
        "type": event["type"],
        "state": details.get("name", ""),
        "error": details.get("error", ""),
        "elapsedMs": round((event["timestamp"] - started).total_seconds() * 1000),
    }


def account(
    book: Ledger,
    report_records: list[dict[str, Any]],
    report_executions: list[dict[str, Any]],
    report_dead_letters: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Each message sent, with the outcome the services show for it, each read and none inferred from the
    others (contract, section 4):

    - refused: SQS gave it no message id (or it was no text to send);
    - the status of the record it wrote: the record names its message (`messageId`), unless the execution
      that wrote it then failed before notifying (a failure, not an outcome, contract section 3; the rule the
      way back uses, `operations.notified_in`);
    - a duplicate: Step Functions refused its start as its key already had an execution (Standard), or its executions
      found the key recorded and ended in SkipDuplicate (Express);
    - FAILED: its execution failed and no record names it (the table could not be written);
    - a dead letter: it is in the dead-letter queue, by its message id;
    - unaccounted: none of these, which a finished run never shows.

    A dead letter the way back sent again is a new message: it is followed under the new id SendMessage gave it
    (`Ledger.redriven`), as often as it was sent again. Each message also names the id it was followed to
    (`lastMessageId`), the one a dead letter of it has."""
    by_message = {str(r["messageId"]): r for r in report_records if "messageId" in r}
    runs: dict[str, list[dict[str, Any]]] = {}
    for execution in report_executions:
        runs.setdefault(str(execution["messageId"]), []).append(execution)
    dead = {letter["messageId"] for letter in report_dead_letters}
    # The executions that failed without notifying: a record they wrote is a failure, not an outcome.
    unnotified = {
        str(e["executionArn"])
        for e in report_executions
        if e["status"] in FAILED_STATUSES
        and not notified_in(
            (ev["type"], ev["state"] if ev["type"].endswith("StateEntered") else "") for ev in e["events"]
        )
    }

    def outcome(message_id: str) -> tuple[str, str | None, str]:
        """The message's outcome, its key, and the id it was followed to."""
        if message_id in by_message:
            record = by_message[message_id]
            status = FAILED if str(record.get("executionArn")) in unnotified else str(record["status"])
            return status, str(record["orderId"]), message_id
        if message_id in runs:
            return _unrecorded_outcome(runs[message_id]), str(runs[message_id][0]["orderKey"]), message_id
        if message_id in book.duplicates:
            return DUPLICATE, book.duplicates[message_id], message_id
        if message_id in book.redriven:
            return outcome(book.redriven[message_id])
        return (DEAD_LETTER if message_id in dead else UNACCOUNTED), None, message_id

    accounted: list[dict[str, Any]] = []
    for message, message_id in book.sent:
        if message_id is None:
            accounted.append(
                {"line": message.line, "messageId": None, "lastMessageId": None, "orderId": None, "outcome": REFUSED}
            )
            continue
        status, key, last = outcome(message_id)
        accounted.append(
            {"line": message.line, "messageId": message_id, "lastMessageId": last, "orderId": key, "outcome": status}
        )
    return accounted


def _unrecorded_outcome(started: list[dict[str, Any]]) -> str:
    """The outcome of a message whose executions wrote no record naming it."""
    if any(e["status"] == "SUCCEEDED" and e["states"][-1:] == ["SkipDuplicate"] for e in started):
        return DUPLICATE
    if any(e["status"] in FAILED_STATUSES for e in started):
        return FAILED
    return UNACCOUNTED


def build_report(stack: EmulatedStack, *, seconds: float) -> dict[str, Any]:
    report_records = records(stack)
    report_notifications = notifications(stack)
    report_dead_letters = dead_letters(stack)
    report_executions = executions(stack)
    faults = stack.faults.summary()
    book = ledger(stack)
    messages = account(book, report_records, report_executions, report_dead_letters)
    lines_of_key: dict[str, set[int]] = {}
    lines_of_message: dict[str, set[int]] = {}
    for message in messages:
        if message["orderId"] is not None:
            lines_of_key.setdefault(message["orderId"], set()).add(message["line"])
        if message["lastMessageId"] is not None:
            lines_of_message.setdefault(message["lastMessageId"], set()).add(message["line"])
    for record in report_records:
        record["lines"] = sorted(lines_of_key.get(str(record["orderId"]), ()))
    for letter in report_dead_letters:
        letter["lines"] = sorted(lines_of_message.get(letter["messageId"], ()))
    recorded = {r["orderId"] for r in report_records}
    # An order whose only trace is a failed execution (its record could not be written) is FAILED all the same.
    unrecorded = [
        {
            "orderId": key,
            "status": FAILED,
            "lines": sorted(lines_of_key[key]),
            "executionArn": last["executionArn"],
            "error": last.get("error", ""),
            "cause": last.get("cause", ""),
        }
        for key, last in _last_failed_execution(report_executions).items()
        if key not in recorded and key in lines_of_key
    ]

    def count(outcome: str) -> int:
        return sum(m["outcome"] == outcome for m in messages)

    return {
        "workflowType": stack.workflow_type,
        "records": report_records,
        "unrecordedFailures": unrecorded,
        "notifications": report_notifications,
        "deadLetters": report_dead_letters,
        "refused": book.refused,
        "executions": report_executions,
        "messages": messages,
        "faults": faults,
        "summary": {
            "messages": len(messages),
            "accepted": count("ACCEPTED"),
            "rejected": count("REJECTED"),
            "failed": count(FAILED),
            "duplicates": count(DUPLICATE),
            "deadLetters": count(DEAD_LETTER),
            "refused": count(REFUSED),
            "unaccounted": count(UNACCOUNTED),
            "records": len(report_records),
            "notifications": len(report_notifications),
            "executions": len(report_executions),
            "faultsInjected": sum(faults.values()),
            "retries": sum(retries(e) for e in report_executions),
            "seconds": round(seconds, 2),
        },
    }


def _last_failed_execution(report_executions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per key, its last execution when that one failed."""
    last: dict[str, dict[str, Any]] = {}
    for execution in report_executions:  # in the order they started, per name
        last[str(execution["orderKey"])] = execution
    return {key: e for key, e in last.items() if e["status"] in FAILED_STATUSES}


def succeeded(report: dict[str, Any]) -> bool:
    """Whether every message ended ACCEPTED, REJECTED or as a duplicate (exit status 0, contract section 4)."""
    return not any(m["outcome"] in NOT_A_SUCCESS for m in report["messages"])


def retries(execution: dict[str, Any]) -> int:
    """Task attempts beyond the first, as the execution's history shows them: each TaskScheduled that follows
    another one within the same Task state."""
    counted, scheduled = 0, False
    for event in execution["events"]:
        if event["type"] == "TaskStateEntered":
            scheduled = False
        elif event["type"] == "TaskScheduled":
            counted += scheduled
            scheduled = True
    return counted
