"""What the console shows, read from the services themselves: Step Functions (executions, their
histories, the deployed definition), DynamoDB (the order's record) and, where a queue subscribed to
the order topic is given, SQS (the notification as a subscriber received it).

The same functions serve the local stack and a deployed one: they take boto3 clients and names.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from workflow import operations
from workflow.messages import peek

# The outcomes an execution can have for its order (contract, section 3).
DUPLICATE = "duplicate"
# What happened in a state, as the graph colours it.
SUCCEEDED, RETRIED, CAUGHT, FAILED, RUNNING, NOT_REACHED = (
    "succeeded",
    "retried",
    "caught",
    "failed",
    "running",
    "not-reached",
)
# History events that end one attempt of a Task in failure ("HistoryEvent",
# https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html).
ATTEMPT_FAILED = ("TaskFailed", "TaskTimedOut", "TaskStartFailed", "TaskSubmitFailed")
EXECUTION_ENDED = ("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted")
# BatchGetItem takes at most 100 keys a request
# (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html).
BATCH_GET_KEYS = 100


@dataclass(frozen=True)
class Sources:
    """Where the console reads: boto3 clients (stepfunctions, dynamodb, sqs) and the stack's names.
    `notifications_queue_url` is a queue subscribed to the order topic, when there is one."""

    stepfunctions: Any
    dynamodb: Any
    sqs: Any
    state_machine_arn: str
    table_name: str
    notifications_queue_url: str | None = None


def rfc3339(moment: datetime | None) -> str | None:
    return None if moment is None else operations.rfc3339(moment)


def seconds_between(start: datetime | None, stop: datetime | None) -> float | None:
    return None if start is None or stop is None else round((stop - start).total_seconds(), 3)


def definition(sources: Sources) -> dict[str, Any]:
    """The deployed definition (DescribeStateMachine), as a JSON object."""
    described = sources.stepfunctions.describe_state_machine(stateMachineArn=sources.state_machine_arn)
    parsed: dict[str, Any] = json.loads(described["definition"])
    return parsed


def list_executions(
    sources: Sources, status: str | None = None, limit: int = 1000, inputs: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The newest executions first (ListExecutions), each with its order's key and outcome.

    The key is read from the execution's input (DescribeExecution); `inputs` caches them by ARN across
    calls, since an execution's input never changes. The outcome comes from the order's record.
    """
    inputs = {} if inputs is None else inputs
    listed: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"stateMachineArn": sources.state_machine_arn}
    if status:
        kwargs["statusFilter"] = status
    for page in sources.stepfunctions.get_paginator("list_executions").paginate(**kwargs):
        listed.extend(page["executions"])
        if len(listed) >= limit:
            break
    listed = listed[:limit]
    for execution in listed:
        arn = execution["executionArn"]
        if arn not in inputs:
            described = sources.stepfunctions.describe_execution(executionArn=arn)
            inputs[arn] = json.loads(described.get("input") or "{}")
    records = get_records(sources, {order_key(inputs[e["executionArn"]], e["name"]) for e in listed})
    rows = []
    for execution in listed:
        key = order_key(inputs[execution["executionArn"]], execution["name"])
        rows.append(
            {
                "name": execution["name"],
                "executionArn": execution["executionArn"],
                "key": key,
                "status": execution["status"],
                "start": rfc3339(execution["startDate"]),
                "stop": rfc3339(execution.get("stopDate")),
                "seconds": seconds_between(execution["startDate"], execution.get("stopDate")),
                "outcome": outcome(execution["executionArn"], execution["status"], records.get(key)),
            }
        )
    return rows


def order_key(execution_input: Any, name: str) -> str:
    """The order's key: the execution input's `orderKey` (the starter's input), else the execution's name."""
    key = execution_input.get("orderKey") if isinstance(execution_input, dict) else None
    return key if isinstance(key, str) else name


def outcome(execution_arn: str, status: str, record: dict[str, Any] | None) -> str | None:
    """What this execution made of its order: the status of the record it wrote (ACCEPTED, REJECTED or
    FAILED); `duplicate` when it succeeded without writing (the key had a record: SkipDuplicate);
    FAILED for a failed execution whose failure the table could not take; None while it runs."""
    if record is not None and record.get("executionArn") == execution_arn:
        return str(record["status"])
    if status == "SUCCEEDED":
        return DUPLICATE
    if status == "RUNNING":
        return None
    return "FAILED"


