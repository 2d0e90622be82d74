"""The local mode runs the sample orders under both profiles with the same outcomes, and what it measures there is
what `orders cost` reads (workflow/cost/measured_usage.json): regenerate the file with `orders measure-usage`."""

from __future__ import annotations

from typing import Any

import pytest

from workflow.cost.measure import measure_all
from workflow.cost.usage import MEASURE_COMMAND, load_measured

# Log lines carry a cold start flag and times whose text length may differ from run to run by a few bytes.
LOG_BYTES_TOLERANCE = 0.01


@pytest.fixture(scope="module")
def measured_now() -> dict[str, Any]:
    return measure_all()


def test_both_profiles_run_the_samples_to_the_same_outcomes(measured_now: dict[str, Any]) -> None:
    production, free = measured_now["profiles"]["production"], measured_now["profiles"]["free-tier"]
    assert production["outcomes"] == free["outcomes"] == {"messages": 13, "accepted": 3, "rejected": 9, "failed": 0}
    assert production["records"] == free["records"]
    # The same calls per order: the profiles change what things cost, not what the system does.
    assert production["totals"]["apiCalls"] == free["totals"]["apiCalls"]
    # Only what the free-tier profile's error-level logging leaves out of the execution logs differs.
    assert production["totals"]["executionLogBytes"] > 0 == free["totals"]["executionLogBytes"]


def test_the_measured_usage_file_is_current(measured_now: dict[str, Any]) -> None:
    stored = load_measured()
    hint = f"workflow/cost/measured_usage.json is out of date: run `{MEASURE_COMMAND}`"
    assert stored["transitions"] == measured_now["transitions"], hint
    for name, now in measured_now["profiles"].items():
        kept = stored["profiles"][name]
        for key in ("template", "customMetrics", "outcomes", "records"):
            assert kept[key] == now[key], hint
        for key, value in now["totals"].items():
            if key == "functionLogBytes":
                for function, count in value.items():
                    assert abs(kept["totals"][key][function] - count) <= count * LOG_BYTES_TOLERANCE, hint
            else:
                assert kept["totals"][key] == value, hint
