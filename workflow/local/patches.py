# mypy: disable-error-code="method-assign,assignment,arg-type,abstract,misc,attr-defined,no-any-return"
# (This module assigns to moto's classes on purpose: that is what a patch is.)
"""Every patch of moto's private internals that the local mode needs, in one place.

moto is pinned exactly (requirements.txt); `install` refuses any other version, and
tests/local/test_patches.py fails loudly when an upgrade moves what is patched here. Each patch
fills a gap between moto and AWS that the local mode depends on:

- Lambda code runs in Docker in moto: run it in-process (`workflow.local.runtime`) instead, and
  report an uncaught exception as AWS does (`X-Amz-Function-Error: Unhandled`).
- Retry back-off and Wait states really sleep: scale them by the run's time scale.
- Each execution re-parses its definition and builds new boto3 clients: cache both.
- moto's CloudFormation creates state machines where the executing engine cannot see them and
  ignores DefinitionSubstitutions, the type, logging and tracing: replace that resource handler.
- moto's CloudFormation skips SNS subscriptions, queue and topic policies and alarms: model them.
- SSM parameters under /aws/ cannot be written through moto's API: seed its backend.
- moto's SQS checks each received message's retention by computing every attribute of its queue,
  counting all its messages three times: read the retention period directly; it builds two
  datetimes to read the clock for every message it looks at: read the clock directly; and it
  counts a queue's messages (for every SendMessage, to read one unrelated attribute) through two
  properties per message: compare each message's times to one clock reading.
- moto's SNS builds and signs a new X.509 certificate for every message it delivers: build one per
  signing key and reuse it (each message is still signed, with a 1024-bit key rather than 2048).
- Every lookup of a service's backend takes a global lock and scans a list of all backends: look up
  an account already there directly.
- moto's response serializer builds six alias providers for every member of every structure it
  writes, present or not: for plain dicts, find each member's candidate keys once.
- The interpreter runs each Task state on a new thread, so that TimeoutSeconds can cut it short: a
  Task without TimeoutSeconds runs on its execution's own thread.
- The interpreter builds a JSONPath parser (a yacc table) for every path it evaluates, ResultPath
  included: cache the parsed paths; and
  it deep-copies a state's whole input at every read, with the generic `copy.deepcopy`: copy
  JSON values with a JSON-only copier (anything else still goes to `copy.deepcopy`).
- moto invokes an SQS event source mapping inside SendMessage, one message at a time and ignoring
  partial batch responses: detach it, so `workflow.local.poller` can play Lambda's poller.
- StartExecution looks for an execution of the same name by scanning every execution of the
  state machine: index them by name.
- moto's request stubber searches every service's URL patterns, then the service's URL table, for
  every request: find each URL's handler once.
- moto builds each request's WSGI environ with werkzeug's general-purpose EnvironBuilder: build
  the same environ directly.
- moto's DynamoDB parses a condition expression twice per write: keep each parsed expression.
- moto's DeleteMessage scans the queue twice, listing every message's receipt handles: once.
- moto's SendMessage counts every message on the queue three times, for counts it never reads:
  do not count inside SendMessage.
- The interpreter's integration calls go through botocore's full pipeline of events, endpoint rules
  and retries to reach moto in the same process: serialize them, let `before-call` hooks (fault
  injection) see them, and hand them to moto's stubber directly.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import string
import sys
import threading
import time
import types
import warnings
from collections.abc import Callable
from io import BytesIO
from typing import Any, ClassVar
from urllib.parse import unquote, urlparse, urlsplit

import boto3
import jsonpath_ng
import jsonpath_ng.ext
import moto
from botocore import UNSIGNED
from botocore.awsrequest import AWSResponse, create_request_object, prepare_request_dict
from botocore.config import Config
from botocore.response import StreamingBody
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import backend_index, backends
from moto.awslambda.models import LambdaFunction
from moto.cloudformation import parsing
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core import botocore_stubber as stubber_module
from moto.core import responses as core_responses
from moto.core import utils as core_utils
from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.common_models import CloudFormationModel
from moto.core.config import passthrough_service, passthrough_url, service_whitelisted
from moto.core.exceptions import HTTPException, JsonRESTError, ServiceNotWhitelisted
from moto.core.models import botocore_stubber
from moto.core.request import (
    PRESERVED_HEADER_NAMES_ENVIRON_KEY,
    AwsChunkedWrapper,
    Request,
    normalize_request,
    should_preserve_original_header_name,
)
from moto.core.serialize import AttributePickerContext, ResponseSerializer, XFormedAttributePicker
from moto.core.utils import get_equivalent_url_in_aws_domain, get_service_model
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.moto_api import recorder
from moto.moto_api._internal import mock_random
from moto.moto_api._internal.moto_random import HEX_CHARS, MotoRandom
from moto.sns import models as sns_models
from moto.sns.models import sns_backends
from moto.sqs import models as sqs_models
from moto.sqs.exceptions import ReceiptHandleIsInvalid
from moto.sqs.models import Queue, SQSBackend, sqs_backends
from moto.ssm.models import Parameter, ssm_backends
from moto.stepfunctions import models as sfn_models
from moto.stepfunctions.exceptions import ExecutionAlreadyExists
from moto.stepfunctions.parser import utils as sfn_utils
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.component.state.exec import execute_state
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import boto_client
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.parser.models import stepfunctions_parser_backends
from werkzeug.urls import iri_to_uri

from workflow.local.runtime import FunctionSpec, LambdaRuntime, LambdaServiceError

PINNED_MOTO = "5.2.5"

# SNS signs every delivery; nobody checks these signatures against AWS's certificate locally, and a
# 1024-bit key signs about eight times faster than the 2048-bit one moto makes (the envelope is the same).
LOCAL_SIGNING_KEY_BITS = 1024
# Resource types moto's CloudFormation does not model, which this stack uses. They are recorded
# (policies and alarms have no behaviour to emulate here); any other unsupported type is an error.
RECORDED_TYPES = ("AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy", "AWS::CloudWatch::Alarm", "AWS::CDK::Metadata")


class _State:
    runtime: LambdaRuntime | None = None
    time_scale: float = 1.0
    installed = False


_state = _State()
_programs: dict[str, Any] = {}
_clients: dict[tuple[str, str, bool], Any] = {}
_original_boto_client_for = boto_client.boto_client_for
_original_invoke = LambdaFunction.invoke
_original_start = Execution.start
_original_terminated = BaseExecutionWorkerCommunication.terminated
_original_unix_time_millis = sqs_models.unix_time_millis
# Kept to check, in tests, that what is replaced still has the shape the replacements assume.
_original_invoke_lambda = LambdaFunction._invoke_lambda
_original_wait_interval = WaitFunction._wait_interval
_original_entrypoint = ExecutionWorker._get_evaluation_entrypoint
_original_create_state_machine = sfn_models.StateMachine.create_from_cloudformation_json
_original_retrier_time = retrier_decl.time
_original_backend_item = BackendDict.__getitem__
_original_get_value = ResponseSerializer.get_value
_original_evaluate_with_timeout = execute_state.ExecutionState._evaluate_with_timeout
_original_private_key = sns_models.Subscription.private_key
_original_process_request = stubber_module.BotocoreStubber.process_request
_original_condition_parse = ConditionExpressionParser.parse
_original_from_primitives = Request.from_primitives
_original_send_message = SQSBackend.send_message
_original_delete_message = Queue.delete_message
_original_execution_named = sfn_models.StateMachine._handle_name_input_idempotency
_executions: dict[str, Execution] = {}


def check_version() -> None:
    if moto.__version__ != PINNED_MOTO:
        raise RuntimeError(
            f"the local mode patches moto {PINNED_MOTO} internals, but moto {moto.__version__} is installed: "
            "install the version pinned in requirements.txt, or update workflow/local/patches.py"
        )


def install(runtime: LambdaRuntime, time_scale: float) -> None:
    """Apply every patch (once per process) and point them at this run's runtime and time scale."""
    check_version()
    _state.runtime = runtime
    _state.time_scale = time_scale
    # Integration clients and executions belong to one emulated stack (and its fault injector).
    _clients.clear()
    _executions.clear()
    _executions_by_name.clear()
    if _state.installed:
        return
    _patch_lambda()
    _patch_request_handling()
    _patch_sqs()
    _patch_dynamodb()
    _patch_sns()
    _patch_sleeps()
    _patch_execution_caches()
    _patch_cloudformation()
    _state.installed = True


