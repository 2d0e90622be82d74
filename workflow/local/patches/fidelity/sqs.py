"""SQS: the queue's event source mapping is driven by `workflow.local.poller`, as Lambda's poller drives it.

moto invokes an event source mapping inside SendMessage, one message at a time and ignoring partial
batch responses: it is detached, and the poller reads its settings.
"""

from __future__ import annotations

from moto.sqs.models import sqs_backends


def detach_event_source_mappings(account_id: str, region: str, queue_name: str) -> None:
    """Keep the mapping (its settings are read by the poller) but stop moto invoking it on SendMessage."""
    sqs_backends[account_id][region].get_queue(queue_name).lambda_event_source_mappings.clear()
