"""The `orders` console command."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from workflow import config
from workflow.profiles import PROFILES

if TYPE_CHECKING:
    from workflow.operations import StackResources


def show_stack(args: argparse.Namespace) -> int:
    """Synthesize the stack (cdk-nag included) and list what `cdk deploy` would create."""
    from workflow.app import synthesize

    template = synthesize(args.outdir)
    console = Console()
    table = Table(title=f"{config.STACK_NAME}: {len(template['Resources'])} resources, synthesized into {args.outdir}")
    table.add_column("Type")
    table.add_column("Count", justify="right")
    for resource_type, count in sorted(Counter(r["Type"] for r in template["Resources"].values()).items()):
        table.add_row(resource_type, str(count))
    console.print(table)
    console.print("cdk-nag AwsSolutions: no unacknowledged findings.")
    return 0


def local_run(args: argparse.Namespace) -> int:
    """Deploy the synthesized stack into the emulator, run FILE's messages through it, report."""
    import json

    from botocore.exceptions import ClientError
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from workflow.local.display import show
    from workflow.local.emulator import DeploymentFailed, EmulatedStack
    from workflow.local.faults import EXPRESS_TWICE, parse_rates
    from workflow.local.patches.fidelity.access import ResourceCreationFailed
    from workflow.local.run import Progress as RunProgress
    from workflow.local.run import build_report, process, read_messages, recover
    from workflow.local.synth_cache import CachedAssembly

    console = Console(stderr=False)
    # Read here rather than as the option's default: only this command needs cdk.json.
    args.workflow_type = args.workflow_type or config.configured(config.CONTEXT_WORKFLOW_TYPE).upper() or "STANDARD"
    try:
        rates = parse_rates(args.faults)
    except ValueError as error:
        console.print(f"[red]{error}[/]")
        return 2
    if rates.get(EXPRESS_TWICE) and args.workflow_type != "EXPRESS":
        console.print(f"[red]--faults: {EXPRESS_TWICE}=SHARE needs --workflow-type EXPRESS (Standard runs once)[/]")
        return 2
    bodies = read_messages(args.file.read_text(encoding="utf-8").splitlines(), duplicates=args.duplicates)
    with contextlib.ExitStack() as entered:
        # Reused while nothing that goes into the stack has changed (workflow.local.synth_cache).
        context = {config.CONTEXT_WORKFLOW_TYPE: args.workflow_type, config.CONTEXT_PROFILE: args.profile}
        cached = CachedAssembly(context)
        if not cached.ready:
            with console.status("Synthesizing the stack (cdk-nag included)..."):
                cached.synthesize()
        assembly = cached.get()
        try:
            stack = entered.enter_context(EmulatedStack(assembly, time_scale=args.time_scale))
        except (DeploymentFailed, ResourceCreationFailed) as error:
            console.print(f"[red]The synthesized stack could not be deployed:[/] {error}", soft_wrap=True)
            return 1
        stack.faults.configure(rates, args.seed)
        console.print(
            f"Deployed {config.STACK_NAME} ({args.workflow_type} workflow) into the emulator; "
            f"sending {len(bodies)} messages."
        )
        # On AWS these fail silently, in each alarm's history only: say so before anything else.
        for failure in stack.alarm_action_failures:
            console.print(f"[bold red]Alarm action denied:[/] {failure}", soft_wrap=True)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            delivered = bar.add_task("Messages started", total=len(bodies))
            finished = bar.add_task("Executions finished", total=None)

            def on_progress(p: RunProgress) -> None:
                bar.update(delivered, completed=p.delivered)
                bar.update(finished, completed=p.finished, total=p.executions or None)

            try:
                processed = process(stack, bodies, on_progress)
            except ClientError as error:  # Lambda's poller itself refused (an access denied reading the queue)
                console.print(f"[red]The run stopped:[/] {error}", soft_wrap=True)
                return 1
        recovery = recover(stack) if args.recover else None
        report = build_report(stack, messages=len(bodies), seconds=processed.seconds, refused=processed.refused)
        denied = sorted(stack.access.denied.items())
    for (caller, operation, resource, code), count in denied:
        console.print(f"[red]Access denied {count}x:[/] {code} on {operation} {resource} for {caller}", soft_wrap=True)
    if recovery is not None:
        report["recovery"] = recovery
        console.print(
            f"Recovery: {recovery['deadLettersRedriven']} dead letters sent back to the queue, "
            f"{len(recovery['ordersRetried'])} failed orders started again."
        )
    show(report, console, history=args.history)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        console.print(f"Report written to {args.report}")
    # A message the queue refused has no outcome: the run is not a success (contract, section 4).
    return 1 if report["refused"] else 0


