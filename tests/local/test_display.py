"""What a person reads after a local run (workflow/local/display.py)."""

from __future__ import annotations

from rich.console import Console

from tests.orders import order
from workflow.local.display import orders_table
from workflow.local.emulator import EmulatedStack
from workflow.local.run import run
from workflow.messages import read_file


def test_each_copy_of_a_line_shows_its_own_outcome(stack: EmulatedStack) -> None:
    """With `--duplicates 2` a line is sent twice: one copy makes the order, the other is its duplicate, and the
    table's Lines column shows both rather than one of them."""
    report = run(stack, read_file(order("ord-twice").encode(), duplicates=2))
    assert sorted(m["outcome"] for m in report["messages"]) == ["ACCEPTED", "duplicate"]

    console = Console(width=200, record=True)
    console.print(orders_table(report))
    [row] = [line for line in console.export_text().splitlines() if "ord-twice" in line]
    lines_cell = row.split("ord-twice")[0].strip(" │")
    assert sorted(lines_cell.split(", ")) == ["1", "1 (duplicate)"]
