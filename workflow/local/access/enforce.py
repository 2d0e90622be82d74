"""Enforcement: every call the running system makes is authorized, and a denied one fails as AWS fails it.

Who calls (AWS acts with these identities, and so does the local mode):
- a Lambda handler's own clients: its function's execution role (the runtime knows which function
  runs on the thread);
- the state machine's integration calls: the state machine's role (`fidelity` makes each
  integration client act as the role the interpreter passes);
- Lambda's SQS poller (`workflow.local.poller`): the function's execution role ("When you use an event
  source mapping to invoke your function, Lambda uses the execution role to read event data",
  https://docs.aws.amazon.com/lambda/latest/dg/permissions-managed-policies.html);
- CloudWatch alarms, at deploy time: `cloudwatch.amazonaws.com`, with the alarm as `aws:SourceArn`.

The hooks sit on botocore's events of the application's session (`before-parameter-build` remembers
the parameters, `before-call` decides), so a denied call never reaches the emulator: the caller gets
the error code, HTTP status and message its service returns. Calls with no caller on their thread are
the local mode's own (deploying, reading the report) and are not checked. Decisions are cached per
caller, operation and resource: a run makes the same few calls thousands of times.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.awsrequest import AWSResponse

from workflow.local.access.account import DeployedAccess, Encrypted, Policy
from workflow.local.access.policy import Decision, Principal, Request, evaluate, evaluate_kms
from workflow.local.runtime import LambdaRuntime

T = TypeVar("T")

_caller = threading.local()


@contextlib.contextmanager
def acting_as(principal: Principal) -> Iterator[None]:
    """The calls made on this thread inside the block are made by `principal`."""
    previous = getattr(_caller, "principal", None)
    _caller.principal = principal
    try:
        yield
    finally:
        _caller.principal = previous


class ActingClient:
    """A client whose every call is made by one principal (the poller's, the state machine's role)."""

    def __init__(self, client: Any, principal: Principal) -> None:
        self._client = client
        self._principal = principal

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with acting_as(self._principal):
                return attribute(*args, **kwargs)

        return call


@functools.lru_cache(maxsize=256)
def function_principal(role_arn: str, function_name: str) -> Principal:
    # Lambda's sessions of an execution role are named after the function.
    return Principal.role_session(role_arn, function_name)


@dataclass(frozen=True)
class Check:
    """One authorization a call needs: the service's action on its resource, or a use of the KMS key
    that encrypts the resource (the service calls KMS on the caller's behalf)."""

    action: str
    resource: str
    policy: Policy | None  # the resource policy, or for KMS the key policy
    context: tuple[tuple[str, str], ...] = ()
    kms: bool = False


# Per service (botocore's service id): the error for a denied call and for a denied use of the key,
# (code, HTTP status), from each service's API reference and troubleshooting pages:
# - SQS "Troubleshoot access denied errors" (AccessDenied, KMS.AccessDeniedException):
#   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/troubleshooting-access-denied.html
# - SNS Publish: AuthorizationError (403), KMSAccessDenied (400):
#   https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
# - DynamoDB common errors: AccessDeniedException (400); a key the caller may not use surfaces as
#   AccessDeniedException too, with KMS's message (seen in aws/aws-cdk#10010):
#   https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html
# - Lambda common errors: AccessDeniedException (403): https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html
# - Step Functions StartExecution: AccessDeniedException (400), KmsAccessDeniedException (400):
#   https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
ERRORS: dict[str, tuple[tuple[str, int], tuple[str, int]]] = {
    "sqs": (("AccessDenied", 400), ("KMS.AccessDeniedException", 400)),
    "sns": (("AuthorizationError", 403), ("KMSAccessDenied", 400)),
    "dynamodb": (("AccessDeniedException", 400), ("AccessDeniedException", 400)),
    "lambda": (("AccessDeniedException", 403), ("AccessDeniedException", 403)),
    "sfn": (("AccessDeniedException", 400), ("KmsAccessDeniedException", 400)),
}
# What DynamoDB says when the caller may not use the table's key (aws/aws-cdk#10010).
DYNAMODB_KMS_MESSAGE = (
    "KMS key access denied error: com.amazonaws.services.kms.model.AWSKMSException: The ciphertext refers to a "
    "customer master key that does not exist, does not exist in this region, or you are not allowed to access. "
    "(Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)"
)

# Actions per operation. The batch operations need the permission of the single one ("Amazon SQS API
# permissions: Actions and resource reference",
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html).
# With each: what KMS must allow for an encrypted resource ("Key management" of SQS; "Data encryption"
# of SNS, publishers need kms:GenerateDataKey and kms:Decrypt; DynamoDB decrypts the table key on behalf
# of whoever accesses the table, AWS KMS Developer Guide "How Amazon DynamoDB uses AWS KMS"; Step
# Functions StartExecution generates a data key for the execution's input, "Data at rest encryption").
_SQS = {
    "ReceiveMessage": ("sqs:ReceiveMessage", ("kms:Decrypt",)),
    "DeleteMessage": ("sqs:DeleteMessage", ()),
    "DeleteMessageBatch": ("sqs:DeleteMessage", ()),
    "ChangeMessageVisibility": ("sqs:ChangeMessageVisibility", ()),
    "ChangeMessageVisibilityBatch": ("sqs:ChangeMessageVisibility", ()),
    "GetQueueAttributes": ("sqs:GetQueueAttributes", ()),
    "SendMessage": ("sqs:SendMessage", ("kms:GenerateDataKey", "kms:Decrypt")),
    "SendMessageBatch": ("sqs:SendMessage", ("kms:GenerateDataKey", "kms:Decrypt")),
}
_DYNAMODB = {"PutItem", "UpdateItem", "GetItem", "DeleteItem", "Query", "Scan"}


