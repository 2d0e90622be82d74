"""Every patch of moto's private internals that the local mode needs, in two rooms.

moto is pinned exactly (requirements.txt); `install` refuses any other version, and
tests/local/patches/ fails loudly when an upgrade moves what is patched here. What makes the emulator
behave like AWS lives in `fidelity/`; what makes it fast, with no change in what it answers, in
`speed/`. Each module patches one service (or moto's request plumbing) and keeps the originals it
replaces:

- `version`: the pinned moto version, and the guard that refuses any other.
- `state`: the run the patches serve (its Lambda runtime and time scale, each execution's clock), read by
  both rooms.
- `fidelity.lambda_`: Lambda code in-process; errors as the Lambda service reports them; the 6 MB request limit.
- `fidelity.stepfunctions`: Retry back-off and Wait states on the run's time scale.
- `fidelity.stepfunctions_limits`: state data (256 KiB), execution names and input, TimeoutSeconds.
- `fidelity.cloudformation`: the state machine resource as AWS creates it; SNS subscriptions modelled;
  policies and alarms recorded; any other unsupported type fails; SSM parameters under /aws/ seeded.
- `fidelity.sqs`: the event source mapping detached, so `workflow.local.poller` plays Lambda's poller;
  message size and characters as SQS checks them.
- `fidelity.sns`: Publish's subject, message size and attribute names as SNS checks them.
- `fidelity.dynamodb`: the item size limit as DynamoDB measures it.
- `speed.requests`: routing, WSGI environ, backend lookups, response members, random ids, and the
  interpreter's integration calls handed to moto in-process.
- `speed.stepfunctions`: definition, JSONPath and client caches, the JSON-only copier, inline Task
  threads, the name index for StartExecution, the wait for an execution's end.
- `speed.sqs`: retention check, counts, DeleteMessage in one pass, no counts inside SendMessage.
- `speed.sns`: one signing certificate per key, a 1024-bit key.
- `speed.dynamodb`: parsed condition expressions kept.
"""

from __future__ import annotations

from workflow.local.patches import fidelity, speed
from workflow.local.patches.fidelity.cloudformation import seed_ssm_parameter
from workflow.local.patches.fidelity.sqs import detach_event_source_mappings
from workflow.local.patches.speed.stepfunctions import forget_stack, wait_for_execution, warm_up
from workflow.local.patches.state import current, scaled
from workflow.local.patches.version import check_version
from workflow.local.runtime import LambdaRuntime

__all__ = [
    "detach_event_source_mappings",
    "install",
    "scaled",
    "seed_ssm_parameter",
    "wait_for_execution",
    "warm_up",
]


def install(runtime: LambdaRuntime, time_scale: float) -> None:
    """Apply every patch (once per process) and point them at this run's runtime and time scale."""
    check_version()
    current.runtime = runtime
    current.time_scale = time_scale
    forget_stack()
    if current.installed:
        return
    fidelity.install()
    speed.install()
    current.installed = True
