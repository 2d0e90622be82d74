"""The local console: every execution, and one execution as the Step Functions console's execution
details page (its graph drawn from the definition), read from the services.

`gather` reads, `page` builds the page, `app` serves it (WSGI, under /console/)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflow.console.gather import Sources, gather_all
from workflow.console.page import standalone_page

if TYPE_CHECKING:
    from workflow.local.emulator import EmulatedStack


def local_sources(stack: EmulatedStack) -> Sources:
    """What the console reads on the emulated stack: its own clients, and the queue subscribed to the order topic."""
    return Sources(
        stepfunctions=stack.client("stepfunctions"),
        dynamodb=stack.client("dynamodb"),
        sqs=stack.client("sqs"),
        state_machine_arn=stack.resources.state_machine_arn,
        table_name=stack.resources.table_name,
        notifications_queue_url=stack.notifications_queue_url,
    )


def console_page(stack: EmulatedStack) -> str:
    """`orders local run --html PATH`: the page with every execution, as one self-contained file's text."""
    from workflow.local.patches import reading_back

    # Express executions are listed only when the local mode reads its own results (AWS keeps none).
    with reading_back():
        gathered = gather_all(local_sources(stack))
    return standalone_page(gathered)
