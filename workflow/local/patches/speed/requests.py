# mypy: disable-error-code="method-assign,assignment,arg-type,attr-defined"
# (This module assigns to moto's classes on purpose: that is what a patch is.)
"""Request plumbing: how a call reaches moto's handler and its answer is written, with the same answers.

- moto's request stubber searches every service's URL patterns, then the service's URL table, for
  every request: find each URL's handler once (and each backend's URL table once).
- moto builds each request's WSGI environ with werkzeug's general-purpose EnvironBuilder: build the
  same environ directly.
- Every lookup of a service's backend takes a global lock and scans a list of all backends: look up an
  account already there directly.
- moto's response serializer builds six alias providers for every member of every structure it writes,
  present or not: for plain dicts, find each member's candidate keys once, and visit only the members
  whose keys the dict holds (a history event's structure has 41 members, of which it holds 5 or 6).
- botocore's JSON parser, likewise, tries every member of a structure on each value it reads: for a
  plain dict, read only the members whose names it holds, in the same order.
- moto's response serializer reads every timestamp it writes with botocore's general parser (dateutil's,
  for the ISO 8601 text Step Functions' history holds: most of reading a history back): text in the
  one ISO 8601 form is read with `datetime.fromisoformat`, to the same instant and offset.
- moto looks for an XML `<RequestId>` in every response body with a regular expression whose lookbehind
  tries each character (a third of a millisecond for a history): only in bodies that hold the tag.
- moto's random ids and per-request reflection (method names, camel-case conversion): cheaper, cached.
- The interpreter's integration calls go through botocore's full pipeline of events, endpoint rules and
  retries to reach moto in the same process: serialize them, let `before-call` hooks (fault injection)
  see them, and hand them to moto's stubber directly, unsigned.
"""

from __future__ import annotations

import functools
import re
import string
import sys
from datetime import UTC, datetime
from io import BytesIO
from typing import Any
from urllib.parse import unquote, urlparse, urlsplit

import boto3
from botocore import UNSIGNED
from botocore.awsrequest import AWSResponse, create_request_object, prepare_request_dict
from botocore.config import Config
from botocore.parsers import BaseJSONParser
from botocore.response import StreamingBody
from moto import backend_index, backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core import botocore_stubber as stubber_module
from moto.core import responses as core_responses
from moto.core import serialize as serialize_module
from moto.core import utils as core_utils
from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.config import passthrough_service, passthrough_url, service_whitelisted
from moto.core.exceptions import HTTPException, ServiceNotWhitelisted
from moto.core.models import botocore_stubber
from moto.core.request import (
    PRESERVED_HEADER_NAMES_ENVIRON_KEY,
    AwsChunkedWrapper,
    Request,
    normalize_request,
    should_preserve_original_header_name,
)
from moto.core.serialize import AttributePickerContext, ResponseSerializer, XFormedAttributePicker
from moto.core.utils import get_equivalent_url_in_aws_domain
from moto.moto_api import recorder
from moto.moto_api._internal import mock_random
from moto.moto_api._internal.moto_random import HEX_CHARS, MotoRandom
from moto.sqs import models as sqs_models
from werkzeug.urls import iri_to_uri

_original_backend_item = BackendDict.__getitem__
_original_get_value = ResponseSerializer.get_value
_original_structure = ResponseSerializer._serialize_type_structure
_original_structure_member = ResponseSerializer._serialize_structure_member
_original_from_primitives = Request.from_primitives
_original_json_structure = BaseJSONParser._handle_structure
_original_enrich_response = core_responses.BaseResponse._enrich_response
# Kept to check, in tests, that what is replaced still has the shape the replacements assume.
_original_process_request = stubber_module.BotocoreStubber.process_request


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
_original_aware_datetime = serialize_module.parse_to_aware_datetime
# Date, time, optional fraction, and Z or an offset: what `datetime.fromisoformat` reads as dateutil does.
_ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6})?(Z|[+-]\d{2}:\d{2})")


def _aware_datetime(value: Any) -> datetime:
    """botocore's `parse_to_aware_datetime` (the instant, in UTC), without dateutil for ISO 8601 text."""
    if type(value) is str and _ISO_8601.fullmatch(value):
        parsed = datetime.fromisoformat(value)
        return parsed.astimezone(UTC) if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    result: datetime = _original_aware_datetime(value)
    return result


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
    if not _simple_picker(self, value):
        return _original_get_value(self, value, key, shape)
    for candidate in _candidate_keys(self._value_picker, key, shape):
        # A dotted key is a path into nested values: only the original knows how to follow it.
        found = (
            value.get(candidate, _ABSENT) if "." not in candidate else core_utils.get_value(value, candidate, _ABSENT)
        )
        if found is not _ABSENT:
            return found
    return None


