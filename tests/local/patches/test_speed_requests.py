"""The request plumbing `speed.requests` replaces still has the shape it expects, and answers as moto's own."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import boto3
import botocore.client
import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.parsers import BaseJSONParser, JSONParser
from moto import mock_aws
from moto.core.base_backend import BackendDict
from moto.core.models import botocore_stubber
from moto.core.request import Request
from moto.core.serialize import AttributePickerContext, JSONSerializer, ResponseSerializer, XFormedAttributePicker
from moto.core.utils import get_service_model
from moto.sqs.models import sqs_backends

from tests.local.patches.helpers import parameters, table_keyed_by_k
from tests.orders import order
from workflow.local import run
from workflow.local.emulator import EmulatedStack
from workflow.local.patches.speed import requests as patch


def test_patched_request_handling_internals_keep_their_shape() -> None:
    assert parameters(patch._original_backend_item) == ["self", "account_id"]
    assert "_create_account_specific_backend" in patch._original_backend_item.__code__.co_names
    assert parameters(patch._original_process_request) == ["self", "request"]
    routing = inspect.getsource(patch._original_process_request)
    for step in (
        "for service, pattern in backend_index.backend_url_patterns:",
        "passthrough_url(clean_url)",
        "passthrough_service(service)",
        "for url, method_to_execute in backend.urls.items():",
        "recorder._record_request(normalized_request)",
        "normalized_request.raw_url",
    ):
        assert step in routing, step
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


def test_an_account_looked_up_after_a_reset_is_registered_again() -> None:
    with mock_aws():
        sqs_backends["111122223333"]["us-east-1"].create_queue("before-reset")
        BackendDict.reset()
        assert "111122223333" not in sqs_backends
        assert sqs_backends["111122223333"]["us-east-1"].queues == {}
        assert sqs_backends in BackendDict._instances


def test_patched_response_serializer_internals_keep_their_shape() -> None:
    assert parameters(patch._original_get_value) == ["self", "value", "key", "shape"]
    assert {"get_possible_keys", "response_transformers"} <= set(XFormedAttributePicker.__call__.__code__.co_names)
    assert parameters(AttributePickerContext)[:3] == ["obj", "key", "shape"]
    # The structure writer asks for each member through the member writer, which writes what get_value finds.
    writing = inspect.getsource(patch._original_structure)
    assert "for member_key, member_shape in shape.members.items():" in writing
    assert "self._serialize_structure_member(wrapper, value, member_shape, member_key)" in writing
    assert "if member_value is not None:" in inspect.getsource(patch._original_structure_member)
    # botocore's reader keeps each member whose wire name the dict holds with a value other than None.
    reading = inspect.getsource(patch._original_json_structure)
    for step in ("json_name = member_shape.serialization.get('name', member_name)", "if raw_value is not None:"):
        assert step in reading, step
    # The request id is written into a body only between <RequestId> tags.
    assert r"(?<=<RequestId>).*(?=<\/RequestId>)" in inspect.getsource(patch._original_enrich_response)


def test_structures_are_written_and_read_as_moto_and_botocore_do_member_by_member() -> None:
    """A plain dict written by the member-skipping writer and read by the member-skipping reader gives what
    moto's writer and botocore's reader give: aliased keys (snake_case), members whose value is None, a
    member the shape does not know, nested structures and lists (an execution history)."""
    operation = get_service_model("stepfunctions").operation_model("GetExecutionHistory")
    result = {
        "events": [
            {
                "id": 1,
                "previous_event_id": 0,  # read by its snake_case alias
                "type": "ExecutionStarted",
                "timestamp": "2026-01-01T00:00:00.000Z",
                "executionStartedEventDetails": {"input": "{}", "inputDetails": {"truncated": False}},
                "unknownMember": "ignored",
            },
            {
                "id": 2,
                "type": "ExecutionFailed",
                "timestamp": "2026-01-01T00:00:01.5Z",
                "nextToken": None,
                "executionFailedEventDetails": {"error": "E", "cause": None},
            },
        ],
    }

    def written_and_read(structure: Any, member_reader: Any) -> tuple[Any, Any]:
        with pytest.MonkeyPatch.context() as patched:
            patched.setattr(ResponseSerializer, "_serialize_type_structure", structure)
            patched.setattr(BaseJSONParser, "_handle_structure", member_reader)
            body = JSONSerializer(operation, value_picker=XFormedAttributePicker()).serialize(result)["body"]
            parsed = JSONParser().parse(
                {"body": body.encode(), "headers": {}, "status_code": 200}, operation.output_shape
            )
        return body, parsed

    ours = written_and_read(patch._structure_of_dict, patch._json_structure)
    theirs = written_and_read(patch._original_structure, patch._original_json_structure)
    assert ours == theirs
    events = ours[1]["events"]
    assert [e["previousEventId"] for e in events if "previousEventId" in e] == [0]
    assert events[1]["executionFailedEventDetails"] == {"error": "E"}
    # What a service may send that moto does not write: nulls, which botocore's reader leaves out.
    sent = b'{"events": [{"id": 1, "previousEventId": null, "type": "ExecutionFailed", "timestamp": 1.5}], '
    sent += b'"nextToken": null}'
    read = []
    for reader in (patch._json_structure, patch._original_json_structure):
        with pytest.MonkeyPatch.context() as patched:
            patched.setattr(BaseJSONParser, "_handle_structure", reader)
            read.append(JSONParser().parse({"body": sent, "headers": {}, "status_code": 200}, operation.output_shape))
    assert read[0] == read[1]
    assert "nextToken" not in read[0] and "previousEventId" not in read[0]["events"][0]


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
            original = patch._original_process_request(botocore_stubber, request)
            patched = patch._process_request(botocore_stubber, request)
            assert (patched[0], _without_request_ids(patched[2])) == (original[0], _without_request_ids(original[2]))
        assert "QueueUrls" in _without_request_ids(patch._process_request(botocore_stubber, reads[0])[2])
        elsewhere = AWSPreparedRequest("GET", "https://example.com/", {}, b"", stream_output=False)
        assert patch._process_request(botocore_stubber, elsewhere) is None
        unknown = AWSPreparedRequest("GET", "https://nothing.us-east-1.amazonaws.com/", {}, b"", stream_output=False)
        assert patch._process_request(botocore_stubber, unknown)[0] == 404


def test_integration_clients_get_moto_s_answers_and_errors_as_a_normal_client_does() -> None:
    with mock_aws():
        table_keyed_by_k()
        normal = boto3.client("dynamodb", region_name="us-east-1")
        integration = patch.integration_client("us-east-1", "dynamodb")
        assert isinstance(integration._endpoint, patch._InProcessEndpoint)
        put = {"TableName": "t", "Item": {"k": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(k)"}
        assert integration.put_item(**put)["ResponseMetadata"]["HTTPStatusCode"] == 200
        errors = []
        for client in (integration, normal):
            with pytest.raises(client.exceptions.ConditionalCheckFailedException) as raised:
                client.put_item(**put)
            errors.append((raised.value.response["Error"], raised.value.response["ResponseMetadata"]["HTTPStatusCode"]))
        assert errors[0] == errors[1]
        assert integration.get_item(TableName="t", Key={"k": {"S": "a"}})["Item"] == {"k": {"S": "a"}}


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
        built = patch._request_from_primitives(Request, method, url, headers, body)
        original = patch._original_from_primitives(method, url, headers, body)
        assert _environ(built) == _environ(original), url


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-29T20:49:36.795Z",  # as Step Functions' history holds them
        "2026-11-29T20:49:36Z",
        "2026-11-29T20:49:36.123456+02:00",
        "2026-11-29T20:49:36.795-05:30",
        "2026-11-29T20:49:36.795",  # not the one form: botocore's own parser
        "2026-11-29",
        "1764449376",
    ],
)
def test_timestamps_are_written_as_botocore_s_parser_reads_them(text: str) -> None:
    from moto.core.serialize import TimestampSerializer

    from workflow.local.patches.speed.requests import _aware_datetime, _original_aware_datetime

    ours, theirs = _aware_datetime(text), _original_aware_datetime(text)
    assert ours == theirs
    assert ours.utcoffset() == theirs.utcoffset()
    writer = TimestampSerializer("iso8601")
    for form in ("iso8601", "unixtimestamp", "rfc822"):
        converter = getattr(writer, f"_timestamp_{form}")
        assert converter(ours) == converter(theirs)