def scaled(seconds: float) -> float:
    return seconds * _state.time_scale


# --- Lambda: in-process code ----------------------------------------------------------------


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
    if _state.runtime is None:
        raise RuntimeError("the local Lambda runtime is not running")
    if isinstance(event, str):
        event = json.loads(event)
    return _state.runtime.invoke(function_spec(self), event)


def _invoke_like_aws(self: LambdaFunction, body: Any, request_headers: Any, response_headers: Any) -> Any:
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


def _patch_lambda() -> None:
    LambdaFunction._invoke_lambda = _invoke_in_process
    LambdaFunction.invoke = _invoke_like_aws


# --- SQS: retention check in constant time --------------------------------------------------


def _retained(self: SQSBackend, queue_name: str, message: Any) -> bool:
    retention_period = int(self.get_queue(queue_name).message_retention_period)
    return bool(retention_period + message.sent_timestamp / 1000 > time.time())


def _now_millis(dt: Any = None) -> float:
    return time.time() * 1000.0 if dt is None else float(_original_unix_time_millis(dt))


def _counts(queue: Any) -> tuple[int, int, int]:
    """(visible, in flight, delayed) messages of a queue, as moto's count properties define them."""
    now = time.time() * 1000.0
    visible = in_flight = delayed = 0
    for message in queue._messages:
        is_delayed = now < message.delayed_until
        delayed += is_delayed
        if now <= message.visible_at:
            in_flight += 1
        elif not is_delayed:
            visible += 1
    return visible, in_flight, delayed


