"""The console's data, read from the emulated services after a run whose executions took every path the
graph colours (tests/local/conftest.py, `console_stack`), and the WSGI application that serves it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from tests.local.conftest import execution_prefix
from workflow import config
from workflow.console import local_sources
from workflow.console.gather import definition, execution_detail, list_executions
from workflow.local.emulator import EmulatedStack

DEFINITION = json.loads(config.DEFINITION_FILE.read_text())


def detail(stack: EmulatedStack, name: str) -> dict[str, Any]:
    sources = local_sources(stack)
    return execution_detail(sources, execution_prefix(stack) + name, definition(sources))


def test_the_list_has_every_execution_with_its_key_status_and_outcome(console_stack: EmulatedStack) -> None:
    rows = list_executions(local_sources(console_stack))

    by_name = {row["name"]: row for row in rows}
    rejected = next(name for name in by_name if name.startswith("msg-"))
    assert {name: (row["status"], row["outcome"]) for name, row in by_name.items()} == {
        "ord-ok": ("SUCCEEDED", "ACCEPTED"),
        "ord-retried": ("SUCCEEDED", "ACCEPTED"),
        "ord-caught": ("FAILED", "FAILED"),
        rejected: ("SUCCEEDED", "REJECTED"),
        "ord-ok-again": ("SUCCEEDED", "duplicate"),
    }
    assert by_name["ord-ok-again"]["key"] == "ord-ok"  # the key is the order's, read from the input
    for row in rows:
        assert row["start"].endswith("Z") and row["stop"].endswith("Z")
        assert row["seconds"] >= 0
    assert [row["start"] for row in rows] == sorted((row["start"] for row in rows), reverse=True)


def test_the_status_filter_is_the_services_own(console_stack: EmulatedStack) -> None:
    assert [row["name"] for row in list_executions(local_sources(console_stack), status="FAILED")] == ["ord-caught"]


def test_a_state_that_failed_then_succeeded_on_retry(console_stack: EmulatedStack) -> None:
    execution = detail(console_stack, "ord-retried")

    states = {s["name"]: s for s in execution["states"]}
    assert [s["name"] for s in execution["states"]] == ["ValidateOrder", "SaveOrder", "NotifyCustomer"]
    assert states["NotifyCustomer"]["status"] == "retried"
    assert states["NotifyCustomer"]["attempts"] == 2
    assert states["NotifyCustomer"]["errors"] == ["SNS.ThrottlingException"]
    assert states["NotifyCustomer"]["resource"] == "sns:publish"
    assert states["ValidateOrder"]["status"] == states["SaveOrder"]["status"] == "succeeded"
    assert execution["path"]["transitions"] == [
        [None, "ValidateOrder"],
        ["ValidateOrder", "SaveOrder"],
        ["SaveOrder", "NotifyCustomer"],
        ["NotifyCustomer", None],
    ]
    # Each state's input and output, as the history holds them.
    assert states["SaveOrder"]["input"] == states["ValidateOrder"]["output"]
    assert states["ValidateOrder"]["output"]["status"] == "ACCEPTED"
    assert execution["record"]["status"] == "ACCEPTED"
    assert execution["record"]["total"] == "39.80"
    notification = execution["notification"]
    assert notification["source"] == "received by the subscribed queue"
    assert notification["subject"] == "Order ord-retried accepted: 39.80 EUR"
    assert notification["attributes"] == {"status": "ACCEPTED", "orderKey": "ord-retried"}


def test_a_state_whose_failure_was_caught_and_the_failure_path(console_stack: EmulatedStack) -> None:
    execution = detail(console_stack, "ord-caught")

    statuses = {s["name"]: s["status"] for s in execution["states"]}
    assert statuses == {
        "ValidateOrder": "succeeded",
        "SaveOrder": "caught",
        "RecordFailure": "succeeded",
        "AlertOperations": "succeeded",
        "OrderFailed": "failed",
    }
    assert execution["path"]["states"] == statuses
    save = execution["states"][1]
    # The definition's MaxAttempts (4 retries) plus the first attempt, then the Catch.
    assert save["attempts"] == 5
    assert save["errors"] == ["DynamoDB.InternalServerErrorException"] * 5
    assert save["caughtBy"] == "RecordFailure"
    assert save["output"]["Error"] == "DynamoDB.InternalServerErrorException"
    assert execution["states"][2]["input"] == save["output"]  # Catch's ResultPath "$": the error output
    assert (execution["status"], execution["error"]) == ("FAILED", "OrderFailed")
    assert "InternalServerError" in execution["cause"]
    assert execution["record"]["status"] == "FAILED"
    assert execution["record"]["error"] == "DynamoDB.InternalServerErrorException"
    assert execution["notification"] is None  # the customer is told nothing; operations are alerted
    assert execution["events"][0]["type"] == "ExecutionStarted"
    assert execution["events"][-1]["type"] == "ExecutionFailed"
    assert [e["id"] for e in execution["events"]] == list(range(1, len(execution["events"]) + 1))


def test_a_duplicate_is_caught_into_skip_duplicate(console_stack: EmulatedStack) -> None:
    execution = detail(console_stack, "ord-ok-again")

    assert {s["name"]: s["status"] for s in execution["states"]} == {
        "ValidateOrder": "succeeded",
        "SaveOrder": "caught",
        "SkipDuplicate": "succeeded",
    }
    assert execution["states"][1]["errors"] == ["DynamoDB.ConditionalCheckFailedException"]
    assert execution["outcome"] == "duplicate"
    assert execution["record"]["executionArn"].endswith(":ord-ok")  # the first execution's record stays


# --- The WSGI application, served by wsgiref in a thread ----------------------------------------


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_the_app_serves_the_page_and_every_script_it_names(console_url: str) -> None:
    status, content_type, page = fetch(console_url)
    assert (status, content_type) == (200, "text/html; charset=utf-8")
    for asset in ("static/dagre.min.js", "static/graph.js", "static/console.js", "static/console.css"):
        assert asset.encode() in page
        status, content_type, body = fetch(console_url + asset)
        assert status == 200, asset
        assert content_type.startswith(("text/javascript", "text/css")) and body
    assert fetch(console_url + "static/../../config.py")[0] == 404
    # /console without its slash: to /console/, where the page's relative links resolve.
    request = urllib.request.Request(console_url.rstrip("/"), method="GET")
    opener = urllib.request.build_opener(urllib.request.HTTPRedirectHandler())
    with opener.open(request, timeout=30) as response:
        assert response.url == console_url


def test_the_app_answers_the_same_data_as_json(console_stack: EmulatedStack, console_url: str) -> None:
    status, content_type, body = fetch(console_url + "api/executions?status=FAILED")
    assert (status, content_type) == (200, "application/json")
    assert [e["name"] for e in json.loads(body)["executions"]] == ["ord-caught"]

    arn = execution_prefix(console_stack) + "ord-retried"
    status, _, body = fetch(console_url + "api/execution?arn=" + urllib.request.quote(arn))
    assert status == 200
    assert json.loads(body)["path"] == detail(console_stack, "ord-retried")["path"]

    status, _, body = fetch(console_url + "api/definition")
    assert json.loads(body)["definition"]["States"].keys() == DEFINITION["States"].keys()


def test_a_service_refusal_is_one_line_of_json(console_url: str) -> None:
    status, content_type, body = fetch(console_url + "api/execution?arn=arn:aws:states:us-east-1:1:execution:x:y")
    assert (status, content_type) == (502, "application/json")
    assert json.loads(body)["error"].startswith(("ExecutionDoesNotExist:", "InvalidArn:"))
    assert fetch(console_url + "api/nothing")[0] == 404
