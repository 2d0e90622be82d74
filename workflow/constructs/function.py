"""A Python Lambda function the way this project runs them all."""

from __future__ import annotations

from aws_cdk import Duration, IgnoreMode, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from workflow import config
from workflow.constructs.nag import XRAY_AND_LOG_DELIVERY, acknowledge

RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64


def powertools_layer(scope: Construct, layer_arn: str | None = None) -> lambda_.ILayerVersion:
    """The public Powertools layer of the pinned version: `layer_arn` when given, else resolved at deploy time
    from the SSM parameter Powertools publishes, which exists only in the Regions Powertools publishes its
    layers to (Powertools for AWS Lambda (Python), "Installation", Lambda Layer: see the README, "Deploy").

    The layer is built with Powertools' extras, so it also carries pydantic (which ValidateOrder uses) and the
    X-Ray SDK (which no handler imports: see `tracing=` below).
    """
    if layer_arn is None:
        parameter = config.POWERTOOLS_LAYER_PARAMETER.format(
            arch=ARCHITECTURE.name, runtime=RUNTIME.name, version=config.POWERTOOLS_VERSION
        )
        layer_arn = ssm.StringParameter.value_for_string_parameter(scope, parameter)
    return lambda_.LayerVersion.from_layer_version_arn(scope, "PowertoolsLayer", layer_arn)


class PythonFunction(Construct):
    """Function with its own role, its own encrypted log group, tracing on and Powertools configured."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        packages: tuple[str, ...],
        handler: str,
        service: str,
        description: str,
        timeout_seconds: int,
        layer: lambda_.ILayerVersion,
        key: kms.IKey | None,
        log_retention: str,
        environment: dict[str, str] | None = None,
        reserved_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=logs.RetentionDays[log_retention],
            # Without the stack's key, CloudWatch Logs' own encryption at rest, at no charge.
            encryption_key=key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        # One role per function, written out instead of AWSLambdaBasicExecutionRole: it may write
        # to its own log group and nowhere else.
        self.role = iam.Role(
            self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=description
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            # The deployment package holds the function's own package and the ones it shares.
            code=lambda_.Code.from_asset(
                str(config.FUNCTIONS_DIR),
                exclude=["/*", *(f"!/{package}/" for package in packages), "__pycache__/", "*.pyc"],
                ignore_mode=IgnoreMode.GIT,
            ),
            layers=[layer],
            role=self.role,
            timeout=Duration.seconds(timeout_seconds),
            memory_size=256,
            reserved_concurrent_executions=reserved_concurrency,
            # Lambda records each invocation's segment itself, so the handlers import no tracing SDK (the X-Ray SDK
            # was most of their cold start): "With Active tracing, Lambda automatically creates trace segments for
            # function invocations and sends them to X-Ray" ("Visualize Lambda function invocations using AWS
            # X-Ray": https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html). The starter passes the
            # invocation's trace header on to each execution (StartExecution's traceHeader).
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            environment={
                "POWERTOOLS_SERVICE_NAME": service,
                "POWERTOOLS_METRICS_NAMESPACE": config.METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                **(environment or {}),
            },
        )
        acknowledge(
            self.role,
            XRAY_AND_LOG_DELIVERY,
            "Active tracing: xray:PutTraceSegments and PutTelemetryRecords exist only on Resource '*'.",
        )