def _visible_messages(queue: Any) -> list[Any]:
    now = time.time() * 1000.0
    return [m for m in queue._messages if now > m.visible_at and not now < m.delayed_until]


_sending = threading.local()


def _counts_outside_send(queue: Any) -> tuple[int, int, int]:
    # SendMessage builds the queue's whole attribute map to read ContentBasedDeduplication from it:
    # the counts in that map are never read, and counting scans every message on the queue.
    return (0, 0, 0) if getattr(_sending, "active", False) else _counts(queue)


def _send_message(self: SQSBackend, *args: Any, **kwargs: Any) -> Any:
    _sending.active = True
    try:
        return _original_send_message(self, *args, **kwargs)
    finally:
        _sending.active = False


def _delete_message(self: Queue, receipt_handle: str) -> None:
    """moto's DeleteMessage in one pass: it scans the queue twice, building every message's list of
    receipt handles each time."""
    if receipt_handle in self.deleted_messages:
        return  # already deleted: deleting again is fine
    kept: list[Any] = []
    deleted: list[Any] = []
    for message in self._messages:
        had = message.receipt_handle == receipt_handle or receipt_handle in message._old_receipt_handles
        (deleted if had else kept).append(message)
    if not deleted:
        raise ReceiptHandleIsInvalid()
    for message in deleted:
        self.pending_messages.discard(message)
        self.deleted_messages.update(message.all_receipt_handles)
    self._messages = kept


def _patch_sqs() -> None:
    SQSBackend.is_message_valid_based_on_retention_period = _retained
    Queue.delete_message = _delete_message
    SQSBackend.send_message = _send_message
    sqs_models.unix_time_millis = _now_millis
    Queue.messages = property(_visible_messages)
    Queue.approximate_number_of_messages = property(lambda self: _counts_outside_send(self)[0])
    Queue.approximate_number_of_messages_not_visible = property(lambda self: _counts_outside_send(self)[1])
    Queue.approximate_number_of_messages_delayed = property(lambda self: _counts_outside_send(self)[2])


# --- DynamoDB: each condition expression parsed once ------------------------------------------

_parsed_conditions: dict[tuple[Any, str, str], tuple[Any, list[str], list[str]]] = {}


def _parse_condition(self: ConditionExpressionParser) -> Any:
    """moto parses a PutItem's condition twice (to validate it, then to apply it), and again for every item.

    The tree depends only on the expression and its names and values, and evaluating it reads the item
    without changing the tree, so it is kept, with the names and values the parse found.
    """
    try:
        key = (
            self.condition_expression,
            json.dumps(self.expression_attribute_names, sort_keys=True),
            json.dumps(self.expression_attribute_values, sort_keys=True),
        )
    except TypeError:  # a value JSON cannot spell (bytes): not worth keeping
        return _original_condition_parse(self)
    if key not in _parsed_conditions:
        tree = _original_condition_parse(self)  # an invalid expression raises here, and is not kept
        if len(_parsed_conditions) > 4096:
            _parsed_conditions.clear()
        _parsed_conditions[key] = (tree, list(self.expr_attr_names_found), list(self.expr_attr_values_found))
        return tree
    tree, names, values = _parsed_conditions[key]
    self.expr_attr_names_found.extend(names)
    self.expr_attr_values_found.extend(values)
    return tree


def _patch_dynamodb() -> None:
    ConditionExpressionParser.parse = _parse_condition


# --- Request handling: memoized pure helpers ------------------------------------------------


def _random_string(self: MotoRandom, length: int = 20, include_digits: bool = True, lower_case: bool = False) -> str:
    pool = string.ascii_letters + (string.digits if include_digits else "")
    text = "".join(self.choices(pool, k=length))
    return text.lower() if lower_case else text


def _random_hex(self: MotoRandom, length: int = 8) -> str:
    return "".join(self.choices(HEX_CHARS, k=length))


def _receipt_handle() -> str:
    return "".join(mock_random.choices(string.ascii_lowercase, k=185))