def cost(args: argparse.Namespace) -> int:
    """The monthly bill for a volume of orders (workflow.cost.model), as a table or as JSON."""
    import json

    from workflow.cost.model import ASSUMPTIONS, bill, dollars, free_volume, regions
    from workflow.cost.usage import MEASURE_COMMAND, load_measured

    console = Console()
    if args.region not in regions():
        console.print(f"[red]--region: no prices for {args.region!r}; the table has {', '.join(regions())}[/]")
        return 2
    if args.profile not in PROFILES:
        console.print(f"[red]--profile must be one of {', '.join(PROFILES)}, not {args.profile!r}[/]")
        return 2
    measured = load_measured()
    result = bill(
        args.orders_per_month, workflow_type=args.type, profile=args.profile, region=args.region, measured=measured
    )
    free = free_volume(args.type, args.profile, args.region, measured)
    free_text = (
        f"free up to {free[0]:,} orders a month; the next order is billed for {free[1]}"
        if free
        else "never free: it bills a monthly charge at any volume"
    )
    if args.json:
        print(json.dumps(_cost_json(result, free, measured["samples"]), indent=2))
        return 0
    table = Table(
        title=f"{args.orders_per_month:,} orders a month, {args.type}, profile {args.profile}, {args.region}",
        caption=f"Usage measured by `{MEASURE_COMMAND}` on {measured['samples']}; prices: workflow/cost/pricing.json",
    )
    for column in ("Service", "Item", "Usage", "Source", "Cost", "After free tier"):
        table.add_column(column, justify="right" if column in ("Usage", "Cost", "After free tier") else "left")
    for line in result.lines:
        cost_text = dollars(line.cost) if line.cost is not None else "unpriced"
        after = dollars(line.cost_after_free_tier) if line.cost_after_free_tier is not None else "unpriced"
        usage = f"{line.quantity.quantize(Decimal('0.01')).normalize():,f} {line.unit}"
        table.add_row(line.service, line.item, usage, line.source, cost_text, after)
    table.add_row("Total", "", "", "", dollars(result.total), dollars(result.total_after_free_tier), style="bold")
    console.print(table)
    if result.unpriced:
        names = ", ".join(f"{line.service} {line.item}" for line in result.unpriced)
        console.print(f"[yellow]Not in the totals (no price found for {args.region}): {names}[/]")
    for warning in result.warnings:
        console.print(f"[yellow]{warning}[/]")
    console.print(f"This profile and type: {free_text}.")
    console.print("What drives each line:")
    for line in result.lines:
        console.print(f"  {line.service}, {line.item}: {line.driver}", highlight=False)
    console.print("Assumed:")
    for assumption in ASSUMPTIONS.values():
        console.print(f"  {assumption.value.normalize():f}: {assumption.why}", highlight=False)
    return 0


def _cost_json(result: Any, free: tuple[int, str] | None, samples: str) -> dict[str, Any]:
    from workflow.cost.model import ASSUMPTIONS

    def money(amount: Decimal | None) -> str | None:
        return None if amount is None else str(amount.quantize(Decimal("0.000001")))

    return {
        "ordersPerMonth": result.orders,
        "workflowType": result.workflow_type,
        "profile": result.profile,
        "region": result.region,
        "currency": "USD",
        "monthlyTotal": money(result.total),
        "monthlyTotalAfterFreeTier": money(result.total_after_free_tier),
        "freeUpToOrdersPerMonth": free[0] if free else None,
        "freeTierEndedBy": free[1] if free else None,
        "unpriced": [f"{line.service} {line.item}" for line in result.unpriced],
        "warnings": result.warnings,
        "lines": [
            {
                "service": line.service,
                "item": line.item,
                "quantity": str(line.quantity.normalize()),
                "unit": line.unit,
                "freeQuantity": str(line.free.normalize()),
                "price": None if line.price is None else str(line.price),
                "monthly": money(line.cost),
                "monthlyAfterFreeTier": money(line.cost_after_free_tier),
                "driver": line.driver,
                "source": line.source,
            }
            for line in result.lines
        ],
        "measuredOn": samples,
        "assumptions": {name: {"value": str(a.value.normalize()), "why": a.why} for name, a in ASSUMPTIONS.items()},
    }


def measure_usage(args: argparse.Namespace) -> int:
    """Run the sample orders under each profile and write workflow/cost/measured_usage.json."""
    from workflow.cost.measure import write
    from workflow.cost.usage import MEASURED_USAGE_FILE

    with Console().status("Running the sample orders under each profile..."):
        write()
    Console().print(f"Written {MEASURED_USAGE_FILE.relative_to(config.PROJECT_ROOT)}")
    return 0


