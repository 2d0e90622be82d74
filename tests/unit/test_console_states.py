"""What the console makes of a history whose execution is still running: the pure part of
workflow/console/gather.py, on events shaped as GetExecutionHistory returns them
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from workflow import config
from workflow.console.gather import path_taken, state_entries

DEFINITION = json.loads(config.DEFINITION_FILE.read_text())
START = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def history(*steps: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"id": i, "type": kind, "timestamp": START + timedelta(seconds=i), **details}
        for i, (kind, details) in enumerate(steps, start=1)
    ]


def entered(name: str) -> tuple[str, dict[str, Any]]:
    return "TaskStateEntered", {"stateEnteredEventDetails": {"name": name, "input": "{}"}}


def exited(name: str) -> tuple[str, dict[str, Any]]:
    return "TaskStateExited", {"stateExitedEventDetails": {"name": name, "output": "{}"}}


SCHEDULED = ("TaskScheduled", {"taskScheduledEventDetails": {"resourceType": "dynamodb", "resource": "putItem"}})
FAILED = ("TaskFailed", {"taskFailedEventDetails": {"error": "DynamoDB.ThrottlingException", "cause": "Rate exceeded"}})
SUCCEEDED = ("TaskSucceeded", {"taskSucceededEventDetails": {"output": "{}"}})


def test_a_state_waiting_to_retry_in_a_running_execution_is_running_not_failed() -> None:
    events = history(
        ("ExecutionStarted", {"executionStartedEventDetails": {"input": "{}"}}),
        entered("ValidateOrder"),
        ("TaskScheduled", {"taskScheduledEventDetails": {"resourceType": "lambda", "resource": "invoke"}}),
        SUCCEEDED,
        exited("ValidateOrder"),
        entered("SaveOrder"),
        SCHEDULED,
        FAILED,  # its retry's back-off has not ended yet
    )

    entries = state_entries(events, DEFINITION)

    assert [(e["name"], e["status"]) for e in entries] == [("ValidateOrder", "succeeded"), ("SaveOrder", "running")]
    assert entries[1]["errors"] == ["DynamoDB.ThrottlingException"]
    # No transition to the end while it runs.
    assert path_taken(entries, "RUNNING")["transitions"] == [[None, "ValidateOrder"], ["ValidateOrder", "SaveOrder"]]


def test_a_state_caught_in_a_running_execution_is_caught() -> None:
    events = history(
        ("ExecutionStarted", {"executionStartedEventDetails": {"input": "{}"}}),
        entered("SaveOrder"),
        *[SCHEDULED, FAILED] * 5,
        entered("RecordFailure"),
        SCHEDULED,
    )

    entries = state_entries(events, DEFINITION)

    assert [(e["name"], e["status"], e["attempts"]) for e in entries] == [
        ("SaveOrder", "caught", 5),
        ("RecordFailure", "running", 1),
    ]
