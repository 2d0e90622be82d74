"""`orders local serve`, and every operator command against it, driven over HTTP as a user's program would.

One `orders local serve` per module, started by the test in a process of its own (the real command,
`workflow.cli.main`, there), on a free port, and stopped with Ctrl-C (SIGINT). The one step taken out:
the serve process does not synthesize the stack again; it is handed the session's synthesized assembly
(the same app and context), which costs half a minute of CPU less. This process has no emulator running:
every call here, from plain boto3 clients and from the `orders ... --local` commands, goes over HTTP.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from workflow import cli, config
from workflow.operations import key_of

pytestmark = pytest.mark.xdist_group("serve")

# Runs `orders local serve ARGS...` with the already synthesized assembly given as the first argument.
LAUNCH = """
import sys
from pathlib import Path
from workflow import cli
from workflow.local.synth_cache import CachedAssembly
CachedAssembly.ready = property(lambda self: True)
CachedAssembly.get = lambda self: Path(sys.argv[1])
sys.exit(cli.main(["local", "serve", *sys.argv[2:]]))
"""

ORDER = {
    "orderId": "srv-0001",
    "customer": {"id": "c-1", "email": "ana@example.com"},
    "items": [
        {"sku": "BOOK-1", "quantity": 2, "unitPrice": "19.90"},
        {"sku": "PEN-7", "quantity": 3, "unitPrice": 0.1},
    ],
    "currency": "BRL",
}


def order(order_id: str, **changes: Any) -> str:
    return json.dumps({**ORDER, "orderId": order_id, **changes})


@dataclass
class Served:
    process: subprocess.Popen[str]
    port: int
    banner: str

    @property
    def queue_url(self) -> str:
        """The order queue's URL, as the banner prints it."""
        return self.banner.split("Queue URL:")[1].split()[0]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, service: str) -> Any:
        """A user's client: any credentials, the stack's region, the endpoint."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=config.LOCAL_REGION,
            aws_access_key_id="anything",
            aws_secret_access_key="anything",
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served(assembly: Path) -> Iterator[Served]:
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, str(assembly), "--port", str(port), "--time-scale", "0.0001"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    banner: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            pytest.fail(f"orders local serve ended before serving: {process.wait()}, {process.stderr.read()}")  # type: ignore[union-attr]
        banner.append(line)
        if line.startswith("Then:"):
            break
    served = Served(process, port, "".join(banner))
    yield served
    if process.poll() is None:
        process.kill()
        process.wait()


def wait_for_records(served: Served, keys: list[str], timeout: float = 60) -> dict[str, dict[str, Any]]:
    """Each key's record, once its execution has ended (read as a user would: DynamoDB and Step Functions)."""
    table = served.client("dynamodb")
    sfn = served.client("stepfunctions")
    stack = served.client("cloudformation").describe_stacks(StackName=config.STACK_NAME)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    deadline = time.monotonic() + timeout
    records: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        # Each key's execution there and nothing running first, then the records: a record read after its
        # execution ended is its last word. (Nothing running alone is also true before the poller has started
        # the execution, which may then write a record, yet to be marked FAILED, before it is read.)
        pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=outputs[config.OUTPUT_STATE_MACHINE_ARN])
        executions = [execution for page in pages for execution in page["executions"]]
        started = {key_of(execution["name"]) for execution in executions}
        if set(keys) <= started and all(execution["status"] != "RUNNING" for execution in executions):
            for key in keys:
                item = table.get_item(TableName=outputs[config.OUTPUT_TABLE_NAME], Key={"orderKey": {"S": key}})
                if "Item" in item:
                    records[key] = item["Item"]
            if len(records) == len(keys):
                return records
        time.sleep(0.1)
    pytest.fail(f"no records for {sorted(set(keys) - set(records))} after {timeout} s")


def orders(capsys: pytest.CaptureFixture[str], served: Served, *argv: str) -> tuple[int, str]:
    """`orders ARGV --local --port PORT`: its exit status and what it printed (a failure is on standard error)."""
    status = cli.main([*argv, "--local", "--port", str(served.port)])
    printed = capsys.readouterr()
    return status, printed.out + printed.err


def test_serve_prints_where_to_reach_it(served: Served) -> None:
    queues = served.client("sqs").list_queues(QueueNamePrefix="OrderProcessor-IntakeOrderQueue")["QueueUrls"]
    assert f"Endpoint:   {served.endpoint}" in served.banner
    assert served.queue_url == queues[0]
    assert queues[0].startswith(f"{served.endpoint}/123456789012/")
    assert f"Console:    {served.endpoint}/console/" in served.banner
    with urllib.request.urlopen(f"{served.endpoint}/console/") as page:
        assert page.status == 200
        assert "<title>Order processor: executions</title>" in page.read().decode()