_STACK_SERVICES = ("dynamodb", "lambda", "sns", "sqs", "stepfunctions")
_original_urls = BaseBackend.urls.fget
_url_tables: dict[tuple[type, tuple[str, ...]], Any] = {}


def _cached_urls(self: BaseBackend) -> Any:
    key = (type(self), tuple(self.url_bases))
    if key not in _url_tables:
        _url_tables[key] = _original_urls(self)
    return _url_tables[key]


def _account_backends(self: BackendDict[Any], account_id: str) -> Any:
    # The original takes a global lock and scans a list of every backend on each lookup; an account
    # present in the dict was registered when it was created (a reset clears both together).
    if dict.__contains__(self, account_id):
        return dict.__getitem__(self, account_id)
    return _original_backend_item(self, account_id)


_dict_member_keys: dict[tuple[Any, ...], tuple[str, ...]] = {}
_ABSENT = core_utils.MISSING


def _member_of_dict(self: ResponseSerializer, value: Any, key: str, shape: Any) -> Any:
    """A response member read from a plain dict, by the keys moto's picker would try, found once per member.

    The original builds a context and six alias providers for every member of every structure, present
    or not: an execution history of 17 events costs it about 800 lookups. For a dict, which keys the
    providers propose depends only on the member's name, its shape and the shape's parent.
    """
    picker = self._value_picker
    if type(value) is not dict or type(picker) is not XFormedAttributePicker or picker.response_transformers:
        return _original_get_value(self, value, key, shape)
    member = (key, shape, getattr(shape, "parent", None), tuple(picker.alias_providers))
    keys = _dict_member_keys.get(member)
    if keys is None:
        context = AttributePickerContext(obj={}, key=key, shape=shape)
        keys = _dict_member_keys.setdefault(member, tuple(picker.get_possible_keys(context)))
    for candidate in keys:
        # A dotted key is a path into nested values: only the original knows how to follow it.
        found = (
            value.get(candidate, _ABSENT) if "." not in candidate else core_utils.get_value(value, candidate, _ABSENT)
        )
        if found is not _ABSENT:
            return found
    return None


_routes: dict[str, Any] = {}
_PASS_THROUGH = object()
_AWS_URL = re.compile(r"https?://.+\.amazonaws.com/.*")


def _find_route(clean_url: str) -> Any:
    """moto's search for a URL's handler: the service whose pattern matches, then that backend's URL table."""
    for service, pattern in backend_index.backend_url_patterns:
        if not pattern.match(clean_url):
            continue
        if passthrough_service(service):
            return _PASS_THROUGH
        if not service_whitelisted(service):
            raise ServiceNotWhitelisted(service)
        backend_dict = backends.get_backend(service)  # type: ignore[call-overload]
        if isinstance(backend_dict, BackendDict):
            regions = backend_dict[DEFAULT_ACCOUNT_ID]
            backend = regions["us-east-1"] if "us-east-1" in regions else regions["aws"]
        else:
            backend = backend_dict["global"]
        for url, method_to_execute in backend.urls.items():
            if re.compile(url).match(clean_url):
                return method_to_execute
        # No URL of that service matched: moto goes on to the next service whose pattern matches.
    return None


def _process_request(self: Any, request: Any) -> Any:
    """moto's stubber, with the handler for each URL found once rather than on every request."""
    parsed_url, _ = get_equivalent_url_in_aws_domain(request.url)
    clean_url = f"{parsed_url.scheme}://{parsed_url.netloc}{parsed_url.path}"
    if passthrough_url(clean_url):
        return None
    if clean_url not in _routes:
        _routes[clean_url] = _find_route(clean_url)
    method_to_execute = _routes[clean_url]
    if method_to_execute is _PASS_THROUGH:
        return None
    if method_to_execute is None:
        return (404, {}, "Not yet implemented") if _AWS_URL.match(clean_url) else None
    normalized_request = normalize_request(request)
    try:
        recorder._record_request(normalized_request)
        return method_to_execute(normalized_request, normalized_request.raw_url, normalized_request.headers)
    except HTTPException as e:
        return e.code, e.get_headers(), e.get_body()


