"""The operator's everyday commands, against the deployed stack or, with `--local`, a running `orders local serve`:
`orders local serve` itself, `submit`, `status`, `executions`, `history`, and the way back (`redrive-dlq`,
`retry-failed`, whose logic is `workflow.operations`).

Every command reaches its stack through `connect`: the same calls go to AWS or to the local endpoint,
and the stack's resources come from its CloudFormation outputs in both cases.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from workflow import config
from workflow.aws import USAGE_STATUS, AwsCommandError, DeployedStack, aws_command, stack_of
from workflow.local.display import STYLES
from workflow.operations import StackResources, event_details, execution_history, is_express_execution, rfc3339

if TYPE_CHECKING:
    from workflow.local.emulator import EmulatedStack
    from workflow.local.synth_cache import CachedAssembly

# ListExecutions' status filter, without PENDING_REDRIVE, which it refuses with a state machine ARN
# (https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html).
EXECUTION_STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
# DescribeExecution and GetExecutionHistory do not support Express executions ("DescribeExecution",
# https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html; "GetExecutionHistory",
# https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html).
EXPRESS_NOT_DESCRIBED = (
    "Express executions cannot be described (DescribeExecution and GetExecutionHistory do not support them): "
    "see the state machine's CloudWatch Logs log group."
)


def operator_command(
    run: Callable[[argparse.Namespace, DeployedStack, Console], int],
) -> Callable[[argparse.Namespace], int]:
    """A command on a stack: the stack found first (`workflow.aws`); what stops it is one line and exit status 1."""

    def command(args: argparse.Namespace) -> int:
        return run(args, stack_of(args), Console())

    command.__doc__ = run.__doc__
    return aws_command(command)


# --- orders local serve -----------------------------------------------------------------------


class Stop(Exception):
    """The command ends here with this exit status; why is already on the terminal."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Mistake(Exception):
    """A mistake in how a command was called, found before any work: one line, exit status 2."""


def fault_rates(args: argparse.Namespace) -> dict[str, float]:
    """`--faults` read and checked against `--workflow-type` (filled in from cdk.json when not given), before
    any work; raises Mistake."""
    from workflow.local.faults import EXPRESS_TWICE, parse_rates

    # Read here rather than as the option's default: only these commands need cdk.json.
    args.workflow_type = args.workflow_type or config.configured(config.CONTEXT_WORKFLOW_TYPE).upper() or "STANDARD"
    try:
        rates = parse_rates(args.faults)
    except ValueError as error:
        raise Mistake(str(error)) from None
    if rates.get(EXPRESS_TWICE) and args.workflow_type != "EXPRESS":
        raise Mistake(f"--faults: {EXPRESS_TWICE}=SHARE needs --workflow-type EXPRESS (Standard runs once)")
    return rates


def synthesis(args: argparse.Namespace) -> CachedAssembly:
    """The stack's assembly as `local run` and `local serve` flags say (--workflow-type, --profile), reused while
    nothing that goes into it has changed (workflow.local.synth_cache); otherwise its synthesis is started in a
    process of its own, to run while this one imports and starts the emulator. Enter it as a context."""
    from workflow.local.synth_cache import CachedAssembly

    cached = CachedAssembly({config.CONTEXT_WORKFLOW_TYPE: args.workflow_type, config.CONTEXT_PROFILE: args.profile})
    cached.start()
    return cached


@contextlib.contextmanager
def emulated_stack(
    args: argparse.Namespace, console: Console, rates: dict[str, float], cached: CachedAssembly | None = None
) -> Iterator[EmulatedStack]:
    """The stack synthesized (`cached`, from `synthesis(args)`, or started here) and deployed into the emulator as
    `local run` and `local serve` flags say (--workflow-type, --profile, --time-scale, --seed; `rates` from
    `fault_rates`). Raises Stop(1) for a stack that cannot be synthesized or deployed.

    A synthesis under way is deployed from as soon as its files are written, while cdk-nag and CDK's validation
    still check them: the stack is handed out only once they have passed, and only if what was deployed is what
    the synthesis keeps (`CachedAssembly.get`)."""
    with contextlib.ExitStack() as entered:
        cached = cached or entered.enter_context(synthesis(args))
        from workflow.local.emulator import DeploymentFailed, EmulatedStack
        from workflow.local.patches.fidelity.access import ResourceCreationFailed
        from workflow.local.synth_cache import InputsChanged, SynthesisFailed

        synthesizing = None if cached.ready else entered.enter_context(console.status("Synthesizing the stack..."))
        try:
            try:
                stack = entered.enter_context(EmulatedStack(cached.written(), time_scale=args.time_scale))
            except (DeploymentFailed, ResourceCreationFailed) as error:
                cached.get()  # a synthesis that fails says why first: what it found may be why
                console.print(f"[red]The synthesized stack could not be deployed:[/] {error}", soft_wrap=True)
                raise Stop(1) from None
            if synthesizing is not None:
                synthesizing.update("Checking the synthesized stack (cdk-nag and CDK's validation)...")
            stack.assembly_dir = cached.get()
        except (SynthesisFailed, InputsChanged) as error:  # the synthesis's own error is above
            console.print(f"[red]The stack could not be synthesized:[/] {error}", soft_wrap=True)
            raise Stop(1) from None
        if synthesizing is not None:
            synthesizing.stop()
        stack.inject_faults(rates, args.seed)
        # On AWS these fail silently, in each alarm's history only: say so before anything else.
        for failure in stack.alarm_action_failures:
            console.print(f"[bold red]Alarm action denied:[/] {failure}", soft_wrap=True)
        yield stack


