"""The monthly bill of the deployed system, line by line, before and after the always-free offers (Decimal dollars).

Every figure comes from one of four places, named on its line: the definition (transitions), the template of the
profile (resources), the measured usage of a local run (calls, bytes), or an assumption (ASSUMPTIONS, with its
reason). Prices and free amounts come from `pricing.json`.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from workflow.cost.usage import load_measured

PRICING_FILE = Path(__file__).with_name("pricing.json")
GB = Decimal(1024**3)
# AWS prices a month as 730 hours in its pricing examples.
MONTH_HOURS = Decimal(730)
MONTH_SECONDS = MONTH_HOURS * 3600
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Assumption:
    value: Decimal
    why: str


# What a local run cannot measure and the template does not say: each one stated, with its reason.
ASSUMPTIONS: dict[str, Assumption] = {
    "failedShare": Assumption(
        Decimal(0), "share of orders that end FAILED (the failure path: one more transition, UpdateItem and Publish)"
    ),
    "ordersPerStarterBatch": Assumption(
        Decimal(5), "orders per starter invocation: half the template's batch size of 10 (a batch fills with load)"
    ),
    "starterMsPerBatch": Assumption(Decimal(150), "starter duration per batch on AWS (ms)"),
    "validateMs": Assumption(Decimal(50), "ValidateOrder duration on AWS (ms)"),
    "coldStartShare": Assumption(
        Decimal("0.01"),
        "share of invocations with an INIT phase, billed since 2025-08-01: 'typically under 1%' (AWS Compute Blog, "
        "'AWS Lambda standardizes billing for INIT Phase')",
    ),
    "initMs": Assumption(Decimal(1000), "INIT duration of a cold start, Powertools and pydantic imported (ms)"),
    "expressMs": Assumption(Decimal(300), "an Express execution's duration on AWS (ms), billed in 100 ms steps"),
    "expressMemoryMb": Assumption(Decimal(64), "an Express execution's memory, billed in 64 MB chunks: one chunk"),
    "idlePollsPerMonth": Assumption(
        Decimal(5) * MONTH_SECONDS / 20,
        "ReceiveMessage calls Lambda's SQS poller makes while the queue is empty: 5 pollers long-polling 20 s "
        "(AWS does not document the idle poller count)",
    ),
    "reportLineBytes": Assumption(Decimal(150), "the REPORT line Lambda adds to each invocation's log (bytes)"),
    "retainedMonths": Assumption(Decimal(12), "months of order records the table holds (records are never deleted)"),
    "kmsRequestsPerUse": Assumption(
        MONTH_SECONDS / 300,
        "KMS requests a month per publisher, consumer or service using a key: one per 5-minute data key reuse "
        "period, traffic all month (SNS and SQS document R = B / D x (2P [+ C]): 'Managing Amazon SNS encryption "
        "keys and costs'); an upper bound at low volume",
    ),
}
# Who uses the production key: order topic (2 x 1 publisher), operations topic (2 x 2: the state machine and
# CloudWatch), order queue (2 x 1 sender + 1 consumer), the state machine (the starter and its role), the table,
# three log groups. The free-tier profile's only KMS use is the order topic's AWS managed key (2 x 1 publisher).
KMS_USES_WITH_CUSTOMER_KEY = 2 + 4 + 3 + 2 + 1 + 3
KMS_USES_PER_AWS_MANAGED_TOPIC = 2


@dataclass
class Line:
    service: str
    item: str
    quantity: Decimal
    unit: str
    price_key: str
    source: str  # definition | template | measured | assumed
    driver: str
    free: Decimal = Decimal(0)
    price: Decimal | None = None
    cost: Decimal | None = None
    cost_after_free_tier: Decimal | None = None

    def billed_quantity(self) -> Decimal:
        return max(Decimal(0), self.quantity - self.free)


@dataclass
class Bill:
    orders: int
    workflow_type: str
    profile: str
    region: str
    lines: list[Line] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.cost or Decimal(0) for line in self.lines), Decimal(0))

    @property
    def total_after_free_tier(self) -> Decimal:
        return sum((line.cost_after_free_tier or Decimal(0) for line in self.lines), Decimal(0))

    @property
    def unpriced(self) -> list[Line]:
        return [line for line in self.lines if line.price is None and line.quantity > 0]


@functools.cache
def pricing() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PRICING_FILE.read_text())
    return data


def regions() -> list[str]:
    """Every Region the table has a figure for, whether or not it has every line."""
    return sorted({region for price in pricing()["prices"].values() for region in price["regions"]})


def fully_priced_regions() -> list[str]:
    """The Regions with a figure for every price in the table."""
    prices = pricing()["prices"].values()
    return [region for region in regions() if all(region in price["regions"] for price in prices)]


def unpriced_lines(workflow_type: str, profile: str, region: str, measured: dict[str, Any]) -> list[str]:
    """The lines a bill of this type and profile has at any volume above zero that the table has no figure for in
    this Region: such a bill is refused rather than totalled without them."""
    result = bill(1, workflow_type=workflow_type, profile=profile, region=region, measured=measured)
    return [f"{line.service} {line.item}" for line in result.unpriced]


def bill(
    orders: int,
    *,
    workflow_type: str = "STANDARD",
    profile: str = "production",
    region: str = "us-east-1",
    measured: dict[str, Any] | None = None,
) -> Bill:
    measured = measured or load_measured()
    usage = measured["profiles"][profile]
    facts, totals = usage["template"], usage["totals"]
    orders_measured = _orders_measured(usage)

    def per(value: Any) -> Decimal:
        """A measured total, per order that reached an outcome in the sample run."""
        return Decimal(value) / orders_measured

    a = {name: assumption.value for name, assumption in ASSUMPTIONS.items()}
    n = Decimal(orders)
    result = Bill(orders, workflow_type, profile, region)
    add = result.lines.append
    failed = a["failedShare"]
    transitions = measured["transitions"]

    if workflow_type == "STANDARD":
        per_order = transitions["success"] * (1 - failed) + transitions["failure"] * failed
        add(
            Line(
                "Step Functions",
                "state transitions",
                n * per_order,
                "transitions",
                "stepFunctions.standardTransition",
                "definition",
                f"{per_order.normalize()} per order: the definition's path when no step fails",
            )
        )
    else:
        steps = -(-a["expressMs"] // 100) * Decimal("0.1")
        add(
            Line(
                "Step Functions",
                "Express requests",
                n,
                "requests",
                "stepFunctions.expressRequest",
                "assumed",
                "one per order",
            )
        )
        add(
            Line(
                "Step Functions",
                "Express duration",
                n * steps * a["expressMemoryMb"] / 1024,
                "GB-seconds",
                "stepFunctions.expressGbSecond",
                "assumed",
                f"{a['expressMs']} ms at {a['expressMemoryMb']} MB per execution (assumed)",
            )
        )

    batches = n / a["ordersPerStarterBatch"]
    starter, validate = facts["functions"]["order-starter"], facts["functions"]["order-validation"]
    validations = n * per(totals["functionInvocations"]["order-validation"])
    add(
        Line(
            "Lambda",
            "requests",
            batches + validations,
            "requests",
            "lambda.request",
            "measured",
            "one ValidateOrder per order (measured), one starter per batch (assumed batch fill)",
        )
    )
    gb_seconds = Decimal(0)
    for count, ms, function in ((batches, a["starterMsPerBatch"], starter), (validations, a["validateMs"], validate)):
        billed_ms = ms + a["coldStartShare"] * a["initMs"]
        gb_seconds += count * billed_ms / 1000 * Decimal(function["memoryMb"]) / 1024
    arch = validate["architecture"]
    add(
        Line(
            "Lambda",
            "duration, INIT phase included",
            gb_seconds,
            "GB-seconds",
            f"lambda.gbSecond.{arch}",
            "template",
            f"{validate['memoryMb']} MB, {arch} (template); durations and cold starts assumed",
        )
    )

    sqs_requests = n + 2 * batches + a["idlePollsPerMonth"]
    add(
        Line(
            "SQS",
            "requests",
            sqs_requests,
            "requests",
            "sqs.request",
            "assumed",
            "a send per order, a receive and a delete per batch, the poller's idle receives",
        )
    )

    if facts["tableWriteCapacity"] is None:
        add(
            Line(
                "DynamoDB",
                "on-demand writes",
                n * per(totals["writeRequestUnits"]),
                "write request units",
                "dynamodb.writeRequestUnit",
                "measured",
                "one write per order, 1 unit per KB (measured)",
            )
        )
    else:
        writes_per_second = n * per(totals["writeRequestUnits"]) / MONTH_SECONDS
        if writes_per_second > facts["tableWriteCapacity"]:
            result.warnings.append(
                f"{writes_per_second.quantize(CENT)} writes a second on average exceed the table's provisioned "
                f"{facts['tableWriteCapacity']} WCU: orders will be throttled and retried; use the production profile"
            )
        add(
            Line(
                "DynamoDB",
                "provisioned writes",
                Decimal(facts["tableWriteCapacity"]) * MONTH_HOURS,
                "WCU-hours",
                "dynamodb.wcuHour",
                "template",
                f"{facts['tableWriteCapacity']} WCU all month (template)",
            )
        )
        add(
            Line(
                "DynamoDB",
                "provisioned reads",
                Decimal(facts["tableReadCapacity"]) * MONTH_HOURS,
                "RCU-hours",
                "dynamodb.rcuHour",
                "template",
                f"{facts['tableReadCapacity']} RCU all month (template)",
            )
        )
    stored_gb = n * a["retainedMonths"] * (per(totals["recordBytes"]) + 100) / GB
    add(
        Line(
            "DynamoDB",
            "storage",
            stored_gb,
            "GB-months",
            "dynamodb.storageGbMonth",
            "measured",
            f"{a['retainedMonths']} months of records at their measured size, plus 100 bytes each",
        )
    )
    if facts["pointInTimeRecovery"]:
        add(
            Line(
                "DynamoDB",
                "point-in-time recovery",
                stored_gb,
                "GB-months",
                "dynamodb.pitrGbMonth",
                "template",
                "the table's size (template: on)",
            )
        )

    publishes = n * per(totals["apiCalls"].get("sns.Publish", 0))
    add(Line("SNS", "publishes", publishes, "requests", "sns.publish", "measured", "one per order (measured)"))
    add(
        Line(
            "SNS",
            "e-mail deliveries",
            publishes * facts["emailSubscriptions"],
            "deliveries",
            "sns.emailDelivery",
            "template",
            f"{facts['emailSubscriptions']} e-mail subscriptions (template)",
        )
    )

    keys = Decimal(facts["customerManagedKeys"])
    add(
        Line(
            "KMS",
            "customer managed keys",
            keys,
            "key-months",
            "kms.keyMonth",
            "template",
            f"{keys} keys (template); each rotation adds a key-month",
        )
    )
    uses = KMS_USES_WITH_CUSTOMER_KEY if keys else KMS_USES_PER_AWS_MANAGED_TOPIC * facts["topicsWithAwsManagedKey"]
    add(
        Line(
            "KMS",
            "requests",
            uses * a["kmsRequestsPerUse"] if orders else Decimal(0),
            "requests",
            "kms.request",
            "assumed",
            f"{uses} key uses x one request per 5 minutes",
        )
    )

    log_bytes = per(sum(totals["functionLogBytes"].values()))
    invocations = per(sum(totals["functionInvocations"].values()))
    per_order_log = log_bytes + invocations * a["reportLineBytes"] + per(totals["executionLogBytes"])
    ingested = n * per_order_log / GB
    retention = Decimal(max(facts["logRetentionDays"])) / 30
    add(
        Line(
            "CloudWatch",
            "log ingestion",
            ingested,
            "GB",
            "cloudwatch.logsIngestedGb",
            "measured",
            f"{per_order_log.quantize(CENT)} bytes per order (measured), executions logged at "
            f"{facts['stateMachineLogLevel']}",
        )
    )
    add(
        Line(
            "CloudWatch",
            "log storage",
            ingested * retention,
            "GB-months",
            "cloudwatch.logsStoredGbMonth",
            "template",
            f"{max(facts['logRetentionDays'])} days kept (template), uncompressed",
        )
    )
    add(
        Line(
            "CloudWatch",
            "custom metrics",
            Decimal(len(usage["customMetrics"])),
            "metrics",
            "cloudwatch.customMetricMonth",
            "measured",
            "each name, service and currency the functions emit",
        )
    )
    add(
        Line(
            "CloudWatch",
            "alarms",
            Decimal(facts["alarms"]),
            "alarms",
            "cloudwatch.alarmMonth",
            "template",
            "standard resolution, one metric each",
        )
    )
    add(
        Line(
            "CloudWatch",
            "dashboards",
            Decimal(facts["dashboards"]),
            "dashboards",
            "cloudwatch.dashboardMonth",
            "template",
            "the pipeline's dashboard",
        )
    )

    traced = (n if facts["stateMachineTracing"] else 0) + (batches if starter["tracing"] else 0)
    add(
        Line(
            "X-Ray",
            "traces recorded",
            sampled(Decimal(traced)),
            "traces",
            "xray.traceRecorded",
            "assumed",
            "one per execution and per starter batch, X-Ray's default sampling",
        )
    )

    _price(result, pricing())
    return result


def sampled(requests: Decimal) -> Decimal:
    """X-Ray's default rule records the first request each second and five percent of the rest (AWS X-Ray Developer
    Guide, "Configuring sampling rules"), for requests spread evenly over the month."""
    reservoir = MONTH_SECONDS
    return requests if requests <= reservoir else reservoir + (requests - reservoir) * Decimal("0.05")


def _orders_measured(usage: dict[str, Any]) -> Decimal:
    """The sample run's orders that reached an outcome of their own (its duplicate delivery did not)."""
    outcomes = usage["outcomes"]
    return Decimal(outcomes["accepted"] + outcomes["rejected"] + outcomes["failed"])


