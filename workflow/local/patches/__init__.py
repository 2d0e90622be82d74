"""Every patch of moto's private internals that the local mode needs, in two rooms.

moto is pinned exactly (requirements.txt); `install` refuses any other version, and
tests/local/patches/ fails loudly when an upgrade moves what is patched here. What makes the emulator
behave like AWS lives in `fidelity/`; what makes it fast, with no change in what it answers, in
`speed/`. Each module patches one service (or moto's request plumbing) and keeps the originals it
replaces:

- `version`: the pinned moto version, and the guard that refuses any other.
- `state`: the run the patches serve (its Lambda runtime, time scale and faults, each execution's
  clock), read by both rooms.
- `fidelity.lambda_`: Lambda code in-process; errors as the Lambda service reports them; the 6 MB request limit.
- `fidelity.stepfunctions`: Retry back-off and Wait states on the run's time scale.
- `fidelity.stepfunctions_limits`: state data (256 KiB), execution names and input, TimeoutSeconds.
- `fidelity.stepfunctions_express`: Express workflows as AWS runs them: no name deduplication, Express
  execution ARNs, at least once, and no DescribeExecution, GetExecutionHistory or ListExecutions.
- `fidelity.dynamodb`: a write and its condition at once, as AWS writes an item; the item size limit as
  DynamoDB measures it.
- `fidelity.cloudformation`: the state machine resource as AWS creates it; SNS subscriptions modelled;
  alarms recorded; any other unsupported type fails; SSM parameters under /aws/ seeded.
- `fidelity.integration_errors`: the state machine's integration errors named as Step Functions names them.
- `fidelity.access`: queue and topic policies applied, the encryption settings moto drops kept, log
  groups and SNS deliveries checked against key and queue policies, integration calls made as the
  state machine's role (what `workflow.local.access` needs of moto).
- `fidelity.sqs`: the event source mapping detached, so `workflow.local.poller` plays Lambda's poller;
  message size and characters as SQS checks them.
- `fidelity.kms`: AWS managed keys created on first use, with AWS's key policy.
- `fidelity.sns`: Publish's subject, message size and attribute names as SNS checks them.
- `speed.requests`: routing, WSGI environ, backend lookups, response members, random ids, and the
  interpreter's integration calls handed to moto in-process.
- `speed.stepfunctions`: definition, JSONPath and client caches, the JSON-only copier, the name index
  for StartExecution, the wait for an execution's end.
- `speed.sqs`: retention check, counts, DeleteMessage in one pass, no counts inside SendMessage.
- `speed.sns`: one signing certificate per key, a 1024-bit key.
- `speed.dynamodb`: parsed condition expressions kept.
- `speed.models`: one botocore loader for moto's models and its backends' region lookups too.
- `speed.kms`: a key's RSA signing key generated on first use.
"""

from __future__ import annotations

from workflow.local.faults import FaultInjector
from workflow.local.patches import fidelity, speed
from workflow.local.patches.fidelity import access
from workflow.local.patches.fidelity.access import deployed_alarms
from workflow.local.patches.fidelity.cloudformation import seed_ssm_parameter
from workflow.local.patches.fidelity.sqs import detach_event_source_mappings
from workflow.local.patches.fidelity.stepfunctions_express import reading_back
from workflow.local.patches.speed import stepfunctions as speed_stepfunctions
from workflow.local.patches.speed.imports import register_models
from workflow.local.patches.speed.stepfunctions import wait_for_execution, warm_up
from workflow.local.patches.state import current, scaled
from workflow.local.patches.version import check_version
from workflow.local.runtime import LambdaRuntime

__all__ = [
    "deployed_alarms",
    "detach_event_source_mappings",
    "forget_stack",
    "install",
    "reading_back",
    "register_models",
    "scaled",
    "seed_ssm_parameter",
    "wait_for_execution",
    "warm_up",
]


def install(runtime: LambdaRuntime, time_scale: float, faults: FaultInjector | None = None) -> None:
    """Apply every patch (once per process) and point them at this run's runtime, time scale and faults."""
    check_version()
    current.runtime = runtime
    current.time_scale = time_scale
    current.faults = faults
    forget_stack()
    if current.installed:
        return
    fidelity.install()
    speed.install()
    # Last: it wraps the integration clients `speed.stepfunctions` caches (built once, under the runtime's
    # lock: building one reads os.environ, which an invocation changes).
    access.install()
    current.installed = True


def forget_stack() -> None:
    """Drop what belongs to one emulated stack: its integration clients (with its fault and access hooks),
    executions and deliveries, so nothing of it outlives the stack."""
    speed_stepfunctions.forget_stack()
    access.forget_stack()
