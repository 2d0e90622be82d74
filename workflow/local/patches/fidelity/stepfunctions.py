# mypy: disable-error-code="method-assign,assignment,attr-defined"
# (This module assigns to moto's classes on purpose: that is what a patch is.)
"""Step Functions: Retry back-off and Wait states wait on the run's time scale (`orders local run --time-scale`);
the interpreter's own log stays out of the terminal.

moto's interpreter logs every failure an execution meets at ERROR, with the repr of the whole state
(its definition's objects, kilobytes each), and Python prints such a record on standard error when no
logging is configured. On AWS a failure is read in the execution's history (which the report reads),
never in the service's own logs: the interpreter's loggers make no records.
"""

from __future__ import annotations

import logging
import time
import types
from typing import Any

from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

from workflow.local.patches.state import scaled

# Kept to check, in tests, that what is replaced still has the shape the replacements assume.
_original_wait_interval = WaitFunction._wait_interval
_original_retrier_time = retrier_decl.time


def _scaled_sleep(seconds: float) -> None:
    time.sleep(scaled(seconds))


def _scaled_wait_interval(self: WaitFunction, env: Any, wait_seconds: int) -> None:
    # The original re-waits until whole seconds have passed, so it is replaced, not wrapped.
    if wait_seconds > 0:
        env.program_state_event.wait(scaled(wait_seconds))


INTERPRETER_LOGGER = "moto.stepfunctions.parser"


def install() -> None:
    # Above every level: the interpreter's loggers (its children, which set none) make no record at all.
    logging.getLogger(INTERPRETER_LOGGER).setLevel(logging.CRITICAL + 1)
    retrier_decl.time = types.SimpleNamespace(sleep=_scaled_sleep)
    WaitFunction._wait_interval = _scaled_wait_interval
