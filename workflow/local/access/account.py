"""The policies as deployed: read back from the emulated account through each service's API, as an
auditor would read them from AWS, never from a second description of the stack.

- Roles: each role's inline policies (`AWS::IAM::Policy` and a role's `Policies`) and attached
  managed policies, all in one IAM GetAccountAuthorizationDetails ("a snapshot of the configuration of IAM
  permissions", its pages filtered to roles and customer managed policies:
  https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html); an attached
  AWS managed policy, which that filter leaves out, through GetPolicy/GetPolicyVersion.
- Queues and topics: their resource policy (SQS GetQueueAttributes `Policy`, SNS GetTopicAttributes
  `Policy`) and their KMS key; the table's and the state machine's KMS key (DescribeTable,
  DescribeStateMachine); each key's policy (KMS GetKeyPolicy). A key named by its id or ARN is found in
  KMS ListKeys, which gives both (KeyListEntry: KeyId and KeyArn,
  https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyListEntry.html); any other name (an alias)
  through DescribeKey.
- Which role each function runs as (Lambda ListFunctions).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from workflow.local.access.policy import UnsupportedPolicy, check_supported

Policy = dict[str, Any]


@dataclass(frozen=True)
class Encrypted:
    """A resource, its resource policy (None: it has none) and the KMS key that encrypts it (None: none of ours)."""

    arn: str
    policy: Policy | None = None
    key_arn: str | None = None


@dataclass(frozen=True)
class StateMachine:
    arn: str
    role_arn: str
    key_arn: str | None


@dataclass
class DeployedAccess:
    account: str
    region: str
    role_policies: dict[str, list[Policy]] = field(default_factory=dict)
    function_roles: dict[str, str] = field(default_factory=dict)  # function ARN -> role ARN
    function_arns: dict[str, str] = field(default_factory=dict)  # function name -> ARN
    queues: dict[str, Encrypted] = field(default_factory=dict)  # queue URL -> queue
    topics: dict[str, Encrypted] = field(default_factory=dict)  # topic ARN -> topic
    tables: dict[str, Encrypted] = field(default_factory=dict)  # table name -> table
    state_machines: dict[str, StateMachine] = field(default_factory=dict)
    key_policies: dict[str, Policy] = field(default_factory=dict)  # key ARN -> key policy
    # Reads the policy of a key created after the others were read: an AWS managed key (aws/sns) is created
    # on first use (workflow.local.patches.fidelity.kms).
    load_key_policy: Callable[[str], Policy] | None = None

    def identity_policies(self, role_arn: str) -> list[Policy]:
        return self.role_policies.get(role_arn, [])

    def key_policy(self, key_arn: str) -> Policy:
        if key_arn not in self.key_policies:
            if self.load_key_policy is None:
                raise KeyError(key_arn)
            self.key_policies[key_arn] = _supported(key_arn, self.load_key_policy(key_arn))
        return self.key_policies[key_arn]


def read_deployed(client: Callable[[str], Any], account: str, region: str) -> DeployedAccess:
    """Everything the access checks need, read through the local mode's own (unchecked) clients."""
    deployed = DeployedAccess(account=account, region=region)
    kms = client("kms")

    def key_policy(key_arn: str) -> Policy:
        return _parsed_document(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])

    deployed.load_key_policy = key_policy
    key_arns: dict[str, str] = {}
    for key in _pages(kms, "list_keys", "Keys"):
        deployed.key_policy(key["KeyArn"])
        key_arns[key["KeyId"]] = key_arns[key["KeyArn"]] = key["KeyArn"]

    def key_arn(key_id: str | None) -> str | None:
        if key_id and key_id not in key_arns:
            key_arns[key_id] = str(kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"])
        return key_arns[key_id] if key_id else None

    for role_arn, policies in _role_policies(client("iam")).items():
        deployed.role_policies[role_arn] = [_supported(role_arn, policy) for policy in policies]
    for function in _pages(client("lambda"), "list_functions", "Functions"):
        deployed.function_roles[function["FunctionArn"]] = function["Role"]
        deployed.function_arns[function["FunctionName"]] = function["FunctionArn"]
    sqs = client("sqs")
    for url in sqs.list_queues().get("QueueUrls", []):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        deployed.queues[url] = Encrypted(
            attributes["QueueArn"],
            _supported(url, _parsed(attributes.get("Policy"))),
            key_arn(attributes.get("KmsMasterKeyId")),
        )
    sns = client("sns")
    for topic in _pages(sns, "list_topics", "Topics"):
        attributes = sns.get_topic_attributes(TopicArn=topic["TopicArn"])["Attributes"]
        deployed.topics[topic["TopicArn"]] = Encrypted(
            topic["TopicArn"],
            _supported(topic["TopicArn"], _parsed(attributes.get("Policy"))),
            key_arn(attributes.get("KmsMasterKeyId")),
        )
    dynamodb = client("dynamodb")
    for name in dynamodb.list_tables()["TableNames"]:
        table = dynamodb.describe_table(TableName=name)["Table"]
        sse = table.get("SSEDescription") or {}
        deployed.tables[name] = Encrypted(table["TableArn"], None, key_arn(sse.get("KMSMasterKeyArn")))
    sfn = client("stepfunctions")
    for machine in _pages(sfn, "list_state_machines", "stateMachines"):
        described = sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])
        encryption = described.get("encryptionConfiguration") or {}
        customer_key = encryption.get("kmsKeyId") if encryption.get("type") == "CUSTOMER_MANAGED_KMS_KEY" else None
        deployed.state_machines[machine["stateMachineArn"]] = StateMachine(
            machine["stateMachineArn"], described["roleArn"], key_arn(customer_key)
        )
    return deployed


def _role_policies(iam: Any) -> dict[str, list[Policy]]:
    """Each role's identity policies (inline, then attached), by role ARN."""
    roles: list[dict[str, Any]] = []
    managed: dict[str, Policy] = {}  # customer managed policy ARN -> its default version's document
    pages = iam.get_paginator("get_account_authorization_details").paginate(Filter=["Role", "LocalManagedPolicy"])
    for page in pages:
        roles += page["RoleDetailList"]
        for policy in page["Policies"]:
            default = next(v for v in policy["PolicyVersionList"] if v["IsDefaultVersion"])
            managed[policy["Arn"]] = _parsed_document(default["Document"])

    def attached(arn: str) -> Policy:
        if arn not in managed:  # an AWS managed policy
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            managed[arn] = _parsed_document(
                iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
            )
        return managed[arn]

    return {
        role["Arn"]: [_parsed_document(inline["PolicyDocument"]) for inline in role.get("RolePolicyList", [])]
        + [attached(policy["PolicyArn"]) for policy in role.get("AttachedManagedPolicies", [])]
        for role in roles
    }


P = TypeVar("P", bound=Policy | None)


def _supported(owner: str, policy: P) -> P:
    """A policy the checks could not judge stops the deployment, naming whose policy it is."""
    if policy is not None:
        try:
            check_supported(policy)
        except UnsupportedPolicy as error:
            raise UnsupportedPolicy(f"the policy of {owner}: {error}") from None
    return policy


def _pages(client: Any, operation: str, key: str) -> list[Any]:
    return [item for page in client.get_paginator(operation).paginate() for item in page[key]]


def _parsed(text: str | None) -> Policy | None:
    return json.loads(text) if text else None


def _parsed_document(document: Any) -> Policy:
    """boto3 decodes IAM's URL-encoded documents to dicts; a string is JSON."""
    return document if isinstance(document, dict) else json.loads(document)