def test_the_console_lists_what_the_served_stack_ran(served: Served) -> None:
    """The console mounted on the served port reads the same stack the AWS clients reach."""
    served.client("sqs").send_message(QueueUrl=served.queue_url, MessageBody=order("srv-console"))
    wait_for_records(served, ["srv-console"])
    with urllib.request.urlopen(f"{served.endpoint}/console/api/executions") as listing:
        executions = {e["name"]: e for e in json.load(listing)["executions"]}
    assert executions["srv-console"]["status"] == "SUCCEEDED"
    assert executions["srv-console"]["outcome"] == "ACCEPTED"


def test_a_users_boto3_program_sends_orders_and_reads_the_outcome(served: Served) -> None:
    sqs = served.client("sqs")
    sqs.send_message(QueueUrl=served.queue_url, MessageBody=order("srv-0001"))
    sqs.send_message(QueueUrl=served.queue_url, MessageBody=order("srv-0002", currency="brl"))

    records = wait_for_records(served, ["srv-0001", "srv-0002"])

    assert records["srv-0001"]["status"] == {"S": "ACCEPTED"}
    assert records["srv-0001"]["total"] == {"S": "40.10"}
    assert records["srv-0002"]["status"] == {"S": "REJECTED"}


def test_the_queue_refuses_over_http_what_aws_refuses(served: Served) -> None:
    """The local mode's SQS rules (workflow/local/patches/fidelity/sqs.py) hold for calls arriving over HTTP:
    SQS accepts only #x9, #xA, #xD, #x20 to #xD7FF, #xE000 to #xFFFD and #x10000 to #x10FFFF
    ("SendMessage", https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html)."""
    sqs = served.client("sqs")
    with pytest.raises(sqs.exceptions.ClientError) as refused:
        sqs.send_message(QueueUrl=served.queue_url, MessageBody="bell \x07")
    assert refused.value.response["Error"]["Code"] == "InvalidMessageContents"


