"""ValidateOrder: checks one order against the contract and shapes its outcome.

No tracing SDK: Lambda's active tracing records the invocation, within the execution's trace.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

from order_validation.outcome import ValidationRequest, build_outcome, oversize_reason
from order_validation.rules import AcceptedOrder, Rejection, validate_body

logger = Logger()
metrics = Metrics()


def _observe(result: AcceptedOrder | Rejection) -> None:
    """Log the outcome and count it in the business metrics."""
    if not isinstance(result, AcceptedOrder):
        logger.info("Order rejected", extra={"reasons": list(result.reasons)})
        metrics.add_metric(name="OrdersRejected", unit=MetricUnit.Count, value=1)
        return
    logger.info("Order accepted", extra={"total": str(result.total), "currency": result.currency})
    metrics.add_metric(name="OrdersAccepted", unit=MetricUnit.Count, value=1)
    # EMF values are numbers; the exact total is in the record, this is only for the dashboard.
    with single_metric(
        name="OrderValue", unit=MetricUnit.NoUnit, value=float(result.total), namespace=metrics.namespace
    ) as metric:
        metric.add_dimension(name="currency", value=result.currency)


@logger.inject_lambda_context(correlation_id_path="message.orderKey", clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = ValidationRequest.model_validate(event)
    if request.message.body is None:
        result: AcceptedOrder | Rejection = Rejection(reasons=(oversize_reason(request.message),))
    else:
        result = validate_body(request.message.body)
    outcome = build_outcome(request, result, datetime.now(UTC))
    _observe(result)
    return outcome
