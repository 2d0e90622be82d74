"""The state machine definition against the rules AWS documents for what it calls and how it runs."""

from __future__ import annotations

import json
import re
from typing import Any

import botocore.session

from workflow import config
from workflow.local.faults import SERVICES
from workflow.local.patches.fidelity.integration_errors import step_functions_error_name

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


# --- Retry and Catch error names -------------------------------------------------------------------

# The API each integration calls (botocore's service id and operation; botocore's models are the
# machine-readable form of the API references, error codes and HTTP statuses included).
INTEGRATIONS = {
    "arn:aws:states:::lambda:invoke": ("lambda", "Invoke"),
    "arn:aws:states:::dynamodb:putItem": ("dynamodb", "PutItem"),
    "arn:aws:states:::dynamodb:updateItem": ("dynamodb", "UpdateItem"),
    "arn:aws:states:::sns:publish": ("sns", "Publish"),
}
# Errors common to the API actions of all AWS services, with their HTTP status ("Common Error Types",
# e.g. https://docs.aws.amazon.com/sns/latest/api/CommonErrors.html).
COMMON_ERRORS = {
    "AccessDeniedException": 400,
    "IncompleteSignature": 400,
    "InternalFailure": 500,
    "InvalidAction": 400,
    "InvalidClientTokenId": 403,
    "NotAuthorized": 400,
    "OptInRequired": 403,
    "RequestExpired": 400,
    "ServiceUnavailable": 503,
    "ThrottlingException": 400,
    "ValidationError": 400,
}
# Names AWS documents beyond those the API references give:
DOCUMENTED = {
    # "Handle Lambda service exceptions" (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html):
    # the transient 500s ClientExecutionTimeoutException, ServiceException, AWSLambdaException and
    # SdkClientException, and Lambda.Unknown for a function's unhandled errors.
    "lambda": {
        "Lambda.ClientExecutionTimeoutException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.Unknown",
    },
    # The DynamoDB integration's error for codes without an exception of their own, retried by AWS's
    # sample "Invoke Synchronous Express Workflows" (Step Functions developer guide, archived source:
    # https://github.com/awsdocs/aws-step-functions-developer-guide/blob/main/doc_source/synchronous-execution.md).
    "dynamodb": {"DynamoDB.AmazonDynamoDBException"},
    "sns": set(),
}
# "Handling errors in Step Functions workflows",
# https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html.
STATES_ERRORS = {"States.ALL", "States.TaskFailed", "States.Timeout", "States.Permissions", "States.HeartbeatTimeout"}


def tasks() -> dict[str, tuple[str, str]]:
    return {name: INTEGRATIONS[state["Resource"]] for name, state in STATES.items() if state["Type"] == "Task"}


def api_errors(service: str, operation: str) -> dict[str, int | None]:
    """The error codes an API reference lists for an operation, and the common ones, with their HTTP status."""
    model = botocore.session.get_session().get_service_model(service).operation_model(operation)
    errors: dict[str, int | None] = dict(COMMON_ERRORS)
    for shape in model.error_shapes:
        error = shape.metadata.get("error", {})
        errors[error.get("code", shape.name)] = error.get("httpStatusCode")
    return errors


def possible_names(service: str, operation: str) -> set[str]:
    """Every error name Step Functions can report for a Task calling this API, by the documented rules."""
    return (
        STATES_ERRORS
        | DOCUMENTED[service]
        | {step_functions_error_name(service, code) for code in api_errors(service, operation)}
    )


def retried(state: dict[str, Any]) -> set[str]:
    return {name for retrier in state.get("Retry", []) for name in retrier["ErrorEquals"]}


