"""SNS Publish refuses what AWS refuses (`fidelity.sns`): subject, message size with attributes, attribute names.

Pages: "Publish" (SNS API reference) and "Amazon SNS message attributes", cited in the module under test.
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.local.patches.helpers import parameters
from workflow.local.patches.fidelity import sns as patch


@pytest.fixture
def topic(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    patch.install(monkeypatch.setattr)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        sns = boto3.client("sns", region_name="us-east-1")
        yield sns, sns.create_topic(Name="orders")["TopicArn"]


def refusal(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_patched_publish_keeps_its_shape() -> None:
    assert parameters(patch._original_publish) == ["self"]
    source = inspect.getsource(patch._original_publish)
    assert '_get_param("Subject")' in source
    assert '_get_param("Message")' in source


def test_a_subject_of_99_characters_is_accepted_and_of_100_refused(topic: tuple[Any, str]) -> None:
    sns, arn = topic
    for subject in ("s" * 99, "Pedido ação: 40,10 € (aceito)", "x"):
        assert sns.publish(TopicArn=arn, Message="m", Subject=subject)["MessageId"]
    assert refusal(sns.publish, TopicArn=arn, Message="m", Subject="s" * 100) == (
        "InvalidParameter",
        "Invalid parameter: Subject",
        400,
    )


def test_a_subject_with_a_line_break_or_control_character_is_refused(topic: tuple[Any, str]) -> None:
    sns, arn = topic
    breaking = ["\n", "\r", "\t", "\x00", "\x07", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"]
    answers = {f"U+{ord(c):04X}": refusal(sns.publish, TopicArn=arn, Message="m", Subject=f"O{c}1") for c in breaking}
    assert answers == dict.fromkeys(answers, ("InvalidParameter", "Invalid parameter: Subject", 400))


def _attributes(value: str) -> dict[str, Any]:
    return {"status": {"DataType": "String", "StringValue": value}}


def test_the_message_and_its_attributes_make_at_most_256_kib(topic: tuple[Any, str]) -> None:
    sns, arn = topic
    attributes = _attributes("ACCEPTED")
    attribute_bytes = len("status") + len("String") + len("ACCEPTED")
    room = patch.DEFAULT_MAX_MESSAGE_BYTES - attribute_bytes
    message = "é" * (room // 2) + "x" * (room % 2)  # bytes, not characters, count
    assert sns.publish(TopicArn=arn, Message=message, MessageAttributes=attributes)["MessageId"]
    assert refusal(sns.publish, TopicArn=arn, Message=message + "x", MessageAttributes=attributes) == (
        "InvalidParameter",
        "Invalid parameter: Message too long",
        400,
    )


def _named(name: str) -> dict[str, Any]:
    return {name: {"DataType": "String", "StringValue": "v"}}


def test_attribute_names_are_checked_as_sns_documents_them(topic: tuple[Any, str]) -> None:
    sns, arn = topic
    for name in ("status", "order.status-1_x", "a" * 256, "AWSx", "Amazonian"):
        assert sns.publish(TopicArn=arn, Message="m", MessageAttributes=_named(name))["MessageId"]
    refused = [".a", "a.", "a..b", "a b", "a/b", "ação", "a" * 257, "AWS.x", "aws.x", "Amazon.y"]
    answers = {n: refusal(sns.publish, TopicArn=arn, Message="m", MessageAttributes=_named(n))[::2] for n in refused}
    assert answers == dict.fromkeys(refused, ("ParameterValueInvalid", 400))


def test_the_state_machine_sees_an_invalid_publish_as_sns_invalid_parameter_exception(
    topic: tuple[Any, str],
) -> None:
    _, arn = topic
    definition = {
        "StartAt": "Notify",
        "States": {
            "Notify": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sns:publish",
                "Parameters": {"TopicArn": arn, "Subject.$": "$.subject", "Message": "m"},
                "End": True,
            }
        },
    }
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    machine = sfn.create_state_machine(
        name="m", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/r"
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, name="e", input=json.dumps({"subject": "s" * 100}))
    while (described := sfn.describe_execution(executionArn=execution["executionArn"]))["status"] == "RUNNING":
        time.sleep(0.02)
    assert described["status"] == "FAILED"
    assert described["error"] == "SNS.InvalidParameterException"
    assert "Invalid parameter: Subject" in described["cause"]