def _simple_picker(self: ResponseSerializer, value: Any) -> bool:
    """Whether `_member_of_dict` answers for this value (a plain dict, read by moto's usual picker)."""
    picker = self._value_picker
    return type(value) is dict and type(picker) is XFormedAttributePicker and not picker.response_transformers


def _candidate_keys(picker: Any, key: str, shape: Any) -> tuple[str, ...]:
    member = (key, shape, getattr(shape, "parent", None), tuple(picker.alias_providers))
    keys = _dict_member_keys.get(member)
    if keys is None:
        context = AttributePickerContext(obj={}, key=key, shape=shape)
        keys = _dict_member_keys.setdefault(member, tuple(picker.get_possible_keys(context)))
    return keys


# Per structure shape (and picker): which members each dict key may fill, and the members a dotted key
# (a path into nested values) may fill whatever the dict's own keys.
_Plan = tuple[tuple[tuple[str, Any], ...], dict[str, tuple[int, ...]], frozenset[int]]
_structure_plans: dict[tuple[Any, ...], _Plan] = {}


def _structure_of_dict(self: ResponseSerializer, serialized: Any, value: Any, shape: Any, key: str) -> None:
    """moto's structure serializer for a plain dict, visiting only the members some key of the dict may fill.

    A member none of whose candidate keys the dict holds is one `_member_of_dict` answers None for, which
    the original then skips: skipping it here writes the same response. Only for serializers whose member
    writer is moto's plain one (REST serializers do more per member, present or not)."""
    if not _simple_picker(self, value) or type(self)._serialize_structure_member is not _original_structure_member:
        _original_structure(self, serialized, value, shape, key)
        return
    plan_key = (shape, tuple(self._value_picker.alias_providers))
    plan = _structure_plans.get(plan_key)
    if plan is None:
        members = tuple(shape.members.items())
        by_key: dict[str, tuple[int, ...]] = {}
        dotted: set[int] = set()
        for index, (member_key, member_shape) in enumerate(members):
            member_shape.parent = shape
            for candidate in _candidate_keys(self._value_picker, member_key, member_shape):
                if "." in candidate:
                    dotted.add(index)
                by_key[candidate] = (*by_key.get(candidate, ()), index)
        plan = _structure_plans.setdefault(plan_key, (members, by_key, frozenset(dotted)))
    members, by_key, dotted = plan
    present = set(dotted)
    for name in value:
        present.update(by_key.get(name, ()))
    wrapper: Any = self.MAP_TYPE() if key else serialized
    for index in sorted(present):
        member_key, member_shape = members[index]
        member_shape.parent = shape
        self._serialize_structure_member(wrapper, value, member_shape, member_key)
    if key:
        self._default_serialize(serialized, wrapper, shape, key)


def _enrich_response(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
    """moto's request id for the headers; the body's own written in only where it has the tag for it."""
    if type(body) is str and "<RequestId>" not in body:
        headers, _ = _original_enrich_response(headers, "")
        return headers, body
    result: tuple[dict[str, str], Any] = _original_enrich_response(headers, body)
    return result


# Per structure shape: each member's name on the wire, with its place among the members and its name.
_json_members: dict[Any, dict[str, tuple[int, str]] | None] = {}


def _json_structure(self: BaseJSONParser, shape: Any, value: Any) -> Any:
    """botocore's JSON structure reader for a plain dict, reading only the members the dict holds.

    The original tries every member (a history event's structure has 41) and keeps those whose
    wire name the dict holds with a value other than None: the same members, read in the same order
    (the members' order), with the same parser. Document types, tagged unions and anything else go to
    the original."""
    if type(value) is not dict or shape.is_document_type or shape.is_tagged_union:
        return _original_json_structure(self, shape, value)
    names = _json_members.get(shape, ())
    if names == ():
        found = {
            member_shape.serialization.get("name", name): (index, name)
            for index, (name, member_shape) in enumerate(shape.members.items())
        }
        # Two members read from one wire name (no model has them): the original's way, always.
        names = _json_members.setdefault(shape, found if len(found) == len(shape.members) else None)
    if names is None:
        return _original_json_structure(self, shape, value)
    members = shape.members
    present = sorted((names[key], key) for key, raw in value.items() if raw is not None and key in names)
    return {name: self._parse_shape(members[name], value[key]) for (_, name), key in present}


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


def install() -> None:
    _routes.clear()
    stubber_module.BotocoreStubber.process_request = _process_request
    Request.from_primitives = classmethod(_request_from_primitives)
    BackendDict.__getitem__ = _account_backends
    ResponseSerializer.get_value = _member_of_dict
    ResponseSerializer._serialize_type_structure = _structure_of_dict
    BaseJSONParser._handle_structure = _json_structure
    core_responses.BaseResponse._enrich_response = staticmethod(_enrich_response)
    serialize_module.parse_to_aware_datetime = _aware_datetime
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


def integration_client(region: str, service: str) -> Any:
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
