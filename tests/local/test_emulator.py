"""The emulated stack as a thing of its own: what it shares between threads, and what it gives back."""

from __future__ import annotations

import base64
import gc
import json
import threading
from pathlib import Path

import pytest
import requests
from botocore.parsers import BaseJSONParser
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from moto.core.responses import BaseResponse
from moto.core.serialize import ResponseSerializer

from tests.orders import order
from workflow.local.emulator import EmulatedStack
from workflow.local.patches.speed import requests as patched_requests
from workflow.local.run import drain_queue, run


def test_clients_are_shared_and_built_while_no_handler_changes_the_environment(stack: EmulatedStack) -> None:
    built_under_lock = []
    original = stack.session.client

    def client(service: str) -> object:
        built_under_lock.append(stack.runtime.lock._is_owned())  # type: ignore[attr-defined]
        return original(service)

    stack.session.client = client
    first = stack.client("kinesis")
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(stack.client("kinesis"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert built_under_lock == [True]
    assert all(result is first for result in results)


def test_the_garbage_collector_skips_what_the_emulator_loaded_and_only_while_it_runs(assembly: Path) -> None:
    before = gc.get_threshold()
    with EmulatedStack(assembly):
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == 10_000
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_notifications_are_signed_and_the_signature_verifies_with_the_served_certificate(
    stack: EmulatedStack,
) -> None:
    run(stack, [order("ord-signed")])
    (message,) = drain_queue(stack, stack.notifications_queue_url)
    envelope = json.loads(message["Body"])
    certificate = x509.load_pem_x509_certificate(requests.get(envelope["SigningCertURL"], timeout=5).content)
    signed = "".join(
        f"{name}\n{envelope[name]}\n" for name in ("Message", "MessageId", "Timestamp", "TopicArn", "Type")
    )
    public_key = certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    # The fields moto signs (AWS adds Subject when there is one). Raises InvalidSignature unless the
    # notification was signed by the certificate's key.
    public_key.verify(base64.b64decode(envelope["Signature"]), signed.encode(), padding.PKCS1v15(), hashes.SHA256())
    assert envelope["SignatureVersion"] == "2"


def test_responses_read_from_dicts_are_what_moto_itself_would_serialize(
    stack: EmulatedStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(stack, [order("ord-same"), "not json"])
    sfn, sqs = stack.client("stepfunctions"), stack.client("sqs")

    def responses() -> list[object]:
        arns = [
            e["executionArn"]
            for e in sfn.list_executions(stateMachineArn=stack.resources.state_machine_arn)["executions"]
        ]
        read = [sfn.describe_execution(executionArn=arn) for arn in arns]
        read += [sfn.get_execution_history(executionArn=arn)["events"] for arn in arns]
        read.append(sqs.get_queue_attributes(QueueUrl=stack.resources.queue_url, AttributeNames=["All"]))
        return [_without_request_ids(response) for response in read]

    patched = responses()
    monkeypatch.setattr(ResponseSerializer, "get_value", patched_requests._original_get_value)
    monkeypatch.setattr(ResponseSerializer, "_serialize_type_structure", patched_requests._original_structure)
    monkeypatch.setattr(BaseResponse, "_enrich_response", staticmethod(patched_requests._original_enrich_response))
    monkeypatch.setattr(BaseJSONParser, "_handle_structure", patched_requests._original_json_structure)
    assert responses() == patched
    assert len(patched) == 5


def _without_request_ids(response: object) -> object:
    if isinstance(response, dict):
        return {key: value for key, value in response.items() if key != "ResponseMetadata"}
    return response
