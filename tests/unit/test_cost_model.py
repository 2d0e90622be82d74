"""`orders cost`: the arithmetic against figures worked out by hand, transitions read from the definition, the
free-tier profile's free volume, and the command's answers to good and bad input."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from workflow.cli import main
from workflow.cost.model import bill, dollars, free_volume, pricing
from workflow.cost.usage import definition_transitions, load_measured, transitions
from workflow.profiles import PROFILES

PRODUCTION_FACTS = {
    "customerManagedKeys": 1,
    "alarms": 7,
    "dashboards": 1,
    "functions": {
        "order-starter": {"memoryMb": 256, "architecture": "arm64", "tracing": True},
        "order-validation": {"memoryMb": 256, "architecture": "arm64", "tracing": True},
    },
    "starterBatchSize": 10,
    "tableWriteCapacity": None,
    "tableReadCapacity": None,
    "pointInTimeRecovery": True,
    "stateMachineLogLevel": "ALL",
    "stateMachineTracing": True,
    "logRetentionDays": [30],
    "emailSubscriptions": 0,
    "topicsWithAwsManagedKey": 0,
}
# Round figures, so that the hand calculations below stay readable.
MEASURED: dict[str, Any] = {
    "samples": "hand-made",
    "transitions": {"success": 3, "failure": 6},
    "profiles": {
        "production": {
            "template": PRODUCTION_FACTS,
            # Ten orders (a duplicate delivery would not count): per order, the figures the comments use.
            "totals": {
                "apiCalls": {"sns.Publish": 10},
                "functionLogBytes": {"order-starter": 1_000, "order-validation": 4_000},
                "functionInvocations": {"order-starter": 2, "order-validation": 10},
                "executionLogBytes": 10_000,
                "recordBytes": 4_000,
                "writeRequestUnits": 10,
            },
            "customMetrics": [f"metric-{i}" for i in range(7)],
            "outcomes": {"messages": 11, "accepted": 8, "rejected": 2, "failed": 0},
        }
    },
}


def line(result: Any, service: str, item: str) -> Any:
    return next(x for x in result.lines if (x.service, x.item) == (service, item))


def test_a_million_standard_orders_in_production_as_worked_out_by_hand() -> None:
    result = bill(1_000_000, measured=MEASURED)
    # Step Functions: 3 transitions x 1,000,000 = 3,000,000 x $0.000025 = $75.00; 4,000 free: 2,996,000 -> $74.90.
    transitions_line = line(result, "Step Functions", "state transitions")
    assert (transitions_line.cost, transitions_line.cost_after_free_tier) == (Decimal("75.00"), Decimal("74.90"))
    # Lambda requests: 1,000,000 ValidateOrder + 1,000,000 / 5 starter batches = 1,200,000 x $0.0000002 = $0.24;
    # 1,000,000 free: 200,000 -> $0.04.
    requests = line(result, "Lambda", "requests")
    assert (requests.cost, requests.cost_after_free_tier) == (Decimal("0.24"), Decimal("0.04"))
    # Lambda duration: starter 200,000 x (150 ms + 1% x 1,000 ms INIT) x 0.25 GB = 8,000 GB-s, ValidateOrder
    # 1,000,000 x 60 ms x 0.25 GB = 15,000 GB-s: 23,000 GB-s x $0.0000133334 = $0.3066682, all within 400,000 free.
    duration = line(result, "Lambda", "duration, INIT phase included")
    assert duration.quantity == 23_000 and duration.cost == Decimal("0.3066682")
    assert duration.cost_after_free_tier == 0
    # SQS: 1,000,000 sends + 2 x 200,000 receives and deletes + 657,000 idle receives = 2,057,000 x $0.0000004
    # = $0.8228; 1,000,000 free: $0.4228.
    sqs = line(result, "SQS", "requests")
    assert (sqs.cost, sqs.cost_after_free_tier) == (Decimal("0.8228"), Decimal("0.4228"))
    # DynamoDB on demand: 1,000,000 x 1 unit x $0.000000625 = $0.625, no free tier for on-demand requests.
    writes = line(result, "DynamoDB", "on-demand writes")
    assert writes.cost == writes.cost_after_free_tier == Decimal("0.625")
    # KMS: one key, $1.00 (no free tier); 15 uses x 8,760 = 131,400 requests x $0.000003 = $0.3942, 20,000 free:
    # 111,400 -> $0.3342.
    assert line(result, "KMS", "customer managed keys").cost_after_free_tier == Decimal("1.00")
    kms = line(result, "KMS", "requests")
    assert (kms.cost, kms.cost_after_free_tier) == (Decimal("0.3942"), Decimal("0.3342"))
    # Logs: (100 + 400 + 1.2 invocations x 150 REPORT + 1,000) = 1,680 bytes x 1,000,000 = 1.5646 GiB x $0.50,
    # within the 5 GB free.
    logs = line(result, "CloudWatch", "log ingestion")
    assert logs.cost is not None and logs.cost.quantize(Decimal("0.0001")) == Decimal("0.7823")
    assert logs.cost_after_free_tier == 0
    # Log storage: 30 days kept = 1.5646 GiB-months x $0.03 = $0.0469, within what ingestion leaves of the 5 GB free.
    storage = line(result, "CloudWatch", "log storage")
    assert storage.cost is not None and storage.cost.quantize(Decimal("0.0001")) == Decimal("0.0469")
    assert storage.cost_after_free_tier == 0
    # X-Ray: 1,200,000 traces (under one a second, all recorded) x $0.000005 = $6.00; 100,000 free: $5.50.
    xray = line(result, "X-Ray", "traces recorded")
    assert (xray.cost, xray.cost_after_free_tier) == (Decimal("6.000000"), Decimal("5.500000"))
    # Point-in-time recovery: the table's 12 months x 1,000,000 x 500 bytes = 5.5879 GiB-months x $0.20 = $1.1176,
    # with no free amount (the free 25 GB is the table's storage, not its backups).
    pitr = line(result, "DynamoDB", "point-in-time recovery")
    assert pitr.cost is not None and pitr.cost.quantize(Decimal("0.0001")) == Decimal("1.1176")
    assert pitr.cost_after_free_tier == pitr.cost
    # Metrics 7 x $0.30, alarms 7 x $0.10, one dashboard $3.00: all within the free 10, 10 and 3.
    # Before the free tier: 75 + 0.24 + 0.3066682 + 0.8228 + 0.625 + 1.3970 (storage: 5.5879 GiB x $0.25) + 1.1176
    # (PITR) + 0.50 (SNS) + 1 + 0.3942 + 0.7823 + 0.0469 + 2.10 + 0.70 + 3 + 6 = $94.03.
    # After: 74.90 + 0.04 + 0.4228 + 0.625 + 1.1176 + 1 + 0.3342 + 5.50 = $83.9396.
    assert dollars(result.total) == "$94.03"
    assert result.total_after_free_tier.quantize(Decimal("0.0001")) == Decimal("83.9396")
    assert result.unpriced == []


def test_express_bills_requests_and_duration_instead_of_transitions() -> None:
    result = bill(1_000_000, workflow_type="EXPRESS", measured=MEASURED)
    # 1,000,000 requests x $0.000001 = $1.00; 1,000,000 x 0.3 s x 64/1024 GB = 18,750 GB-s x $0.00001667 = $0.3125625.
    assert line(result, "Step Functions", "Express requests").cost == Decimal("1.000000")
    assert line(result, "Step Functions", "Express duration").cost == Decimal("0.3125625")
    assert not any(x.item == "state transitions" for x in result.lines)


def test_volumes_scale_the_per_order_lines_and_leave_the_monthly_ones() -> None:
    small, large = bill(1_000, measured=MEASURED), bill(100_000, measured=MEASURED)
    # 1,000 orders: 3,000 transitions = $0.075, all free (4,000).
    assert line(small, "Step Functions", "state transitions").cost == Decimal("0.075")
    assert line(small, "Step Functions", "state transitions").cost_after_free_tier == 0
    # 100,000 orders: 300,000 transitions, 296,000 billed = $7.40.
    assert line(large, "Step Functions", "state transitions").cost_after_free_tier == Decimal("7.400")
    for monthly in (("KMS", "customer managed keys"), ("CloudWatch", "dashboards"), ("CloudWatch", "alarms")):
        assert line(small, *monthly).cost == line(large, *monthly).cost


def test_the_failed_share_adds_the_failure_paths_transitions(monkeypatch: pytest.MonkeyPatch) -> None:
    from workflow.cost import model

    monkeypatch.setitem(model.ASSUMPTIONS, "failedShare", model.Assumption(Decimal("0.5"), "half fail"))
    # Half the orders take 3 transitions, half the longest failure path's 6: 4.5 per order.
    assert line(bill(1_000, measured=MEASURED), "Step Functions", "state transitions").quantity == 4_500


def test_transitions_per_order_are_read_from_the_definitions_paths() -> None:
    # ValidateOrder, SaveOrder, NotifyCustomer (or SkipDuplicate); the longest failure: all three, then
    # RecordFailure, AlertOperations, OrderFailed.
    assert definition_transitions() == {"success": 3, "failure": 6}


def test_a_state_added_to_the_definition_is_one_more_transition_per_order(tmp_path: Path) -> None:
    definition = json.loads(Path("statemachine/order_workflow.asl.json").read_text())
    changed = copy.deepcopy(definition)
    changed["States"]["SaveOrder"]["Next"] = "Pause"
    changed["States"]["Pause"] = {"Type": "Pass", "Comment": "One more step.", "Next": "NotifyCustomer"}
    assert transitions(changed) == {"success": 4, "failure": 7}
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(changed))
    assert definition_transitions(path)["success"] == 4


def test_the_measured_usage_file_holds_the_definitions_transitions() -> None:
    assert load_measured()["transitions"] == definition_transitions()


def test_the_free_tier_profile_costs_nothing_up_to_the_volume_the_free_transitions_cover() -> None:
    measured = load_measured()
    free = free_volume("STANDARD", "free-tier", "us-east-1", measured)
    assert free is not None
    orders, ended_by = free
    # 4,000 free transitions / 3 per order = 1,333 orders; the 1,334th makes 4,002.
    assert orders == 1_333 and ended_by.startswith("Step Functions state transitions")
    assert bill(1_333, profile="free-tier", measured=measured).total_after_free_tier == 0
    assert bill(1_334, profile="free-tier", measured=measured).total_after_free_tier > 0
    # The production profile's key is billed by the month; Express has no free tier.
    assert free_volume("STANDARD", "production", "us-east-1", measured) is None
    # Express has no free tier: its first request is billed.
    assert free_volume("EXPRESS", "free-tier", "us-east-1", measured) == (
        0,
        "Step Functions Express requests (free: 0 requests)",
    )


def test_a_volume_beyond_the_free_tier_tables_capacity_is_flagged() -> None:
    measured = load_measured()
    assert bill(1_000_000, profile="free-tier", measured=measured).warnings == []
    # 100,000,000 orders a month is about 38 writes a second on average: more than the 10 WCU provisioned.
    (warning,) = bill(100_000_000, profile="free-tier", measured=measured).warnings
    assert "exceed the table's provisioned 10 WCU" in warning


def test_money_is_printed_in_dollars_and_cents_and_never_rounds_a_charge_to_nothing() -> None:
    assert dollars(Decimal("92.867963")) == "$92.87"
    assert dollars(Decimal("1234.5")) == "$1,234.50"
    assert dollars(Decimal(0)) == "$0.00"
    assert dollars(Decimal("0.0001")) == "<$0.01"


def test_cost_json_gives_the_totals_for_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--orders-per-month", "1333", "--profile", "free-tier", "--json"]) == 0
    output = json.loads(capsys.readouterr().out)
    assert output["monthlyTotalAfterFreeTier"] == "0.000000"
    assert Decimal(output["monthlyTotal"]) > 0
    assert output["freeUpToOrdersPerMonth"] == 1_333
    assert {line["source"] for line in output["lines"]} == {"definition", "measured", "template", "assumed"}


def test_cost_prints_the_table_with_totals(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--orders-per-month", "1000000", "--type", "express"]) == 0
    output = capsys.readouterr().out
    assert "Express requests" in output and "Total" in output and "never free" in output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--orders-per-month", "-5"], "expected a whole number of orders, 0 or more, got '-5'"),
        (["--orders-per-month", "lots"], "expected a whole number of orders, 0 or more, got 'lots'"),
        (["--orders-per-month", "1.5"], "expected a whole number of orders, 0 or more, got '1.5'"),
        (["--orders-per-month", "10", "--type", "batch"], "invalid choice: 'BATCH'"),
    ],
)
def test_cost_refuses_bad_arguments_with_exit_2(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["cost", *arguments])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--region", "mars-1"], "--region: no prices for 'mars-1'"),
        (["--profile", "cheap"], f"--profile must be one of {', '.join(PROFILES)}, not 'cheap'"),
    ],
)
def test_cost_refuses_an_unknown_region_or_profile_with_one_line(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cost", "--orders-per-month", "10", *arguments]) == 2
    output = capsys.readouterr().out
    assert message in output and "Traceback" not in output


def test_a_region_priced_in_part_bills_the_figures_found_and_leaves_the_others_unpriced() -> None:
    result = bill(1_000_000, measured=MEASURED, region="us-east-2")
    # The figures found for US East (Ohio), as worked out by hand: 3,000,000 transitions x $0.000025 = $75.00
    # (Step Functions' own per-Region table), 1,200,000 Lambda requests x $0.0000002 = $0.24 and 23,000 Arm GB-s x
    # $0.0000133334 = $0.3066682, storage 5.5879 GiB-months x $0.25 = $1.3970 and PITR x $0.20 = $1.1176.
    assert line(result, "Step Functions", "state transitions").cost == Decimal("75.00")
    assert line(result, "Lambda", "requests").cost == Decimal("0.24")
    assert line(result, "Lambda", "duration, INIT phase included").cost == Decimal("0.3066682")
    storage, pitr = line(result, "DynamoDB", "storage"), line(result, "DynamoDB", "point-in-time recovery")
    assert storage.cost is not None and storage.cost.quantize(Decimal("0.0001")) == Decimal("1.3970")
    assert pitr.cost is not None and pitr.cost.quantize(Decimal("0.0001")) == Decimal("1.1176")
    # A figure not found for the Region is not borrowed from us-east-1: the line has no price and no cost.
    sqs = line(result, "SQS", "requests")
    assert sqs.quantity == 2_057_000 and (sqs.price, sqs.cost) == (None, None)
    assert "X-Ray traces recorded" in [f"{x.service} {x.item}" for x in result.unpriced]
    assert result.total.quantize(Decimal("0.0001")) == Decimal("78.0612")


def test_a_region_priced_in_part_is_refused_naming_the_lines_it_lacks(capsys: pytest.CaptureFixture[str]) -> None:
    # A total without those lines would not be the bill: the Region is refused, and the missing lines named.
    assert main(["cost", "--orders-per-month", "1000", "--region", "us-east-2"]) == 2
    output = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    assert "--region: no price found for us-east-2 for SQS requests, DynamoDB on-demand writes" in output
    assert "X-Ray traces recorded (workflow/cost/pricing.json); every line is priced for us-east-1" in output
    assert "Total" not in output


def test_a_region_without_any_figure_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--orders-per-month", "1000", "--region", "sa-east-1"]) == 2
    assert "--region: no prices for 'sa-east-1'; every line is priced for us-east-1" in capsys.readouterr().out


def test_every_figure_in_the_price_table_names_the_page_it_was_read_from() -> None:
    table = pricing()
    for key, price in table["prices"].items():
        for region, figure in price["regions"].items():
            assert figure["page"] in table["pages"], (key, region)
            assert Decimal(figure["usd"]) > 0, (key, region)