def _deployed(args: argparse.Namespace) -> tuple[Any, StackResources]:
    import boto3

    from workflow.operations import resources_from_outputs, stack_outputs

    session = boto3.Session(region_name=args.region)
    return session, resources_from_outputs(stack_outputs(session.client("cloudformation"), args.stack_name))


def redrive_dlq(args: argparse.Namespace) -> int:
    from workflow.operations import redrive_dead_letters

    session, resources = _deployed(args)
    moved = redrive_dead_letters(session.client("sqs"), resources.dead_letter_queue_url, resources.queue_url)
    Console().print(f"{moved} dead letters sent back to the order queue of {args.stack_name}.")
    return 0


def retry_failed(args: argparse.Namespace) -> int:
    from workflow.operations import retry_failed_orders

    session, resources = _deployed(args)
    result = retry_failed_orders(session.client("stepfunctions"), session.resource("dynamodb"), resources)
    console = Console()
    console.print(f"{len(result.restarted)} FAILED orders started again: {', '.join(result.restarted) or '-'}")
    for key, reason in result.skipped.items():
        console.print(f"[yellow]{key} not retried: {reason}[/]")
    return 1 if result.skipped else 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="orders", description="Serverless order processor: tools for operators.")
    commands = root.add_subparsers(dest="command", required=True)
    stack = commands.add_parser("stack", help="synthesize the CDK stack and list its resources")
    stack.add_argument("--outdir", type=Path, default=config.PROJECT_ROOT / "cdk.out")
    stack.set_defaults(run=show_stack)

    local = commands.add_parser("local", help="run the whole system on emulated AWS, in this process")
    local_commands = local.add_subparsers(dest="local_command", required=True)
    local_run_parser = local_commands.add_parser("run", help="send each line of FILE as one message and report")
    local_run_parser.add_argument("file", type=Path, help="one message body per line (blank lines are skipped)")
    local_run_parser.add_argument("--report", type=Path, help="also write the JSON report here")
    local_run_parser.add_argument("--history", action="store_true", help="show each execution's events")
    local_run_parser.add_argument(
        "--time-scale",
        type=_positive(float),
        default=0.001,
        help="multiplies retry back-off, waits and visibility timeouts (1 = real time; default 0.001)",
    )
    local_run_parser.add_argument(
        "--faults",
        default="",
        metavar="SERVICE=SHARE,...",
        help="make that share of the application's calls fail as AWS throttling or internal errors "
        "(services: dynamodb, sns, lambda, sfn), e.g. dynamodb=0.2,sns=0.2,lambda=0.1,sfn=0.1; "
        "express=SHARE runs that share of an Express workflow's executions twice (at least once)",
    )
    local_run_parser.add_argument(
        "--profile", choices=tuple(PROFILES), default="production", help="the deployment profile to run"
    )
    local_run_parser.add_argument("--seed", type=int, default=0, help="seed for the faults (default 0)")
    local_run_parser.add_argument(
        "--workflow-type",
        type=str.upper,
        choices=config.WORKFLOW_TYPES,
        default=None,
        help=f"the state machine's type (default: {config.CONTEXT_WORKFLOW_TYPE} in cdk.json)",
    )
    local_run_parser.add_argument(
        "--duplicates",
        type=_positive(int),
        default=1,
        metavar="K",
        help="send every line K times, as a retrying client would",
    )
    local_run_parser.add_argument(
        "--recover",
        action="store_true",
        help="afterwards, with the faults gone, send dead letters back and retry FAILED orders, then report",
    )
    local_run_parser.set_defaults(run=local_run)

    cost_parser = commands.add_parser("cost", help="the monthly bill for a volume of orders, per service")
    cost_parser.add_argument("--orders-per-month", type=_count, required=True, metavar="N")
    cost_parser.add_argument("--type", choices=config.WORKFLOW_TYPES, default="STANDARD", type=str.upper)
    cost_parser.add_argument("--profile", default="production", help="production (default) or free-tier")
    cost_parser.add_argument("--region", default="us-east-1", help="default us-east-1")
    cost_parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    cost_parser.set_defaults(run=cost)
    measure = commands.add_parser("measure-usage", help="measure the usage per order that `orders cost` counts")
    measure.set_defaults(run=measure_usage)

    redrive = commands.add_parser("redrive-dlq", help="deployed stack: move dead letters back to the order queue")
    retry = commands.add_parser("retry-failed", help="deployed stack: start FAILED orders again")
    for command, action in ((redrive, redrive_dlq), (retry, retry_failed)):
        command.add_argument("--stack-name", default=config.STACK_NAME)
        command.add_argument("--region", help="default: your AWS configuration's")
        command.set_defaults(run=action)
    return root


def _count(text: str) -> int:
    """A whole number of orders, 0 or more."""
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of orders, 0 or more, got {text!r}")
    return int(text)


def _positive(kind: type[int] | type[float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
