"""`orders local run` as a script sees it: its exit status."""

from __future__ import annotations

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
