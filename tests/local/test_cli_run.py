"""`orders local run` as a script sees it: its exit status."""

from __future__ import annotations

import atexit
import gc
import io
import json
import sys
from pathlib import Path

import pytest

from workflow.cli import main
from workflow.local.emulator import DeploymentFailed, EmulatedStack


def test_a_refused_line_makes_the_run_exit_1_after_the_others_are_processed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = tmp_path / "orders.jsonl"
    orders.write_text('{"orderId": "ord-cli"}\nnot json, and a control character: \x01\n', encoding="utf-8")

    assert main(["local", "run", str(orders), "--time-scale", "0.0001"]) == 1

    out = capsys.readouterr().out
    assert "│ 2 " in out and "REFUSED" in out  # line 2 of the file, on its own row
    assert "InvalidMessageContents" in out
    assert "ord-cli" in out  # the other line was processed (and rejected: it is not a whole order)


def test_a_stack_the_emulator_cannot_deploy_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(stack: EmulatedStack) -> None:
        raise DeploymentFailed("the emulated stack ended CREATE_FAILED: a resource was refused")

    monkeypatch.setattr(EmulatedStack, "_deploy", refused)
    orders = tmp_path / "orders.jsonl"
    orders.write_text('{"orderId": "ord-cli"}\n', encoding="utf-8")

    assert main(["local", "run", str(orders)]) == 1

    out = capsys.readouterr().out
    assert "The synthesized stack could not be deployed: the emulated stack ended CREATE_FAILED" in out
    assert "Traceback" not in out


ORDER = (
    '{"orderId": "%s", "customer": {"id": "c-1", "email": "ana@example.com"}, '
    '"items": [{"sku": "BOOK-001", "quantity": 2, "unitPrice": "19.90"}], "currency": "BRL"}'
)


def test_dash_reads_the_messages_from_standard_input_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = (ORDER % "ord-stdin" + "\n" + ORDER % "ord-stdin" + "\r\n").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    monkeypatch.setenv("COLUMNS", "200")  # the table's rows unwrapped
    report = tmp_path / "report.json"

    assert main(["local", "run", "-", "--time-scale", "0.0001", "--report", str(report)]) == 0

    written = json.loads(report.read_text())
    assert [(m["line"], m["orderId"], m["outcome"]) for m in written["messages"]] == [
        (1, "ord-stdin", "ACCEPTED"),
        (2, "ord-stdin", "duplicate"),
    ]
    assert [(r["orderId"], r["lines"]) for r in written["records"]] == [("ord-stdin", [1, 2])]
    assert "│ 1, 2 (duplicate) │ ord-stdin " in capsys.readouterr().out


def test_an_order_whose_only_trace_is_a_failed_execution_is_failed_exits_1_and_moto_stays_quiet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Every write to the table fails: the order has no record, only its failed execution. It is FAILED
    (not a "duplicate" found by subtracting records from messages), on the line it came from, and the
    command exits 1. What the terminal shows is the table, not the interpreter's log of the failure
    (kilobytes per execution): Python prints a record that reaches no handler on standard error; here
    pytest's own handler would catch it, so the test asserts that moto makes no record (`caplog` sees
    every one made)."""
    orders = tmp_path / "orders.jsonl"
    orders.write_text("\n" + ORDER % "ord-fails" + "\n", encoding="utf-8")
    report = tmp_path / "report.json"

    code = main(
        ["local", "run", str(orders), "--time-scale", "0.0001", "--faults", "dynamodb=1", "--report", str(report)]
    )

    assert code == 1
    written = json.loads(report.read_text())
    assert written["records"] == []
    assert [(m["line"], m["orderId"], m["outcome"]) for m in written["messages"]] == [(2, "ord-fails", "FAILED")]
    assert [(f["orderId"], f["lines"]) for f in written["unrecordedFailures"]] == [("ord-fails", [2])]
    assert written["summary"]["failed"] == 1 and written["summary"]["duplicates"] == 0
    captured = capsys.readouterr()
    assert "ord-fails" in captured.out and "FAILED" in captured.out
    assert captured.err == ""
    assert [record.name for record in caplog.records if record.name.startswith("moto")] == []


def test_a_run_leaves_its_heap_frozen_to_the_process_exit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At exit the interpreter's last garbage collections would scan everything a run built (1.3 s of CPU
    after 2,000 orders): the run has it frozen first, once however many runs a process makes."""
    registered: list[object] = []
    monkeypatch.setattr(atexit, "register", registered.append)
    monkeypatch.setattr(
        atexit, "unregister", lambda function: registered.remove(function) if function in registered else None
    )
    orders = tmp_path / "orders.jsonl"
    orders.write_text('{"orderId": "ord-exit"}\n', encoding="utf-8")

    for _ in range(2):
        main(["local", "run", str(orders), "--time-scale", "0.0001"])

    assert registered.count(gc.freeze) == 1  # (a synthesis in this process registers its own)
