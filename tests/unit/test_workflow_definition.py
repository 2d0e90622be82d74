"""The state machine definition against the rules AWS documents for what it calls and how it runs."""

from __future__ import annotations

import json
import re
from typing import Any

from workflow import config

DEFINITION: dict[str, Any] = json.loads(config.DEFINITION_FILE.read_text())
STATES: dict[str, dict[str, Any]] = DEFINITION["States"]

# The longest each value a subject may be built from can be, by the rule that bounds it.
LONGEST = {
    # "Names of state machines, executions, and activity tasks must not exceed 80 characters in length ...
    # and must not contain: white space, ... control characters" ("Step Functions service quotas",
    # https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
    "$$.Execution.Name": 80,
    # The contract's key: an orderId (64) or `msg-` and an SQS message id, whose "maximum length is 100
    # characters" ("Amazon SQS queue and message identifiers",
    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html).
    "$$.Execution.Input.orderKey": len("msg-") + 100,
}
FORMAT = re.compile(r"States\.Format\('(?P<template>[^']*)', (?P<arguments>[^)]*)\)")


def test_the_operations_alert_subject_stays_under_the_sns_limit_for_every_execution() -> None:
    """SNS Publish: "Subjects must be UTF-8 text with no line breaks or control characters, and less than
    100 characters long" (Amazon SNS API Reference, Publish, https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
    A subject SNS refuses fails AlertOperations on every attempt: the failure is never reported."""
    subject = STATES["AlertOperations"]["Parameters"]["Subject.$"]
    match = FORMAT.fullmatch(subject)
    assert match, subject
    arguments = [argument.strip() for argument in match["arguments"].split(",")]
    assert all(argument in LONGEST for argument in arguments), f"no documented bound for {arguments}"

    longest = len(match["template"].replace("{}", "")) + sum(LONGEST[argument] for argument in arguments)

    assert longest < 100, f"{subject} can be {longest} characters long"
    assert match["template"].isprintable()