class NotDeployed(LookupError):
    """A call names a resource the stack did not deploy: the service itself answers that it does not exist."""


def _deployed_one(resources: Mapping[str, T], name: Any) -> T:
    # Only this lookup means "not ours": any other missing key is a defect, and must not let a call through.
    if name not in resources:
        raise NotDeployed(name)
    return resources[name]


class UnknownCall(RuntimeError):
    """The running system made a call no rule here knows the resource of: add one, rather than guess."""


class AccessControl:
    def __init__(self, runtime: LambdaRuntime) -> None:
        self._runtime = runtime
        self.deployed: DeployedAccess | None = None
        self._decisions: dict[tuple[Any, ...], tuple[str, int, str] | None] = {}
        self._lock = threading.Lock()
        # (caller, action, resource, error code) -> how many times it was denied.
        self.denied: Counter[tuple[str, str, str, str]] = Counter()

    def register(self, events: Any) -> None:
        """Hook into a botocore session's events (the application's session)."""
        events.register("before-parameter-build", _remember_parameters, unique_id="local-access-parameters")
        events.register("before-call", self._before_call, unique_id="local-access-check")

    def load(self, deployed: DeployedAccess) -> None:
        self.deployed = deployed
        self._decisions.clear()
        self.denied.clear()

    def decided(self) -> set[tuple[str, str, str, bool]]:
        """Every distinct call checked so far: (caller, service, operation, whether it was allowed)."""
        return {(key[0].arn, key[1], key[2], denied is None) for key, denied in self._decisions.items()}

    def caller(self) -> Principal | None:
        """Who makes a call on this thread: the function running on it, else whoever it acts as."""
        function = self._runtime.current_function()
        if function is not None and self.deployed is not None:
            role = self.deployed.function_roles.get(function.arn)
            if role is not None:
                return function_principal(role, function.name)
        principal: Principal | None = getattr(_caller, "principal", None)
        return principal

    def function_role(self, function_arn: str) -> Principal:
        deployed = self._deployed()
        return function_principal(deployed.function_roles[function_arn], function_arn.rsplit(":", 1)[-1])

    def _deployed(self) -> DeployedAccess:
        if self.deployed is None:
            raise RuntimeError("access control has not read the deployed policies yet")
        return self.deployed

    # --- The check ----------------------------------------------------------------------------

    def _before_call(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> Any:
        principal = self.caller()
        if principal is None or self.deployed is None:
            return None  # the local mode's own call
        service = model.service_model.service_id.hyphenize()
        parameters = context.get("local_access_parameters", {})
        secure = str(params.get("url", "")).startswith("https://")
        key = (principal, service, model.name, secure, *(parameters.get(name) for name in _IDENTIFYING))
        if key not in self._decisions:
            with self._lock:
                self._decisions[key] = self._decide(principal, service, model.name, parameters, secure)
        denied = self._decisions[key]
        if denied is None:
            return None
        code, status, message = denied
        self.denied[(principal.arn, model.name, str(parameters.get(_resource_name(parameters), "")), code)] += 1
        parsed = {
            "Error": {"Code": code, "Message": message, "Type": "Sender"},
            "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "local-access-denied", "HTTPHeaders": {}},
        }
        return AWSResponse(url=str(params.get("url", "")), status_code=status, headers={}, raw=None), parsed

    def _decide(
        self, principal: Principal, service: str, operation: str, parameters: dict[str, Any], secure: bool
    ) -> tuple[str, int, str] | None:
        """None if allowed, else (error code, HTTP status, message) as the service returns them."""
        deployed = self._deployed()
        base = _request_context(principal, deployed, secure)
        identity = deployed.identity_policies(next((a for a in principal.identities if ":role/" in a), ""))
        for check in self.checks(service, operation, parameters):
            request = Request.of(principal, check.action, check.resource, {**base, **dict(check.context)})
            decision: Decision = (
                evaluate_kms(request, identity, check.policy or {})
                if check.kms
                else evaluate(request, identity, check.policy)
            )
            if not decision.allowed:
                (code, status), (kms_code, kms_status) = ERRORS[service]
                if not check.kms:
                    return code, status, decision.message(request)
                message = DYNAMODB_KMS_MESSAGE if service == "dynamodb" else decision.message(request)
                return kms_code, kms_status, message
        return None

    def checks(self, service: str, operation: str, parameters: dict[str, Any]) -> list[Check]:
        """What a call needs allowed, in the order the service checks it (its own action, then the key).
        A resource the stack did not deploy is left to the service, which answers that it does not exist."""
        try:
            return self._checks(self._deployed(), service, operation, parameters)
        except NotDeployed:
            return []

    def _checks(
        self, deployed: DeployedAccess, service: str, operation: str, parameters: dict[str, Any]
    ) -> list[Check]:
        region = deployed.region
        if service == "sqs" and operation in _SQS:
            action, key_actions = _SQS[operation]
            queue = _deployed_one(deployed.queues, parameters.get("QueueUrl"))
            return [
                Check(action, queue.arn, queue.policy),
                *_key_checks(deployed, queue, key_actions, f"sqs.{region}", {"aws:sqs:arn": queue.arn}),
            ]
        if service == "sns" and operation == "Publish":
            topic = _deployed_one(deployed.topics, parameters.get("TopicArn"))
            context = {"aws:sns:topicArn": topic.arn}
            key_actions = ("kms:GenerateDataKey", "kms:Decrypt")
            return [
                Check("sns:Publish", topic.arn, topic.policy),
                *_key_checks(deployed, topic, key_actions, f"sns.{region}", context),
            ]
        if service == "dynamodb" and operation in _DYNAMODB:
            table = _deployed_one(deployed.tables, parameters.get("TableName"))
            context = {"aws:dynamodb:tableName": parameters["TableName"], "aws:dynamodb:subscriberId": deployed.account}
            return [
                Check(f"dynamodb:{operation}", table.arn, None),
                *_key_checks(deployed, table, ("kms:Decrypt",), f"dynamodb.{region}", context),
            ]
        if service == "lambda" and operation == "Invoke":
            return [Check("lambda:InvokeFunction", _function_arn(deployed, parameters), None)]
        if service == "sfn" and operation == "StartExecution":
            machine = _deployed_one(deployed.state_machines, parameters.get("stateMachineArn"))
            encrypted = Encrypted(machine.arn, None, machine.key_arn)
            context = {"aws:states:stateMachineArn": machine.arn}
            return [
                Check("states:StartExecution", machine.arn, None),
                *_key_checks(deployed, encrypted, ("kms:GenerateDataKey",), f"states.{region}", context),
            ]
        raise UnknownCall(
            f"the local mode cannot authorize {service} {operation}: no rule in workflow/local/access/enforce.py "
            "says which resource it acts on"
        )

    # --- Alarm actions ------------------------------------------------------------------------

    def alarm_action_failures(self, alarms: Iterable[tuple[str, Iterable[str]]]) -> list[str]:
        """What each alarm's history would show for each action CloudWatch could not take, as
        `cloudwatch.amazonaws.com` publishing for the alarm ("Why didn't I receive an SNS notification
        for my CloudWatch alarm trigger?",
        https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger; the key policy of
        an encrypted topic must let CloudWatch use the key: "Enable compatibility between event sources
        from AWS services and encrypted topics", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html)."""
        deployed = self._deployed()
        cloudwatch = Principal.aws_service("cloudwatch.amazonaws.com")
        failures: list[str] = []
        for alarm_arn, actions in alarms:
            for action in dict.fromkeys(actions):  # an action listed for several states is one action
                topic = deployed.topics.get(action)
                if topic is None:  # not an SNS topic of this account: not checked locally
                    continue
                context = {
                    "aws:SourceArn": alarm_arn,
                    "aws:SourceAccount": deployed.account,
                    "aws:SecureTransport": "true",
                }
                publish = evaluate(Request.of(cloudwatch, "sns:Publish", topic.arn, context), [], topic.policy)
                if not publish.allowed:
                    failures.append(
                        f'Failed to execute action {topic.arn}. Received error: "Resource: {alarm_arn} is not '
                        f'authorized to perform: SNS:Publish on resource: {topic.arn}"'
                    )
                    continue
                for check in _key_checks(
                    deployed,
                    topic,
                    ("kms:GenerateDataKey", "kms:Decrypt"),
                    f"sns.{deployed.region}",
                    {"aws:sns:topicArn": topic.arn},
                ):
                    request = Request.of(cloudwatch, check.action, check.resource, {**context, **dict(check.context)})
                    if not evaluate_kms(request, [], check.policy or {}).allowed:
                        failures.append(
                            f"Failed to execute action {topic.arn}. Received error: "
                            '"CloudWatch Alarms does not have authorization to access the SNS topic encryption key."'
                        )
                        break
        return failures


# Parameters naming the resource a call acts on (the decision cache's key).
_IDENTIFYING = ("QueueUrl", "TopicArn", "TableName", "FunctionName", "Qualifier", "stateMachineArn")


def _resource_name(parameters: dict[str, Any]) -> str:
    return next((name for name in _IDENTIFYING if name in parameters), "")


def _remember_parameters(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["local_access_parameters"] = params


def _request_context(principal: Principal, deployed: DeployedAccess, secure: bool) -> dict[str, str]:
    """The global condition keys AWS puts in every request context that the local mode knows
    ("AWS global condition context keys", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)."""
    context = {"aws:SecureTransport": "true" if secure else "false", "aws:RequestedRegion": deployed.region}
    role = next((a for a in principal.identities if ":role/" in a), None)
    if role is not None:
        context["aws:PrincipalArn"] = role
    if principal.account is not None:
        context["aws:PrincipalAccount"] = principal.account
    return context


def _key_checks(
    deployed: DeployedAccess, resource: Encrypted, actions: Iterable[str], via: str, encryption_context: dict[str, str]
) -> list[Check]:
    """Uses of the resource's key that a service makes on the caller's behalf ("AWS KMS condition keys":
    kms:ViaService, kms:CallerAccount, kms:EncryptionContext:*,
    https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html)."""
    if resource.key_arn is None:
        return []
    context = {
        "kms:ViaService": f"{via}.amazonaws.com",
        "kms:CallerAccount": deployed.account,
        **{f"kms:EncryptionContext:{name}": value for name, value in encryption_context.items()},
    }
    items = tuple(sorted(context.items()))
    policy = deployed.key_policy(resource.key_arn)
    return [Check(action, resource.key_arn, policy, items, kms=True) for action in actions]


def _function_arn(deployed: DeployedAccess, parameters: dict[str, Any]) -> str:
    """Invoke's FunctionName may be a name, an ARN or a partial ARN, and may carry a qualifier."""
    name = str(parameters["FunctionName"])
    qualifier = parameters.get("Qualifier")
    if not name.startswith("arn:"):
        short = name.rsplit(":function:", 1)[-1]
        short, _, embedded = short.partition(":")
        name = _deployed_one(deployed.function_arns, short) + (f":{embedded}" if embedded else "")
    return f"{name}:{qualifier}" if qualifier else name


def alarm_actions(resources: Iterable[tuple[str, dict[str, Any]]]) -> Iterator[tuple[str, list[str]]]:
    """Each alarm's ARN and every action it would take (alarm, OK, insufficient data)."""
    for arn, properties in resources:
        actions = [
            action
            for name in ("AlarmActions", "OKActions", "InsufficientDataActions")
            for action in properties.get(name, [])
        ]
        yield arn, actions
