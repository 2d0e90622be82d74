"""The `orders` console command."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from workflow import commands as operator
from workflow import config
from workflow.aws import add_stack_arguments, port
from workflow.profiles import PROFILES


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
    """Deploy the synthesized stack into the emulator, run FILE's messages through it, report.

    Exit status (contract, section 4): 0 when every message ended ACCEPTED, REJECTED or as a duplicate;
    1 when any ended FAILED, as a dead letter, refused (or the run itself could not go on); 2 for a mistake
    in the call (argparse's own, a file that cannot be read or is not text, a report that cannot be
    written); 130 when interrupted (Ctrl-C), with no report half-written."""
    errors = Console(stderr=True)
    # What the run imports (moto, botocore, the handlers' libraries) stays loaded for the whole run and is
    # next to no garbage: the collector would scan it again and again while it loads (about 0.1 s). The
    # emulator collects again once its stack is deployed (`EmulatedStack.__enter__`).
    collecting = gc.isenabled()
    gc.disable()
    # And when the process ends, the interpreter's last collections would scan all of it once more (about
    # 0.6 s of a one-line run, 1.3 s after 2,000 orders) only for the operating system to free it: frozen, it is
    # left to the operating system.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    try:
        return _local_run(args)
    except operator.Mistake as mistake:
        errors.print(f"orders local run: {mistake}", soft_wrap=True, markup=False, highlight=False)
        return 2
    except KeyboardInterrupt:
        errors.print("orders local run: interrupted; no report written.", markup=False, highlight=False)
        return 130
    finally:
        if collecting:
            gc.enable()


def _local_run(args: argparse.Namespace) -> int:
    from workflow.messages import NotText, Unreadable, read_file, read_input

    console = Console(stderr=False)
    rates = operator.fault_rates(args)
    # Checked before minutes of work, not after.
    for option, path in (("--report", args.report), ("--html", args.html)):
        if path:
            _check_writable(option, path)
    name = "standard input" if args.file == "-" else args.file
    try:
        messages = read_file(read_input(args.file), duplicates=args.duplicates)
    except Unreadable as error:
        raise operator.Mistake(str(error)) from None
    except NotText as error:
        raise operator.Mistake(f"{name} is not UTF-8 text: {error}") from None
    if not messages:
        console.print(
            f"{name} holds no messages (it is empty or only blank lines): nothing to run.",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )
        return 0
    with contextlib.ExitStack() as entered:
        # Started before the emulator is imported, which it then runs beside (when it is not reused).
        synthesis = entered.enter_context(operator.synthesis(args))
        from botocore.exceptions import ClientError
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from workflow.local.display import show
        from workflow.local.run import Progress as RunProgress
        from workflow.local.run import build_report, process, recover, succeeded

        try:
            stack = entered.enter_context(operator.emulated_stack(args, console, rates, synthesis))
        except operator.Stop as stop:
            return stop.status
        console.print(
            f"Deployed {config.STACK_NAME} ({args.workflow_type} workflow) into the emulator; "
            f"sending {len(messages)} messages."
        )
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            delivered = bar.add_task("Messages started", total=len(messages))
            finished = bar.add_task("Executions finished", total=None)

            def on_progress(p: RunProgress) -> None:
                bar.update(delivered, completed=p.delivered)
                bar.update(finished, completed=p.finished, total=p.executions or None)

            try:
                processed = process(stack, messages, on_progress)
                recovery = recover(stack) if args.recover else None
            # Lambda's poller itself refused (an access denied reading the queue), or messages or executions
            # still unfinished when the run gave up waiting.
            except (ClientError, TimeoutError) as error:
                console.print(f"[red]The run stopped:[/] {error}", soft_wrap=True)
                return 1
        report = build_report(stack, seconds=processed.seconds)
        # The console page: read from the services while the emulated stack still runs.
        page = None
        if args.html:
            from workflow.console import console_page

            page = console_page(stack)
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
        try:
            _write_atomically(args.report, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        except OSError as error:
            console.print(f"[red]The report could not be written to {args.report}:[/] {error.strerror}")
            return 1
        console.print(f"Report written to {args.report}")
    if args.html and page is not None:
        try:
            _write_atomically(args.html, page)
        except OSError as error:
            console.print(f"[red]The console page could not be written to {args.html}:[/] {error.strerror}")
            return 1
        console.print(f"Console page written to {args.html}: open it in a browser", soft_wrap=True)
    # A message FAILED, dead-lettered or refused has no outcome a customer was told: not a success.
    return 0 if succeeded(report) else 1


def _check_writable(option: str, path: Path) -> None:
    """Whether the report could be written at `path` (its directory made if missing), found by trying: a
    file opened for appending (nothing written), or a temporary file made and removed where it would go."""
    try:
        if path.is_dir():
            raise operator.Mistake(f"{option} {path} is a directory; name a file")
        ancestor = path.parent
        while not ancestor.exists():
            ancestor = ancestor.parent
        exists = path.exists()
    except OSError as error:  # a folder on the way that may not be looked into
        raise operator.Mistake(f"{option} {path} cannot be written: {error.strerror} ({error.filename})") from None
    if not ancestor.is_dir():
        raise operator.Mistake(f"{option} {path} cannot be written: {ancestor} is not a directory")
    try:
        if exists:
            path.open("ab").close()
        else:
            tempfile.TemporaryFile(dir=ancestor).close()
    except OSError as error:
        where = path if exists else ancestor
        raise operator.Mistake(
            f"{option} {path} cannot be written: {where} is not writable ({error.strerror})"
        ) from None


def _write_atomically(path: Path, text: str) -> None:
    """Write a file whole or not at all: into a temporary file beside it, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def graph(args: argparse.Namespace) -> int:
    """The state machine's graph alone, drawn from the definition as SVG."""
    from workflow.console.graph import definition_svg
    from workflow.console.page import LayoutLibraryMissing

    errors = Console(stderr=True)
    try:
        svg = definition_svg(config.DEFINITION_FILE.read_text(encoding="utf-8"))
    except (LayoutLibraryMissing, RuntimeError) as failed:
        errors.print(f"orders graph: {failed}", markup=False, highlight=False, soft_wrap=True)
        return 1
    if args.svg is None:
        sys.stdout.write(svg)
        return 0
    try:
        _write_atomically(args.svg, svg)
    except OSError as error:
        errors.print(f"orders graph: --svg {args.svg} cannot be written: {error.strerror}", markup=False)
        return 2
    Console().print(f"Graph of {config.DEFINITION_FILE.name} written to {args.svg}")
    return 0