def test_every_retry_and_catch_error_name_is_one_step_functions_can_report_for_that_task() -> None:
    """A name no documented rule produces can never match: its retry or catch is dead.

    The rules: an integration's error is `<Service>.<ErrorName>`, with the `Exception` suffix even when the
    service's own error code has none ("Learning to use AWS service SDK integrations in Step Functions",
    https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html), the error names
    being those the API reference lists for the operation, or the common errors; Lambda's as above.
    """
    dead = {
        (name, error)
        for name, (service, operation) in tasks().items()
        for handler in STATES[name].get("Retry", []) + STATES[name].get("Catch", [])
        for error in handler["ErrorEquals"]
        if error not in possible_names(service, operation)
    }
    assert dead == set()


def test_every_throttling_and_internal_error_aws_documents_is_retried_by_every_task_that_can_get_it() -> None:
    """A transient error whose name is missing from the Retry list fails the order on its first occurrence.

    The transient errors are those `workflow.local.faults.SERVICES` lists (each API reference's throttling,
    KMS throttling and internal errors, cited there), plus Lambda's documented service exceptions.
    """
    missing = {
        (name, error)
        for name, (service, _) in tasks().items()
        for error in {step_functions_error_name(service, code) for code, _ in SERVICES[service]}
        | (DOCUMENTED[service] - {"Lambda.Unknown"} if service == "lambda" else set())
        if error not in retried(STATES[name])
    }
    assert missing == set()


def test_the_injected_faults_are_the_errors_the_api_references_document_with_their_http_status() -> None:
    """`--faults` fails a call as AWS would: each code with the status its API reference gives."""
    operations = {"dynamodb": ("PutItem", "UpdateItem"), "sns": ("Publish",), "lambda": ("Invoke",)}
    for service, names in operations.items():
        for operation in names:
            documented = api_errors(service, operation)
            for code, status in SERVICES[service]:
                assert code in documented, f"{service} {operation} documents no {code}"
                assert documented[code] in (None, status), f"{service} {code}: {status}, documented {documented[code]}"
    starting = api_errors("stepfunctions", "StartExecution")
    assert {code for code, _ in SERVICES["sfn"]} <= set(starting)


# --- Execution timeout -----------------------------------------------------------------------------

