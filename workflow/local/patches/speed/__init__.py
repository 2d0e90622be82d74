"""What makes the emulator fast, with no change in what it answers.

Each module patches one service, or moto's request plumbing; its docstring lists what it speeds up:

- `requests`: each URL's handler found once, the WSGI environ written out, backend lookups without
  moto's global lock, response members' keys found once, cheaper random ids and reflection, and the
  interpreter's integration calls handed to moto in-process, unsigned.
- `stepfunctions`: the parsed definition, JSONPath parsers and integration clients cached, a JSON-only
  copier for state, StartExecution's name check by index, and a wait for an execution's end on an event.
- `sqs`: retention checks, message counts and DeleteMessage without re-scanning the queue, and no
  counting inside SendMessage.
- `sns`: one signing certificate per key, and a 1024-bit key.
- `dynamodb`: each parsed condition expression kept.
"""

from __future__ import annotations

from workflow.local.patches.speed import dynamodb, requests, sns, sqs, stepfunctions


def install() -> None:
    requests.install()
    sqs.install()
    dynamodb.install()
    sns.install()
    stepfunctions.install()
