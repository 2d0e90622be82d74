"""OrderWorkflow: the ValidateOrder function and the state machine that runs each order."""

from __future__ import annotations

from typing import cast

from aws_cdk import CfnElement, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from workflow import config
from workflow.constructs.function import PythonFunction
from workflow.constructs.nag import XRAY_AND_LOG_DELIVERY, acknowledge
from workflow.profiles import Profile


def state_machine_name(stack_name: str, workflow_type: str) -> str:
    """`OrderProcessor-Orders-Standard` or `OrderProcessor-Orders-Express`."""
    return f"{stack_name}-Orders-{workflow_type.capitalize()}"


class OrderWorkflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        workflow_type: str,
        profile: Profile,
        validate_reserved_concurrency: int | None,
        table: dynamodb.ITable,
        order_topic: sns.ITopic,
        operations_topic: sns.ITopic,
        key: kms.IKey | None,
        layer: lambda_.ILayerVersion,
    ) -> None:
        super().__init__(scope, construct_id)
        self.validate = PythonFunction(
            self,
            "ValidateOrder",
            packages=("order_validation", "order_contract"),
            handler="order_validation.handler.lambda_handler",
            service=config.VALIDATE_SERVICE,
            description="Validates one order against the contract and shapes its record and notification.",
            timeout_seconds=config.VALIDATE_TIMEOUT_SECONDS,
            layer=layer,
            key=key,
            log_retention=profile.log_retention,
            reserved_concurrency=validate_reserved_concurrency,
        )
        stack = Stack.of(self)
        self.log_group = logs.LogGroup(
            self,
            "ExecutionLogs",
            # Step Functions adds each log group it logs to to the account's CloudWatch Logs resource policy,
            # which is capped at 5,120 characters; groups under /aws/vendedlogs/ spare it. Step Functions,
            # "Avoiding Amazon CloudWatch Logs resource policy size restrictions":
            # https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html
            # CloudWatch Logs, "Logs sent to CloudWatch Logs" (log group resource policy):
            # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-CWL.html
            # One name for both workflow types: switching the type keeps the group and its logs.
            log_group_name=f"{config.VENDED_LOGS_PREFIX}{stack.stack_name}-Orders",
            retention=logs.RetentionDays[profile.log_retention],
            encryption_key=key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            # Named: the KMS key policy condition CDK writes for an encrypted machine needs its ARN at synth time.
            # The type is in the name: StateMachineType cannot change in place, and CloudFormation replaces a
            # named resource only under a new name (README, "Deploy and destroy").
            state_machine_name=state_machine_name(stack.stack_name, workflow_type),
            state_machine_type=sfn.StateMachineType[workflow_type],
            definition_body=sfn.DefinitionBody.from_string(config.DEFINITION_FILE.read_text()),
            definition_substitutions={
                config.SUBSTITUTION_VALIDATE_FUNCTION: self.validate.function.function_arn,
                config.SUBSTITUTION_TABLE: table.table_name,
                config.SUBSTITUTION_ORDER_TOPIC: order_topic.topic_arn,
                config.SUBSTITUTION_OPERATIONS_TOPIC: operations_topic.topic_arn,
            },
            tracing_enabled=True,
            # Without the order data (customer e-mails stay out of logs); every event (production) or only the error
            # events, failed tasks and executions (free-tier, within CloudWatch Logs' free ingestion).
            logs=sfn.LogOptions(
                destination=self.log_group,
                level=sfn.LogLevel[profile.state_machine_log_level],
                include_execution_data=False,
            ),
            # Without the stack's key, Step Functions' AWS owned key: no charge, no KMS request.
            encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(key) if key else None,
        )
        role = self.state_machine.role
        self.validate.function.grant_invoke(role)
        table.grant(role, "dynamodb:PutItem", "dynamodb:UpdateItem")
        if key is not None:
            self._decrypt_table_key(role, key, table)
        order_topic.grant_publish(role)
        operations_topic.grant_publish(role)
        if profile.state_machine_log_level != "ALL":
            acknowledge(
                self.state_machine,
                "SF1",
                "Free-tier profile: only error events (failed tasks and executions) are logged, to stay within "
                "CloudWatch Logs' free ingestion; a Standard execution's history holds every event.",
            )
        acknowledge(
            role,
            XRAY_AND_LOG_DELIVERY,
            "Tracing and execution logging: X-Ray segments and CloudWatch Logs delivery "
            "(logs:CreateLogDelivery and friends) exist only on Resource '*'.",
        )
        validate_id = stack.get_logical_id(cast(CfnElement, self.validate.function.node.default_child))
        acknowledge(
            role,
            f"IAM5[Resource::<{validate_id}.Arn>:*]",
            "CDK's grant_invoke also allows the ValidateOrder function's versions and aliases (':*').",
        )
        if key is not None:
            acknowledge(
                role,
                "IAM5[Action::kms:GenerateDataKey*]",
                "Publishing to the KMS-encrypted topics needs kms:GenerateDataKey* on the stack's own key only.",
            )

    def _decrypt_table_key(self, role: iam.IRole, key: kms.IKey, table: dynamodb.ITable) -> None:
        stack = Stack.of(self)
        # The table is encrypted with the stack's key: DynamoDB decrypts the table key with the caller's own
        # kms:Decrypt, through DynamoDB, in the table's encryption context ("How Amazon DynamoDB uses AWS KMS",
        # Monitoring, Decrypt: https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html).
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DecryptTheTableKeyThroughDynamoDB",
                actions=["kms:Decrypt"],
                resources=[key.key_arn],
                conditions={
                    "StringEquals": {
                        "kms:ViaService": f"dynamodb.{stack.region}.{stack.url_suffix}",
                        "kms:EncryptionContext:aws:dynamodb:tableName": table.table_name,
                    }
                },
            )
        )
