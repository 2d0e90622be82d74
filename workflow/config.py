"""Settings that the CDK stack, the local mode and the tests share: one place for each."""

from __future__ import annotations

import json
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = PROJECT_ROOT / "functions"
DEFINITION_FILE = PROJECT_ROOT / "statemachine" / "order_workflow.asl.json"

STACK_NAME = "OrderProcessor"

# CDK context keys (cdk.json, or `npx cdk deploy -c key=value`).
CONTEXT_NOTIFICATION_EMAIL = "orders:notificationEmail"
CONTEXT_WORKFLOW_TYPE = "orders:workflowType"
CONTEXT_OPERATIONS_EMAIL = "orders:operationsEmail"
WORKFLOW_TYPES = ("STANDARD", "EXPRESS")


def configured(key: str) -> str:
    """A context value as cdk.json sets it (what `cdk deploy` uses unless `-c` overrides it)."""
    context = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    return str(context.get(key) or "")


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

VALIDATE_TIMEOUT_SECONDS = 10
STATE_MACHINE_TIMEOUT_MINUTES = 15

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