def get_records(sources: Sources, keys: set[str]) -> dict[str, dict[str, Any]]:
    """The orders' records by key (BatchGetItem), as plain JSON values."""
    found: dict[str, dict[str, Any]] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), BATCH_GET_KEYS):
        keys_of_request = [{"orderKey": {"S": key}} for key in ordered[start : start + BATCH_GET_KEYS]]
        request = {sources.table_name: {"Keys": keys_of_request}}
        while request:
            response = sources.dynamodb.batch_get_item(RequestItems=request)
            for item in response["Responses"].get(sources.table_name, []):
                record = plain(item)
                found[record["orderKey"]] = record
            request = response.get("UnprocessedKeys") or {}
    return found


_deserializer = TypeDeserializer()


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as JSON values: numbers as exact text where they are not whole (no binary floats)."""

    def convert(value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else str(value)
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list | set):
            return [convert(v) for v in value]
        return value

    return {name: convert(_deserializer.deserialize(value)) for name, value in item.items()}


def history(sources: Sources, execution_arn: str) -> list[dict[str, Any]]:
    return operations.execution_history(sources.stepfunctions, execution_arn, includeExecutionData=True)


def execution_detail(
    sources: Sources, execution_arn: str, machine: dict[str, Any], received: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """One execution as the console's execution details page shows it. `received`: the subscribed queue's
    messages, when the caller has read them already."""
    described = sources.stepfunctions.describe_execution(executionArn=execution_arn)
    events = history(sources, execution_arn)
    started = events[0]["timestamp"] if events else described["startDate"]
    execution_input = _json(described.get("input"))
    key = order_key(execution_input, described["name"])
    record = get_records(sources, {key}).get(key)
    entries = state_entries(events, machine)
    return {
        "name": described["name"],
        "executionArn": execution_arn,
        "key": key,
        "status": described["status"],
        "outcome": outcome(execution_arn, described["status"], record),
        "start": rfc3339(described["startDate"]),
        "stop": rfc3339(described.get("stopDate")),
        "seconds": seconds_between(described["startDate"], described.get("stopDate")),
        "error": described.get("error"),
        "cause": described.get("cause"),
        "input": execution_input,
        "output": _json(described.get("output")),
        "states": entries,
        "path": path_taken(entries, described["status"]),
        "events": [_event(event, started) for event in events],
        "record": record,
        "notification": notification(sources, events, received),
    }


def state_entries(events: list[dict[str, Any]], machine: dict[str, Any]) -> list[dict[str, Any]]:
    """Each state the execution entered, in order: what happened in it, its type, resource, duration,
    attempts, input and output, read from the history's events between its entry and the next."""
    entries: list[dict[str, Any]] = []
    ended = next((e for e in reversed(events) if e["type"] in EXECUTION_ENDED), None)
    for index, event in enumerate(events):
        if "stateEnteredEventDetails" not in event:
            continue
        name = event["stateEnteredEventDetails"]["name"]
        span = []
        for later in events[index + 1 :]:
            if "stateEnteredEventDetails" in later:
                break
            span.append(later)
        entries.append(_entry(event, span, machine["States"].get(name, {}), ended))
    # A state left through a Catch: the execution went on to another state after its last attempt failed.
    for entry, following in itertools.pairwise(entries):
        if entry["status"] in (FAILED, RUNNING):
            entry["status"] = CAUGHT
            entry["caughtBy"] = following["name"]
    return entries


def _entry(
    entered: dict[str, Any], span: list[dict[str, Any]], state: dict[str, Any], ended: dict[str, Any] | None
) -> dict[str, Any]:
    exited = next((e for e in span if "stateExitedEventDetails" in e), None)
    failures = [e for e in span if e["type"] in ATTEMPT_FAILED]
    scheduled = [e for e in span if e["type"] == "TaskScheduled"]
    last_failed = bool(failures) and span.index(failures[-1]) > max(
        (span.index(e) for e in span if e["type"] == "TaskSucceeded"), default=-1
    )
    if exited is not None and not last_failed:
        status = RETRIED if failures else SUCCEEDED
    elif ended is None:
        status = RUNNING  # made CAUGHT by state_entries when the execution went on to another state
    elif ended["type"] == "ExecutionSucceeded" and not last_failed:
        status = SUCCEEDED  # a Succeed state that ended the execution
    else:
        status = FAILED  # made CAUGHT by state_entries when the execution went on to another state
    left = exited or (span[-1] if span else None)
    details = scheduled[0]["taskScheduledEventDetails"] if scheduled else {}
    output: Any = _json(exited["stateExitedEventDetails"].get("output")) if exited else None
    if failures and last_failed:
        failure = operations.event_details(failures[-1])
        output = {"Error": failure.get("error"), "Cause": failure.get("cause")}
    return {
        "name": entered["stateEnteredEventDetails"]["name"],
        "type": state.get("Type", ""),
        "resource": f"{details['resourceType']}:{details['resource']}" if details else state.get("Resource"),
        "status": status,
        "entered": rfc3339(entered["timestamp"]),
        "seconds": seconds_between(entered["timestamp"], left["timestamp"] if left else None),
        "attempts": len(scheduled) if scheduled else None,
        "errors": [operations.event_details(e).get("error") or e["type"] for e in failures],
        "input": _json(entered["stateEnteredEventDetails"].get("input")),
        "output": output,
    }


