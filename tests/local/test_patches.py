"""The moto internals the local mode patches are still where, and what, the patches expect.

When a moto upgrade moves one of them, this file fails first and says which.
"""

from __future__ import annotations

import inspect
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import botocore.client
import moto
import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.cloudformation import parsing
from moto.core.base_backend import BackendDict
from moto.core.models import botocore_stubber
from moto.core.request import Request
from moto.core.serialize import AttributePickerContext, XFormedAttributePicker
from moto.core.utils import get_service_model
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.sns import models as sns_models
from moto.sqs.models import Message, Queue, SQSBackend, sqs_backends
from moto.ssm.models import SimpleSystemManagerBackend
from moto.stepfunctions import models as sfn_models
from moto.stepfunctions.parser import utils as sfn_utils
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringJsonPath
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds, TimeoutSecondsPath
from moto.stepfunctions.parser.asl.component.state.exec import execute_state
from moto.stepfunctions.parser.asl.utils import boto_client

from tests.orders import order
from workflow.local import patches, run
from workflow.local.emulator import EmulatedStack
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


def test_patched_request_routing_condition_parsing_and_send_internals_keep_their_shape() -> None:
    assert parameters(patches._original_process_request) == ["self", "request"]
    routing = inspect.getsource(patches._original_process_request)
    for step in (
        "for service, pattern in backend_index.backend_url_patterns:",
        "passthrough_url(clean_url)",
        "passthrough_service(service)",
        "for url, method_to_execute in backend.urls.items():",
        "recorder._record_request(normalized_request)",
        "normalized_request.raw_url",
    ):
        assert step in routing, step
    assert parameters(patches._original_condition_parse) == ["self"]
    found = {"expr_attr_names_found", "expr_attr_values_found"}
    assert found <= set(ConditionExpressionParser.__init__.__code__.co_names)
    # SendMessage reads one attribute of the map it builds; the counts in it are skipped there.
    sending = inspect.getsource(patches._original_send_message)
    assert sending.count(".attributes") == 1
    assert 'queue.attributes.get("ContentBasedDeduplication")' in sending
    # An integration client's own `_make_api_call` is what its operation methods call.
    assert "self._make_api_call(operation_name, kwargs)" in inspect.getsource(
        botocore.client.ClientCreator._create_api_method
    )
    # What the integration clients' call path keeps of botocore's.
    calling = inspect.getsource(botocore.client.BaseClient._make_api_call)
    for step in (
        "self._emit_api_params(",
        "f'before-call.{service_id}.{operation_name}'",
        "self._make_request(",
        "self.exceptions.from_code(error_code)",
    ):
        assert step in calling, step


def _captured_requests(calls: dict[str, Any]) -> list[Any]:
    """The prepared requests botocore sends for some calls (moto answers them as usual)."""
    requests: list[Any] = []
    session = boto3.Session(region_name="us-east-1")
    session.events.register_first("before-send", lambda request, **kwargs: requests.append(request))
    for service, call in calls.items():
        call(session.client(service))
    return requests


def _without_request_ids(body: Any) -> str:
    text = body.decode() if isinstance(body, bytes) else str(body)
    return re.sub(r"<RequestId>[^<]*</RequestId>", "", text)


def test_routing_each_url_once_answers_as_moto_routes_every_request() -> None:
    with mock_aws():
        boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="q")
        boto3.client("sns", region_name="us-east-1").create_topic(Name="t")
        reads = _captured_requests(
            {
                "sqs": lambda c: c.list_queues(),
                "dynamodb": lambda c: c.list_tables(),
                "sns": lambda c: c.list_topics(),
                "lambda": lambda c: c.list_functions(),
                "stepfunctions": lambda c: c.list_state_machines(),
            }
        )
        assert len(reads) == 5
        for request in reads * 2:  # the second time, from the table of URLs already seen
            original = patches._original_process_request(botocore_stubber, request)
            patched = patches._process_request(botocore_stubber, request)
            assert (patched[0], _without_request_ids(patched[2])) == (original[0], _without_request_ids(original[2]))
        assert "QueueUrls" in _without_request_ids(patches._process_request(botocore_stubber, reads[0])[2])
        elsewhere = AWSPreparedRequest("GET", "https://example.com/", {}, b"", stream_output=False)
        assert patches._process_request(botocore_stubber, elsewhere) is None
        unknown = AWSPreparedRequest("GET", "https://nothing.us-east-1.amazonaws.com/", {}, b"", stream_output=False)
        assert patches._process_request(botocore_stubber, unknown)[0] == 404


def _table_keyed_by_k() -> str:
    boto3.client("dynamodb", region_name="us-east-1").create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return "t"


def test_a_kept_condition_expression_still_sees_each_write_its_own_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ConditionExpressionParser, "parse", patches._parse_condition)
    monkeypatch.setattr(patches, "_parsed_conditions", {})
    with mock_aws():
        table = boto3.resource("dynamodb", region_name="us-east-1").Table(_table_keyed_by_k())
        new_only = {"ConditionExpression": "attribute_not_exists(k)"}
        table.put_item(Item={"k": "a", "status": "OPEN"}, **new_only)
        with pytest.raises(ClientError, match="ConditionalCheckFailed"):
            table.put_item(Item={"k": "a", "status": "OPEN"}, **new_only)
        table.put_item(Item={"k": "b", "status": "OPEN"}, **new_only)

        def close_if(status: str) -> None:
            table.put_item(
                Item={"k": "a", "status": "CLOSED"},
                ConditionExpression="#s = :expected",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":expected": status},
            )

        with pytest.raises(ClientError, match="ConditionalCheckFailed"):
            close_if("PAID")
        close_if("OPEN")
        assert table.get_item(Key={"k": "a"})["Item"]["status"] == "CLOSED"
        # Names a kept parse found are still checked against those the request declares, every time.
        for _ in range(2):
            with pytest.raises(ClientError, match=re.escape("unused in expressions: keys: {#unused}")):
                table.put_item(Item={"k": "c"}, **new_only, ExpressionAttributeNames={"#unused": "x"})
        # One kept parse per expression, names and values: the two statuses are two entries.
        assert len(patches._parsed_conditions) == 4


