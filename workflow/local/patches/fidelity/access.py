# mypy: disable-error-code="method-assign,assignment,attr-defined,no-any-return,misc,arg-type"
# (This module assigns to moto's classes on purpose: that is what a patch is.)
"""The moto internals that access control (`workflow.local.access`) needs patched, each kept with the
`_original_*` it replaces:

- moto's CloudFormation records `AWS::SQS::QueuePolicy` and `AWS::SNS::TopicPolicy` without applying
  them: apply each to its queues or topics, so GetQueueAttributes/GetTopicAttributes return it. A
  topic policy replaces SNS's default one ("Amazon SNS access control": the topic owner's policy is
  the topic's whole access policy; CloudFormation's TopicPolicy sets the topic's `Policy` attribute).
- moto's CloudFormation keeps a key policy as a JSON object where KMS keeps text (moto's own KMS
  calls then fail on it): keep its text. It drops the table's `SSESpecification` (it reads `Enabled`
  where CloudFormation writes `SSEEnabled`) and a log group's `KmsKeyId` (it reads `kmsKeyId`): keep
  them, so the services report the keys that encrypt them (the state machine's `EncryptionConfiguration`
  is passed by the local mode's own handler, `cloudformation`).
- CloudWatch Logs must be allowed by the key policy to use a log group's key, or creating the log
  group fails; SNS delivers to an SQS subscription only if the queue's policy (and its key's policy)
  allow `sns.amazonaws.com`, and drops the message otherwise.
- The state machine's integration calls are made as its role: each call through an integration client
  runs as that role (`acting_as`), so the access checks know who calls.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.models import cloudformation_backends
from moto.core.common_models import CloudFormationModel
from moto.dynamodb.models.table import Table
from moto.kms.models import Key, kms_backends
from moto.logs.models import LogGroup
from moto.sns import models as sns_models
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from workflow.local.access.enforce import ActingClient
from workflow.local.access.policy import Principal, Request, evaluate, evaluate_kms
from workflow.local.patches.speed.stepfunctions import _interpreter_modules

_original_key_from_cloudformation = Key.create_from_cloudformation_json.__func__
_original_table_from_cloudformation = Table.create_from_cloudformation_json.__func__
_original_log_group_from_cloudformation = LogGroup.create_from_cloudformation_json.__func__
_original_subscription_publish = sns_models.Subscription.publish


class _State:
    installed = False
    original_client_for: Any = None


_state = _State()
# Deliveries decided, per (queue policy, key policy, topic, queue): SNS delivers one per order.
_deliveries: dict[tuple[str, str, str, str], bool] = {}
_registered: list[type] = []


def forget_stack() -> None:
    _deliveries.clear()


def install() -> None:
    """After the other patches: the integration clients wrapped here are the ones `speed` caches."""
    if _state.installed:
        return
    Key.create_from_cloudformation_json = classmethod(_key_from_cloudformation)
    Table.create_from_cloudformation_json = classmethod(_table_from_cloudformation)
    LogGroup.create_from_cloudformation_json = classmethod(_log_group_from_cloudformation)
    sns_models.Subscription.publish = _publish_if_allowed
    _act_as_the_state_machine_role()
    _registered.extend(_resource_policy_models())
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    _state.installed = True


# --- Resource policies, applied ----------------------------------------------------------------


def _resource_policy_models() -> tuple[type, type]:
    def apply_queue_policy(properties: dict[str, Any], account_id: str, region_name: str) -> None:
        backend = sqs_backends[account_id][region_name]
        for url in properties["Queues"]:
            backend.set_queue_attributes(url.rsplit("/", 1)[1], {"Policy": json.dumps(properties["PolicyDocument"])})

    def apply_topic_policy(properties: dict[str, Any], account_id: str, region_name: str) -> None:
        backend = sns_backends[account_id][region_name]
        for arn in properties["Topics"]:
            backend.get_topic(arn).policy = json.dumps(properties["PolicyDocument"])

    return _policy_model("AWS::SQS::QueuePolicy", apply_queue_policy), _policy_model(
        "AWS::SNS::TopicPolicy", apply_topic_policy
    )


def _policy_model(resource_type: str, apply: Callable[[dict[str, Any], str, str], None]) -> type:
    def create(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> Any:
        apply(cloudformation_json["Properties"], account_id, region_name)
        resource = cls()
        resource.name = resource_name
        return resource

    return type(
        "Applied" + resource_type.replace("::", ""),
        (CloudFormationModel,),
        {
            "__module__": "moto.localmode",  # moto's model registry derives a service name from the module
            "cloudformation_type": staticmethod(lambda: resource_type),
            "cloudformation_name_type": staticmethod(lambda: ""),
            "physical_resource_id": property(lambda self: self.name),
            "create_from_cloudformation_json": classmethod(create),
            "delete_from_cloudformation_json": classmethod(lambda cls, *args, **kwargs: None),
        },
    )


# --- Encryption settings CloudFormation passes and moto drops ----------------------------------


def _key_from_cloudformation(cls: Any, resource_name: str, cloudformation_json: Any, *args: Any, **kw: Any) -> Any:
    # CloudFormation gives the key policy as JSON; KMS keeps (and GetKeyPolicy returns) its text, and
    # moto's own policy checks parse that text.
    properties = cloudformation_json["Properties"]
    if isinstance(properties.get("KeyPolicy"), dict):
        properties["KeyPolicy"] = json.dumps(properties["KeyPolicy"])
    return _original_key_from_cloudformation(cls, resource_name, cloudformation_json, *args, **kw)


def _table_from_cloudformation(cls: Any, resource_name: str, cloudformation_json: Any, *args: Any, **kw: Any) -> Any:
    sse = cloudformation_json.get("Properties", {}).get("SSESpecification")
    if sse and "SSEEnabled" in sse:
        # CloudFormation spells the flag SSEEnabled; the API (which moto's model follows) spells it Enabled.
        sse["Enabled"] = sse["SSEEnabled"] in (True, "true", "True")
    return _original_table_from_cloudformation(cls, resource_name, cloudformation_json, *args, **kw)


class ResourceCreationFailed(RuntimeError):
    """A resource CloudFormation could not create: the stack would end CREATE_FAILED with this reason."""


def _log_group_key_denied(name: str, arn: str) -> ResourceCreationFailed:
    # CloudFormation's reason when CloudWatch Logs may not use the key (as reported in aws/aws-cdk#28304).
    return ResourceCreationFailed(
        f"AWS::Logs::LogGroup {name} CREATE_FAILED: Resource handler returned message: "
        f"\"The specified KMS key does not exist or is not allowed to be used with Arn '{arn}' "
        '(Service: CloudWatchLogs, Status Code: 400)"'
    )


def _log_group_from_cloudformation(
    cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
) -> Any:
    properties = cloudformation_json["Properties"]
    if "KmsKeyId" in properties:
        properties["kmsKeyId"] = properties.pop("KmsKeyId")
        name = properties.get("LogGroupName", resource_name)
        arn = f"arn:aws:logs:{region_name}:{account_id}:log-group:{name}"
        if not logs_may_use_key(properties["kmsKeyId"], arn, account_id, region_name):
            raise _log_group_key_denied(name, arn)
    return _original_log_group_from_cloudformation(
        cls, resource_name, cloudformation_json, account_id, region_name, **kw
    )


def logs_may_use_key(key_id: str, log_group_arn: str, account_id: str, region_name: str) -> bool:
    """CloudWatch Logs uses a log group's key as `logs.REGION.amazonaws.com`, with the log group's ARN
    in the encryption context ("Encrypt log data in CloudWatch Logs using AWS Key Management Service",
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html): to write it
    needs data keys (kms:GenerateDataKey), to read back kms:Decrypt."""
    backend = kms_backends[account_id][region_name]
    key = backend.describe_key(key_id)
    key_policy = _key_policy(backend, key.id)
    logs = Principal.aws_service(f"logs.{region_name}.amazonaws.com")
    context = {"kms:EncryptionContext:aws:logs:arn": log_group_arn, "aws:SourceAccount": account_id}
    return all(
        evaluate_kms(Request.of(logs, action, key.arn, context), [], key_policy).allowed
        for action in ("kms:GenerateDataKey", "kms:Decrypt")
    )


def _key_policy(backend: Any, key_id: str) -> dict[str, Any]:
    return json.loads(backend.get_key_policy(key_id))


# --- SNS delivering to SQS subscriptions -------------------------------------------------------


def _publish_if_allowed(self: sns_models.Subscription, *args: Any, **kwargs: Any) -> None:
    """SNS drops a delivery its subscription's queue does not allow: a client-side error, which SNS
    does not retry ("Amazon SNS dead-letter queues (DLQs)", message delivery failures:
    https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html)."""
    if self.protocol == "sqs" and not _delivery_allowed(self.topic.arn, self.endpoint):
        return None
    return _original_subscription_publish(self, *args, **kwargs)


def _delivery_allowed(topic_arn: str, queue_arn: str) -> bool:
    """SNS sends as `sns.amazonaws.com` with the topic as `aws:SourceArn` ("Subscribing an Amazon SQS
    queue to an Amazon SNS topic", https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html);
    to an encrypted queue, the queue's key policy must let it use the key
    ("Configuring server-side encryption", SQS key policy for SNS)."""
    _, _, _, region, account, name = queue_arn.split(":", 5)
    queue = sqs_backends[account][region].get_queue(name)
    key_id = getattr(queue, "kms_master_key_id", None)
    key_policy = ""
    key_arn = ""
    if key_id:
        backend = kms_backends[account][region]
        key_arn = backend.describe_key(key_id).arn
        key_policy = json.dumps(_key_policy(backend, key_arn))
    decided = (queue.policy or "", key_policy, topic_arn, queue_arn)
    if decided not in _deliveries:
        sns = Principal.aws_service("sns.amazonaws.com")
        context = {
            "aws:SourceArn": topic_arn,
            "aws:SourceAccount": topic_arn.split(":")[4],
            "aws:SecureTransport": "true",
        }
        allowed = evaluate(
            Request.of(sns, "sqs:SendMessage", queue_arn, context), [], json.loads(queue.policy or "{}")
        ).allowed
        if allowed and key_arn:
            kms_context = {**context, "kms:EncryptionContext:aws:sqs:arn": queue_arn}
            allowed = all(
                evaluate_kms(Request.of(sns, action, key_arn, kms_context), [], json.loads(key_policy)).allowed
                for action in ("kms:GenerateDataKey", "kms:Decrypt")
            )
        _deliveries[decided] = allowed
    return _deliveries[decided]


# --- The state machine's integration calls, as its role ---------------------------------------


@functools.lru_cache(maxsize=64)
def _role_principal(role_arn: str) -> Principal:
    # Step Functions names its role sessions itself; the session name is not part of any check here.
    return Principal.role_session(role_arn, "StepFunctions")


def _client_as_role(region: str, service: str, state_credentials: Any = None) -> Any:
    client = _state.original_client_for(region, service, state_credentials)
    role_arn = getattr(state_credentials, "role_arn", None)
    return ActingClient(client, _role_principal(role_arn)) if role_arn else client


def _act_as_the_state_machine_role() -> None:
    """Every interpreter module that builds integration clients gets them through `_client_as_role`.
    The interpreter passes the state's credentials, whose role is the execution's (or the Task's own
    `Credentials` role)."""
    modules = [m for m in _interpreter_modules() if hasattr(m, "boto_client_for")]
    current = {m.boto_client_for for m in modules}
    if len(current) != 1:
        raise RuntimeError(f"the interpreter's modules build clients {len(current)} different ways: {current}")
    _state.original_client_for = current.pop()
    for module in modules:
        module.boto_client_for = _client_as_role


def deployed_alarms(account_id: str, region_name: str, stack_name: str) -> list[tuple[str, dict[str, Any]]]:
    """Each alarm of the stack as CloudFormation created it (its ARN, its resolved properties): the
    local mode records alarms in the stack rather than creating them in CloudWatch."""
    stack = cloudformation_backends[account_id][region_name].get_stack(stack_name)
    return [
        (resource.arn, resource.properties)
        for resource in (stack.resource_map[name] for name in stack.resource_map)
        if resource is not None and resource.cloudformation_type() == "AWS::CloudWatch::Alarm"
    ]