def path_taken(entries: list[dict[str, Any]], execution_status: str) -> dict[str, Any]:
    """What the graph colours: each state's status (the last time it was entered) and the transitions
    followed, None standing for the start and the end."""
    names: list[str | None] = [None, *(entry["name"] for entry in entries)]
    if execution_status != "RUNNING" and entries:
        names.append(None)
    return {
        "states": {entry["name"]: entry["status"] for entry in entries},
        "transitions": [[a, b] for a, b in itertools.pairwise(names)],
    }


def notification(
    sources: Sources, events: list[dict[str, Any]], received: list[dict[str, Any]] | None = None
) -> dict[str, Any] | None:
    """The customer's notification: as the subscribed queue received it when one is given (matched by
    SNS message id), else as the execution published it (the Publish task's parameters)."""
    published = _published(events)
    if published is None:
        return None
    if sources.notifications_queue_url:
        if received is None:
            received = subscribed_messages(sources.sqs, sources.notifications_queue_url)
        for envelope in received:
            if envelope.get("MessageId") == published["messageId"]:
                attributes = {n: v.get("Value") for n, v in envelope.get("MessageAttributes", {}).items()}
                return {
                    "source": "received by the subscribed queue",
                    "messageId": envelope["MessageId"],
                    "subject": envelope.get("Subject"),
                    "message": envelope.get("Message"),
                    "attributes": attributes,
                }
    return published


def _published(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The order topic's Publish that succeeded: its request (TaskScheduled) and SNS message id."""
    request: dict[str, Any] | None = None
    for event in events:
        details = event.get("taskScheduledEventDetails")
        if details and details.get("resourceType") == "sns":
            request = json.loads(details.get("parameters") or "{}")
        elif event["type"] == "TaskSucceeded" and request is not None and "Subject" in request:
            result = _json(event["taskSucceededEventDetails"].get("output")) or {}
            attributes = request.get("MessageAttributes", {})
            # The operations topic's alert says `status` FAILED; the customer's notification never does.
            if attributes.get("status", {}).get("StringValue") == "FAILED":
                continue
            return {
                "source": "published by the execution (its history)",
                "messageId": result.get("MessageId"),
                "subject": request.get("Subject"),
                "message": request.get("Message"),
                "attributes": {n: v.get("StringValue") for n, v in attributes.items()},
            }
    return None


def subscribed_messages(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every SNS envelope waiting on a subscribed queue, left there (visible again) for other readers."""
    return [json.loads(message["Body"]) for message in peek(sqs, queue_url)]


def _event(event: dict[str, Any], started: datetime) -> dict[str, Any]:
    details = operations.event_details(event)
    return {
        "id": event["id"],
        "type": event["type"],
        "state": details.get("name", ""),
        "timestamp": rfc3339(event["timestamp"]),
        "elapsedMs": round((event["timestamp"] - started).total_seconds() * 1000),
        "details": {k: v for k, v in details.items() if k not in ("name", "input", "output", "parameters")},
    }


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def gather_all(sources: Sources) -> dict[str, Any]:
    """Everything the page shows, for every execution: what `orders local run --html` writes."""
    machine = definition(sources)
    executions = list_executions(sources, limit=10**9)
    queue = sources.notifications_queue_url
    received = subscribed_messages(sources.sqs, queue) if queue else None
    return {
        "stateMachineArn": sources.state_machine_arn,
        "definition": machine,
        "executions": executions,
        "details": {
            e["executionArn"]: execution_detail(sources, e["executionArn"], machine, received) for e in executions
        },
    }


def refusal(error: ClientError) -> str:
    """A service's refusal as one line (an Express state machine's ListExecutions, a missing stack)."""
    return f"{error.response['Error'].get('Code')}: {error.response['Error'].get('Message')}"
