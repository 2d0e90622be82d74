"""What makes the emulator fast, with no change in what it answers.

Each module patches one service, or moto's request plumbing; its docstring lists what it speeds up:

- `requests`: each URL's handler found once, the WSGI environ written out, backend lookups without
  moto's global lock, response members' keys found once, cheaper random ids and reflection, and the
  interpreter's integration calls handed to moto in-process, unsigned.
- `stepfunctions`: each definition parsed once (when its state machine is created, for its executions
  too), JSONPath parsers and integration clients cached, a JSON-only
  copier for state, StartExecution's name check by index, and a wait for an execution's end on an event.
- `sqs`: retention checks, message counts and DeleteMessage without re-scanning the queue, and no
  counting inside SendMessage.
- `sns`: one signing certificate per key, and a 1024-bit key.
- `dynamodb`: each parsed condition expression kept.
- `cloudformation`: a JSON template read as JSON rather than through PyYAML.
- `kms`: a key's RSA signing key generated when first used, not with every key.
- `models`: each botocore model file read once per process, by one loader that moto's model loading and
  its backends' region lookups share.
- `imports`: moto's CloudFormation parser, SSM and Step Functions without the services only the parser's
  model registry needs (EC2, Batch, ...), imported when a template or a call needs them.
"""

from __future__ import annotations

# `imports` before any module that imports moto's Step Functions interpreter, SSM or CloudFormation.
from workflow.local.patches.speed import dynamodb, imports, kms, models, requests, sns, sqs, stepfunctions  # noqa: F401

# isort: split
from workflow.local.patches.speed import cloudformation


def install() -> None:
    models.install()
    kms.install()
    requests.install()
    sqs.install()
    dynamodb.install()
    sns.install()
    stepfunctions.install()
    cloudformation.install()
