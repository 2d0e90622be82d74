"""What makes the emulator behave like AWS: every rule of the local mode that moto lacks or gets wrong.

Each module patches one service; a new AWS rule goes in the module of the service that enforces it.

- `lambda_`: Lambda code runs in Docker in moto: run it in-process (`workflow.local.runtime`) instead,
  report an uncaught exception as AWS does (`X-Amz-Function-Error: Unhandled`), and a runtime hook's
  `LambdaServiceError` (throttling, 5xx) as the service's own error; refuse a synchronous request over 6 MB.
- `stepfunctions`: Retry back-off and Wait states really sleep: scale them by the run's time scale.
- `integration_errors`: the interpreter names DynamoDB's errors by their bare code: name them as Step
  Functions does (`DynamoDB.<Code>Exception`), so the definition's Retry lists match here as on AWS.
- `stepfunctions_express`: moto runs an Express state machine as a Standard one. As AWS does: names do
  not deduplicate (each start is a new execution, with an Express execution ARN), an execution runs at
  least once (`--faults express=SHARE` runs that share twice), and DescribeExecution,
  GetExecutionHistory, StopExecution and ListExecutions refuse Express executions (the local mode's own
  report still reads them).
- `stepfunctions_limits`: the 256 KiB state data limit where and as AWS measures it (`States.DataLimitExceeded`,
  which `States.ALL` does not catch); StartExecution's name and input limits; TimeoutSeconds counted on the
  execution's clock (real time plus the unscaled length of its scaled waits).
- `cloudformation`: moto's CloudFormation creates state machines where the executing engine cannot see
  them and ignores DefinitionSubstitutions, the type, logging and tracing: replace that resource
  handler. It skips SNS subscriptions, queue and topic policies and alarms: model them, and fail the
  deployment on any other type it does not support. SSM parameters under /aws/ cannot be written
  through moto's API: seed its backend.
- `access`: what access control (`workflow.local.access`) needs of moto: queue and topic policies
  applied to their queues and topics (a topic policy replaces SNS's default one), the encryption
  settings CloudFormation passes and moto drops (key policy text, the table's SSE, a log group's key,
  the state machine's key), a log group whose key policy refuses CloudWatch Logs fails its creation,
  SNS delivers to a queue only if the queue's (and its key's) policy allows it, and the state
  machine's integration calls are made as its role. Installed last of all patches
  (`workflow.local.patches.install`): it wraps what the others install.
- `sqs`: moto invokes an SQS event source mapping inside SendMessage, one message at a time and
  ignoring partial batch responses: detach it, so `workflow.local.poller` can play Lambda's poller.
  SendMessage and SendMessageBatch: size in bytes with attributes, the characters SQS accepts, the batch total.
- `sns`: Publish's subject, message size (with attributes) and attribute names.
- `dynamodb`: moto evaluates a write's condition and then writes, so two threads can both pass
  `attribute_not_exists` on one key: writes take a lock, as a write on AWS is atomic. An item's size is
  measured and capped (400 KB) as AWS documents it.
- `kms`: an AWS managed key (`alias/aws/<service>`) is created on first use, with the key policy AWS
  gives it (use through that service, by principals of the account); moto knows only a few, without one.
- `sizes`: how AWS counts sizes (UTF-8 bytes; a message with its attributes), shared by the modules above.
"""

from __future__ import annotations

from workflow.local.patches.fidelity import (
    cloudformation,
    dynamodb,
    integration_errors,
    kms,
    lambda_,
    sns,
    sqs,
    stepfunctions,
    stepfunctions_express,
    stepfunctions_limits,
)


def install() -> None:
    lambda_.install()
    stepfunctions.install()
    integration_errors.install()
    stepfunctions_limits.install()
    stepfunctions_express.install()
    cloudformation.install()
    sqs.install()
    sns.install()
    dynamodb.install()
    kms.install()
