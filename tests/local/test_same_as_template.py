"""One source of truth: what the local mode runs is what the synthesized template declares."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.infra.conftest import only
from workflow import config
from workflow.app import synthesize
from workflow.local.emulator import EmulatedStack


def test_local_template_differs_from_the_deployed_one_only_in_the_bootstrap_check(
    assembly: Path, tmp_path: Path
) -> None:
    deployed = synthesize(tmp_path)
    local = json.loads((assembly / f"{config.STACK_NAME}.template.json").read_text())
    deployed.pop("Rules")
    deployed["Parameters"].pop("BootstrapVersion")
    assert local == deployed


def test_emulator_runs_the_templates_definition_and_settings(stack: EmulatedStack) -> None:
    template: dict[str, Any] = stack.template
    _, machine = only(template, "AWS::StepFunctions::StateMachine")
    expected = machine["Properties"]["DefinitionString"]
    physical = {
        config.SUBSTITUTION_VALIDATE_FUNCTION: _function_arn(stack, "ValidateOrder"),
        config.SUBSTITUTION_TABLE: stack.resources.table_name,
        config.SUBSTITUTION_ORDER_TOPIC: stack.resources.order_topic_arn,
        config.SUBSTITUTION_OPERATIONS_TOPIC: stack.resources.operations_topic_arn,
    }
    for name, value in physical.items():
        expected = expected.replace("${" + name + "}", value)
    described = stack.client("stepfunctions").describe_state_machine(stateMachineArn=stack.resources.state_machine_arn)
    assert json.loads(described["definition"]) == json.loads(expected)
    assert described["type"] == machine["Properties"]["StateMachineType"]

    _, mapping = only(template, "AWS::Lambda::EventSourceMapping")
    deployed_mapping = stack.event_source_mapping()
    assert deployed_mapping["BatchSize"] == mapping["Properties"]["BatchSize"]
    assert deployed_mapping["FunctionResponseTypes"] == mapping["Properties"]["FunctionResponseTypes"]

    _, queue = only(template, "AWS::SQS::Queue", "OrderQueue")
    attributes = stack.client("sqs").get_queue_attributes(QueueUrl=stack.resources.queue_url, AttributeNames=["All"])
    redrive = json.loads(attributes["Attributes"]["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == queue["Properties"]["RedrivePolicy"]["maxReceiveCount"]
    assert int(attributes["Attributes"]["VisibilityTimeout"]) == queue["Properties"]["VisibilityTimeout"]

    _, starter = only(template, "AWS::Lambda::Function", "Starter")
    environment = stack.client("lambda").get_function_configuration(FunctionName=_function_arn(stack, "Starter"))[
        "Environment"
    ]["Variables"]
    assert environment == {
        **{k: v for k, v in starter["Properties"]["Environment"]["Variables"].items() if isinstance(v, str)},
        config.ENV_STATE_MACHINE_ARN: stack.resources.state_machine_arn,
    }


def _function_arn(stack: EmulatedStack, name_part: str) -> str:
    functions = stack.client("lambda").list_functions()["Functions"]
    return next(f["FunctionArn"] for f in functions if name_part in f["FunctionName"])
