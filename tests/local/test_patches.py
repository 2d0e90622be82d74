"""The moto internals the local mode patches are still where, and what, the patches expect.

When a moto upgrade moves one of them, this file fails first and says which.
"""

from __future__ import annotations

import inspect
import threading
import time

import moto
import pytest
from moto import mock_aws
from moto.cloudformation import parsing
from moto.core.base_backend import BackendDict
from moto.core.serialize import AttributePickerContext, XFormedAttributePicker
from moto.core.utils import get_service_model
from moto.sns import models as sns_models
from moto.sqs.models import Message, Queue, sqs_backends
from moto.ssm.models import SimpleSystemManagerBackend
from moto.stepfunctions.parser import utils as sfn_utils
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringJsonPath
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds, TimeoutSecondsPath
from moto.stepfunctions.parser.asl.component.state.exec import execute_state
from moto.stepfunctions.parser.asl.utils import boto_client

from workflow.local import patches
from workflow.local.runtime import LambdaRuntime


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_moto_is_the_pinned_version() -> None:
    assert moto.__version__ == patches.PINNED_MOTO


def test_another_moto_version_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setattr(moto, "__version__", "9.9.9")
    with pytest.raises(RuntimeError, match=r"patches moto 5\.2\.5 internals, but moto 9\.9\.9 is installed"):
        patches.install(LambdaRuntime(tmp_path), time_scale=1)  # type: ignore[arg-type]


def test_patched_lambda_internals_keep_their_shape() -> None:
    assert parameters(patches._original_invoke) == ["self", "body", "request_headers", "response_headers"]
    assert parameters(patches._original_invoke_lambda) == ["self", "event"]
    # patches.function_spec reads a deployed function's attributes: the end-to-end tests exercise it.


def test_patched_step_functions_internals_keep_their_shape() -> None:
    assert patches._original_retrier_time is time
    assert "time.sleep(" in inspect.getsource(retrier_decl)
    assert parameters(patches._original_wait_interval) == ["self", "env", "wait_seconds"]
    assert parameters(patches._original_entrypoint) == ["self"]
    assert parameters(patches._original_boto_client_for) == ["region", "service", "state_credentials"]
    assert hasattr(boto_client, "botocore_stubber")
    assert parameters(patches._original_start) == ["self"]
    assert parameters(patches._original_terminated) == ["self"]
    assert isinstance(sfn_utils.TMP_THREADS, list)
    holders = [m for m in patches._interpreter_modules() if hasattr(m, "boto_client_for")]
    assert len(holders) >= 5, "the interpreter no longer imports boto_client_for where the patch expects"
    copiers = [m for m in patches._interpreter_modules() if hasattr(m, "copy")]
    assert any(m.__name__.endswith("eval.states") for m in copiers)


def test_patched_cloudformation_and_backend_internals_keep_their_shape() -> None:
    assert parameters(patches._original_create_state_machine)[:4] == [
        "resource_name",
        "cloudformation_json",
        "account_id",
        "region_name",
    ]
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        assert hasattr(cached, "cache_clear")
    assert "_parameters" in SimpleSystemManagerBackend.__init__.__code__.co_names
    assert "lambda_event_source_mappings" in Queue.__init__.__code__.co_names
    # The queue counts compare these message times directly.
    assert {"visible_at", "delayed_until"} <= set(Message.__init__.__code__.co_names)
    assert {"messages", "approximate_number_of_messages", "approximate_number_of_messages_not_visible"} <= set(
        vars(Queue)
    )
    assert hasattr(get_service_model, "cache_info")


def test_patched_dispatch_and_sns_internals_keep_their_shape() -> None:
    assert parameters(patches._original_backend_item) == ["self", "account_id"]
    assert "_create_account_specific_backend" in patches._original_backend_item.__code__.co_names
    assert parameters(patches._original_private_key.__wrapped__) == ["self"]
    assert "private_key" in sns_models.Subscription.get_post_data.__code__.co_names


def test_patched_task_evaluation_keeps_its_shape() -> None:
    assert parameters(patches._original_evaluate_with_timeout) == ["self", "env"]
    source = inspect.getsource(patches._original_evaluate_with_timeout)
    assert "Thread(target=_exec_and_notify, daemon=True)" in source
    assert "terminated_event.wait(timeout_seconds)" in source
    assert TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS == 99999999


class _TaskState:
    def __init__(self, timeout: object) -> None:
        self.timeout = timeout


def _thread_for(state: _TaskState, monkeypatch: pytest.MonkeyPatch) -> tuple[object, list[str]]:
    """What the patched evaluation hands moto's code when it asks for a Task thread."""
    made: list[object] = []
    ran: list[str] = []

    def evaluate(self: _TaskState, env: object) -> None:
        thread = execute_state.Thread(target=lambda: ran.append("task"), daemon=True)
        thread.start()
        made.append(thread)

    monkeypatch.setattr(patches, "_original_evaluate_with_timeout", evaluate)
    patches._evaluate_inline_without_timeout(state, env=None)
    made[0].join()  # type: ignore[attr-defined]
    return made[0], ran


def test_a_task_without_timeout_runs_on_the_execution_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(execute_state, "Thread", patches._task_thread)
    thread, ran = _thread_for(_TaskState(TimeoutSeconds(TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS)), monkeypatch)
    assert isinstance(thread, patches._InlineTask)
    assert ran == ["task"]


def test_a_task_with_a_timeout_keeps_its_own_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(execute_state, "Thread", patches._task_thread)
    for timeout in (TimeoutSeconds(30), TimeoutSecondsPath(StringJsonPath("$.seconds"))):  # type: ignore[arg-type]
        thread, ran = _thread_for(_TaskState(timeout), monkeypatch)
        assert isinstance(thread, threading.Thread)
        assert ran == ["task"]


def test_an_account_looked_up_after_a_reset_is_registered_again() -> None:
    with mock_aws():
        sqs_backends["111122223333"]["us-east-1"].create_queue("before-reset")
        BackendDict.reset()
        assert "111122223333" not in sqs_backends
        assert sqs_backends["111122223333"]["us-east-1"].queues == {}
        assert sqs_backends in BackendDict._instances


def test_patched_response_serializer_internals_keep_their_shape() -> None:
    assert parameters(patches._original_get_value) == ["self", "value", "key", "shape"]
    assert {"get_possible_keys", "response_transformers"} <= set(XFormedAttributePicker.__call__.__code__.co_names)
    assert parameters(AttributePickerContext)[:3] == ["obj", "key", "shape"]
