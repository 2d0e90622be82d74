"""What makes the emulator behave like AWS: every rule of the local mode that moto lacks or gets wrong.

Each module patches one service; a new AWS rule goes in the module of the service that enforces it.

- `lambda_`: Lambda code runs in Docker in moto: run it in-process (`workflow.local.runtime`) instead,
  report an uncaught exception as AWS does (`X-Amz-Function-Error: Unhandled`), and a runtime hook's
  `LambdaServiceError` (throttling, 5xx) as the service's own error; refuse a synchronous request over 6 MB.
- `stepfunctions`: Retry back-off and Wait states really sleep: scale them by the run's time scale.
- `stepfunctions_limits`: the 256 KiB state data limit where and as AWS measures it (`States.DataLimitExceeded`,
  which `States.ALL` does not catch); StartExecution's name and input limits; TimeoutSeconds counted on the
  execution's clock (real time plus the unscaled length of its scaled waits).
- `cloudformation`: moto's CloudFormation creates state machines where the executing engine cannot see
  them and ignores DefinitionSubstitutions, the type, logging and tracing: replace that resource
  handler. It skips SNS subscriptions, queue and topic policies and alarms: model them, and fail the
  deployment on any other type it does not support. SSM parameters under /aws/ cannot be written
  through moto's API: seed its backend.
- `sqs`: moto invokes an SQS event source mapping inside SendMessage, one message at a time and
  ignoring partial batch responses: detach it, so `workflow.local.poller` can play Lambda's poller.
  SendMessage and SendMessageBatch: size in bytes with attributes, the characters SQS accepts, the batch total.
- `sns`: Publish's subject, message size (with attributes) and attribute names.
- `dynamodb`: an item's size measured and capped (400 KB) as AWS documents it.
- `sizes`: how AWS counts sizes (UTF-8 bytes; a message with its attributes), shared by the modules above.
"""

from __future__ import annotations

from workflow.local.patches.fidelity import (
    cloudformation,
    dynamodb,
    lambda_,
    sns,
    sqs,
    stepfunctions,
    stepfunctions_limits,
)


def install() -> None:
    lambda_.install()
    stepfunctions.install()
    stepfunctions_limits.install()
    cloudformation.install()
    sqs.install()
    sns.install()
    dynamodb.install()
