"""The Retry and Wait internals `fidelity.stepfunctions` scales are still what it expects."""

from __future__ import annotations

import inspect
import time

from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

from tests.local.patches.helpers import parameters
from workflow.local.patches.fidelity import stepfunctions as patch


def test_patched_retry_and_wait_internals_keep_their_shape() -> None:
    assert patch._original_retrier_time is time
    assert "time.sleep(" in inspect.getsource(retrier_decl)
    assert parameters(patch._original_wait_interval) == ["self", "env", "wait_seconds"]
