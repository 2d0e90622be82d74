"""Starter: one Step Functions execution per SQS message, named by the message's key."""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from order_starter.keys import execution_input, order_key

STATE_MACHINE_ARN = os.environ["ORDER_STATE_MACHINE_ARN"]

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
stepfunctions = boto3.client("stepfunctions")


@tracer.capture_method
def start_order(record: SQSRecord) -> str:
    """Start the order's execution. A Standard workflow refuses a key that already has one
    (ExecutionAlreadyExists): a duplicate, already handled. An Express workflow never does: each
    delivery starts an execution, and SaveOrder's conditional write catches the duplicate."""
    key = order_key(record.body, record.message_id)
    logger.append_keys(order_key=key, message_id=record.message_id)
    try:
        stepfunctions.start_execution(
            stateMachineArn=STATE_MACHINE_ARN,
            name=key,
            input=execution_input(key, record.message_id, record.body),
        )
    except stepfunctions.exceptions.ExecutionAlreadyExists:
        logger.info("Duplicate order: its key already has an execution")
        metrics.add_metric(name="DuplicateOrders", unit=MetricUnit.Count, value=1)
        return "duplicate"
    logger.info("Order execution started")
    metrics.add_metric(name="OrdersStarted", unit=MetricUnit.Count, value=1)
    return "started"


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Only records whose execution could not be started go back to the queue (partial batch response).
    return dict(process_partial_response(event=event, record_handler=start_order, processor=processor, context=context))
