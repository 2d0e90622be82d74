"""The moto internals the local mode patches are still where, and what, the patches expect.

When a moto upgrade moves one of them, this file fails first and says which.
"""

from __future__ import annotations

import inspect
import time

import moto
import pytest
from moto.cloudformation import parsing
from moto.core.utils import get_service_model
from moto.sqs.models import Message, Queue
from moto.ssm.models import SimpleSystemManagerBackend
from moto.stepfunctions.parser import utils as sfn_utils
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
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
