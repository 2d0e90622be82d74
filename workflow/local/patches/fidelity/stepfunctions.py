# mypy: disable-error-code="method-assign,assignment,attr-defined"
# (This module assigns to moto's classes on purpose: that is what a patch is.)
"""Step Functions: Retry back-off and Wait states wait on the run's time scale (`orders local run --time-scale`);
the interpreter's own log stays out of the terminal.

moto's interpreter logs every failure an execution meets at ERROR, with the repr of the whole state
(its definition's objects, kilobytes each), and Python prints such a record on standard error when no
logging is configured. On AWS a failure is read in the execution's history (which the report reads),
never in the service's own logs: the interpreter's logger keeps its records to itself.
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
    interpreter_log = logging.getLogger(INTERPRETER_LOGGER)
    # A handler of its own (else Python's last-resort handler prints it) that drops every record.
    interpreter_log.addHandler(logging.NullHandler())
    interpreter_log.propagate = False
    retrier_decl.time = types.SimpleNamespace(sleep=_scaled_sleep)
    WaitFunction._wait_interval = _scaled_wait_interval
