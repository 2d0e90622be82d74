"""The Lambda internals `fidelity.lambda_` replaces are still what it expects."""

from __future__ import annotations

from tests.local.patches.helpers import parameters
from workflow.local.patches.fidelity import lambda_ as patch


def test_patched_lambda_internals_keep_their_shape() -> None:
    assert parameters(patch._original_invoke) == ["self", "body", "request_headers", "response_headers"]
    assert parameters(patch._original_invoke_lambda) == ["self", "event"]
