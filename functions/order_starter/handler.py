"""Starter: one Step Functions execution per SQS message, named by the message's key.

No tracing SDK: Lambda's active tracing records the invocation, and each execution joins its trace through the
invocation's trace header, which botocore sends with StartExecution on its own (see `trace_header`).

Its Step Functions client comes from botocore alone: boto3 adds nothing the starter uses (its resources, S3
transfers) and its import was about a tenth of the starter's cold start (`benchmarks/cold_start.py`).
"""

from __future__ import annotations

import os
from typing import Any

import botocore.session
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from order_starter.keys import execution_input, order_key

STATE_MACHINE_ARN = os.environ["ORDER_STATE_MACHINE_ARN"]
# StartExecution's traceHeader, the request body's field: at most 256 characters (AWS Step Functions API Reference,
# StartExecution: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
MAX_TRACE_HEADER = 256

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
stepfunctions = botocore.session.get_session().create_client("stepfunctions")


def trace_header() -> dict[str, str]:
    """The invocation's X-Ray trace header as the `traceHeader` field of StartExecution's body, so that the execution
    (Step Functions tracing) continues the trace Lambda's active tracing started. Lambda sets `_X_AMZN_TRACE_ID` for
    each invocation ("Defined runtime environment variables":
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).

    botocore already sends that variable as the `X-Amzn-Trace-Id` HTTP header of every call when
    `AWS_LAMBDA_FUNCTION_NAME` is set (its handler `add_recursion_detection_header`), and Step Functions uses the
    header over the body's field when both are given (StartExecution, `traceHeader`): on Lambda the header is what
    links the trace. The body field is kept so the link does not rest on that botocore behaviour alone. The length
    check guards only the body field: a value it would refuse is left out rather than failing the start."""
    header = os.environ.get("_X_AMZN_TRACE_ID", "")
    if not header or len(header) > MAX_TRACE_HEADER:
        return {}
    return {"traceHeader": header}


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
            **trace_header(),
        )
    except stepfunctions.exceptions.ExecutionAlreadyExists:
        logger.info("Duplicate order: its key already has an execution")
        metrics.add_metric(name="DuplicateOrders", unit=MetricUnit.Count, value=1)
        return "duplicate"
    logger.info("Order execution started")
    metrics.add_metric(name="OrdersStarted", unit=MetricUnit.Count, value=1)
    return "started"


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Only records whose execution could not be started go back to the queue (partial batch response).
    return dict(process_partial_response(event=event, record_handler=start_order, processor=processor, context=context))