FREE_KEYS = {
    "stepFunctions.standardTransition": "stepFunctions.standardTransition",
    "lambda.request": "lambda.request",
    "lambda.gbSecond.arm64": "lambda.gbSecond",
    "lambda.gbSecond.x86_64": "lambda.gbSecond",
    "sqs.request": "sqs.request",
    "dynamodb.storageGbMonth": "dynamodb.storageGb",
    "sns.publish": "sns.publish",
    "sns.emailDelivery": "sns.emailDelivery",
    "kms.request": "kms.request",
    "cloudwatch.customMetricMonth": "cloudwatch.customMetric",
    "cloudwatch.alarmMonth": "cloudwatch.alarm",
    "cloudwatch.dashboardMonth": "cloudwatch.dashboard",
    "xray.traceRecorded": "xray.traceRecorded",
}


def _price(result: Bill, table: dict[str, Any]) -> None:
    free = {key: Decimal(entry["amount"]) for key, entry in table["freeTier"].items()}
    logs_free = free["cloudwatch.logsGb"]
    for line in result.lines:
        if line.price_key in FREE_KEYS:
            line.free = free[FREE_KEYS[line.price_key]]
        elif line.price_key == "dynamodb.wcuHour":
            line.free = free["dynamodb.wcu"] * MONTH_HOURS
        elif line.price_key == "dynamodb.rcuHour":
            line.free = free["dynamodb.rcu"] * MONTH_HOURS
        elif line.price_key.startswith("cloudwatch.logs"):
            # One free 5 GB for ingestion and storage together: ingestion takes it first.
            line.free, logs_free = min(logs_free, line.quantity), max(Decimal(0), logs_free - line.quantity)
        figure = table["prices"][line.price_key]["regions"].get(result.region)
        if figure is not None:
            line.price = Decimal(figure["usd"])
            line.cost = line.quantity * line.price
            line.cost_after_free_tier = line.billed_quantity() * line.price


def free_volume(workflow_type: str, profile: str, region: str, measured: dict[str, Any]) -> tuple[int, str] | None:
    """The most orders a month that cost nothing after the free tier, and the line that the next order bills;
    None when even no orders cost money (a monthly charge)."""

    def after(orders: int) -> Decimal:
        return bill(
            orders, workflow_type=workflow_type, profile=profile, region=region, measured=measured
        ).total_after_free_tier

    if after(0) > 0:
        return None
    low, high = 0, 1
    while after(high) == 0:
        low, high = high, high * 2
        if high > 10**12:
            return None
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if after(middle) == 0 else (low, middle)
    first = bill(high, workflow_type=workflow_type, profile=profile, region=region, measured=measured)
    ending = next(line for line in first.lines if (line.cost_after_free_tier or 0) > 0)
    return low, f"{ending.service} {ending.item} (free: {ending.free.normalize():,f} {ending.unit})"


def dollars(amount: Decimal) -> str:
    """US dollars to the cent; an amount above zero but under half a cent shows as such, never as $0.00."""
    if 0 < amount < CENT / 2:
        return "<$0.01"
    return f"${amount.quantize(CENT, rounding=ROUND_HALF_UP):,}"
