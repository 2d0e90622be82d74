"""Access, evaluated as AWS evaluates it: the local run fails, as AWS would, when a grant is missing.

Each grant the running system needs is removed in turn from the synthesized template, and a small run
on that template shows the access denied where AWS would show it: the message in the dead-letter
queue, Lambda's poller unable to read the queue, the execution failed at the step that was denied, or
the deployment failed. Every Allow statement of the template is either such a grant or named below as
not exercised locally, with the reason; the alarms' actions go through the same check.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.orders import order
from workflow import config
from workflow.local.access.account import read_deployed
from workflow.local.emulator import ACCOUNT_ID, REGION, DeploymentFailed, EmulatedStack
from workflow.local.patches.fidelity.access import ResourceCreationFailed
from workflow.local.run import run
from workflow.local.runtime import FunctionSpec
from workflow.messages import read_file

TEMPLATE = f"{config.STACK_NAME}.template.json"
SAMPLES = Path(__file__).parents[2] / "samples" / "orders.jsonl"
Template = dict[str, Any]
Statement = dict[str, Any]


def variant(assembly: Path, directory: Path, change: Callable[[Template], None]) -> Path:
    """A copy of the assembly whose template is changed (the assets are the same files)."""
    for entry in assembly.iterdir():
        if entry.name != TEMPLATE:
            (directory / entry.name).symlink_to(entry)
    template = json.loads((assembly / TEMPLATE).read_text())
    change(template)
    (directory / TEMPLATE).write_text(json.dumps(template))
    return directory


def documents(template: Template) -> Iterator[tuple[str, str, list[Statement]]]:
    """(logical id, type, statements) of every policy document the template deploys."""
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        document = properties.get("KeyPolicy") or properties.get("PolicyDocument")
        if document is not None:
            yield logical_id, resource["Type"], document["Statement"]


def actions(statement: Statement) -> frozenset[str]:
    value = statement.get("Action", [])
    return frozenset([value] if isinstance(value, str) else value)


@dataclass(frozen=True)
class Grant:
    """An Allow statement, found by the type of the policy that holds it, its actions and (where two
    statements share their actions) a condition key it uses."""

    kind: str
    actions: frozenset[str]
    condition_key: str | None = None

    def matches(self, kind: str, statement: Statement) -> bool:
        if kind != self.kind or statement.get("Effect") != "Allow" or actions(statement) != self.actions:
            return False
        keys = {key for block in statement.get("Condition", {}).values() for key in block}
        return self.condition_key in keys if self.condition_key else not keys

    def remove(self, template: Template) -> None:
        found = [
            (statements, s) for _, kind, statements in documents(template) for s in statements if self.matches(kind, s)
        ]
        assert found, f"no statement for {self}"
        for statements, statement in found:
            statements.remove(statement)


def grant(kind: str, *names: str, condition_key: str | None = None) -> Grant:
    return Grant(kind, frozenset(names), condition_key)


def grants(needed: Grant | tuple[Grant, ...]) -> tuple[Grant, ...]:
    return needed if isinstance(needed, tuple) else (needed,)


ROLE_POLICY, KEY, TOPIC_POLICY = "AWS::IAM::Policy", "AWS::KMS::Key", "AWS::SNS::TopicPolicy"


@dataclass
class Outcome:
    stack: EmulatedStack | None = None
    report: dict[str, Any] | None = None
    error: BaseException | None = None

    def denied(self) -> set[tuple[str, str]]:
        assert self.stack is not None
        return {(operation, code) for (_, operation, _, code) in self.stack.access.denied}


def run_one_order(path: Path, *, failing_validation: bool = False) -> Outcome:
    """Deploy the template and run one order through it (with `failing_validation`, its ValidateOrder raises)."""
    outcome = Outcome()
    try:
        with EmulatedStack(path, time_scale=0.0001) as stack:
            outcome.stack = stack
            if failing_validation:
                stack.runtime.hooks.append(raise_in_validation)
            outcome.report = run(stack, [order("ord-access")], timeout=30)
    except (ClientError, ResourceCreationFailed) as error:
        outcome.error = error
    return outcome


def raise_in_validation(spec: FunctionSpec, event: Any) -> None:
    if "Validate" in spec.name:
        raise KeyError("customer")


def failed_at(outcome: Outcome, state_error: str) -> bool:
    """The execution failed, and one of its tasks failed with that error (Step Functions' name for it)."""
    assert outcome.report is not None
    (execution,) = outcome.report["executions"]
    return execution["status"] == "FAILED" and state_error in {e["error"] for e in execution["events"]}


def dead_lettered(outcome: Outcome) -> bool:
    assert outcome.report is not None
    return len(outcome.report["deadLetters"]) == 1 and outcome.report["executions"] == []


def error_code(outcome: Outcome) -> str:
    assert isinstance(outcome.error, ClientError), outcome.error
    return str(outcome.error.response["Error"]["Code"])


# Each grant the running system needs, and what its absence does on AWS (and now locally).
NEEDED: dict[str, tuple[Grant | tuple[Grant, ...], Callable[[Outcome], bool]]] = {
    # The starter may start the state machine; without it every start fails and the message, retried
    # by SQS, ends in the dead-letter queue.
    "starter-start-execution": (
        grant(ROLE_POLICY, "states:StartExecution"),
        lambda o: dead_lettered(o) and ("StartExecution", "AccessDeniedException") in o.denied(),
    ),
    # StartExecution on a state machine encrypted with a customer managed key needs a data key.
    "starter-execution-data-key": (
        grant(ROLE_POLICY, "kms:GenerateDataKey", condition_key="kms:EncryptionContext:aws:states:stateMachineArn"),
        lambda o: dead_lettered(o) and ("StartExecution", "KmsAccessDeniedException") in o.denied(),
    ),
    # Lambda's poller reads the queue as the starter's role: without the grant it cannot even read
    # the queue's attributes.
    "starter-consume-queue": (
        grant(
            ROLE_POLICY,
            "sqs:ReceiveMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueUrl",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
        ),
        lambda o: error_code(o) == "AccessDenied",
    ),
    # ... and to receive from the encrypted queue it must be allowed to decrypt.
    "starter-decrypt-queue": (
        grant(ROLE_POLICY, "kms:Decrypt"),
        lambda o: error_code(o) == "KMS.AccessDeniedException",
    ),
    "state-machine-invoke-validation": (
        grant(ROLE_POLICY, "lambda:InvokeFunction"),
        lambda o: failed_at(o, "Lambda.AccessDeniedException") and ("Invoke", "AccessDeniedException") in o.denied(),
    ),
    "state-machine-write-table": (
        grant(ROLE_POLICY, "dynamodb:PutItem", "dynamodb:UpdateItem"),
        lambda o: failed_at(o, "DynamoDB.AccessDeniedException") and ("PutItem", "AccessDeniedException") in o.denied(),
    ),
    # Publishing to the encrypted topics needs the key; the table has its own grant (below), so the
    # record is still written and only the notification is denied.
    "state-machine-topic-key": (
        grant(ROLE_POLICY, "kms:Decrypt", "kms:GenerateDataKey*"),
        lambda o: (
            failed_at(o, "SNS.KMSAccessDeniedException")
            and ("Publish", "KMSAccessDenied") in o.denied()
            and ("PutItem", "AccessDeniedException") not in o.denied()
        ),
    ),
    # Both topics' grants are the same statement shape; the order topic's is needed on every order.
    "state-machine-publish": (
        grant(ROLE_POLICY, "sns:Publish"),
        lambda o: failed_at(o, "SNS.AuthorizationErrorException") and ("Publish", "AuthorizationError") in o.denied(),
    ),
    # DynamoDB decrypts the table key as the caller, through DynamoDB and for this table only: without
    # that grant (and without the topics' broader one, which would also cover it) the write is denied.
    "state-machine-table-key": (
        (
            grant(ROLE_POLICY, "kms:Decrypt", condition_key="kms:ViaService"),
            grant(ROLE_POLICY, "kms:Decrypt", "kms:GenerateDataKey*"),
        ),
        lambda o: failed_at(o, "DynamoDB.AccessDeniedException") and ("PutItem", "AccessDeniedException") in o.denied(),
    ),
    # The key policy delegates to the account's IAM policies: without it, no role may use the key.
    "key-delegates-to-account": (
        grant(KEY, "kms:*"),
        lambda o: error_code(o) == "KMS.AccessDeniedException",
    ),
    # CloudWatch Logs must be allowed to use the key, or the encrypted log groups cannot be created.
    "key-allows-cloudwatch-logs": (
        grant(
            KEY,
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            condition_key="kms:EncryptionContext:aws:logs:arn",
        ),
        lambda o: isinstance(o.error, ResourceCreationFailed) and "is not allowed to be used with Arn" in str(o.error),
    ),
}

# Allow statements the local mode does not exercise, and why (nothing would fail on AWS either
# during a run, or the service behind them is not emulated).
NOT_EXERCISED: dict[str, tuple[Grant, str]] = {
    "function-logs": (
        grant(ROLE_POLICY, "logs:CreateLogStream", "logs:PutLogEvents"),
        "Lambda's log delivery is not emulated (on AWS a missing grant loses the logs, the function still runs)",
    ),
    "function-tracing": (
        grant(ROLE_POLICY, "xray:PutTraceSegments", "xray:PutTelemetryRecords"),
        "X-Ray is not emulated",
    ),
    # One statement (CDK's minimizePolicies merges the two grants that share Resource '*').
    "state-machine-log-delivery-and-tracing": (
        grant(
            ROLE_POLICY,
            "logs:CreateLogDelivery",
            "logs:GetLogDelivery",
            "logs:UpdateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
        ),
        "the state machine's log delivery to CloudWatch Logs, and X-Ray, are not emulated",
    ),
    "state-machine-log-data-key": (
        grant(ROLE_POLICY, "kms:GenerateDataKey", condition_key="kms:EncryptionContext:SourceArn"),
        "the state machine's encrypted log delivery is not emulated",
    ),
    "state-machine-execution-data-key": (
        grant(
            ROLE_POLICY,
            "kms:Decrypt",
            "kms:GenerateDataKey",
            condition_key="kms:EncryptionContext:aws:states:stateMachineArn",
        ),
        "Step Functions' own use of the key for execution data, as the role, is not checked locally",
    ),
    "key-log-delivery": (
        grant(KEY, "kms:Decrypt*"),
        "vended log delivery (delivery.logs.amazonaws.com) is not emulated",
    ),
}
# Checked by the alarm tests below rather than by a run.
ALARM_GRANTS: dict[str, Grant] = {
    "key-allows-cloudwatch": grant(KEY, "kms:Decrypt", "kms:GenerateDataKey*", condition_key="aws:SourceAccount"),
    "topic-allows-cloudwatch": grant(TOPIC_POLICY, "sns:Publish", condition_key="aws:SourceArn"),
}


def test_every_allow_statement_is_either_checked_here_or_said_not_to_be(assembly: Path) -> None:
    """A grant added to the stack must be given a case here (or a reason it cannot be exercised)."""
    template = json.loads((assembly / TEMPLATE).read_text())
    known = [g for needed, _ in NEEDED.values() for g in grants(needed)]
    known += [g for g, _ in NOT_EXERCISED.values()] + list(ALARM_GRANTS.values())
    unknown = [
        (logical_id, statement)
        for logical_id, kind, statements in documents(template)
        if kind != "AWS::IAM::Role"
        for statement in statements
        if statement.get("Effect") == "Allow" and not any(g.matches(kind, statement) for g in known)
    ]
    assert unknown == []


@pytest.mark.parametrize("name", list(NEEDED))
def test_removing_a_needed_grant_fails_the_run_with_that_access_denied(
    assembly: Path, tmp_path: Path, name: str
) -> None:
    needed, failed = NEEDED[name]

    def remove(template: Template) -> None:
        for each in grants(needed):
            each.remove(template)

    outcome = run_one_order(variant(assembly, tmp_path, remove))
    assert failed(outcome), (
        outcome.error,
        outcome.report and outcome.report["summary"],
        outcome.stack and outcome.stack.access.denied,
    )


def test_without_the_operations_topic_grant_alerts_fail(assembly: Path, tmp_path: Path) -> None:
    """The operations topic is published to only on the failure path: an order whose validation raises."""

    def keep_only_the_order_topic_grant(template: Template) -> None:
        # Both topics are in one Publish statement (CDK's minimizePolicies): the operations topic leaves it.
        operations = {"Ref": next(k for k in template["Resources"] if k.startswith("NotificationsOperationsTopic"))}
        (publish,) = [
            s
            for _, kind, ss in documents(template)
            if kind == ROLE_POLICY
            for s in ss
            if s.get("Action") == "sns:Publish"
        ]
        publish["Resource"] = [r for r in publish["Resource"] if r != operations]

    outcome = run_one_order(variant(assembly, tmp_path, keep_only_the_order_topic_grant), failing_validation=True)
    assert failed_at(outcome, "SNS.AuthorizationErrorException")
    assert ("Publish", "AuthorizationError") in outcome.denied()
    assert outcome.report is not None
    assert outcome.report["records"][0]["status"] == "FAILED"  # recorded before the alert was denied


def test_the_ordinary_run_passes_with_every_call_checked(assembly: Path) -> None:
    with EmulatedStack(assembly, time_scale=0.0001) as stack:
        bodies = read_file(SAMPLES.read_bytes())
        report = run(stack, bodies)
        assert report["summary"]["deadLetters"] == 0
        assert report["summary"]["failed"] == 0
        assert stack.access.denied == {}
        checked = {(service, operation) for _, service, operation, allowed in stack.access.decided() if allowed}
        assert checked >= {
            ("sqs", "GetQueueAttributes"),  # Lambda's poller, as the starter's role
            ("sqs", "ReceiveMessage"),
            ("sqs", "DeleteMessageBatch"),
            ("sfn", "StartExecution"),  # the starter
            ("lambda", "Invoke"),  # the state machine
            ("dynamodb", "PutItem"),
            ("sns", "Publish"),
        }
        assert len(report["notifications"]) == report["summary"]["notifications"] > 0


def test_an_explicit_deny_is_honoured(assembly: Path, tmp_path: Path) -> None:
    """An explicit deny wins over the allow next to it ("Policy evaluation logic")."""

    def deny_start(template: Template) -> None:
        for _, kind, statements in documents(template):
            for statement in list(statements):
                if kind == ROLE_POLICY and actions(statement) == {"states:StartExecution"}:
                    statements.append({**copy.deepcopy(statement), "Effect": "Deny"})

    outcome = run_one_order(variant(assembly, tmp_path, deny_start))
    assert dead_lettered(outcome)
    assert outcome.stack is not None
    ((caller, operation, _, code),) = outcome.stack.access.denied
    assert (operation, code) == ("StartExecution", "AccessDeniedException")
    assert "IntakeStarterRole" in caller


def test_a_deny_in_a_topic_policy_is_honoured(assembly: Path, tmp_path: Path) -> None:
    def deny_publish_to_order_topic(template: Template) -> None:
        for logical_id, kind, statements in documents(template):
            if kind == TOPIC_POLICY and logical_id.startswith("NotificationsOrderTopic"):
                topic = statements[0]["Resource"]
                statements.append(
                    {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sns:Publish", "Resource": topic}
                )

    outcome = run_one_order(variant(assembly, tmp_path, deny_publish_to_order_topic))
    assert failed_at(outcome, "SNS.AuthorizationErrorException")
    assert outcome.report is not None
    (record,) = outcome.report["records"]
    assert record["status"] == "FAILED"
    assert "with an explicit deny in a resource-based policy" in record["cause"]


def test_sns_drops_a_delivery_the_queue_policy_does_not_allow(stack: EmulatedStack) -> None:
    """SNS sends to a subscribed queue as sns.amazonaws.com; a queue without a policy allowing it gets nothing."""
    sqs, sns = stack.client("sqs"), stack.client("sns")
    allowed = stack.subscribe_queue(stack.resources.order_topic_arn, "allowed")
    bare = sqs.create_queue(QueueName="bare")["QueueUrl"]
    bare_arn = sqs.get_queue_attributes(QueueUrl=bare, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=stack.resources.order_topic_arn, Protocol="sqs", Endpoint=bare_arn)

    run(stack, [order("ord-delivered")])

    assert len(sqs.receive_message(QueueUrl=allowed, MaxNumberOfMessages=10).get("Messages", [])) == 1
    assert sqs.receive_message(QueueUrl=bare, MaxNumberOfMessages=10).get("Messages", []) == []


def test_every_alarm_action_is_allowed(stack: EmulatedStack) -> None:
    """CloudWatch publishes each alarm's actions as cloudwatch.amazonaws.com: the topic policy and the
    key policy must both let it (this failed while the operations topic's TLS-only policy, which
    replaces SNS's default one, had no statement for CloudWatch)."""
    assert stack.alarm_action_failures == []


@pytest.mark.parametrize("name", list(ALARM_GRANTS))
def test_without_an_alarm_grant_every_alarm_action_fails(assembly: Path, tmp_path: Path, name: str) -> None:
    needed = ALARM_GRANTS[name]

    with EmulatedStack(variant(assembly, tmp_path, needed.remove)) as stack:
        alarms = [k for k, r in stack.template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"]
        failures = stack.alarm_action_failures
        assert len(failures) == len(alarms) > 0
        reason = "is not authorized to perform: SNS:Publish" if needed.kind == TOPIC_POLICY else "encryption key"
        assert all(reason in failure for failure in failures)


def test_the_services_report_the_policies_and_keys_the_template_deploys(stack: EmulatedStack) -> None:
    """What the checks read is what CloudFormation deployed: the queue's and topic's policies (a topic
    policy replaces SNS's default one), and the key of the table, the log groups and the state machine."""
    resources = stack.template["Resources"]
    key_arn = stack.client("kms").describe_key(KeyId=stack.client("kms").list_keys()["Keys"][0]["KeyId"])[
        "KeyMetadata"
    ]["Arn"]

    queue_policy = json.loads(
        stack.client("sqs").get_queue_attributes(QueueUrl=stack.resources.queue_url, AttributeNames=["Policy"])[
            "Attributes"
        ]["Policy"]
    )
    topic_policy = json.loads(
        stack.client("sns").get_topic_attributes(TopicArn=stack.resources.order_topic_arn)["Attributes"]["Policy"]
    )
    template_topic_policy = next(
        r for k, r in resources.items() if r["Type"] == TOPIC_POLICY and k.startswith("NotificationsOrderTopic")
    )["Properties"]["PolicyDocument"]
    assert [s["Effect"] for s in queue_policy["Statement"]] == ["Deny"]
    assert [s.get("Sid") for s in topic_policy["Statement"]] == [
        s.get("Sid") for s in template_topic_policy["Statement"]
    ]
    assert "__default_statement_ID" not in json.dumps(topic_policy)

    table = stack.client("dynamodb").describe_table(TableName=stack.resources.table_name)["Table"]
    assert table["SSEDescription"]["KMSMasterKeyArn"] == key_arn
    log_groups = stack.client("logs").describe_log_groups()["logGroups"]
    assert len(log_groups) == 3
    assert {group.get("kmsKeyId") for group in log_groups} == {key_arn}
    machine = stack.client("stepfunctions").describe_state_machine(stateMachineArn=stack.resources.state_machine_arn)
    assert machine["encryptionConfiguration"]["type"] == "CUSTOMER_MANAGED_KMS_KEY"
    assert machine["encryptionConfiguration"]["kmsKeyId"] == key_arn


def test_only_a_resource_the_stack_did_not_deploy_is_left_to_the_service(stack: EmulatedStack) -> None:
    """A call on a queue that is not the stack's is the service's to answer (it does not exist); a policy
    the checks failed to read is a defect that must stop the call, never let it through unchecked."""
    deployed = stack.access.deployed
    assert deployed is not None
    sent = {"QueueUrl": stack.resources.queue_url}

    assert stack.access.checks("sqs", "SendMessage", {"QueueUrl": "https://sqs.invalid/000000000000/other"}) == []
    assert [c.action for c in stack.access.checks("sqs", "SendMessage", sent)] == [
        "sqs:SendMessage",
        "kms:GenerateDataKey",
        "kms:Decrypt",
    ]

    stack.access.deployed = dataclasses.replace(deployed, key_policies={}, load_key_policy=None)
    try:
        with pytest.raises(KeyError):
            stack.access.checks("sqs", "SendMessage", sent)
    finally:
        stack.access.deployed = deployed


def test_a_policy_the_checks_cannot_judge_stops_the_deployment(assembly: Path, tmp_path: Path) -> None:
    """Even on a statement no call of the run would reach (a Deny of sns:DeleteTopic), a condition the
    evaluator does not implement stops the local mode at deployment, naming the policy: it would
    otherwise be judged only if a call ever matched it, and its policy pass as checked."""

    def add_a_set_operator(template: Template) -> None:
        topic_policy = next(r for r in template["Resources"].values() if r["Type"] == TOPIC_POLICY)
        topic_policy["Properties"]["PolicyDocument"]["Statement"].append(
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "sns:DeleteTopic",
                "Resource": "*",
                "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}},
            }
        )

    cannot = r"the local mode cannot check the policy of arn:aws:sns:.*set operator"
    with pytest.raises(DeploymentFailed, match=cannot), EmulatedStack(variant(assembly, tmp_path, add_a_set_operator)):
        pass


def test_the_policies_are_read_in_few_calls_and_as_each_role_s_own_calls_read_them(stack: EmulatedStack) -> None:
    """Every role's policies come from one IAM call, and each resource's key from KMS's list of keys; what
    is read is what IAM answers role by role (inline policies, then the attached ones' default version)."""
    calls: Counter[str] = Counter()

    def count(model: Any, **kwargs: Any) -> None:
        calls[f"{model.service_model.service_name}:{model.name}"] += 1

    services = ("iam", "kms", "lambda", "sqs", "sns", "dynamodb", "stepfunctions")
    for service in services:
        stack.client(service).meta.events.register("before-call", count)
    try:
        deployed = read_deployed(stack.client, ACCOUNT_ID, REGION)
    finally:
        for service in services:
            stack.client(service).meta.events.unregister("before-call", count)
    assert calls["iam:GetAccountAuthorizationDetails"] == 1
    assert not [call for call in calls if call.startswith("iam:") and call != "iam:GetAccountAuthorizationDetails"]
    assert calls["kms:DescribeKey"] == 0

    iam = stack.client("iam")
    one_by_one = {}
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        inline = [
            iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
            for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
        ]
        attached = []
        for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            version = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]["DefaultVersionId"]
            attached.append(
                iam.get_policy_version(PolicyArn=policy["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"]
            )
        one_by_one[role["Arn"]] = inline + attached
    assert len(one_by_one) >= 3
    assert deployed.role_policies == one_by_one
    key = stack.client("kms").describe_key(KeyId=stack.client("kms").list_keys()["Keys"][0]["KeyId"])["KeyMetadata"]
    assert deployed.tables[stack.resources.table_name].key_arn == key["Arn"]
