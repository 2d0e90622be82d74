"""What a person reads after a local run: a table of orders, and on request each execution's history."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

STYLES = {"ACCEPTED": "green", "REJECTED": "yellow", "FAILED": "red", "SUCCEEDED": "green"}


def orders_table(report: dict[str, Any]) -> Table:
    notified = {(n["orderId"], n["status"]) for n in report["notifications"]}
    table = Table(title="Orders", title_justify="left", show_lines=False)
    table.add_column("Order (key)", overflow="fold")
    table.add_column("Outcome")
    table.add_column("Total", justify="right")
    table.add_column("Notified")
    table.add_column("Reasons / error", overflow="fold")
    for record in report["records"]:
        status = record["status"]
        total = f"{record['total']} {record['currency']}" if "total" in record else ""
        detail = "\n".join(record.get("reasons", [])) or record.get("error", "")
        table.add_row(
            record["orderId"],
            f"[{STYLES.get(status, '')}]{status}[/]",
            total,
            "yes" if (record["orderId"], status) in notified else "no",
            detail,
        )
    for letter in report["deadLetters"]:
        table.add_row(f"message {letter['messageId']}", "[red]DEAD LETTER[/]", "", "no", letter["body"][:200])
    return table


def history_table(execution: dict[str, Any]) -> Table:
    """Like the Step Functions console's event list: id, type, step, time since start."""
    status = execution["status"]
    table = Table(
        title=f"Execution {execution['name']}: [{STYLES.get(status, 'red')}]{status}[/]",
        title_justify="left",
    )
    table.add_column("ID", justify="right")
    table.add_column("Type")
    table.add_column("Step")
    table.add_column("Error")
    table.add_column("Elapsed (ms)", justify="right")
    for event in execution["events"]:
        table.add_row(str(event["id"]), event["type"], event["state"], event["error"], str(event["elapsedMs"]))
    return table


def summary_line(report: dict[str, Any]) -> str:
    s = report["summary"]
    line = (
        f"{s['messages']} messages in {s['seconds']} s: [green]{s['accepted']} accepted[/], "
        f"[yellow]{s['rejected']} rejected[/], [red]{s['failed']} failed[/], "
        f"{s['duplicates']} duplicate deliveries, {s['deadLetters']} dead letters, "
        f"{s['notifications']} notifications, {len(report['executions'])} executions."
    )
    if s["faultsInjected"]:
        line += f"\n{s['faultsInjected']} faults injected, {s['retries']} task retries."
    if s["refused"]:
        line += f"\n[red]{s['refused']} refused by the queue[/] (they were never sent: see above)."
    return line


def show(report: dict[str, Any], console: Console, *, history: bool) -> None:
    console.print(orders_table(report))
    for refused in report["refused"]:
        console.print(
            f"[red]Message {refused['message']} refused by the queue:[/] {refused['code']}: {refused['reason']}",
            soft_wrap=True,
        )
    if history:
        for execution in report["executions"]:
            console.print(history_table(execution))
    console.print(summary_line(report))
