"""The emulated stack as a thing of its own: what it shares between threads, and what it gives back."""

from __future__ import annotations

import base64
import gc
import json
import threading
from pathlib import Path

import botocore.session
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
    collections: list[int] = []

    def collected(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    stack = EmulatedStack(assembly)
    gc.callbacks.append(collected)
    try:
        with stack:
            deploying = list(collections)  # what ran while the stack was deployed
            assert gc.isenabled()
            assert gc.get_freeze_count() > 0
            assert gc.get_threshold()[0] == 10_000
    finally:
        gc.callbacks.remove(collected)
    assert deploying == []
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
    assert gc.isenabled()
    # A caller that had the collector off finds it off again.
    gc.disable()
    try:
        with EmulatedStack(assembly):
            assert gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_code_running_as_a_function_gets_a_session_of_its_own_on_the_application_s_hooks(
    assembly: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The starter creates its client from `botocore.session.get_session()`: its calls must meet the application's
    hooks (faults, access, the run's ledger) while its settings stay its own, as every session's on AWS; code
    that is not a function's, and everything after the emulator, gets botocore's own sessions."""
    original = botocore.session.get_session
    with EmulatedStack(assembly, time_scale=0.0001) as stack:
        hooks = stack.application_session._session._original_handler
        assert botocore.session.get_session()._original_handler is not hooks
        monkeypatch.setattr(stack.runtime, "current_function", lambda: "a function's thread")
        inside = botocore.session.get_session()
        assert inside._original_handler is hooks
        inside.set_config_variable("region", "eu-west-1")
        assert stack.application_session.region_name == "us-east-1"
    assert botocore.session.get_session is original


def test_a_failed_deployment_leaves_the_process_as_it_found_it(assembly: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original, collecting = botocore.session.get_session, gc.isenabled()

    def refuse(self: EmulatedStack) -> None:
        raise RuntimeError("deployment refused")

    monkeypatch.setattr(EmulatedStack, "_deploy", refuse)
    with pytest.raises(RuntimeError, match="deployment refused"), EmulatedStack(assembly, time_scale=0.0001):
        pass
    assert botocore.session.get_session is original
    assert gc.isenabled() == collecting


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
