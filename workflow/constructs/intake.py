"""OrderIntake: the encrypted order queue, its dead-letter queue, and the starter that drains it."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from workflow import config
from workflow.constructs.function import PythonFunction


class OrderIntake(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state_machine: sfn.IStateMachine,
        key: kms.IKey | None,
        layer: lambda_.ILayerVersion,
        log_retention: str,
        max_concurrency: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            # Without the stack's key, SQS-managed encryption (SSE-SQS): no charge, no KMS request.
            encryption=sqs.QueueEncryption.KMS if key else sqs.QueueEncryption.SQS_MANAGED,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=Duration.days(config.DLQ_RETENTION_DAYS),
        )
        self.queue = sqs.Queue(
            self,
            "OrderQueue",
            encryption=sqs.QueueEncryption.KMS if key else sqs.QueueEncryption.SQS_MANAGED,
            encryption_master_key=key,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(config.QUEUE_VISIBILITY_SECONDS),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=config.MAX_RECEIVE_COUNT
            ),
        )
        self.starter = PythonFunction(
            self,
            "Starter",
            packages=("order_starter", "order_contract"),
            handler="order_starter.handler.lambda_handler",
            service=config.STARTER_SERVICE,
            description="Starts one order execution per queued message, named by the message's key.",
            timeout_seconds=config.STARTER_TIMEOUT_SECONDS,
            layer=layer,
            key=key,
            log_retention=log_retention,
            environment={config.ENV_STATE_MACHINE_ARN: state_machine.state_machine_arn},
        )
        state_machine.grant_start_execution(self.starter.function)
        # The state machine encrypts its executions with the stack's key: starting one needs a data key.
        if key is not None:
            self.starter.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["kms:GenerateDataKey"],
                    resources=[key.key_arn],
                    conditions={
                        "StringEquals": {
                            "kms:EncryptionContext:aws:states:stateMachineArn": state_machine.state_machine_arn
                        }
                    },
                )
            )
        self.starter.function.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=config.STARTER_BATCH_SIZE,
                max_batching_window=Duration.seconds(config.STARTER_BATCH_WINDOW_SECONDS),
                report_batch_item_failures=True,
                # Caps the starter's concurrent batches, and so the rate of StartExecution calls (README, "Capacity").
                max_concurrency=max_concurrency,
            )
        )
