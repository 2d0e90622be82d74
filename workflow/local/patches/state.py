"""The run the patches serve: its Lambda runtime, time scale and faults, set by `install` and read by both rooms."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from workflow.local.faults import FaultInjector
from workflow.local.runtime import LambdaRuntime


class _State:
    runtime: LambdaRuntime | None = None
    time_scale: float = 1.0
    faults: FaultInjector | None = None
    installed = False


current = _State()
_thread = threading.local()


def scaled(seconds: float) -> float:
    """The local seconds to wait for `seconds` of AWS time. On an execution's thread, the part not waited
    still counts on the execution's clock, so its TimeoutSeconds measures what AWS would measure."""
    local = seconds * current.time_scale
    clock: ExecutionClock | None = getattr(_thread, "clock", None)
    if clock is not None:
        clock.skip(seconds - local)
    return local


class ExecutionClock:
    """An execution's elapsed time as AWS would count it: the real time it took (handlers and the
    interpreter run in real time) plus, for each scaled wait (Wait states, Retry back-off), the part
    that was not waited. `on_expired` runs once, when that time reaches `timeout` seconds."""

    def __init__(self, timeout: float, on_expired: Callable[[], None]) -> None:
        self._started = time.monotonic()
        self._skipped = 0.0
        self._timeout = timeout
        self._on_expired = on_expired
        self._expired = False
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return self._timeout - (time.monotonic() - self._started + self._skipped)

    def skip(self, seconds: float) -> None:
        self._skipped += seconds
        if self.remaining() <= 0:
            self.expire()

    def expire(self) -> bool:
        """Run `on_expired` unless it already ran; whether this call ran it."""
        with self._lock:
            if self._expired:
                return False
            self._expired = True
        self._on_expired()
        return True

    def run(self, function: Callable[..., Any], *args: Any) -> None:
        """Run `function` on this thread with this clock counting its scaled waits."""
        _thread.clock = self
        try:
            function(*args)
        finally:
            _thread.clock = None
