"""Reading the CloudWatch embedded-metric-format lines that Powertools prints."""

from __future__ import annotations

import json
from typing import Any


def metric_blobs(output: str) -> list[dict[str, Any]]:
    return [blob for line in output.splitlines() if line.startswith("{") and "_aws" in (blob := json.loads(line))]


def metric_values(output: str, name: str) -> list[float]:
    """Every value printed for metric `name`, across all flushes."""
    values: list[float] = []
    for blob in metric_blobs(output):
        if name in blob:
            value = blob[name]
            values.extend(value if isinstance(value, list) else [value])
    return values