def _request_from_primitives(cls: type[Request], method: str, url: str, headers: Any, body: Any = None) -> Request:
    """moto's request from botocore's parts, with the WSGI environ werkzeug's EnvironBuilder would build,
    written out: the builder's general machinery (forms, files, header objects) costs more than the request.
    Anything unusual (a chunked body, header names that must keep their spelling) goes to the original.
    """
    items = [
        (key, value.decode("utf-8") if isinstance(value, bytes) else value)
        for key, value in headers.items()
        if key.lower() != "transfer-encoding"
    ]
    data = b"" if body is None else body
    unusual = isinstance(body, AwsChunkedWrapper) or hasattr(body, "read") or not isinstance(data, bytes | str)
    if unusual or any(should_preserve_original_header_name(key) for key, _ in items):
        return _original_from_primitives(method, url, headers, body)
    data = data.encode() if isinstance(data, str) else data
    parsed = urlparse(url)
    scheme, host, _, _, _ = urlsplit(iri_to_uri(f"{parsed.scheme}://{parsed.netloc}"))
    content_type = None
    combined: dict[str, list[str]] = {}
    for key, value in items:
        name = key.lower()
        if name == "content-type":
            content_type = value if content_type is None else content_type
        elif name != "content-length":
            combined.setdefault(f"HTTP_{key.upper().replace('-', '_')}", []).append(value)
    server, has_port, port = host.partition(":")
    raw_uri = _latin1(parsed.path)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _latin1(unquote(iri_to_uri(urlsplit(parsed.path).path))),
        "QUERY_STRING": _latin1(parsed.query),
        "REQUEST_URI": raw_uri,
        "RAW_URI": raw_uri,
        "SERVER_NAME": server,
        "SERVER_PORT": port if has_port and port.isdigit() else "443" if scheme == "https" else "80",
        "HTTP_HOST": host,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": BytesIO(data),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if content_type is not None:
        if not data and content_type.startswith("multipart/form-data"):
            return _original_from_primitives(method, url, headers, body)  # the builder writes an empty form
        environ["CONTENT_TYPE"] = content_type
    # The builder sets a length for a body, or for an empty form; moto then defaults it to "0".
    environ["CONTENT_LENGTH"] = str(len(data))
    environ.update((key, ", ".join(values)) for key, values in combined.items())
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = {}
    return cls(environ)


def _latin1(text: str) -> str:
    """WSGI carries text as latin-1 decoded bytes (PEP 3333)."""
    return text.encode("utf-8").decode("latin1")


def _patch_request_handling() -> None:
    _routes.clear()
    stubber_module.BotocoreStubber.process_request = _process_request
    Request.from_primitives = classmethod(_request_from_primitives)
    BackendDict.__getitem__ = _account_backends
    ResponseSerializer.get_value = _member_of_dict
    patterns = backend_index.backend_url_patterns
    patterns.sort(key=lambda entry: entry[0] not in _STACK_SERVICES)  # stable: the rest keep their order
    BaseBackend.urls = property(_cached_urls)
    MotoRandom.get_random_string = _random_string
    MotoRandom.get_random_hex = _random_hex
    sqs_models.generate_receipt_handle = _receipt_handle
    core_responses.method_names_from_class = functools.lru_cache(maxsize=None)(core_responses.method_names_from_class)
    original = core_utils.camelcase_to_underscores
    cached = functools.lru_cache(maxsize=8192)(original)
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.") and getattr(module, "camelcase_to_underscores", None) is original:
            module.camelcase_to_underscores = cached


# --- SNS: one signing certificate per key ----------------------------------------------------


class _ReusedCertificateBuilder:
    """Records the builder calls moto makes; builds the certificate for a key once."""

    _certificates: ClassVar[dict[Any, Any]] = {}

    def __init__(self) -> None:
        self._steps: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Callable[..., _ReusedCertificateBuilder]:
        def step(*args: Any) -> _ReusedCertificateBuilder:
            self._steps.append((name, args))
            return self

        return step

    def sign(self, key: Any, algorithm: Any) -> Any:
        if key not in self._certificates:
            builder = x509.CertificateBuilder()
            for name, args in self._steps:
                builder = getattr(builder, name)(*args)
            self._certificates[key] = builder.sign(key, algorithm)
        return self._certificates[key]


def _signing_key(self: sns_models.Subscription) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=LOCAL_SIGNING_KEY_BITS)


def _patch_sns() -> None:
    sns_models.Subscription.private_key = functools.lru_cache(maxsize=None)(_signing_key)
    sns_models.cryptography = types.SimpleNamespace(
        x509=types.SimpleNamespace(
            CertificateBuilder=_ReusedCertificateBuilder, random_serial_number=x509.random_serial_number
        )
    )


# --- Step Functions: time scale, caches, completion -----------------------------------------


def _scaled_sleep(seconds: float) -> None:
    time.sleep(scaled(seconds))


def _scaled_wait_interval(self: WaitFunction, env: Any, wait_seconds: int) -> None:
    # The original re-waits until whole seconds have passed, so it is replaced, not wrapped.
    if wait_seconds > 0:
        env.program_state_event.wait(scaled(wait_seconds))


def _patch_sleeps() -> None:
    retrier_decl.time = types.SimpleNamespace(sleep=_scaled_sleep)
    WaitFunction._wait_interval = _scaled_wait_interval