def test_sending_a_message_does_not_count_the_queue_and_its_counts_stay_right(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(SQSBackend, "send_message", patches._send_message)
    for name, index in (
        ("approximate_number_of_messages", 0),
        ("approximate_number_of_messages_not_visible", 1),
        ("approximate_number_of_messages_delayed", 2),
    ):
        monkeypatch.setattr(Queue, name, property(lambda queue, i=index: patches._counts_outside_send(queue)[i]))
    counted: list[int] = []
    original_counts = patches._counts
    monkeypatch.setattr(patches, "_counts", lambda queue: counted.append(1) or original_counts(queue))
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        for i in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=str(i))
        sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
        assert counted == []
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "2"
        assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
        assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"
        assert counted


def test_integration_clients_get_moto_s_answers_and_errors_as_a_normal_client_does() -> None:
    with mock_aws():
        _table_keyed_by_k()
        normal = boto3.client("dynamodb", region_name="us-east-1")
        integration = patches._integration_client("us-east-1", "dynamodb")
        assert isinstance(integration._endpoint, patches._InProcessEndpoint)
        put = {"TableName": "t", "Item": {"k": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(k)"}
        assert integration.put_item(**put)["ResponseMetadata"]["HTTPStatusCode"] == 200
        errors = []
        for client in (integration, normal):
            with pytest.raises(client.exceptions.ConditionalCheckFailedException) as raised:
                client.put_item(**put)
            errors.append((raised.value.response["Error"], raised.value.response["ResponseMetadata"]["HTTPStatusCode"]))
        assert errors[0] == errors[1]
        assert integration.get_item(TableName="t", Key={"k": {"S": "a"}})["Item"] == {"k": {"S": "a"}}


def test_start_execution_finds_an_execution_of_the_same_name_as_moto_s_scan_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert parameters(patches._original_execution_named) == ["self", "name", "execution_input"]
    monkeypatch.setattr(sfn_models.StateMachine, "_handle_name_input_idempotency", patches._execution_named)
    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        machine = sfn.create_state_machine(
            name="m",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
            roleArn="arn:aws:iam::123456789012:role/r",
        )["stateMachineArn"]

        def start(name: str, document: str = "{}") -> str:
            return str(sfn.start_execution(stateMachineArn=machine, name=name, input=document)["executionArn"])

        first = start("order-1")
        for i in range(2, 50):
            start(f"order-{i}")
        assert start("order-1") == first  # same name, same input, still running: the same execution
        with pytest.raises(sfn.exceptions.ExecutionAlreadyExists, match="order-1"):
            start("order-1", '{"other": 1}')
        sfn.stop_execution(executionArn=first)
        with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
            start("order-1")
        assert start("order-50") != first


def _environ(request: Any) -> dict[str, Any]:
    environ = dict(request.environ)
    environ["wsgi.input"] = environ["wsgi.input"].read()
    del environ["werkzeug.request"]  # the request object itself
    return environ


def test_requests_are_built_with_the_environ_werkzeug_builds(assembly: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request a local run makes (deploying, sending, polling, the workflow, reading back)."""
    seen: list[tuple[Any, ...]] = []
    patched = Request.from_primitives.__func__  # type: ignore[attr-defined]

    def recording(cls: type[Request], method: str, url: str, headers: Any, body: Any = None) -> Request:
        seen.append((method, url, dict(headers), body))
        return patched(cls, method, url, headers, body)

    with EmulatedStack(assembly, time_scale=0.0001) as stack:
        monkeypatch.setattr(Request, "from_primitives", classmethod(recording))
        report = run.run(stack, [order("ord-environ"), "not json"])
    assert report["summary"]["accepted"] == 1
    assert {url.split("/")[2].split(".")[0] for _, url, _, _ in seen} >= {"sqs", "lambda", "states", "dynamodb", "sns"}
    for method, url, headers, body in seen:
        built = patches._request_from_primitives(Request, method, url, headers, body)
        original = patches._original_from_primitives(method, url, headers, body)
        assert _environ(built) == _environ(original), url


def test_deleting_a_message_by_any_of_its_receipt_handles_as_moto_does(monkeypatch: pytest.MonkeyPatch) -> None:
    source = inspect.getsource(patches._original_delete_message)
    assert "message.had_receipt_handle(receipt_handle)" in source
    assert "self.deleted_messages.update(message.all_receipt_handles)" in source
    monkeypatch.setattr(Queue, "delete_message", patches._delete_message)
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
        for body in ("a", "b"):
            sqs.send_message(QueueUrl=url, MessageBody=body)
        first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
        again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]  # new handles, same messages
        stale = next(m["ReceiptHandle"] for m in first if m["Body"] == "a")
        sqs.delete_message(QueueUrl=url, ReceiptHandle=stale)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=next(m["ReceiptHandle"] for m in again if m["Body"] == "a"))
        with pytest.raises(ClientError, match="ReceiptHandleIsInvalid"):
            sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
        left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
        assert [m["Body"] for m in left] == ["b"]