def local_serve(args: argparse.Namespace) -> int:
    """Deploy the synthesized stack into the emulator and serve it on 127.0.0.1 until Ctrl-C."""
    from workflow.console import local_sources
    from workflow.console.app import console_app
    from workflow.local.serve import LocalServer, serve_until_interrupted

    console = Console()
    try:
        rates = fault_rates(args)
    except Mistake as mistake:
        Console(stderr=True).print(f"orders local serve: {mistake}", soft_wrap=True, markup=False, highlight=False)
        return 2
    try:
        with contextlib.ExitStack() as entered:
            try:
                stack = entered.enter_context(emulated_stack(args, console, rates))
            except Stop as stop:
                return stop.status
            try:
                console_page = console_app(lambda: local_sources(stack))
                server = entered.enter_context(LocalServer(stack, args.port, console_page))
            except OSError as error:  # the port is taken, or not ours to listen on
                console.print(f"[red]Cannot listen on 127.0.0.1:{args.port}:[/] {error.strerror}")
                return 1
            _show_served(console, server, args)
            serve_until_interrupted(
                server, lambda error: console.print(f"[red]Lambda's poller:[/] {escape(error)}", soft_wrap=True)
            )
    except KeyboardInterrupt:  # Ctrl-C, the way to stop it: once everything above has closed
        console.print("Stopped: the emulated stack and everything in it are gone.")
    return 0


def _show_served(console: Console, server: Any, args: argparse.Namespace) -> None:
    console.print(
        f"Serving {config.STACK_NAME} ({args.workflow_type} workflow) on emulated AWS until Ctrl-C.\n"
        f"  Endpoint:   {server.endpoint}   (region {config.LOCAL_REGION}, any credentials)\n"
        f"  Queue URL:  {server.queue_url()}\n"
        f"  Console:    {server.console_url}\n"
        f"Send an order:\n"
        f"  aws sqs send-message --endpoint-url {server.endpoint} --region {config.LOCAL_REGION} "
        f"--queue-url {server.queue_url()} --message-body file://order.json\n"
        f"Then: orders status KEY --local --port {server.port}   (also: submit, executions, history)",
        soft_wrap=True,
        highlight=False,
    )


# --- orders submit ----------------------------------------------------------------------------


@operator_command
def submit(args: argparse.Namespace, target: DeployedStack, console: Console) -> int:
    """Send each line of FILE (or standard input) as one message to the order queue; report each line."""
    from workflow.messages import NotText, Unreadable, read_file, read_input, send_lines

    try:
        messages = read_file(read_input(str(args.file)))
    except (Unreadable, NotText) as error:
        raise AwsCommandError(str(error), USAGE_STATUS) from None
    sent = send_lines(target.client("sqs"), target.resources.queue_url, messages)
    for message, message_id in zip(messages, sent.ids, strict=True):
        if message_id is not None:
            console.print(f"line {message.line}: sent, message id {message_id}", highlight=False)
    for refused in sent.refused:
        console.print(
            f"[red]line {refused['lines'][0]}: refused by the queue:[/] {refused['code']}: {escape(refused['reason'])}",
            soft_wrap=True,
            highlight=False,
        )
    console.print(
        f"{sum(i is not None for i in sent.ids)} messages sent to {target.description}, {len(sent.refused)} refused. "
        "The key of each is its orderId when valid, otherwise msg-<message id>: `orders status KEY`."
    )
    return 1 if sent.refused else 0


# --- orders status ----------------------------------------------------------------------------