def _warm_heap_keys(node: Any, seen: set[int]) -> None:
    """Heap keys are random ids assigned on first use: assign them all before threads share the tree."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, EvalComponent):
        _ = node.heap_key
    for value in vars(node).values() if hasattr(node, "__dict__") else ():
        children = value if isinstance(value, list | tuple) else value.values() if isinstance(value, dict) else (value,)
        for child in children:
            if hasattr(child, "__dict__") and type(child).__module__.startswith("moto.stepfunctions.parser.asl"):
                _warm_heap_keys(child, seen)


def _cached_program(self: ExecutionWorker) -> Any:
    definition = self._evaluation_details.state_machine_details.definition
    if definition not in _programs:
        program = AmazonStateLanguageParser.parse(definition)[0]
        _warm_heap_keys(program, set())
        _programs.setdefault(definition, program)
    return _programs[definition]


def _cached_boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    key = (region, service, boto_client.botocore_stubber.enabled)
    if key not in _clients and _state.runtime is not None:
        # Building a client reads os.environ, which the runtime changes during invocations.
        with _state.runtime.lock:
            _clients.setdefault(key, _integration_client(region, service))
    return _clients[key]


def _integration_client(region: str, service: str) -> Any:
    """As moto builds it, but unsigned (the emulator ignores signatures, and signing is most of a call's
    cost), and with its requests handed to the emulator in-process."""
    client = boto3.client(
        service,
        region_name=region,
        config=Config(
            signature_version=UNSIGNED,
            parameter_validation=False,
            retries={"max_attempts": 0, "total_max_attempts": 1},
        ),
    )
    client._endpoint = _InProcessEndpoint(client._endpoint)
    client._make_api_call = functools.partial(_integration_call, client, client._user_agent_creator.to_string())
    return client


def _integration_call(client: Any, user_agent: str, operation_name: str, api_params: dict[str, Any]) -> Any:
    """botocore's `_make_api_call`, reduced to what an integration call uses: parameter events,
    serialize, `before-call` (where faults are injected), send, parse, raise the modelled error.
    Left out: endpoint rules (one fixed endpoint per client) and `after-call` (only the SDK's retry
    accounting listens, and these clients do not retry)."""
    model = client.meta.service_model.operation_model(operation_name)
    context: dict[str, Any] = {"client_region": client.meta.region_name, "client_config": client.meta.config}
    api_params = client._emit_api_params(api_params=api_params, operation_model=model, context=context)
    request_dict = client._serializer.serialize_to_request(api_params, model)
    prepare_request_dict(request_dict, endpoint_url=client.meta.endpoint_url, user_agent=user_agent, context=context)
    service_id = client.meta.service_model.service_id.hyphenize()
    _, injected = client.meta.events.emit_until_response(
        f"before-call.{service_id}.{operation_name}",
        model=model,
        params=request_dict,
        request_signer=client._request_signer,
        context=context,
    )
    http, parsed = injected if injected is not None else client._endpoint.make_request(model, request_dict)
    if http.status_code >= 300:
        raise client.exceptions.from_code(parsed.get("Error", {}).get("Code"))(parsed, operation_name)
    return parsed


class _InProcessEndpoint:
    """A client's endpoint that gives each request straight to moto's stubber.

    botocore's endpoint would emit request-created, before-send (where moto answers), needs-retry and
    response-received for every call: the interpreter's clients never retry (the definition's Retry
    does that), nobody else listens to those events here, and the events cost more than moto's answer.
    The request and response still go through botocore's serializer and parser and moto's own handling.
    """

    def __init__(self, endpoint: Any) -> None:
        self.host = endpoint.host
        self._parsers = endpoint._response_parser_factory

    def make_request(self, operation_model: Any, request_dict: dict[str, Any]) -> tuple[Any, Any]:
        request = create_request_object(request_dict).prepare()
        answer = botocore_stubber.process_request(request)
        if answer is None:
            raise RuntimeError(f"no emulated service answers {request.url}")
        status, headers, body = answer
        http = AWSResponse(request.url, status, headers, stubber_module.MockRawResponse(body))
        response = {"headers": http.headers, "status_code": status, "context": request_dict["context"]}
        if status < 300 and operation_model.has_streaming_output:
            response["body"] = StreamingBody(http.raw, http.headers.get("content-length"))
        else:
            response["body"] = http.content
        parser = self._parsers.create_parser(operation_model.metadata["protocol"])
        return http, parser.parse(response, operation_model.output_shape)


def _start_with_completion_event(self: Execution) -> None:
    self.done = threading.Event()
    _executions[self.exec_arn] = self
    _original_start(self)


def _terminated_and_signal(self: BaseExecutionWorkerCommunication) -> None:
    try:
        _original_terminated(self)
    finally:
        self.execution.done.set()
        # moto keeps every thread it ever started in this list.
        sfn_utils.TMP_THREADS[:] = [t for t in sfn_utils.TMP_THREADS if t.is_alive()]


class _NotJson(Exception):
    pass


_JSON_SCALARS = (str, int, float, bool, type(None))


def _copy_json(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {key: _copy_json(item) for key, item in value.items()}
    if kind is list:
        return [_copy_json(item) for item in value]
    if kind in _JSON_SCALARS:
        return value
    raise _NotJson


def _deepcopy(value: Any, memo: Any = None) -> Any:
    if memo is None:
        try:
            return _copy_json(value)
        except _NotJson:
            pass
    return copy.deepcopy(value, memo)


_fast_copy_module = types.SimpleNamespace(deepcopy=_deepcopy, copy=copy.copy)


class _InlineTask:
    """Runs a Task state's work on the execution's own thread, when a thread would only be waited on."""

    def __init__(self, target: Callable[[], None], daemon: bool = True) -> None:
        self._target = target

    def start(self) -> None:
        self._target()

    def is_alive(self) -> bool:
        return False

    def join(self, timeout: float | None = None) -> None:
        return None


_task_threads = threading.local()


def _task_thread(target: Callable[[], None], daemon: bool = True) -> Any:
    inline, _task_threads.inline = getattr(_task_threads, "inline", False), False
    return _InlineTask(target) if inline else threading.Thread(target=target, daemon=daemon)


def _evaluate_inline_without_timeout(self: Any, env: Any) -> None:
    # moto runs every Task on a thread of its own so that TimeoutSeconds can cut it short; a Task
    # without TimeoutSeconds never times out, and its thread costs more than the state's own work.
    timeout = self.timeout
    _task_threads.inline = (
        type(timeout) is TimeoutSeconds and timeout.timeout_seconds == TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS
    )
    try:
        _original_evaluate_with_timeout(self, env)
    finally:
        _task_threads.inline = False


def _patch_execution_caches() -> None:
    ExecutionWorker._get_evaluation_entrypoint = _cached_program
    execute_state.Thread = _task_thread
    execute_state.ExecutionState._evaluate_with_timeout = _evaluate_inline_without_timeout
    cached_parsers = {
        parser: functools.lru_cache(maxsize=4096)(parser) for parser in (jsonpath_ng.parse, jsonpath_ng.ext.parse)
    }
    for module in _interpreter_modules():
        if getattr(module, "copy", None) is copy:
            module.copy = _fast_copy_module
        if getattr(module, "parse", None) in cached_parsers:
            module.parse = cached_parsers[module.parse]
        if getattr(module, "boto_client_for", None) is _original_boto_client_for:
            module.boto_client_for = _cached_boto_client_for
    Execution.start = _start_with_completion_event
    BaseExecutionWorkerCommunication.terminated = _terminated_and_signal
    sfn_models.StateMachine._handle_name_input_idempotency = _execution_named


def _interpreter_modules() -> list[types.ModuleType]:
    """Every module of moto's Step Functions interpreter (names imported `from x import y` live in each)."""
    import importlib
    import pkgutil

    from moto.stepfunctions.parser import asl

    found = []
    for info in pkgutil.walk_packages(asl.__path__, asl.__name__ + "."):
        try:
            found.append(importlib.import_module(info.name))
        except ImportError:  # a few LocalStack leftovers moto never imports
            continue
    return found


