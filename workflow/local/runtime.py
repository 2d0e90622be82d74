"""An in-process Lambda runtime: runs the deployed handler code with its environment and a context.

It knows nothing of moto: `workflow.local.patches.fidelity.lambda_` hands it each invocation. An
exception becomes the payload the Lambda runtime returns (`errorType`, `errorMessage`, `stackTrace`),
so the state machine's Retry/Catch and the event source mapping see what they would see on AWS.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
import threading
import time
import traceback
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO


@dataclass(frozen=True)
class FunctionSpec:
    """What the runtime needs of a deployed function, as its configuration says."""

    name: str
    arn: str
    handler: str
    runtime: str
    code_sha: str
    code_zip: bytes = field(repr=False)
    environment: dict[str, str]
    timeout_seconds: float
    memory_mb: int
    region: str
    log_group: str


class LambdaServiceError(Exception):
    """Raised by a hook to make the Lambda service itself refuse an invocation (throttling, 5xx)."""

    def __init__(self, code: str, message: str, status: int = 429) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


# A hook sees each invocation before the handler runs; it may raise LambdaServiceError (the service
# fails the call) or any other exception (the handler fails).
InvocationHook = Callable[[FunctionSpec, Any], None]
# A log hook sees each invocation's log once it has ended (what CloudWatch Logs would ingest).
LogHook = Callable[[FunctionSpec, str], None]


class LambdaContext:
    """The context object handlers receive (what Powertools reads)."""

    def __init__(self, spec: FunctionSpec, request_id: str) -> None:
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec.arn
        self.memory_limit_in_mb = spec.memory_mb
        self.aws_request_id = request_id
        self.log_group_name = spec.log_group
        self.log_stream_name = f"local/[$LATEST]{request_id}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + spec.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _InvocationStream(io.TextIOBase):
    """Stands in for stdout/stderr: while a handler runs, its output goes to that invocation's log.

    Loggers bind sys.stdout when the handler module is imported, so the stream must stay the same
    object and switch buffers per invocation.
    """

    def __init__(self, real: TextIO) -> None:
        self.real = real
        self.buffer_: io.StringIO | None = None

    def write(self, text: str) -> int:
        return (self.buffer_ or self.real).write(text)

    def flush(self) -> None:
        self.real.flush()

    def isatty(self) -> bool:
        return self.real.isatty()


class LambdaRuntime:
    """Loads each function's code from its deployment package and invokes it, one call at a time.

    Invocations are serialized: environment variables are process-wide, and one Lambda-like
    process per function is what the handlers expect.
    """

    def __init__(self, work_dir: Path) -> None:
        self._work_dir = work_dir
        self.lock = threading.RLock()
        self._handlers: dict[tuple[str, str], Callable[[Any, Any], Any]] = {}
        self.hooks: list[InvocationHook] = []
        self.log_hooks: list[LogHook] = []
        self.invocations: dict[str, int] = {}
        self._stdout = _InvocationStream(sys.stdout)
        self._stderr = _InvocationStream(sys.stderr)
        self._saved_streams: tuple[TextIO, TextIO] | None = None
        self._running = threading.local()

    def __enter__(self) -> LambdaRuntime:
        self._saved_streams = (sys.stdout, sys.stderr)
        sys.stdout, sys.stderr = self._stdout, self._stderr
        return self

    def __exit__(self, *exc: object) -> None:
        if self._saved_streams:
            sys.stdout, sys.stderr = self._saved_streams
        # The deployment packages are deleted with the emulator: forget the modules loaded from them,
        # so a later import finds the source tree (or the next emulator's packages) again. Their `__file__`
        # starts with the work folder as `_handler` put it on sys.path (resolving every module's path,
        # thousands of them, took half a second).
        packages = os.path.join(os.path.abspath(self._work_dir), "")
        for name, module in list(sys.modules.items()):
            location = getattr(module, "__file__", None)
            if isinstance(location, str) and location.startswith(packages):
                del sys.modules[name]
        self._handlers.clear()

    def invoke(self, spec: FunctionSpec, event: Any) -> tuple[str, bool, str]:
        """Run the handler: (payload JSON, whether it raised, the invocation's log)."""
        request_id = str(uuid.uuid4())
        log = io.StringIO()
        with self.lock, self._environment(spec), self._capture(log):
            self.invocations[spec.name] = self.invocations.get(spec.name, 0) + 1
            print(f"START RequestId: {request_id} Version: $LATEST")
            caller, self._running.spec = getattr(self._running, "spec", None), spec
            try:
                for hook in self.hooks:
                    hook(spec, event)
                handler = self._handler(spec)
                payload, errored = json.dumps(handler(event, LambdaContext(spec, request_id))), False
            except LambdaServiceError:
                raise
            except Exception as error:
                payload, errored = json.dumps(error_payload(error, request_id)), True
                print(f"[ERROR] {type(error).__name__}: {error}")
            finally:
                self._running.spec = caller
            print(f"END RequestId: {request_id}")
        for log_hook in self.log_hooks:
            log_hook(spec, log.getvalue())
        return payload, errored, log.getvalue()

    def current_function(self) -> FunctionSpec | None:
        """The function whose handler runs on this thread, if any (its calls are made as its role)."""
        spec: FunctionSpec | None = getattr(self._running, "spec", None)
        return spec

    def _handler(self, spec: FunctionSpec) -> Callable[[Any, Any], Any]:
        key = (spec.code_sha, spec.handler)
        if key not in self._handlers:
            code_dir = self._unpack(spec)
            module_name, _, function_name = spec.handler.rpartition(".")
            _forget_modules_outside(module_name.split(".")[0], code_dir)
            sys.path.insert(0, str(code_dir))
            try:
                module = importlib.import_module(module_name)
            finally:
                sys.path.remove(str(code_dir))
            self._handlers[key] = getattr(module, function_name)
        return self._handlers[key]

    def _unpack(self, spec: FunctionSpec) -> Path:
        target = self._work_dir / spec.code_sha.replace("/", "_").replace("+", "-")
        if not target.exists():
            with zipfile.ZipFile(io.BytesIO(spec.code_zip)) as archive:
                archive.extractall(target)
        return target

    @contextlib.contextmanager
    def _environment(self, spec: FunctionSpec) -> Iterator[None]:
        values = {
            "_HANDLER": spec.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            **spec.environment,
        }
        saved = {name: os.environ.get(name) for name in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    @contextlib.contextmanager
    def _capture(self, log: io.StringIO) -> Iterator[None]:
        self._stdout.buffer_ = self._stderr.buffer_ = log
        try:
            yield
        finally:
            self._stdout.buffer_ = self._stderr.buffer_ = None


def error_payload(error: BaseException, request_id: str) -> dict[str, Any]:
    """The payload the Python Lambda runtime returns for an unhandled exception."""
    frames = traceback.extract_tb(error.__traceback__)[1:]
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


def _forget_modules_outside(package: str, code_dir: Path) -> None:
    """A package of the same name imported from elsewhere (e.g. the source tree) must not shadow the deployed one."""
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        location = getattr(sys.modules[name], "__file__", None) or ""
        if not Path(location).resolve().is_relative_to(code_dir.resolve()):
            del sys.modules[name]
