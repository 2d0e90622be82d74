# mypy: disable-error-code="method-assign,arg-type"
# (This module assigns to moto's classes on purpose: that is what a patch is.)
"""Lambda: the deployed code runs in-process, and its errors reach the caller as the Lambda service reports them.

moto runs Lambda code in Docker: `workflow.local.runtime` runs it in this process instead. An uncaught
exception is reported as AWS does (`X-Amz-Function-Error: Unhandled`, where moto says "Handled"), and a
`LambdaServiceError` from a runtime hook (throttling, 5xx) becomes the service's own error response.

A synchronous invocation's request payload is at most 6 MB ("Lambda quotas",
https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: "Invocation payload (request and
response): 6 MB each for request and response (synchronous)"); Lambda refuses a larger one with HTTP 413,
"Request must be smaller than 6291456 bytes for the InvokeFunction operation" (the code Lambda returns,
`RequestEntityTooLargeException`, as observed; the API reference models it as RequestTooLargeException).
moto does not check it.
"""

from __future__ import annotations

import json
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.core.exceptions import JsonRESTError

from workflow.local.patches.fidelity.sizes import utf8_bytes
from workflow.local.patches.state import current
from workflow.local.runtime import FunctionSpec, LambdaServiceError

MAX_SYNC_REQUEST_BYTES = 6_291_456

_original_invoke = LambdaFunction.invoke
# Kept to check, in tests, that what is replaced still has the shape the replacements assume.
_original_invoke_lambda = LambdaFunction._invoke_lambda


def function_spec(function: LambdaFunction) -> FunctionSpec:
    return FunctionSpec(
        name=function.function_name,
        arn=function.function_arn,
        handler=function.handler,
        runtime=function.run_time,
        code_sha=function.code_sha_256,
        code_zip=function.code_bytes,
        environment={k: str(v) for k, v in function.environment_vars.items()},
        timeout_seconds=float(function.timeout),
        memory_mb=int(function.memory_size),
        region=function.region,
        log_group=function.logs_group_name,
    )


def _invoke_in_process(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    if current.runtime is None:
        raise RuntimeError("the local Lambda runtime is not running")
    if isinstance(event, str):
        event = json.loads(event)
    return current.runtime.invoke(function_spec(self), event)


def _refuse_oversized_request(body: str | bytes | None, request_headers: Any) -> None:
    if request_headers.get("x-amz-invocation-type", "RequestResponse") != "RequestResponse" or not body:
        return
    if utf8_bytes(body) > MAX_SYNC_REQUEST_BYTES:
        raise _ServiceError(
            "RequestEntityTooLargeException",
            f"Request must be smaller than {MAX_SYNC_REQUEST_BYTES} bytes for the InvokeFunction operation",
            413,
        )


def _invoke_like_aws(self: LambdaFunction, body: Any, request_headers: Any, response_headers: Any) -> Any:
    _refuse_oversized_request(body, request_headers)
    try:
        result = _original_invoke(self, body, request_headers, response_headers)
    except LambdaServiceError as error:
        raise _ServiceError(error.code, str(error), error.status) from error
    # moto says "Handled"; the Lambda service says "Unhandled" for an exception the handler did not catch.
    if response_headers.get("x-amz-function-error") == "Handled":
        response_headers["x-amz-function-error"] = "Unhandled"
    return result


class _ServiceError(JsonRESTError):
    def __init__(self, code: str, message: str, status: int) -> None:
        self.code = status
        super().__init__(code, message)


def install() -> None:
    LambdaFunction._invoke_lambda = _invoke_in_process
    LambdaFunction.invoke = _invoke_like_aws