# Per state machine: its executions list (kept, so its id is not reused), an index of it by name,
# and how many of its executions are indexed. Not on the state machine itself: StartExecution
# deep-copies the state machine, and executions cannot be copied.
_executions_by_name: dict[int, tuple[list[Any], dict[str, Any], int]] = {}


def _execution_named(self: sfn_models.StateMachine, name: str, execution_input: str) -> Any:
    """moto's idempotency check for StartExecution, by an index rather than a scan of every execution."""
    executions = self.executions
    kept, index, indexed = _executions_by_name.get(id(executions), (executions, {}, 0))
    if kept is not executions or indexed > len(executions):
        index, indexed = {}, 0
    for execution in executions[indexed:]:
        index.setdefault(execution.name, execution)  # the first of a name, as moto's scan finds it
    _executions_by_name[id(executions)] = (executions, index, len(executions))
    execution = index.get(name)
    if execution is None:
        return None
    if execution_input == execution.execution_input and execution.status == "RUNNING":
        return execution
    raise ExecutionAlreadyExists("Execution Already Exists: '" + execution.execution_arn + "'")


def wait_for_execution(execution_arn: str, timeout: float) -> str:
    """Block until the execution ends; its status (looked up directly: moto's lookups scan every execution)."""
    execution = _executions[execution_arn]
    execution.done.wait(timeout)
    return str(getattr(execution.exec_status, "value", execution.exec_status))


