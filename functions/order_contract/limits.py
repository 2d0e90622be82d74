"""What an execution input may hold: the size rule the starter applies and the validator explains."""

from __future__ import annotations

# "Step Functions service quotas", https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html:
# "Maximum input or output size for a task, state, or execution: 256 KiB of data as a UTF-8 encoded string",
# input data "when ... starting an execution" included. The input is JSON text, so a body it carries as a
# JSON string counts with its escapes: a quote, a backslash, a tab, a line feed (and \b \f \r) take 2 bytes,
# any other control character 6 (`\u0001`).
STEP_FUNCTIONS_INPUT_LIMIT_BYTES = 256 * 1024
# ValidateOrder's Parameters add the execution's id and start time to the input, and a state's input after
# Parameters counts against the same limit: leave them room.
FIRST_TASK_ROOM_BYTES = 1024
MAX_EXECUTION_INPUT_BYTES = STEP_FUNCTIONS_INPUT_LIMIT_BYTES - FIRST_TASK_ROOM_BYTES


def utf8_bytes(text: str) -> int:
    """The size Step Functions counts: UTF-8 bytes (a lone surrogate, which no UTF-8 can carry, as 3)."""
    return len(text.encode("utf-8", "surrogatepass"))
