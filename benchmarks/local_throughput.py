"""Orders per second through the whole local pipeline, against the three steps' code called directly.

    .venv/bin/python benchmarks/local_throughput.py [-n 500]

Both figures come from the same run on the same machine: the ratio is what to compare across
machines. The pipeline is timed after a warm-up of 10 orders (the handlers' cold start). The
baseline calls, in this process, what the three steps do: the starter's key and input, the
validator and outcome, a DynamoDB put and an SNS publish on moto (no Step Functions, no SQS, no
Lambda runtime). It also prints how long reading the report back took afterwards (what
`orders local run` does before it prints), which the rate leaves out.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "functions")]

WARM_UP_ORDERS = 10

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402


def orders(count: int, prefix: str = "bench") -> list[str]:
    return [
        json.dumps(
            {
                "orderId": f"{prefix}-{i:06d}",
                "customer": {"id": f"c-{i}", "email": f"c{i}@example.com"},
                "items": [{"sku": "BOOK-001", "quantity": 1 + i % 5, "unitPrice": "19.90"}],
                "currency": "BRL",
            }
        )
        for i in range(count)
    ]


def direct(bodies: list[str]) -> float:
    """The steps' own code, one order after another: the floor the pipeline is measured against."""
    from order_starter.keys import execution_input, order_key
    from order_validation.outcome import ValidationRequest, build_outcome
    from order_validation.rules import validate_body

    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName="orders",
            KeySchema=[{"AttributeName": "orderKey", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "orderKey", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sns = boto3.client("sns", region_name="us-east-1")
        topic = sns.create_topic(Name="orders")["TopicArn"]
        started = time.perf_counter()
        for i, body in enumerate(bodies):
            key = order_key(body, f"m-{i}")
            message = json.loads(execution_input(key, f"m-{i}", body))
            request = ValidationRequest.model_validate(
                {"message": message, "executionId": f"x-{i}", "receivedAt": "2026-01-01T00:00:00Z"}
            )
            outcome = build_outcome(request, validate_body(body), datetime.now(UTC))
            dynamodb.put_item(
                TableName="orders", Item=outcome["record"], ConditionExpression="attribute_not_exists(orderKey)"
            )
            sns.publish(
                TopicArn=topic,
                Subject=outcome["notification"]["subject"],
                Message=outcome["notification"]["message"],
                MessageAttributes={"status": {"DataType": "String", "StringValue": outcome["status"]}},
            )
        return time.perf_counter() - started


def pipeline(bodies: list[str]) -> tuple[float, float, dict[str, int]]:
    from workflow.local.emulator import EmulatedStack, synthesize_for_local
    from workflow.local.run import run

    with tempfile.TemporaryDirectory() as outdir:
        assembly = synthesize_for_local(Path(outdir))
        with EmulatedStack(assembly) as stack:
            # The first invocations import the handlers (Lambda's cold start): not part of the rate.
            run(stack, orders(WARM_UP_ORDERS, prefix="warm-up"))
            started = time.perf_counter()
            report = run(stack, bodies)
            total = time.perf_counter() - started
    return report["summary"]["seconds"], total - report["summary"]["seconds"], report["summary"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--orders", type=int, default=500)
    args = parser.parse_args()
    bodies = orders(args.orders)
    direct_seconds = direct(bodies)
    pipeline_seconds, report_seconds, summary = pipeline(bodies)
    if summary["accepted"] != args.orders + WARM_UP_ORDERS:
        raise SystemExit(f"the pipeline did not accept every order: {summary}")
    print(f"orders:                 {args.orders}")
    print(f"steps called directly:  {args.orders / direct_seconds:8.1f} orders/s ({direct_seconds:.2f} s)")
    print(f"full local pipeline:    {args.orders / pipeline_seconds:8.1f} orders/s ({pipeline_seconds:.2f} s)")
    print(f"pipeline / direct:      {direct_seconds / pipeline_seconds:8.3f} (share of the direct speed)")
    print(f"reading the report:     {report_seconds:8.2f} s (after the pipeline; not in the rate)")


if __name__ == "__main__":
    main()