# --- CloudFormation --------------------------------------------------------------------------


def _definition(properties: dict[str, Any]) -> str:
    definition = properties["DefinitionString"]
    for name, value in (properties.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + name + "}", str(value))
    return definition


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _create_state_machine(
    cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
) -> Any:
    properties = cloudformation_json["Properties"]
    return stepfunctions_parser_backends[account_id][region_name].create_state_machine(
        name=properties.get("StateMachineName", resource_name),
        definition=_definition(properties),
        roleArn=properties.get("RoleArn", ""),
        tags=[{"key": t["Key"], "value": t["Value"]} for t in properties.get("Tags", [])],
        loggingConfiguration=_camel(properties.get("LoggingConfiguration")),
        tracingConfiguration=_camel(properties.get("TracingConfiguration")),
        sm_type=properties.get("StateMachineType", "STANDARD"),
    )


def _delete_state_machine(
    cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
) -> None:
    stepfunctions_parser_backends[account_id][region_name].delete_state_machine(resource_name)


class SnsSubscription(CloudFormationModel):
    """AWS::SNS::Subscription, which moto's CloudFormation skips."""

    __module__ = "moto.localmode"  # moto's model registry derives a service name from the module

    def __init__(self, arn: str) -> None:
        self.arn = arn

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::Subscription"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> SnsSubscription:
        properties = cloudformation_json["Properties"]
        backend = sns_backends[account_id][region_name]
        subscription = backend.subscribe(properties["TopicArn"], properties["Endpoint"], properties["Protocol"])
        for name in ("FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy"):
            if name in properties:
                value = properties[name]
                text = json.dumps(value) if isinstance(value, dict | list) else str(value).lower()
                backend.set_subscription_attributes(subscription.arn, name, text)
        return cls(subscription.arn)


def _recorded_model(resource_type: str) -> type:
    """A resource moto cannot model, kept with its properties; alarms answer GetAtt Arn for dashboards."""

    def create(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        resource = cls()
        resource.name = resource_name
        resource.properties = cloudformation_json.get("Properties", {})
        resource.arn = f"arn:aws:cloudwatch:{region_name}:{account_id}:alarm:{resource_name}"
        return resource

    return type(
        "Recorded" + resource_type.replace("::", ""),
        (CloudFormationModel,),
        {
            "__module__": "moto.localmode",
            "cloudformation_type": staticmethod(lambda: resource_type),
            "cloudformation_name_type": staticmethod(lambda: ""),
            "physical_resource_id": property(lambda self: self.name),
            "has_cfn_attr": classmethod(lambda cls, attr: attr == "Arn"),
            "get_cfn_attribute": lambda self, attr: self.arn,
            "create_from_cloudformation_json": classmethod(create),
            "delete_from_cloudformation_json": classmethod(lambda cls, *args, **kwargs: None),
        },
    )


_registered: list[type] = []


def _patch_cloudformation() -> None:
    sfn_models.StateMachine.create_from_cloudformation_json = classmethod(_create_state_machine)
    sfn_models.StateMachine.delete_from_cloudformation_json = classmethod(_delete_state_machine)
    _registered.append(SnsSubscription)
    _registered.extend(_recorded_model(t) for t in RECORDED_TYPES)
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    # A resource type nobody models must fail the deployment, not vanish from it.
    warnings.filterwarnings("error", message=r"Tried to parse .* not supported by moto's CloudFormation")


def seed_ssm_parameter(account_id: str, region: str, name: str, value: str) -> None:
    """Write a parameter moto's API refuses (names under /aws/ are reserved for AWS)."""
    ssm_backends[account_id][region]._parameters[name].append(
        Parameter(
            account_id=account_id,
            name=name,
            value=value,
            parameter_type="String",
            description=None,
            allowed_pattern=None,
            keyid=None,
            last_modified_date=1.0,
            version=1,
            data_type="text",
        )
    )


def warm_up(region: str, services: tuple[str, ...]) -> None:
    """Load service models and integration clients once, before executions race to do it on many threads."""
    for service in services:
        get_service_model(service)
        _cached_boto_client_for(region, service)


def detach_event_source_mappings(account_id: str, region: str, queue_name: str) -> None:
    """Keep the mapping (its settings are read by the poller) but stop moto invoking it on SendMessage."""
    sqs_backends[account_id][region].get_queue(queue_name).lambda_event_source_mappings.clear()
