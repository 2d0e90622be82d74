"""What a person reads after a local run: a table of orders, and on request each execution's history."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

# An outcome's or execution status's colour on the terminal (any other: red).
STYLES = {"ACCEPTED": "green", "SUCCEEDED": "green", "REJECTED": "yellow", "RUNNING": "cyan"}


def orders_table(report: dict[str, Any]) -> Table:
    """One row per order (key), dead letter and refused line, each with the file's lines it came from."""
    notified = {(n["orderId"], n["status"]) for n in report["notifications"]}
    # Each copy of a line (`--duplicates K`) is a message of its own, with an outcome of its own.
    outcomes_of_line: dict[tuple[int, str | None], list[str]] = {}
    for message in report["messages"]:
        outcomes_of_line.setdefault((message["line"], message["orderId"]), []).append(message["outcome"])
    table = Table(title="Orders", title_justify="left", show_lines=False)
    table.add_column("Lines", overflow="fold")
    table.add_column("Order (key)", overflow="fold")
    table.add_column("Outcome")
    table.add_column("Total", justify="right")
    table.add_column("Notified")
    table.add_column("Reasons / error", overflow="fold")
    rows = [(r, False) for r in report["records"]] + [(r, True) for r in report["unrecordedFailures"]]
    for record, unrecorded in sorted(rows, key=lambda row: _first_line(row[0])):
        status = record["status"]
        total = f"{record['total']} {record['currency']}" if "total" in record else ""
        detail = "\n".join(record.get("reasons", [])) or record.get("error", "")
        if unrecorded:
            detail = f"{detail} (no record: the table could not be written)".strip()
        lines = [
            _line(line, outcome, status)
            for line in record.get("lines", [])
            for outcome in outcomes_of_line.get((line, record["orderId"]), [None])
        ]
        table.add_row(
            ", ".join(lines),
            record["orderId"],
            f"[{STYLES.get(status, 'red')}]{status}[/]",
            total,
            "yes" if (record["orderId"], status) in notified else "no",
            detail,
        )
    for letter in report["deadLetters"]:
        table.add_row(
            ", ".join(map(str, letter.get("lines", []))),
            f"message {letter['messageId']}",
            "[red]DEAD LETTER[/]",
            "",
            "no",
            escape(letter["body"][:200]),
        )
    for refused in report["refused"]:
        reason = f"{refused['code']}: {refused['reason']}"
        table.add_row(", ".join(map(str, refused["lines"])), "", "[red]REFUSED[/]", "", "no", escape(reason))
    return table


def _first_line(entry: dict[str, Any]) -> tuple[int, str]:
    return (min(entry.get("lines") or [0]), str(entry["orderId"]))


def _line(line: int, outcome: str | None, status: str) -> str:
    """A line number, and its own outcome where it is not the order's (a duplicate, a failed delivery)."""
    return str(line) if outcome in (None, status) else f"{line} ({outcome})"


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
        f"{s['duplicates']} duplicate deliveries, {s['deadLetters']} dead letters, {s['refused']} refused; "
        f"{s['notifications']} notifications, {s['executions']} executions."
    )
    if s["faultsInjected"]:
        line += f"\n{s['faultsInjected']} faults injected, {s['retries']} task retries."
    if s["refused"]:
        line += f"\n[red]{s['refused']} lines refused[/] (never sent: each is in the table with the reason)."
    if s["unaccounted"]:
        line += f"\n[red]{s['unaccounted']} messages with no outcome the services show[/] (the run gave up waiting)."
    return line


def show(report: dict[str, Any], console: Console, *, history: bool) -> None:
    console.print(orders_table(report))
    if history:
        for execution in report["executions"]:
            console.print(history_table(execution))
    console.print(summary_line(report))