@operator_command
def status(args: argparse.Namespace, target: DeployedStack, console: Console) -> int:
    """The order's record, its execution(s) and, locally, its notification."""
    key = args.key
    record = (
        target.resource("dynamodb")
        .Table(target.resources.table_name)
        .get_item(Key={config.TABLE_PARTITION_KEY: key})
        .get("Item")
    )
    names = [key]
    written_by = str(record.get("executionArn", "")) if record else ""
    if written_by and not is_express_execution(written_by) and written_by.rsplit(":", 1)[-1] != key:
        names.append(written_by.rsplit(":", 1)[-1])  # a retry's execution (`retry-<key>-<digest>`)
    executions = [e for e in (_described(target, name) for name in names) if e is not None]
    if record is None and not executions:
        console.print(f"[red]No order {key}: no record in {target.resources.table_name}, no execution of that name.[/]")
        return 1
    if record is None:
        console.print(f"Order {key}: no record (yet).")
    else:
        console.print(_record_table(key, record))
    for execution in executions:
        console.print(_execution_lines(execution), highlight=False, soft_wrap=True)
    if is_express_execution(written_by):
        console.print(f"Execution: {EXPRESS_NOT_DESCRIBED}", highlight=False)
    _show_notification(target, key, console)
    return 0


def _described(target: DeployedStack, name: str) -> dict[str, Any] | None:
    sfn = target.client("stepfunctions")
    try:
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn(target.resources, name))
    except sfn.exceptions.ExecutionDoesNotExist:
        return None
    return described


def execution_arn(resources: StackResources, name: str) -> str:
    """A Standard execution's ARN: `arn:aws:states:<region>:<account>:execution:<state machine>:<name>`
    ("Actions, resources, and condition keys for AWS Step Functions", resource types,
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html)."""
    head, _, machine = resources.state_machine_arn.rpartition(":stateMachine:")
    return f"{head}:execution:{machine}:{name}"


def _record_table(key: str, record: dict[str, Any]) -> Table:
    state = str(record.get("status", ""))
    table = Table(title=f"Order {key}: [{STYLES.get(state, 'red')}]{state}[/]", title_justify="left", show_header=False)
    table.add_column("field")
    table.add_column("value", overflow="fold")
    for name, value in record.items():
        if name == "reasons":
            shown = "\n".join(map(str, value))
        elif isinstance(value, list | dict):
            shown = json.dumps(value, default=str, ensure_ascii=False)
        else:  # text, or a DynamoDB number (a Decimal)
            shown = str(value)
        table.add_row(name, escape(shown))
    return table


def _execution_lines(execution: dict[str, Any]) -> str:
    state = execution["status"]
    started, stopped = execution["startDate"], execution.get("stopDate")
    took = f", {(stopped - started).total_seconds():.2f} s" if stopped else ""
    lines = [f"Execution {execution['name']}: [{STYLES.get(state, 'red')}]{state}[/], started {rfc3339(started)}{took}"]
    if execution.get("error"):
        lines.append(f"  error: {escape(execution['error'])}")
    if execution.get("cause"):
        lines.append(f"  cause: {escape(execution['cause'])}")
    return "\n".join(lines)


def _show_notification(target: DeployedStack, key: str, console: Console) -> None:
    if not target.local:
        console.print(
            f"Notification: SNS keeps no copy to read back; the order topic's subscribers have it "
            f"({target.resources.order_topic_arn})."
        )
        return
    try:
        found = [n for n in local_notifications(target) if n["orderKey"] == key]
    except target.client("sns").exceptions.NotFoundException:
        console.print(f"Notification: the order topic {target.resources.order_topic_arn} does not exist.")
        return
    if not found:
        console.print("Notification: none.")
    for notification in found:
        console.print(
            f"Notification ({notification['status']}): {notification['subject']}", markup=False, highlight=False
        )
        console.print(notification["message"], markup=False, highlight=False, soft_wrap=True)


def local_notifications(target: DeployedStack) -> list[dict[str, str]]:
    """The order topic's notifications, from the queue the local stack subscribes to it; left on the queue."""
    from workflow.console.gather import subscribed_messages

    sqs, sns = target.client("sqs"), target.client("sns")
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=target.resources.order_topic_arn)["Subscriptions"]
    found: list[dict[str, str]] = []
    for subscription in (s for s in subscriptions if s["Protocol"] == "sqs"):
        url = sqs.get_queue_url(QueueName=subscription["Endpoint"].rsplit(":", 1)[1])["QueueUrl"]
        for envelope in subscribed_messages(sqs, url):
            attributes = {name: value["Value"] for name, value in envelope.get("MessageAttributes", {}).items()}
            found.append(
                {
                    "orderKey": attributes.get("orderKey", ""),
                    "status": attributes.get("status", ""),
                    "subject": envelope.get("Subject", ""),
                    "message": envelope["Message"],
                }
            )
    return found


