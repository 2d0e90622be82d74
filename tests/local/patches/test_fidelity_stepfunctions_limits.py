"""Step Functions limits as AWS enforces them (`fidelity.stepfunctions_limits`), on moto's executing backend.

Pages: "Step Functions service quotas" (256 KiB of state data as UTF-8), "Handling errors in Step Functions
workflows" (States.DataLimitExceeded, which States.ALL does not catch), the StartExecution API reference
(name and input constraints); each cited in the module under test.
"""

from __future__ import annotations

import inspect
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

from tests.local.patches.helpers import parameters, table_keyed_by_k
from workflow.local.patches import state
from workflow.local.patches.fidelity import stepfunctions as scaled_waits
from workflow.local.patches.fidelity import stepfunctions_limits as patch

LIMIT = patch.MAX_STATE_DATA_BYTES
ROLE = "arn:aws:iam::123456789012:role/r"


@pytest.fixture
def sfn(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    patch.install(monkeypatch.setattr)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield boto3.client("stepfunctions", region_name="us-east-1")


def machine(sfn: Any, states: dict[str, Any], name: str = "m", **top: Any) -> str:
    definition = {"StartAt": next(iter(states)), "States": states, **top}
    return str(sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"])


def execute(sfn: Any, arn: str, document: str = "{}", timeout: float = 30) -> dict[str, Any]:
    # Named: moto gives every unnamed execution the same ARN.
    execution = sfn.start_execution(stateMachineArn=arn, name=uuid.uuid4().hex, input=document)["executionArn"]
    deadline = time.monotonic() + timeout
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not end"
        time.sleep(0.02)
    described["history"] = [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]]
    return dict(described)


def text_of_bytes(size: int) -> str:
    """A JSON string value whose compact JSON text (quotes included) is `size` UTF-8 bytes, mostly `é`
    (2 bytes; `json.dumps`'s default writes it as 6)."""
    content = size - 2
    return "é" * (content // 2) + "x" * (content % 2)


def test_patched_interpreter_internals_keep_their_shape() -> None:
    assert parameters(patch._original_is_within_size_quota) == ["value"]
    for module in patch._SIZE_CHECKERS:
        assert "is_within_size_quota" in vars(module), module.__name__
    assert parameters(patch._original_error_equals) == ["self", "env"]
    assert "env.stack.pop()" in inspect.getsource(patch._original_error_equals)
    assert parameters(patch._original_task_parameters) == ["self", "env"]
    assert parameters(patch._original_lambda_parameters) == ["self", "env"]
    program_eval = inspect.getsource(patch._original_program_eval)
    assert "worker_thread.join(timeout=timeout)" in program_eval
    assert "env.set_timed_out()" in program_eval
    assert parameters(patch._original_start_execution) == ["self"]


def test_state_data_is_measured_as_compact_utf8_json() -> None:
    assert patch.state_data_bytes({"a": "é", "b": [1, 2]}) == len('{"a":"é","b":[1,2]}'.encode())
    assert patch.state_data_bytes(text_of_bytes(LIMIT)) == LIMIT


def doubled_to(size: int) -> dict[str, Any]:
    """An input that the `Double` state below turns into an output of exactly `size` bytes."""
    text = text_of_bytes(120_000)
    around = patch.state_data_bytes({"a": text, "b": text, "c": ""})
    return {"a": text, "c": "x" * (size - around)}


DOUBLE = {"Double": {"Type": "Pass", "Parameters": {"a.$": "$.a", "b.$": "$.a", "c.$": "$.c"}, "End": True}}


@pytest.mark.parametrize(("size", "status"), [(LIMIT, "SUCCEEDED"), (LIMIT + 1, "FAILED")])
def test_a_state_output_of_256_kib_passes_and_one_byte_more_fails(sfn: Any, size: int, status: str) -> None:
    document = doubled_to(size)
    assert patch.state_data_bytes({"a": document["a"], "b": document["a"], "c": document["c"]}) == size
    execution = execute(sfn, machine(sfn, DOUBLE), json.dumps(document, ensure_ascii=False))
    assert execution["status"] == status
    if status == "FAILED":
        assert execution["error"] == "States.DataLimitExceeded"


PUT = {
    "Put": {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:putItem",
        "Parameters": {"TableName": "t", "Item": {"k": {"S": "1"}, "v": {"S.$": "$.pad"}}},
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
        "End": True,
    },
    "Caught": {"Type": "Pass", "End": True},
}


def _pad_for_parameters(size: int) -> str:
    # PUT's Parameters, evaluated, as compact JSON: this many bytes around the pad.
    around = patch.state_data_bytes({"TableName": "t", "Item": {"k": {"S": "1"}, "v": {"S": ""}}})
    return "x" * (size - around)


def test_a_task_input_after_parameters_is_limited_and_states_all_does_not_catch_it(sfn: Any) -> None:
    table_keyed_by_k()
    arn = machine(sfn, PUT)
    fits = execute(sfn, arn, json.dumps({"pad": _pad_for_parameters(LIMIT)}))
    assert fits["status"] == "SUCCEEDED"
    assert "TaskSucceeded" in fits["history"]

    too_big = execute(sfn, arn, json.dumps({"pad": _pad_for_parameters(LIMIT + 1)}))
    assert too_big["status"] == "FAILED"
    assert too_big["error"] == "States.DataLimitExceeded"
    assert "TaskScheduled" not in too_big["history"]  # refused before DynamoDB is called


def _get_task(catch: list[str]) -> dict[str, Any]:
    return {
        "Get": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:getItem",
            "Parameters": {"TableName": "t", "Key": {"k": {"S": "big"}}},
            "Catch": [{"ErrorEquals": catch, "ResultPath": "$.error", "Next": "Caught"}],
            "End": True,
        },
        "Caught": {"Type": "Pass", "End": True},
    }


@pytest.mark.parametrize(
    ("catch", "status"),
    [(["States.ALL"], "FAILED"), (["States.TaskFailed"], "FAILED"), (["States.DataLimitExceeded"], "SUCCEEDED")],
)
def test_a_task_result_over_256_kib_is_caught_only_by_its_own_name(sfn: Any, catch: list[str], status: str) -> None:
    table_keyed_by_k()
    boto3.client("dynamodb", region_name="us-east-1").put_item(
        TableName="t", Item={"k": {"S": "big"}, "v": {"S": "x" * 300_000}}
    )
    execution = execute(sfn, machine(sfn, _get_task(catch)))
    assert execution["status"] == status
    if status == "FAILED":
        assert execution["error"] == "States.DataLimitExceeded"
    else:
        assert execution["history"][-3:] == ["PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


@pytest.fixture
def succeed(sfn: Any) -> str:
    return machine(sfn, {"Done": {"Type": "Succeed"}})


def _start(sfn: Any, arn: str, name: str | None = None, document: str = "{}") -> str:
    kwargs = {"name": name} if name is not None else {}
    return str(sfn.start_execution(stateMachineArn=arn, input=document, **kwargs)["executionArn"])


def test_execution_names_of_1_to_80_characters_are_accepted(sfn: Any, succeed: str) -> None:
    for name in ("a", "n" * 80, "pedido-ação_1", "ord.2026(1)+x@y!"):
        assert _start(sfn, succeed, name).endswith(":" + name)


def test_an_execution_name_over_80_characters_is_a_validation_error(sfn: Any, succeed: str) -> None:
    with pytest.raises(ClientError) as raised:
        _start(sfn, succeed, "n" * 81)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "Member must have length less than or equal to 80" in raised.value.response["Error"]["Message"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


REFUSED_IN_NAMES = [
    *" \t\n\u00a0\u2003\u3000",  # white space
    *"<>{}[]",  # brackets
    *"?*",  # wildcards
    *'"#%\\^|~`$&,;:/',  # special characters
    "\x00",
    "\x1f",
    "\x7f",
    "\x85",
    "\x9f",
    "\ufffe",
    "\uffff",  # control characters
    "\ud800",
    "\udfff",  # surrogates
    "\U0010ffff",
]


def test_an_execution_name_with_a_refused_character_is_invalid(sfn: Any, succeed: str) -> None:
    answers: dict[str, tuple[str, int]] = {}
    for character in REFUSED_IN_NAMES:
        with pytest.raises(ClientError) as raised:
            _start(sfn, succeed, f"order{character}1")
        answers[f"U+{ord(character):04X}"] = (
            raised.value.response["Error"]["Code"],
            raised.value.response["ResponseMetadata"]["HTTPStatusCode"],
        )
    assert answers == {f"U+{ord(c):04X}": ("InvalidName", 400) for c in REFUSED_IN_NAMES}


def test_an_execution_input_is_at_most_256_kib_of_utf8(sfn: Any, succeed: str) -> None:
    fits, too_big = (json.dumps(text_of_bytes(size), ensure_ascii=False) for size in (LIMIT, LIMIT + 1))
    assert len(fits.encode()) == LIMIT
    assert _start(sfn, succeed, "fits", fits)
    with pytest.raises(ClientError) as raised:
        _start(sfn, succeed, "too-big", too_big)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "Member must have length less than or equal to 262144" in raised.value.response["Error"]["Message"]


@pytest.fixture
def scaled_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Wait states on the local time scale, as `orders local run` runs them."""
    monkeypatch.setattr(WaitFunction, "_wait_interval", scaled_waits._scaled_wait_interval)
    monkeypatch.setattr(state.current, "time_scale", 0.001)
    yield


def _waiting(seconds: int) -> dict[str, Any]:
    return {"Pause": {"Type": "Wait", "Seconds": seconds, "Next": "Done"}, "Done": {"Type": "Succeed"}}


@pytest.mark.usefixtures("scaled_time")
@pytest.mark.parametrize(("wait", "status"), [(5, "SUCCEEDED"), (15, "TIMED_OUT")])
def test_timeout_seconds_counts_scaled_waits_at_their_aws_length(sfn: Any, wait: int, status: str) -> None:
    started = time.monotonic()
    execution = execute(sfn, machine(sfn, _waiting(wait), TimeoutSeconds=10))
    assert execution["status"] == status
    assert time.monotonic() - started < 2, "the waits ran on the local time scale"
    if status == "TIMED_OUT":
        assert execution["history"][-1] == "ExecutionTimedOut"
        assert "PassStateEntered" not in execution["history"] and "SucceedStateEntered" not in execution["history"]


def test_timeout_seconds_counts_real_time_too(sfn: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # At time scale 1 a Wait takes real time, as a slow handler does.
    monkeypatch.setattr(WaitFunction, "_wait_interval", scaled_waits._scaled_wait_interval)
    monkeypatch.setattr(state.current, "time_scale", 1.0)
    started = time.monotonic()
    execution = execute(sfn, machine(sfn, _waiting(5), TimeoutSeconds=1))
    assert execution["status"] == "TIMED_OUT"
    assert 1 <= time.monotonic() - started < 3
