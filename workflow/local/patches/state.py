"""The run the patches serve: its Lambda runtime, time scale and faults, set by `install` and read by both rooms."""

from __future__ import annotations

from workflow.local.faults import FaultInjector
from workflow.local.runtime import LambdaRuntime


class _State:
    runtime: LambdaRuntime | None = None
    time_scale: float = 1.0
    faults: FaultInjector | None = None
    installed = False


current = _State()


def scaled(seconds: float) -> float:
    return seconds * current.time_scale
