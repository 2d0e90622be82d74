"""The interpreter internals `speed.stepfunctions` replaces keep the shape it expects, and answer as moto's own."""

from __future__ import annotations

import inspect
import json
import types
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.utils import get_service_model
from moto.stepfunctions import models as sfn_models
from moto.stepfunctions.parser import utils as sfn_utils
from moto.stepfunctions.parser.api import HistoryEventType
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import boto_client
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from tests.local.conftest import console_order
from tests.local.patches.helpers import parameters
from workflow.local.emulator import EmulatedStack
from workflow.local.patches.speed import stepfunctions as patch
from workflow.local.run import run


def test_patched_step_functions_internals_keep_their_shape() -> None:
    assert parameters(patch._original_entrypoint) == ["self"]
    assert parameters(patch._original_boto_client_for) == ["region", "service", "state_credentials"]
    assert hasattr(boto_client, "botocore_stubber")
    assert parameters(patch._original_start) == ["self"]
    assert parameters(patch._original_terminated) == ["self"]
    assert isinstance(sfn_utils.TMP_THREADS, list)
    holders = [m for m in patch._interpreter_modules() if hasattr(m, "boto_client_for")]
    assert len(holders) >= 5, "the interpreter no longer imports boto_client_for where the patch expects"
    copiers = [m for m in patch._interpreter_modules() if hasattr(m, "copy")]
    assert any(m.__name__.endswith("eval.states") for m in copiers)
    assert hasattr(get_service_model, "cache_info")


def test_start_execution_finds_an_execution_of_the_same_name_as_moto_s_scan_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert parameters(patch._original_execution_named) == ["self", "name", "execution_input"]
    monkeypatch.setattr(sfn_models.StateMachine, "_handle_name_input_idempotency", patch._execution_named)
    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        machine = sfn.create_state_machine(
            name="m",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
            roleArn="arn:aws:iam::123456789012:role/r",
        )["stateMachineArn"]

        def start(name: str, document: str = "{}") -> str:
            return str(sfn.start_execution(stateMachineArn=machine, name=name, input=document)["executionArn"])

        first = start("order-1")
        for i in range(2, 50):
            start(f"order-{i}")
        assert start("order-1") == first  # same name, same input, still running: the same execution
        with pytest.raises(sfn.exceptions.ExecutionAlreadyExists, match="order-1"):
            start("order-1", '{"other": 1}')
        sfn.stop_execution(executionArn=first)
        with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
            start("order-1")
        assert start("order-50") != first


def test_integration_clients_are_built_once_even_as_the_state_machine_s_role(stack: EmulatedStack) -> None:
    """The access check wraps each integration client in the state machine's role: the client under it
    must still be the cached one (building a client reads os.environ while an invocation may change it)."""
    holders = {m.boto_client_for for m in patch._interpreter_modules() if hasattr(m, "boto_client_for")}
    (client_for,) = holders
    credentials = types.SimpleNamespace(role_arn="arn:aws:iam::123456789012:role/states")
    first = client_for("us-east-1", "dynamodb", credentials)
    second = client_for("us-east-1", "dynamodb", credentials)
    assert first._client is second._client


def test_creating_the_stack_parses_its_definition_once_for_every_execution(
    assembly: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses: list[str] = []
    parse = patch._original_parse

    def counted(definition: str) -> object:
        parses.append(definition)
        return parse(definition)

    assert parameters(patch._original_parse) == ["definition"]
    assert "AmazonStateLanguageParser" in StepFunctionsParserBackend._validate_definition.__code__.co_names
    monkeypatch.setattr(patch, "_parsed", {})
    monkeypatch.setattr(patch, "_original_parse", counted)
    with EmulatedStack(assembly, time_scale=0.0001) as stack:
        definition = stack.client("stepfunctions").describe_state_machine(
            stateMachineArn=stack.resources.state_machine_arn
        )["definition"]
        assert parses == [definition]  # CloudFormation's CreateStateMachine validated it
        report = run(stack, [console_order("ord-parsed-once")])
    assert report["summary"]["accepted"] == 1
    assert parses == [definition]  # the execution ran what that parse built


def test_a_definition_that_does_not_parse_is_refused_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AmazonStateLanguageParser, "parse", staticmethod(patch._parse_once))
    broken = json.dumps({"StartAt": "Missing", "States": {"Done": {"Type": "Nope"}}})
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        for _ in range(2):
            with pytest.raises(ClientError, match="ASLParserException"):
                sfn.create_state_machine(name="m", definition=broken, roleArn="arn:aws:iam::123456789012:role/r")
    assert broken not in patch._parsed


def test_a_history_is_copied_by_the_json_copier_to_an_equal_history(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a history back copies it (moto's EventManager.get_event_history): every event's type is an
    enum member, which `copy.deepcopy` keeps as it is; the JSON copier does the same rather than handing the
    whole history to `copy.deepcopy`."""
    assert "copy.deepcopy(self._history_event_list)" in inspect.getsource(EventManager.get_event_history)
    history = [
        {"id": 1, "type": HistoryEventType.ExecutionStarted, "executionStartedEventDetails": {"input": "{}"}},
        {"id": 2, "type": HistoryEventType.ExecutionSucceeded, "timestamp": "2026-01-01T00:00:00.000Z"},
    ]
    monkeypatch.setattr(patch.copy, "deepcopy", lambda *args: pytest.fail("copied by copy.deepcopy"))

    copied = patch._deepcopy(history)

    assert copied == history
    assert copied[1]["type"] is HistoryEventType.ExecutionSucceeded
    assert (
        copied[0] is not history[0]
        and copied[0]["executionStartedEventDetails"] is not history[0]["executionStartedEventDetails"]
    )
