"""The report's counts that come from an execution's history."""

from __future__ import annotations

from workflow.local.run import retries


def test_retries_are_the_attempts_after_the_first_in_each_task_state() -> None:
    """SaveOrder scheduled three times (two retries), NotifyCustomer once, RecordFailure twice (one retry)."""
    attempts = {"SaveOrder": 3, "NotifyCustomer": 1, "RecordFailure": 2}
    events = [{"type": "ExecutionStarted"}]
    for state, count in attempts.items():
        events.append({"type": "TaskStateEntered", "state": state})
        for attempt in range(count):
            events.append({"type": "TaskScheduled"})
            events.append({"type": "TaskFailed" if attempt < count - 1 else "TaskSucceeded"})
        events.append({"type": "TaskStateExited"})
    events.append({"type": "ExecutionSucceeded"})
    assert retries({"events": events}) == 3
