"""What the stack deploys: each concern's resources and the properties that make them safe."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from aws_cdk.assertions import Match, Template

from tests.infra.conftest import only, resources_of, uses_variants
from workflow import config


def ref_of(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def arn_of(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def key_id(template_json: dict[str, Any]) -> str:
    name, key = only(template_json, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    return name


def test_queues_are_encrypted_with_the_stack_key_and_redrive_to_the_dlq(template_json: dict[str, Any]) -> None:
    key = key_id(template_json)
    queue_name, queue = only(template_json, "AWS::SQS::Queue", "OrderQueue")
    dlq_name, dlq = only(template_json, "AWS::SQS::Queue", "DeadLetterQueue")
    for q in (queue, dlq):
        assert q["Properties"]["KmsMasterKeyId"] == arn_of(key)
    assert queue["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": arn_of(dlq_name),
        "maxReceiveCount": config.MAX_RECEIVE_COUNT,
    }
    assert dlq["Properties"]["MessageRetentionPeriod"] == config.DLQ_RETENTION_DAYS * 86400
    # Lambda's advice: at least six times the consumer's timeout, so a slow batch is not received twice.
    assert queue["Properties"]["VisibilityTimeout"] >= 6 * config.STARTER_TIMEOUT_SECONDS
    assert queue_name != dlq_name


def test_queues_and_topics_refuse_requests_without_tls(template_json: dict[str, Any]) -> None:
    for policy_type, resource_key in (("AWS::SQS::QueuePolicy", "Queues"), ("AWS::SNS::TopicPolicy", "Topics")):
        policies = resources_of(template_json, policy_type)
        assert len(policies) == 2
        for policy in policies.values():
            statements = policy["Properties"]["PolicyDocument"]["Statement"]
            assert any(
                s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
                for s in statements
            ), f"{policy_type} on {policy['Properties'][resource_key]} allows plain HTTP"


def test_starter_reads_the_queue_in_batches_with_partial_failures(template_json: dict[str, Any]) -> None:
    starter, _ = only(template_json, "AWS::Lambda::Function", "Starter")
    queue, _ = only(template_json, "AWS::SQS::Queue", "OrderQueue")
    _, mapping = only(template_json, "AWS::Lambda::EventSourceMapping")
    props = mapping["Properties"]
    assert props["FunctionName"] == ref_of(starter)
    assert props["EventSourceArn"] == arn_of(queue)
    assert props["BatchSize"] == config.STARTER_BATCH_SIZE
    assert props["MaximumBatchingWindowInSeconds"] == config.STARTER_BATCH_WINDOW_SECONDS
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["ScalingConfig"] == {"MaximumConcurrency": config.STARTER_MAX_CONCURRENCY}


def test_functions_run_traced_with_the_pinned_powertools_layer(template_json: dict[str, Any]) -> None:
    functions = resources_of(template_json, "AWS::Lambda::Function")
    assert len(functions) == 2
    layer_parameter = next(
        name for name, p in template_json["Parameters"].items() if config.POWERTOOLS_VERSION in p.get("Default", "")
    )
    assert template_json["Parameters"][layer_parameter]["Default"] == (
        f"/aws/service/powertools/python/arm64/python3.14/{config.POWERTOOLS_VERSION}"
    )
    for fn in functions.values():
        props = fn["Properties"]
        assert props["Runtime"] == "python3.14"
        assert props["Architectures"] == ["arm64"]
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["Layers"] == [ref_of(layer_parameter)]
        assert props["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"] == config.METRICS_NAMESPACE
        assert "LoggingConfig" in props and "LogGroup" in props["LoggingConfig"]


def test_each_function_has_its_own_role_with_no_managed_policies(template_json: dict[str, Any]) -> None:
    functions = resources_of(template_json, "AWS::Lambda::Function")
    roles = {json.dumps(fn["Properties"]["Role"]) for fn in functions.values()}
    assert len(roles) == len(functions)
    for role in resources_of(template_json, "AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]


def test_starter_may_only_start_this_state_machine(template_json: dict[str, Any]) -> None:
    machine, _ = only(template_json, "AWS::StepFunctions::StateMachine")
    _, policy = only(template_json, "AWS::IAM::Policy", "Starter")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    states = [s for s in statements if any(str(a).startswith("states:") for a in _actions(s))]
    assert states == [{"Action": "states:StartExecution", "Effect": "Allow", "Resource": ref_of(machine)}]
    fn_name, starter = only(template_json, "AWS::Lambda::Function", "Starter")
    assert starter["Properties"]["Environment"]["Variables"][config.ENV_STATE_MACHINE_ARN] == ref_of(machine)
    assert fn_name


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


def _resources(statement: dict[str, Any]) -> list[Any]:
    """A statement's resources as a list (cdk.json's @aws-cdk/aws-iam:minimizePolicies writes one alone bare)."""
    return _as_list(statement["Resource"])


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_state_machine_is_standard_traced_logged_and_encrypted(template_json: dict[str, Any]) -> None:
    key = key_id(template_json)
    _, machine = only(template_json, "AWS::StepFunctions::StateMachine")
    props = machine["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    assert props["StateMachineName"] == f"{config.STACK_NAME}-Orders-Standard"
    assert props["TracingConfiguration"] == {"Enabled": True}
    logging = props["LoggingConfiguration"]
    assert logging["Level"] == "ALL"
    assert logging["IncludeExecutionData"] is False
    log_group, _ = only(template_json, "AWS::Logs::LogGroup", "ExecutionLogs")
    assert logging["Destinations"] == [{"CloudWatchLogsLogGroup": {"LogGroupArn": arn_of(log_group)}}]
    assert props["EncryptionConfiguration"]["KmsKeyId"] == arn_of(key)
    assert props["EncryptionConfiguration"]["Type"] == "CUSTOMER_MANAGED_KMS_KEY"


def test_state_machine_logs_to_a_vended_logs_group(template_json: dict[str, Any]) -> None:
    """Step Functions adds each log group it logs to to the account's CloudWatch Logs resource policy (5,120
    characters at most); log groups named under /aws/vendedlogs/ spare it. Step Functions, "Avoiding Amazon
    CloudWatch Logs resource policy size restrictions": https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html
    """
    _, machine = only(template_json, "AWS::StepFunctions::StateMachine")
    (destination,) = machine["Properties"]["LoggingConfiguration"]["Destinations"]
    log_group_id = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    name = template_json["Resources"][log_group_id]["Properties"]["LogGroupName"]
    assert name.startswith("/aws/vendedlogs/states/"), name


@uses_variants
def test_switching_to_express_brings_a_new_machine_that_everything_follows(
    variant: Callable[[str], dict[str, Any]],
) -> None:
    """The type switch replaces the state machine under a new name; whatever names it follows by reference."""
    express = variant("express")
    machine_id, machine = only(express, "AWS::StepFunctions::StateMachine")
    assert machine["Properties"]["StateMachineType"] == "EXPRESS"
    assert machine["Properties"]["StateMachineName"] == f"{config.STACK_NAME}-Orders-Express"
    _, starter = only(express, "AWS::Lambda::Function", "Starter")
    assert starter["Properties"]["Environment"]["Variables"][config.ENV_STATE_MACHINE_ARN] == ref_of(machine_id)
    assert express["Outputs"][config.OUTPUT_STATE_MACHINE_ARN]["Value"] == ref_of(machine_id)
    execution_alarms = [
        a
        for a in resources_of(express, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["Namespace"] == "AWS/States"
    ]
    assert len(execution_alarms) == 3
    for alarm in execution_alarms:
        assert alarm["Properties"]["Dimensions"] == [{"Name": "StateMachineArn", "Value": ref_of(machine_id)}]
    # Where the ARN is written out rather than referenced (the role's trust and kms conditions), it is the new one.
    written = re.findall(r":stateMachine:([\w-]+)", json.dumps(express))
    assert written and set(written) == {f"{config.STACK_NAME}-Orders-Express"}


def test_state_machine_role_writes_only_the_table_and_publishes_only_the_topics(template_json: dict[str, Any]) -> None:
    table, _ = only(template_json, "AWS::DynamoDB::Table")
    order_topic, _ = only(template_json, "AWS::SNS::Topic", "OrderTopic")
    ops_topic, _ = only(template_json, "AWS::SNS::Topic", "OperationsTopic")
    _, policy = only(template_json, "AWS::IAM::Policy", "StateMachine")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    dynamodb = [s for s in statements if any(a.startswith("dynamodb:") for a in _actions(s))]
    assert [(_actions(s), _resources(s)) for s in dynamodb] == [
        (["dynamodb:PutItem", "dynamodb:UpdateItem"], [arn_of(table)])
    ]
    sns = [s for s in statements if any(a.startswith("sns:") for a in _actions(s))]
    assert sorted(json.dumps(r) for s in sns for r in _resources(s)) == sorted(
        json.dumps(ref_of(t)) for t in (order_topic, ops_topic)
    )
    assert all(_actions(s) == ["sns:Publish"] for s in sns)


def test_table_is_on_demand_recoverable_and_encrypted(template: Template, template_json: dict[str, Any]) -> None:
    key = key_id(template_json)
    template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": {
                "KeySchema": [{"AttributeName": config.TABLE_PARTITION_KEY, "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST",
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": arn_of(key)},
            },
            "DeletionPolicy": "Retain",
        },
    )


def test_state_machine_role_may_decrypt_the_table_key_through_dynamodb(template_json: dict[str, Any]) -> None:
    """The table is encrypted with the stack's key: each PutItem and UpdateItem needs the caller's own kms:Decrypt
    of the table key, which DynamoDB requests on its behalf, in the table's encryption context ("How Amazon
    DynamoDB uses AWS KMS", Monitoring, Decrypt: https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html).
    The grant must be the table's own, not a side effect of the topics' publish grants on the same key."""
    key = key_id(template_json)
    table, _ = only(template_json, "AWS::DynamoDB::Table")
    _, policy = only(template_json, "AWS::IAM::Policy", "StateMachine")
    table_statements = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Condition", {}).get("StringEquals", {}).get("kms:EncryptionContext:aws:dynamodb:tableName")
        == ref_of(table)
    ]
    assert len(table_statements) == 1, table_statements
    (statement,) = table_statements
    assert statement["Effect"] == "Allow"
    assert _actions(statement) == ["kms:Decrypt"]
    assert _resources(statement) == [arn_of(key)]
    via = statement["Condition"]["StringEquals"]["kms:ViaService"]
    assert via == {"Fn::Join": ["", ["dynamodb.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}]]}


def test_topics_are_encrypted_and_separate(template_json: dict[str, Any]) -> None:
    key = key_id(template_json)
    topics = resources_of(template_json, "AWS::SNS::Topic")
    assert len(topics) == 2
    for topic in topics.values():
        assert topic["Properties"]["KmsMasterKeyId"] == arn_of(key)
    # No e-mail configured in cdk.json: no subscription is created.
    assert resources_of(template_json, "AWS::SNS::Subscription") == {}


def test_alarms_cover_dlq_age_executions_and_function_errors_and_tell_operations(
    template_json: dict[str, Any],
) -> None:
    ops_topic, _ = only(template_json, "AWS::SNS::Topic", "OperationsTopic")
    alarms = resources_of(template_json, "AWS::CloudWatch::Alarm")
    watched = {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms.values()}
    assert watched == {
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/SQS", "ApproximateAgeOfOldestMessage"),
        ("AWS/States", "ExecutionsFailed"),
        ("AWS/States", "ExecutionsTimedOut"),
        ("AWS/States", "ExecutionThrottled"),
        ("AWS/Lambda", "Errors"),
    }
    assert sum(a["Properties"]["MetricName"] == "Errors" for a in alarms.values()) == 2
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [ref_of(ops_topic)]
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"


def test_every_alarm_may_publish_to_the_topics_it_notifies(template_json: dict[str, Any]) -> None:
    """An AWS::SNS::TopicPolicy replaces the topic's default policy, so CloudWatch may publish an alarm's action
    only where the policy allows it: as cloudwatch.amazonaws.com, for this account (aws:SourceAccount) and this
    alarm (aws:SourceArn). "Example cases for Amazon SNS access control":
    https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html; re:Post, "Why didn't I receive an
    SNS notification for my CloudWatch alarm trigger?":
    https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger"""
    policies = resources_of(template_json, "AWS::SNS::TopicPolicy")
    alarms = resources_of(template_json, "AWS::CloudWatch::Alarm")
    assert alarms
    offences = []
    for alarm_id, alarm in alarms.items():
        props = alarm["Properties"]
        for topic in [
            *props.get("AlarmActions", []),
            *props.get("OKActions", []),
            *props.get("InsufficientDataActions", []),
        ]:
            statements = [
                statement
                for policy in policies.values()
                if topic in policy["Properties"]["Topics"]
                for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            ]
            if not any(_allows_alarm_to_publish(s, topic, alarm_id) for s in statements):
                offences.append(f"{alarm_id} may not publish to {topic}")
    assert offences == []


def _allows_alarm_to_publish(statement: dict[str, Any], topic: Any, alarm_id: str) -> bool:
    principal = statement.get("Principal", {})
    services = principal.get("Service", []) if isinstance(principal, dict) else []
    conditions = statement.get("Condition", {})
    source_arns = [
        arn
        for operator in ("ArnEquals", "ArnLike")
        for arn in _as_list(conditions.get(operator, {}).get("aws:SourceArn", []))
    ]
    return (
        statement["Effect"] == "Allow"
        and "cloudwatch.amazonaws.com" in _as_list(services)
        and "sns:Publish" in _actions(statement)
        and topic in _resources(statement)
        and conditions.get("StringEquals", {}).get("aws:SourceAccount") == {"Ref": "AWS::AccountId"}
        and arn_of(alarm_id) in source_arns
        # No other condition, which the alarm's request might not meet.
        and {key for keys in conditions.values() for key in keys} == {"aws:SourceAccount", "aws:SourceArn"}
    )


def test_dashboard_shows_every_part_of_the_pipeline(template_json: dict[str, Any]) -> None:
    _, dashboard = only(template_json, "AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for metric in (
        "ApproximateNumberOfMessagesVisible",
        "ApproximateAgeOfOldestMessage",
        "Invocations",
        "Errors",
        "Throttles",
        "Duration",
        "ExecutionsStarted",
        "ExecutionsSucceeded",
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "ExecutionThrottled",
        "ExecutionTime",
        "ThrottledRequests",
        "NumberOfNotificationsFailed",
        config.METRIC_ORDERS_ACCEPTED,
        config.METRIC_ORDERS_REJECTED,
        config.METRIC_DUPLICATE_ORDERS,
        config.METRIC_ORDER_VALUE,
    ):
        assert metric in body, f"the dashboard does not show {metric}"


def test_outputs_name_what_operators_and_the_local_mode_look_up(template: Template) -> None:
    for output in (
        config.OUTPUT_QUEUE_URL,
        config.OUTPUT_DLQ_URL,
        config.OUTPUT_STATE_MACHINE_ARN,
        config.OUTPUT_TABLE_NAME,
        config.OUTPUT_ORDER_TOPIC_ARN,
        config.OUTPUT_OPERATIONS_TOPIC_ARN,
        config.OUTPUT_DASHBOARD,
    ):
        template.has_output(output, {"Value": Match.any_value()})