def test_submit_sends_each_lf_line_and_reports_each(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = tmp_path / "orders.jsonl"
    # Line 2 holds a U+2028 inside a string (not a line end); line 3 ends with CR LF; line 4 is blank; line 5 is
    # refused by the queue.
    lines.write_bytes(
        (
            order("srv-0101")
            + "\n"
            + order("srv-0102", customer={"id": "c\u20282", "email": "b@example.com"})
            + "\n"
            + order("srv-0103")
            + "\r\n\n"
            + "bell \x07\n"
        ).encode()
    )

    status, out = orders(capsys, served, "submit", str(lines))

    assert status == 1
    assert [line.split(":")[0] for line in out.splitlines() if line.startswith("line ")] == [
        "line 1",
        "line 2",
        "line 3",
        "line 5",
    ]
    assert "line 5: refused by the queue: InvalidMessageContents" in out
    assert "3 messages sent to the local stack" in out and "1 refused" in out
    records = wait_for_records(served, ["srv-0101", "srv-0102", "srv-0103"])
    assert {key: r["status"]["S"] for key, r in records.items()} == {
        "srv-0101": "ACCEPTED",
        "srv-0102": "ACCEPTED",
        "srv-0103": "ACCEPTED",
    }


def test_status_shows_the_record_the_execution_and_the_notification(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    # The customer's name looks like terminal markup: it is shown as sent, never interpreted.
    customer = {"id": "c-1", "email": "ana@example.com", "name": "[bold]Ana[/bold]"}
    served.client("sqs").send_message(
        QueueUrl=served.queue_url, MessageBody=order("srv-0201", currency="brl", customer=customer)
    )
    wait_for_records(served, ["srv-0201"])

    status, out = orders(capsys, served, "status", "srv-0201")

    assert status == 0
    assert "Order srv-0201: REJECTED" in out
    assert "[bold]Ana[/bold]" in out
    assert "currency: must be three upper-case letters" in out
    assert "Execution srv-0201: SUCCEEDED" in out
    assert "Notification (REJECTED): Order srv-0201 rejected: 1 problem" in out


def test_status_of_an_unknown_key_says_so(served: Served, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = orders(capsys, served, "status", "no-such-order")

    assert status == 1
    assert "No order no-such-order" in out


def test_executions_lists_them_by_status(served: Served, capsys: pytest.CaptureFixture[str]) -> None:
    served.client("sqs").send_message(QueueUrl=served.queue_url, MessageBody=order("srv-0301"))
    wait_for_records(served, ["srv-0301"])

    status, out = orders(capsys, served, "executions", "--status", "succeeded", "--limit", "500")
    assert status == 0
    assert "srv-0301" in out and "SUCCEEDED" in out
    assert "RUNNING" not in out

    status, out = orders(capsys, served, "executions", "--limit", "1")
    assert status == 0
    assert "1 executions (at most 1)." in out


def test_history_lists_the_events_as_the_console_does(served: Served, capsys: pytest.CaptureFixture[str]) -> None:
    served.client("sqs").send_message(QueueUrl=served.queue_url, MessageBody=order("srv-0401"))
    wait_for_records(served, ["srv-0401"])

    status, out = orders(capsys, served, "history", "srv-0401")

    assert status == 0
    assert "Execution srv-0401:" in out
    types = [row.split("│")[2].strip() for row in out.splitlines() if row.count("│") >= 5]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    assert "TaskStateEntered" in types and "TaskSucceeded" in types
    assert "lambda:invoke" in out and "dynamodb:putItem" in out and "sns:publish" in out

    status, out = orders(capsys, served, "history", "never-ran")
    assert status == 1
    assert "orders history: No execution named never-ran" in out


def test_redrive_dlq_sends_dead_letters_back_to_be_processed(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    sqs = served.client("sqs")
    dead_letters = sqs.list_queues(QueueNamePrefix="OrderProcessor-IntakeDeadLetterQueue")["QueueUrls"][0]
    sqs.send_message(QueueUrl=dead_letters, MessageBody=order("srv-0501"))

    status, out = orders(capsys, served, "redrive-dlq")

    assert status == 0
    assert "1 dead letters sent back to the order queue of the local stack" in out
    assert wait_for_records(served, ["srv-0501"])["srv-0501"]["status"] == {"S": "ACCEPTED"}


def test_a_failed_order_is_diagnosed_and_retried(served: Served, capsys: pytest.CaptureFixture[str]) -> None:
    """An operator's mistake (the order topic deleted) fails an order; status and history show why; once the
    topic is back, retry-failed brings the order to its outcome."""
    sns = served.client("sns")
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if "OrderTopic" in t["TopicArn"])
    sns.delete_topic(TopicArn=topic)
    served.client("sqs").send_message(QueueUrl=served.queue_url, MessageBody=order("srv-0601"))
    assert wait_for_records(served, ["srv-0601"])["srv-0601"]["status"] == {"S": "FAILED"}

    status, out = orders(capsys, served, "status", "srv-0601")
    assert status == 0
    assert "Order srv-0601: FAILED" in out
    assert "Execution srv-0601: FAILED" in out
    assert "SNS.NotFoundException" in out

    status, out = orders(capsys, served, "history", "srv-0601")
    assert status == 0
    assert "TaskFailed" in out and "RecordFailure" in out and "ExecutionFailed" in out

    status, out = orders(capsys, served, "executions", "--status", "FAILED")
    assert "srv-0601" in out

    sns.create_topic(Name=topic.rsplit(":", 1)[1])
    status, out = orders(capsys, served, "retry-failed")
    assert status == 0
    assert "1 FAILED orders started again: srv-0601" in out
    assert wait_for_records(served, ["srv-0601"])["srv-0601"]["status"] == {"S": "ACCEPTED"}
    status, out = orders(capsys, served, "status", "srv-0601")
    assert re.search(r"Execution retry-srv-0601-[0-9a-f]+: SUCCEEDED", out)


def test_submit_reads_standard_input(
    served: Served, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((order("srv-0701") + "\n").encode())))

    status, out = orders(capsys, served, "submit", "-")

    assert status == 0
    assert "line 1: sent, message id" in out
    assert wait_for_records(served, ["srv-0701"])["srv-0701"]["status"] == {"S": "ACCEPTED"}


def test_only_aws_and_the_console_are_served(served: Served) -> None:
    """moto's control API would let any caller reset or reseed the stack behind the local mode's back, and moto's
    server answers every web origin's cross-origin requests: neither is AWS, neither is served."""
    reset = urllib.request.Request(f"{served.endpoint}/moto-api/reset", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(reset)
    assert refused.value.code == 404
    assert served.client("sqs").get_queue_url(QueueName=served.queue_url.rsplit("/", 1)[1])["QueueUrl"]

    page = urllib.request.Request(
        f"{served.endpoint}/?Action=ListQueues", headers={"Origin": "https://elsewhere.example"}
    )
    with urllib.request.urlopen(page) as answer:
        assert answer.headers.get("Access-Control-Allow-Origin") is None


def test_ctrl_c_stops_serve_cleanly(served: Served) -> None:
    served.process.send_signal(signal.SIGINT)

    status = served.process.wait(timeout=30)

    assert status == 0
    assert "Stopped" in served.process.stdout.read()  # type: ignore[union-attr]
    assert "Traceback" not in served.process.stderr.read()  # type: ignore[union-attr]
