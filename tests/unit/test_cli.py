"""The `orders` command refuses arguments that would make a run meaningless, before doing anything."""

from __future__ import annotations

import pytest

from workflow.cli import main


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--duplicates", "0", "argument --duplicates: must be greater than 0, got 0"),
        ("--duplicates", "-2", "argument --duplicates: must be greater than 0, got -2"),
        ("--duplicates", "two", "argument --duplicates: expected a number, got 'two'"),
        ("--time-scale", "-1", "argument --time-scale: must be greater than 0, got -1"),
        ("--time-scale", "nan", "argument --time-scale: must be greater than 0, got nan"),
    ],
)
def test_local_run_refuses_a_count_or_scale_that_is_not_positive(
    option: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["local", "run", "samples/orders.jsonl", option, value])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_local_run_refuses_an_unknown_workflow_type(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["local", "run", "samples/orders.jsonl", "--workflow-type", "batch"])
    assert exit_.value.code == 2
    assert "argument --workflow-type: invalid choice: 'BATCH'" in capsys.readouterr().err


def test_local_run_refuses_running_a_standard_workflow_twice(capsys: pytest.CaptureFixture[str]) -> None:
    # Standard workflows run exactly once; only an Express one may run twice (at least once).
    code = main(["local", "run", "samples/orders.jsonl", "--workflow-type", "standard", "--faults", "express=0.2"])
    assert code == 2
    assert "express=SHARE needs --workflow-type EXPRESS" in capsys.readouterr().out