def cost(args: argparse.Namespace) -> int:
    """The monthly bill for a volume of orders (workflow.cost.model), as a table or as JSON."""

    from workflow.cost.model import (
        ASSUMPTIONS,
        bill,
        dollars,
        free_volume,
        fully_priced_regions,
        regions,
        unpriced_lines,
    )
    from workflow.cost.usage import MEASURE_COMMAND, load_measured

    console = Console()
    priced = f"every line is priced for {', '.join(fully_priced_regions())}"
    if args.region not in regions():
        console.print(f"[red]--region: no prices for {args.region!r}; {priced}[/]")
        return 2
    if args.profile not in PROFILES:
        console.print(f"[red]--profile must be one of {', '.join(PROFILES)}, not {args.profile!r}[/]")
        return 2
    measured = load_measured()
    # A total without a line would not be the bill: a Region the table prices only in part is refused, by name.
    missing = unpriced_lines(args.type, args.profile, args.region, measured)
    if missing:
        console.print(
            f"[red]--region: no price found for {args.region} for {', '.join(missing)} "
            f"(workflow/cost/pricing.json); {priced}[/]"
        )
        return 2
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


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="orders", description="Serverless order processor: tools for operators.")
    commands = root.add_subparsers(dest="command", required=True)
    stack = commands.add_parser("stack", help="synthesize the CDK stack and list its resources")
    stack.add_argument("--outdir", type=Path, default=config.PROJECT_ROOT / "cdk.out")
    stack.set_defaults(run=show_stack)

    local = commands.add_parser("local", help="run the whole system on emulated AWS, in this process")
    local_commands = local.add_subparsers(dest="local_command", required=True)
    local_run_parser = local_commands.add_parser("run", help="send each line of FILE as one message and report")
    local_run_parser.add_argument(
        "file", help="one message body per line, UTF-8 (blank lines are skipped); - for standard input"
    )
    local_run_parser.add_argument("--report", type=Path, help="also write the JSON report here")
    local_run_parser.add_argument("--history", action="store_true", help="show each execution's events")
    local_run_parser.add_argument(
        "--html", type=Path, metavar="PATH", help="also write the console page (every execution) as one file"
    )
    _emulator_arguments(local_run_parser)
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
    serve = local_commands.add_parser("serve", help="keep the emulated stack running on 127.0.0.1 until Ctrl-C")
    serve.add_argument("--port", type=port, default=config.LOCAL_PORT, help=f"default {config.LOCAL_PORT}")
    _emulator_arguments(serve)
    serve.set_defaults(run=operator.local_serve)

    graph_parser = commands.add_parser("graph", help="draw the state machine's definition as SVG")
    graph_parser.add_argument("--svg", type=Path, metavar="PATH", help="write it here (default: standard output)")
    graph_parser.set_defaults(run=graph)

    cost_parser = commands.add_parser("cost", help="the monthly bill for a volume of orders, per service")
    cost_parser.add_argument("--orders-per-month", type=_count, required=True, metavar="N")
    cost_parser.add_argument("--type", choices=config.WORKFLOW_TYPES, default="STANDARD", type=str.upper)
    cost_parser.add_argument("--profile", default="production", help="production (default) or free-tier")
    cost_parser.add_argument("--region", default="us-east-1", help="default us-east-1")
    cost_parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    cost_parser.set_defaults(run=cost)
    measure = commands.add_parser("measure-usage", help="measure the usage per order that `orders cost` counts")
    measure.set_defaults(run=measure_usage)

    submit = commands.add_parser("submit", help="send each line of FILE (- for standard input) as one message")
    submit.add_argument("file", type=Path, help="one message body per line (blank lines are skipped)")
    status = commands.add_parser("status", help="an order's record, execution(s) and notification")
    history = commands.add_parser("history", help="the events of the execution named KEY")
    for command in (status, history):
        command.add_argument("key", help="the order's key: its orderId, or msg-<message id>")
    executions = commands.add_parser("executions", help="the state machine's executions, newest first")
    executions.add_argument("--status", type=str.upper, choices=operator.EXECUTION_STATUSES)
    executions.add_argument("--limit", type=_positive(int), default=50, metavar="N", help="at most N (default 50)")
    redrive = commands.add_parser("redrive-dlq", help="move dead letters back to the order queue")
    retry = commands.add_parser("retry-failed", help="start FAILED orders again")
    for command, action in (
        (submit, operator.submit),
        (status, operator.status),
        (history, operator.history),
        (executions, operator.executions),
        (redrive, operator.redrive_dlq),
        (retry, operator.retry_failed),
    ):
        add_stack_arguments(command)
        command.set_defaults(run=action)
    return root


def _emulator_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags `local run` and `local serve` share: how the emulated stack is deployed and run."""
    parser.add_argument(
        "--time-scale",
        type=_positive(float),
        default=0.001,
        help="multiplies retry back-off, waits and visibility timeouts (1 = real time; default 0.001)",
    )
    parser.add_argument(
        "--faults",
        default="",
        metavar="SERVICE=SHARE,...",
        help="make that share of the application's calls fail as AWS throttling or internal errors "
        "(services: dynamodb, sns, lambda, sfn), e.g. dynamodb=0.2,sns=0.2,lambda=0.1,sfn=0.1; "
        "express=SHARE runs that share of an Express workflow's executions twice (at least once)",
    )
    parser.add_argument(
        "--profile", choices=tuple(PROFILES), default="production", help="the deployment profile to run"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed for the faults: the same seed, file and flags fail the same calls"
    )
    parser.add_argument(
        "--workflow-type",
        type=str.upper,
        choices=config.WORKFLOW_TYPES,
        default=None,
        help=f"the state machine's type (default: {config.CONTEXT_WORKFLOW_TYPE} in cdk.json)",
    )


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
