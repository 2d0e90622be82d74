"""The operator commands on a machine that cannot reach the deployed stack: one line and an exit status,
never a traceback (issue 10: "the operator commands with no region or no credentials")."""

from __future__ import annotations

import argparse
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.server import ThreadedMotoServer

from workflow import config
from workflow.aws import LOCAL_CREDENTIALS, aws_command
from workflow.cli import main
from workflow.commands import EXPRESS_NOT_DESCRIBED

# Every command on a stack, with the arguments it needs besides where the stack is.
COMMANDS = [
    ["redrive-dlq"],
    ["retry-failed"],
    ["submit", "-"],
    ["status", "ord-1"],
    ["history", "ord-1"],
    ["executions"],
]
# Every place boto3 finds a region or credentials (Boto3's "Configuration" and "Credentials" guides).
AWS_SETTINGS = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ENDPOINT_URL",
]


@pytest.fixture
def no_aws_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A machine with no AWS configuration at all: no variables, no config files, no instance metadata."""
    for name in AWS_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    yield


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_no_region_is_one_line_and_exit_1(
    command: list[str], no_aws_settings: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command]) == 1
    assert one_line(capsys) == (
        f"orders {command[0]}: no AWS region: pass --region, or set AWS_REGION, or a region in your AWS config file"
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_no_credentials_is_one_line_and_exit_1(
    command: list[str], no_aws_settings: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, "--region", "eu-west-1"]) == 1
    assert one_line(capsys) == (
        f"orders {command[0]}: no AWS credentials: configure them (aws configure, AWS_PROFILE,"
        " or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_profile_that_does_not_exist_is_one_line_and_exit_1(
    command: list[str], no_aws_settings: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nobody")
    assert main([*command, "--region", "eu-west-1"]) == 1
    assert one_line(capsys) == f"orders {command[0]}: The config profile (nobody) could not be found"


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_region_name_that_is_not_one_is_a_usage_error(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--region", "eu west 1"]) == 2
    assert one_line(capsys).startswith(f"orders {command[0]}: not a region name: ")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_endpoint_that_cannot_be_reached_is_one_line_and_exit_1(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert main([*command, "--region", "eu-west-1"]) == 1
    assert one_line(capsys) == (
        f'orders {command[0]}: cannot reach AWS: Could not connect to the endpoint URL: "http://127.0.0.1:9/"'
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_no_such_stack_is_one_line_and_exit_1(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with mock_aws():
        assert main([*command, "--region", "eu-west-1", "--stack-name", "Nowhere"]) == 1
    assert one_line(capsys) == (
        f"orders {command[0]}: no stack Nowhere in eu-west-1 (Stack with id Nowhere does not exist):"
        " deploy it (npx cdk deploy), or name yours with --stack-name and --region"
    )


def stack_with_outputs(outputs: dict[str, str], region: str = "eu-west-1", endpoint_url: str | None = None) -> None:
    template = {
        "Resources": {"Nothing": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name=region, endpoint_url=endpoint_url, **LOCAL_CREDENTIALS).create_stack(
        StackName=config.STACK_NAME, TemplateBody=json.dumps(template)
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_stack_that_is_not_this_projects_is_one_line_and_exit_1(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with mock_aws():
        stack_with_outputs({"Something": "else"})
        assert main([*command, "--region", "eu-west-1"]) == 1
    assert one_line(capsys) == (
        f"orders {command[0]}: stack {config.STACK_NAME} in eu-west-1 has no output 'OrderQueueUrl':"
        " is it this project's stack?"
    )


# The outputs of a stack whose resources are all gone (deleted by hand, say).
GONE_QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/gone"
GONE_OUTPUTS = {
    config.OUTPUT_QUEUE_URL: GONE_QUEUE,
    config.OUTPUT_DLQ_URL: GONE_QUEUE,
    config.OUTPUT_STATE_MACHINE_ARN: "arn:aws:states:eu-west-1:123456789012:stateMachine:gone",
    config.OUTPUT_TABLE_NAME: "gone",
    config.OUTPUT_ORDER_TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:gone",
    config.OUTPUT_OPERATIONS_TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:gone",
}


def test_a_call_aws_refuses_midway_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    with mock_aws():
        stack_with_outputs(GONE_OUTPUTS)
        assert main(["redrive-dlq", "--region", "eu-west-1"]) == 1
    assert one_line(capsys).startswith(
        "orders redrive-dlq: AWS refused ReceiveMessage: AWS.SimpleQueueService.NonExistentQueue: "
    )


def test_a_refusal_whose_message_spans_lines_is_still_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    @aws_command
    def refused(args: argparse.Namespace) -> int:
        error = {"Error": {"Code": "AccessDenied", "Message": "User: x is not authorized\nto perform: sqs:Receive"}}
        raise ClientError(error, "ReceiveMessage")

    assert refused(argparse.Namespace(command="redrive-dlq", local=False)) == 1
    assert one_line(capsys) == (
        "orders redrive-dlq: AWS refused ReceiveMessage: AccessDenied:"
        " User: x is not authorized to perform: sqs:Receive"
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_local_without_a_server_says_how_to_start_one(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main([*command, "--local", "--port", str(port)]) == 1
    assert one_line(capsys) == (
        f"orders {command[0]}: nothing answers at http://127.0.0.1:{port}:"
        f" start `orders local serve --port {port}` first"
    )


@pytest.mark.parametrize("port", ["70000", "-5", "http"])
def test_a_port_that_is_not_one_is_a_usage_error(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["executions", "--local", "--port", port])
    assert exited.value.code == 2
    assert "a port is a number from 0 to 65535" in capsys.readouterr().err


def test_ctrl_c_during_a_command_is_one_line_and_exit_130(capsys: pytest.CaptureFixture[str]) -> None:
    @aws_command
    def interrupted(args: argparse.Namespace) -> int:
        raise KeyboardInterrupt

    assert interrupted(argparse.Namespace(command="submit", local=False)) == 130
    assert one_line(capsys) == "orders submit: interrupted"


@pytest.mark.parametrize(
    ("workflow_type", "why"),
    [
        ("EXPRESS", f"No history for ord-1: {EXPRESS_NOT_DESCRIBED}"),
        ("STANDARD", f"No execution named ord-1 in stack {config.STACK_NAME} in eu-west-1."),
    ],
)
def test_history_of_no_such_execution_says_why(
    workflow_type: str, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """GetExecutionHistory does not support Express executions ("GetExecutionHistory",
    https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html): against an
    Express state machine the operator is told so, not that no execution has that name."""
    with mock_aws():
        machine = boto3.client("stepfunctions", region_name="eu-west-1").create_state_machine(
            name="orders",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
            roleArn="arn:aws:iam::123456789012:role/orders",
            type=workflow_type,
        )
        stack_with_outputs({**GONE_OUTPUTS, config.OUTPUT_STATE_MACHINE_ARN: machine["stateMachineArn"]})
        assert main(["history", "ord-1", "--region", "eu-west-1"]) == 1
    assert one_line(capsys) == f"orders history: {why}"


@pytest.fixture(scope="module")
def moto_server() -> Iterator[int]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    yield server.get_host_and_port()[1]
    server.stop()


@pytest.fixture
def emulator(moto_server: int) -> Iterator[int]:
    """An endpoint that answers as `orders local serve` does (moto's server) but holds no stack yet: its port."""
    with mock_aws():  # a fresh account, emptied afterwards
        yield moto_server


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_local_without_the_stack_says_so_of_the_emulator(
    command: list[str], emulator: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, "--local", "--port", str(emulator)]) == 1
    assert one_line(capsys) == (
        f"orders {command[0]}: no stack {config.STACK_NAME} in the emulator at http://127.0.0.1:{emulator}"
        f" (Stack with id {config.STACK_NAME} does not exist): is `orders local serve` running this project's stack?"
    )


def test_local_with_a_stack_that_is_not_this_projects_says_so_of_the_emulator(
    emulator: int, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_with_outputs({"Something": "else"}, config.LOCAL_REGION, f"http://127.0.0.1:{emulator}")
    assert main(["executions", "--local", "--port", str(emulator)]) == 1
    assert one_line(capsys) == (
        f"orders executions: stack {config.STACK_NAME} in the emulator at http://127.0.0.1:{emulator}"
        " has no output 'OrderQueueUrl': is it this project's stack?"
    )


def test_a_call_the_emulator_refuses_midway_names_the_emulator(
    emulator: int, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_with_outputs(GONE_OUTPUTS, config.LOCAL_REGION, f"http://127.0.0.1:{emulator}")
    assert main(["redrive-dlq", "--local", "--port", str(emulator)]) == 1
    assert one_line(capsys).startswith(
        f"orders redrive-dlq: the emulator at http://127.0.0.1:{emulator} refused ReceiveMessage:"
        " AWS.SimpleQueueService.NonExistentQueue: "
    )
