"""Settings that the CDK stack, the local mode and the tests share: one place for each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = PROJECT_ROOT / "functions"
DEFINITION_FILE = PROJECT_ROOT / "statemachine" / "order_workflow.asl.json"
CDK_JSON = PROJECT_ROOT / "cdk.json"

STACK_NAME = "OrderProcessor"

# CDK context keys (cdk.json, or `npx cdk deploy -c key=value`).
CONTEXT_NOTIFICATION_EMAIL = "orders:notificationEmail"
CONTEXT_WORKFLOW_TYPE = "orders:workflowType"
CONTEXT_OPERATIONS_EMAIL = "orders:operationsEmail"
CONTEXT_STARTER_MAX_CONCURRENCY = "orders:starterMaxConcurrency"
CONTEXT_VALIDATE_RESERVED_CONCURRENCY = "orders:validateReservedConcurrency"
CONTEXT_POWERTOOLS_LAYER_ARN = "orders:powertoolsLayerArn"
CONTEXT_PROFILE = "orders:profile"
WORKFLOW_TYPES = ("STANDARD", "EXPRESS")

# The local mode's emulated account lives in this region; `orders local serve` listens on 127.0.0.1 at this
# port unless told otherwise, and the operator commands' `--local` look for it there.
LOCAL_REGION = "us-east-1"
LOCAL_PORT = 4580


def cdk_json_context() -> dict[str, Any]:
    """The context of cdk.json: feature flags and the project's defaults, as `cdk synth` passes them."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return context


def configured(key: str) -> str:
    """A context value as cdk.json sets it (what `cdk deploy` uses unless `-c` overrides it)."""
    return str(cdk_json_context().get(key) or "")


# The Powertools layer the functions run with; keep equal to the pin in requirements.txt (a test checks).
POWERTOOLS_VERSION = "3.37.0"
POWERTOOLS_LAYER_PARAMETER = "/aws/service/powertools/python/{arch}/{runtime}/{version}"

# Intake: the starter gets up to this many messages per invocation; a message that could not be
# started this many times goes to the dead-letter queue.
STARTER_BATCH_SIZE = 10
STARTER_BATCH_WINDOW_SECONDS = 1
STARTER_TIMEOUT_SECONDS = 30
MAX_RECEIVE_COUNT = 5
# AWS advises a visibility timeout of six times the consumer's timeout (plus the batch window).
QUEUE_VISIBILITY_SECONDS = 6 * STARTER_TIMEOUT_SECONDS + STARTER_BATCH_WINDOW_SECONDS
DLQ_RETENTION_DAYS = 14

# Capacity (README, "Capacity"). Lambda accepts a MaximumConcurrency of 2 to 1,000 for an SQS event source
# (AWS Lambda API reference, "ScalingConfig": https://docs.aws.amazon.com/lambda/latest/dg/API_ScalingConfig.html).
SQS_MAXIMUM_CONCURRENCY_RANGE = (2, 1000)
# Standard workflows' StartExecution refills 300 tokens per second in us-east-1, us-west-2 and eu-west-1 and 150
# elsewhere ("Step Functions service quotas": https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
STANDARD_START_EXECUTION_REFILL_PER_SECOND = 150
# An assumption, not an AWS figure: the fastest a StartExecution call returns to the starter. It starts a batch's
# executions one after another, so one batch at a time starts at most 1 / 0.02 = 50 executions per second.
ASSUMED_START_EXECUTION_SECONDS = 0.02
# At most 3 batches at once: at most 3 x 50 = 150 starts per second, the smallest Standard refill rate, so a
# backlog drains without StartExecution throttling in any Region (README, "Capacity").
STARTER_MAX_CONCURRENCY = 3

VALIDATE_TIMEOUT_SECONDS = 10
# Log groups AWS services deliver to under this prefix spare the account's CloudWatch Logs resource policy.
VENDED_LOGS_PREFIX = "/aws/vendedlogs/states/"

# The state machine definition's ${placeholders}, filled by CDK and by the local mode alike.
SUBSTITUTION_VALIDATE_FUNCTION = "ValidateFunctionArn"
SUBSTITUTION_TABLE = "OrdersTableName"
SUBSTITUTION_ORDER_TOPIC = "OrderTopicArn"
SUBSTITUTION_OPERATIONS_TOPIC = "OperationsTopicArn"

# Environment of the functions.
ENV_STATE_MACHINE_ARN = "ORDER_STATE_MACHINE_ARN"
METRICS_NAMESPACE = "OrderProcessor"
STARTER_SERVICE = "order-starter"
VALIDATE_SERVICE = "order-validation"

# Business metrics the functions emit (EMF), shown on the dashboard.
METRIC_ORDERS_ACCEPTED = "OrdersAccepted"
METRIC_ORDERS_REJECTED = "OrdersRejected"
METRIC_ORDERS_STARTED = "OrdersStarted"
METRIC_DUPLICATE_ORDERS = "DuplicateOrders"
METRIC_ORDER_VALUE = "OrderValue"

# The table's partition key: the message's key (contract, section 2).
TABLE_PARTITION_KEY = "orderKey"

# Stack outputs: the operator commands and the local mode find resources by these.
OUTPUT_QUEUE_URL = "OrderQueueUrl"
OUTPUT_DLQ_URL = "DeadLetterQueueUrl"
OUTPUT_STATE_MACHINE_ARN = "StateMachineArn"
OUTPUT_TABLE_NAME = "OrdersTableName"
OUTPUT_ORDER_TOPIC_ARN = "OrderTopicArn"
OUTPUT_OPERATIONS_TOPIC_ARN = "OperationsTopicArn"
OUTPUT_DASHBOARD = "DashboardName"
