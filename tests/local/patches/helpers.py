"""What the patch tests share."""

from __future__ import annotations

import inspect

import boto3
import pytest
from moto.stepfunctions import models as sfn_models
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from workflow.local.faults import FaultInjector
from workflow.local.patches.fidelity import stepfunctions_express as express
from workflow.local.patches.state import current


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def table_keyed_by_k() -> str:
    boto3.client("dynamodb", region_name="us-east-1").create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return "t"


def express_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apply `fidelity.stepfunctions_express` for one test, with no execution run twice."""
    monkeypatch.setattr(sfn_models.StateMachine, "__init__", express._init_state_machine)
    monkeypatch.setattr(Execution, "__init__", express._init_execution)
    monkeypatch.setattr(StepFunctionsParserBackend, "start_execution", express._start_execution)
    monkeypatch.setattr(sfn_models.StepFunctionBackend, "describe_execution", express._describe_execution)
    monkeypatch.setattr(sfn_models.StepFunctionBackend, "stop_execution", express._stop_execution)
    monkeypatch.setattr(sfn_models.StepFunctionBackend, "list_executions", express._list_executions)
    monkeypatch.setattr(current, "faults", FaultInjector())
