"""Fault injection: make a share of the application's AWS calls fail as AWS fails them.

It hooks into botocore (`before-call`), so it reaches every call the application makes: those
of the state machine's service integrations and those of the handlers' own clients. The calls the
local mode itself makes (deploying, Lambda's SQS poller, reading the report) are not touched.
A failed call gets the error code and HTTP status AWS returns for throttling or an internal
failure, so the definition's Retry lists and the handlers see what they would see on AWS.

One more kind of trouble is not a failed call: an asynchronous Express workflow runs at least once,
so AWS may run an execution twice (`express=SHARE`, applied by the emulator's StartExecution).
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse

# What `--faults` names (botocore's service ids) and, for the calls the application makes there, the
# errors each API reference documents for throttling and internal failures (code, HTTP status):
# - dynamodb, PutItem and UpdateItem: ProvisionedThroughputExceededException, RequestLimitExceeded and
#   ThrottlingException (400), InternalServerError (500), ServiceUnavailable (503) ("Error handling with
#   DynamoDB", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html).
# - sns, Publish: InternalError (500) and, the topics being KMS-encrypted, KMSThrottling (400) (Amazon SNS
#   API Reference, Publish, https://docs.aws.amazon.com/sns/latest/api/API_Publish.html, which lists no
#   Throttled for Publish); ThrottlingException (400), InternalFailure (500), ServiceUnavailable (503)
#   ("Common Error Types", https://docs.aws.amazon.com/sns/latest/api/CommonErrors.html).
# - lambda, Invoke: TooManyRequestsException (429), ServiceException (500) (AWS Lambda API Reference,
#   Invoke, https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
# - sfn, StartExecution: ThrottlingException (400), InternalFailure (500), ServiceUnavailable (503)
#   (common errors) and, the state machine being KMS-encrypted, KmsThrottlingException (400) (AWS Step
#   Functions API Reference, StartExecution, https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
SERVICES: dict[str, tuple[tuple[str, int], ...]] = {
    "dynamodb": (
        ("ProvisionedThroughputExceededException", 400),
        ("RequestLimitExceeded", 400),
        ("ThrottlingException", 400),
        ("InternalServerError", 500),
        ("ServiceUnavailable", 503),
    ),
    "sns": (
        ("ThrottlingException", 400),
        ("KMSThrottling", 400),
        ("InternalError", 500),
        ("InternalFailure", 500),
        ("ServiceUnavailable", 503),
    ),
    "lambda": (("TooManyRequestsException", 429), ("ServiceException", 500)),
    "sfn": (
        ("ThrottlingException", 400),
        ("KmsThrottlingException", 400),
        ("InternalFailure", 500),
        ("ServiceUnavailable", 503),
    ),
}
# The share of an Express workflow's starts that run twice: AWS runs an asynchronous Express execution
# "at least once" ("Execution guarantees",
# https://docs.aws.amazon.com/step-functions/latest/dg/express-at-least-once-execution.html).
EXPRESS_TWICE = "express"
STARTED_TWICE = f"{EXPRESS_TWICE}:StartedTwice"


def parse_rates(text: str) -> dict[str, float]:
    """`dynamodb=0.2,sns=0.2` -> {"dynamodb": 0.2, "sns": 0.2}, with a clear error for anything else."""
    rates: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep or name not in (*SERVICES, EXPRESS_TWICE):
            raise ValueError(
                f"--faults: {part!r} is not SERVICE=SHARE with SERVICE one of {', '.join(SERVICES)}, {EXPRESS_TWICE}"
            )
        try:
            share = float(value)
        except ValueError:
            raise ValueError(f"--faults: {part!r}: the share must be a number from 0 to 1") from None
        if not 0 <= share <= 1:
            raise ValueError(f"--faults: {part!r}: the share must be a number from 0 to 1")
        rates[name] = share
    return rates


_PARAMETERS = "local-faults-parameters"


def call_subject(operation: str, params: dict[str, Any]) -> str | None:
    """The order a call is about, from its parameters: the execution StartExecution names, the key of the item
    PutItem or UpdateItem writes, the order a notification or the validator's payload carries."""
    if operation == "StartExecution":
        return str(params.get("name"))
    if operation in ("PutItem", "UpdateItem"):
        key = (params.get("Item") or params.get("Key") or {}).get("orderKey")
        return str(key.get("S") if isinstance(key, dict) else key)
    if operation == "Publish":
        attribute = (params.get("MessageAttributes") or {}).get("orderKey") or {}
        return str(attribute.get("StringValue") or params.get("Subject"))
    if operation == "Invoke":
        try:
            payload = json.loads(params.get("Payload") or b"null")
        except ValueError:
            return None
        message = payload.get("message") if isinstance(payload, dict) else None
        return str(message.get("orderKey")) if isinstance(message, dict) else None
    return None