# An Express execution runs at most 5 minutes ("Step Functions service quotas", quotas related to state
# machine executions: maximum execution time, https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
EXPRESS_MAX_SECONDS = 5 * 60
# A retrier's defaults: IntervalSeconds 1, MaxAttempts 3, BackoffRate 2.0, no MaxDelaySeconds ("Handling
# errors in Step Functions workflows", https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
RETRIER_DEFAULTS = {"IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2.0, "MaxDelaySeconds": float("inf")}


def longest_seconds(name: str) -> float:
    """The longest an execution can take from this state to its end, by the definition's own fields.

    A Task takes at most its TimeoutSeconds per attempt (past it, it fails with States.Timeout); it makes
    one attempt plus each retrier's MaxAttempts, and waits each retry's back-off, IntervalSeconds x
    BackoffRate^(n-1) capped at MaxDelaySeconds (full jitter only shortens it). The next state is any of
    Next and the catchers' Next: the longest path, catch paths included.
    """
    state = STATES[name]
    seconds = 0.0
    if state["Type"] == "Task":
        attempts = 1
        for retrier in state.get("Retry", []):
            settings = RETRIER_DEFAULTS | retrier
            attempts += settings["MaxAttempts"]
            seconds += sum(
                min(settings["IntervalSeconds"] * settings["BackoffRate"] ** n, settings["MaxDelaySeconds"])
                for n in range(settings["MaxAttempts"])
            )
        seconds += attempts * state.get("TimeoutSeconds", float("inf"))
    following = [state["Next"]] if "Next" in state else []
    following += [catcher["Next"] for catcher in state.get("Catch", [])]
    return seconds + max((longest_seconds(n) for n in following), default=0.0)


def test_every_task_has_a_timeout_of_its_own() -> None:
    """Without one a Task waits as long as the execution lasts: no path through the definition would be bounded."""
    assert [name for name, state in STATES.items() if state["Type"] == "Task" and "TimeoutSeconds" not in state] == []


def test_validate_order_gives_its_function_time_to_hit_its_own_timeout() -> None:
    """The function's own timeout (and Lambda's error for it) comes first; the Task's is the backstop."""
    assert STATES["ValidateOrder"]["TimeoutSeconds"] > config.VALIDATE_TIMEOUT_SECONDS


def test_executions_time_out_after_the_longest_path_and_within_what_express_allows() -> None:
    """The execution's TimeoutSeconds makes a stuck execution end TIMED_OUT (and the ExecutionsTimedOut alarm
    fire) instead of running for a Standard workflow's year; it must never cut an order's own path short."""
    longest = longest_seconds(DEFINITION["StartAt"])
    assert longest < DEFINITION["TimeoutSeconds"] <= EXPRESS_MAX_SECONDS, (longest, DEFINITION.get("TimeoutSeconds"))


# --- The failure path's data -----------------------------------------------------------------------

STATE_PATH = re.compile(r"(?<![$])\$\.[A-Za-z.]+")


def failure_path() -> set[str]:
    """Every state reachable from a catcher of a Task's States.ALL."""
    found: set[str] = set()
    pending = [c["Next"] for s in STATES.values() for c in s.get("Catch", []) if c["ErrorEquals"] == ["States.ALL"]]
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            state = STATES[name]
            pending += [state["Next"]] if "Next" in state else []
            pending += [c["Next"] for c in state.get("Catch", [])]
    return found


def test_the_failure_path_carries_only_the_error_whatever_the_size_of_the_order() -> None:
    """State data is capped at 256 KiB, and going over it (States.DataLimitExceeded) cannot be caught by
    States.ALL ("Handling errors in Step Functions workflows",
    https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html): a catcher that added
    the error to a state holding an order near the cap would end the execution with no record and no alert.

    So every States.ALL catcher replaces the state with the error output (`ResultPath: "$"`) or keeps it
    (`null`, on the failure path, where the state is already just an error), and the failure path reads
    nothing of its input but `$.Error` and `$.Cause` (the key and message id come from `$$.Execution.Input`).
    The error output is at most 256 + 32,768 characters (TaskFailedEventDetails, AWS Step Functions API
    Reference, https://docs.aws.amazon.com/step-functions/latest/apireference/API_TaskFailedEventDetails.html),
    under 200 KB however each character is escaped.
    """
    path = failure_path()
    assert path == {"RecordFailure", "AlertOperations", "OrderFailed"}
    for name, state in STATES.items():
        for catcher in state.get("Catch", []):
            if catcher["ErrorEquals"] == ["States.ALL"]:
                assert catcher["ResultPath"] == ("$" if name not in path else None), (name, catcher)
    read = {path for name in path for path in STATE_PATH.findall(json.dumps(STATES[name]))}
    assert read <= {"$.Error", "$.Cause"}, read


# --- Retried writes ---------------------------------------------------------------------------------

# Tasks whose write, repeated by its own execution, changes nothing: SaveOrder's condition accepts the record
# its own execution wrote, RecordFailure's the record it marks. A publish repeated is a second message.
OWN_WRITES = {"SaveOrder", "RecordFailure"}


def test_a_write_whose_answer_never_came_is_retried_and_a_publish_is_not() -> None:
    """A Task past its TimeoutSeconds fails with States.Timeout (Amazon States Language, Task state,
    https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html), and DynamoDB may have applied the
    write whose answer never came. Retried, the write finds its own record and the order goes on; caught,
    it would end FAILED for an order whose record was written. Publishing again could notify twice."""
    timed_out_retried = {name for name in tasks() if "States.Timeout" in retried(STATES[name])}
    assert timed_out_retried == OWN_WRITES
    for name in OWN_WRITES:
        assert ":execution" in STATES[name]["Parameters"]["ConditionExpression"], name
