"""OrderProcessorStack: the constructs of each concern, wired together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import ArnFormat, CfnOutput, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from workflow import config
from workflow.constructs.function import powertools_layer
from workflow.constructs.intake import OrderIntake
from workflow.constructs.notifications import OrderNotifications
from workflow.constructs.observability import OrderObservability
from workflow.constructs.orchestration import OrderWorkflow
from workflow.constructs.storage import OrderStore
from workflow.profiles import PRODUCTION, Profile


@dataclass(frozen=True)
class StackSettings:
    """What a deployment may choose (CDK context, checked in `workflow.app`); the README's Configuration table."""

    profile: Profile = PRODUCTION
    workflow_type: str = "STANDARD"
    notification_email: str | None = None
    operations_email: str | None = None
    starter_max_concurrency: int = config.STARTER_MAX_CONCURRENCY
    # None: ValidateOrder draws on the account's unreserved concurrency (see the README, "Capacity").
    validate_reserved_concurrency: int | None = None
    # None: the public layer, resolved from Powertools' SSM parameter in the Regions Powertools publishes to.
    powertools_layer_arn: str | None = None


class OrderProcessorStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: StackSettings | None = None, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        settings = settings or StackSettings()

        key = data_key(self) if settings.profile.customer_managed_key else None
        layer = powertools_layer(self, settings.powertools_layer_arn)

        store = OrderStore(self, "Storage", key=key, profile=settings.profile)
        notifications = OrderNotifications(
            self,
            "Notifications",
            key=key,
            notification_email=settings.notification_email,
            operations_email=settings.operations_email,
        )
        workflow = OrderWorkflow(
            self,
            "Orchestration",
            workflow_type=settings.workflow_type,
            profile=settings.profile,
            validate_reserved_concurrency=settings.validate_reserved_concurrency,
            table=store.table,
            order_topic=notifications.order_topic,
            operations_topic=notifications.operations_topic,
            key=key,
            layer=layer,
        )
        intake = OrderIntake(
            self,
            "Intake",
            state_machine=workflow.state_machine,
            key=key,
            layer=layer,
            log_retention=settings.profile.log_retention,
            max_concurrency=settings.starter_max_concurrency,
        )
        observability = OrderObservability(
            self,
            "Observability",
            queue=intake.queue,
            dead_letter_queue=intake.dead_letter_queue,
            functions={"Starter": intake.starter.function, "ValidateOrder": workflow.validate.function},
            state_machine=workflow.state_machine,
            table=store.table,
            topics={"Orders": notifications.order_topic, "Operations": notifications.operations_topic},
            operations_topic=notifications.operations_topic,
        )

        outputs = {
            config.OUTPUT_QUEUE_URL: intake.queue.queue_url,
            config.OUTPUT_DLQ_URL: intake.dead_letter_queue.queue_url,
            config.OUTPUT_STATE_MACHINE_ARN: workflow.state_machine.state_machine_arn,
            config.OUTPUT_TABLE_NAME: store.table.table_name,
            config.OUTPUT_ORDER_TOPIC_ARN: notifications.order_topic.topic_arn,
            config.OUTPUT_OPERATIONS_TOPIC_ARN: notifications.operations_topic.topic_arn,
            config.OUTPUT_DASHBOARD: observability.dashboard.dashboard_name,
        }
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)


def data_key(stack: Stack) -> kms.Key:
    """The production profile's one customer managed key, and the services that use it on their own behalf."""
    key = kms.Key(
        stack,
        "DataKey",
        description="Encrypts the order queues, table, topics and logs",
        enable_key_rotation=True,
    )
    # Alarms publish to the encrypted operations topic, which takes kms:Decrypt and kms:GenerateDataKey* for
    # cloudwatch.amazonaws.com in the key policy (re:Post, "How do I configure a CloudWatch alarm with an
    # encrypted SNS topic?": https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns). Scoped to
    # this account only: which alarm a KMS request comes from is not documented as a condition key there;
    # the topic policy narrows publishing to this stack's alarms (OrderObservability).
    # CloudWatch Logs encrypts the log groups.
    key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
        )
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
            resources=["*"],
            # Only for this account's log groups (CloudWatch Logs passes the group's ARN as context).
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs", resource="*", arn_format=ArnFormat.NO_RESOURCE_NAME
                    )
                }
            },
        )
    )
    return key