# --- orders executions ------------------------------------------------------------------------


@operator_command
def executions(args: argparse.Namespace, target: DeployedStack, console: Console) -> int:
    """The state machine's executions, newest first, as ListExecutions gives them."""
    sfn = target.client("stepfunctions")
    listing: dict[str, Any] = {"stateMachineArn": target.resources.state_machine_arn}
    if args.status:
        listing["statusFilter"] = args.status
    pages = sfn.get_paginator("list_executions").paginate(**listing, PaginationConfig={"MaxItems": args.limit})
    try:
        found = [execution for page in pages for execution in page["executions"]]
    except sfn.exceptions.StateMachineTypeNotSupported:
        raise AwsCommandError(
            "This state machine is an Express one: ListExecutions does not list Express executions; "
            "they are in its CloudWatch Logs log group."
        ) from None
    table = Table(title=f"Executions of {target.description}", title_justify="left")
    for column in ("Name", "Status", "Started (UTC)", "Duration (s)"):
        table.add_column(column, justify="right" if column.startswith("Duration") else "left", overflow="fold")
    for execution in found:
        state, started, stopped = execution["status"], execution["startDate"], execution.get("stopDate")
        took = f"{(stopped - started).total_seconds():.2f}" if stopped else ""
        table.add_row(execution["name"], f"[{STYLES.get(state, 'red')}]{state}[/]", rfc3339(started), took)
    console.print(table)
    console.print(f"{len(found)} executions" + (f" {args.status}" if args.status else "") + f" (at most {args.limit}).")
    return 0


# --- orders history ---------------------------------------------------------------------------


@operator_command
def history(args: argparse.Namespace, target: DeployedStack, console: Console) -> int:
    """The events of the execution named KEY, as the Step Functions console lists them."""
    sfn = target.client("stepfunctions")
    arn = execution_arn(target.resources, args.key)
    try:
        events = execution_history(sfn, arn)
    except sfn.exceptions.ExecutionDoesNotExist:
        machine = sfn.describe_state_machine(stateMachineArn=target.resources.state_machine_arn)
        if machine.get("type") == "EXPRESS":  # its executions have no history to read, whatever their name
            raise AwsCommandError(f"No history for {args.key}: {EXPRESS_NOT_DESCRIBED}") from None
        raise AwsCommandError(f"No execution named {args.key} in {target.description}.") from None
    console.print(history_table(args.key, events))
    return 0


def history_table(name: str, events: list[dict[str, Any]]) -> Table:
    """Like the console's event list: id, type, step, time since the start, and what each event says."""
    table = Table(title=f"Execution {name}: {len(events)} events", title_justify="left")
    for column in ("ID", "Type", "Step", "Elapsed (ms)", "Details"):
        table.add_column(column, justify="right" if column in ("ID", "Elapsed (ms)") else "left", overflow="fold")
    started = events[0]["timestamp"] if events else None
    for event in events:
        details = event_details(event)
        elapsed = round((event["timestamp"] - started).total_seconds() * 1000) if started else 0
        failed = "Failed" in event["type"] or "TimedOut" in event["type"]
        table.add_row(
            str(event["id"]),
            f"[red]{event['type']}[/]" if failed else event["type"],
            details.get("name", ""),
            str(elapsed),
            escape(_event_details(details)),
        )
    return table


def _event_details(details: dict[str, Any]) -> str:
    if details.get("error") or details.get("cause"):
        return f"{details.get('error', '')}: {details.get('cause', '')}".strip(": ")
    if details.get("resourceType"):
        return f"{details['resourceType']}:{details.get('resource', '')}"
    return ""


# --- the way back -----------------------------------------------------------------------------


@operator_command
def redrive_dlq(args: argparse.Namespace, target: DeployedStack, console: Console) -> int:
    """Move dead letters back to the order queue."""
    from workflow.operations import redrive_dead_letters

    resources = target.resources
    moved = redrive_dead_letters(target.client("sqs"), resources.dead_letter_queue_url, resources.queue_url)
    console.print(f"{len(moved)} dead letters sent back to the order queue of {target.description}.")
    return 0


@operator_command
def retry_failed(args: argparse.Namespace, target: DeployedStack, console: Console) -> int:
    """Start FAILED orders again."""
    from workflow.operations import retry_failed_orders

    result = retry_failed_orders(target.client("stepfunctions"), target.resource("dynamodb"), target.resources)
    console.print(f"{len(result.restarted)} FAILED orders started again: {', '.join(result.restarted) or '-'}")
    for key, reason in result.skipped.items():
        console.print(f"[yellow]{key} not retried: {escape(reason)}[/]")
    return 1 if result.skipped else 0