@dataclass
class FaultInjector:
    """Decides, call by call and reproducibly for a seed, which application calls fail.

    Each decision is drawn from the seed, the call (service, operation, the order it is about) and how many
    such calls came before it: never from one sequence shared by every call, whose order depends on how
    the emulator's threads (one per execution) happen to be scheduled. The same file, seed and shares thus
    fail the same calls of the same orders, run after run."""

    rates: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    injected: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._starts: Counter[str] = Counter()
        self._calls: Counter[tuple[str, str, str | None]] = Counter()

    def configure(self, rates: dict[str, float], seed: int) -> None:
        with self._lock:
            self.rates = dict(rates)
            self.seed = seed
            self._starts.clear()
            self._calls.clear()

    def runs_twice(self, execution_name: str) -> bool:
        """Whether this start of an Express execution runs twice: drawn per name and per start of that name."""
        with self._lock:
            share = self.rates.get(EXPRESS_TWICE, 0.0)
            if not share:
                return False
            nth = self._starts[execution_name]
            self._starts[execution_name] += 1
            twice = random.Random(f"{self.seed}:{execution_name}:{nth}").random() < share
            if twice:
                self.injected[STARTED_TWICE] += 1
            return twice

    def register(self, events: Any) -> None:
        """Hook into a botocore session's (or client's) event system."""
        for name in SERVICES:
            # The API parameters (which name the order) are seen before they are serialized; the request's
            # context carries them to the hook that decides.
            events.register(
                f"before-parameter-build.{name}", _keep_parameters, unique_id=f"local-faults-subject-{name}"
            )
            events.register(f"before-call.{name}", self._hook(name), unique_id=f"local-faults-{name}")

    def _hook(self, name: str) -> Any:
        def before_call(
            model: Any, context: dict[str, Any], **kwargs: Any
        ) -> tuple[AWSResponse, dict[str, Any]] | None:
            share = self.rates.get(name, 0.0)
            if not share:
                return None
            call = (name, model.name, call_subject(model.name, context.get(_PARAMETERS, {})))
            with self._lock:
                nth = self._calls[call]
                self._calls[call] += 1
            draw = random.Random(f"{self.seed}:{name}:{model.name}:{call[2]}:{nth}")
            if draw.random() >= share:
                return None
            code, status = draw.choice(SERVICES[name])
            with self._lock:
                self.injected[f"{name}:{code}"] += 1
            message = "Rate exceeded" if status < 500 else "We encountered an internal error. Please try again."
            parsed = {
                "Error": {"Code": code, "Message": message},
                "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "local-fault", "HTTPHeaders": {}},
            }
            return AWSResponse(url="", status_code=status, headers={}, raw=None), parsed

        return before_call

    def summary(self) -> dict[str, int]:
        return dict(sorted(self.injected.items()))


def _keep_parameters(params: dict[str, Any], model: Any, context: dict[str, Any], **kwargs: Any) -> None:
    # Only kept: what the call is about is worked out when a fault may be drawn, not on every call.
    context[_PARAMETERS] = params
