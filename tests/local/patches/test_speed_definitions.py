"""`speed.definitions`: a definition is parsed once, when its state machine is created, and what the executions
run is what that parse built; a definition that does not parse is refused every time."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from tests.local.patches.helpers import parameters
from workflow.local.emulator import EmulatedStack
from workflow.local.patches.speed import definitions as patch


def test_the_parser_and_its_callers_keep_their_shape() -> None:
    assert parameters(patch._original_parse) == ["definition"]
    assert "AmazonStateLanguageParser" in StepFunctionsParserBackend._validate_definition.__code__.co_names


def test_creating_the_stack_parses_its_definition_once_for_every_execution(
    stack: EmulatedStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses: list[str] = []

    def counted(definition: str) -> object:
        parses.append(definition)
        return patch._original_parse(definition)

    monkeypatch.setattr(patch, "_original_parse", counted)
    definition = stack.client("stepfunctions").describe_state_machine(
        stateMachineArn=stack.resources.state_machine_arn
    )["definition"]
    assert definition in patch._parsed  # parsed when CloudFormation created the state machine
    program = AmazonStateLanguageParser.parse(definition)[0]
    assert program is patch._parsed[definition][0]
    assert parses == []


def test_a_definition_that_does_not_parse_is_refused_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AmazonStateLanguageParser, "parse", staticmethod(patch._parse_once))
    broken = json.dumps({"StartAt": "Missing", "States": {"Done": {"Type": "Nope"}}})
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        for _ in range(2):
            with pytest.raises(ClientError, match="ASLParserException"):
                sfn.create_state_machine(name="m", definition=broken, roleArn="arn:aws:iam::123456789012:role/r")
    assert broken not in patch._parsed
