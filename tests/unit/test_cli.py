"""The `orders` command refuses arguments that would make a run meaningless, before doing anything."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

import workflow.commands
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
    assert "express=SHARE needs --workflow-type EXPRESS" in capsys.readouterr().err


# --- `orders local run`: every mistake is one line on standard error and exit status 2, before any work ---


@pytest.fixture
def no_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mistake must be found before the stack is synthesized or deployed: starting it fails the test."""

    def synthesize(*args: object, **kwargs: object) -> None:
        raise AssertionError("the run started")

    monkeypatch.setattr(workflow.commands, "emulated_stack", synthesize)


def one_line_mistake(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith("orders local run: ")
    return captured.err.strip()


@pytest.mark.usefixtures("no_run")
def test_a_missing_file_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["local", "run", str(tmp_path / "nowhere.jsonl")]) == 2
    assert one_line_mistake(capsys) == f"orders local run: {tmp_path / 'nowhere.jsonl'}: no such file"


@pytest.mark.usefixtures("no_run")
def test_a_directory_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["local", "run", str(tmp_path)]) == 2
    assert one_line_mistake(capsys) == f"orders local run: {tmp_path} is a directory, not a file of messages"


@pytest.mark.usefixtures("no_run")
def test_a_file_that_is_not_text_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    orders = tmp_path / "orders.jsonl"
    orders.write_text('{"orderId": "ord-1"}\n', encoding="utf-16")
    assert main(["local", "run", str(orders)]) == 2
    assert one_line_mistake(capsys) == (
        f"orders local run: {orders} is not UTF-8 text: it starts with a UTF-16 or UTF-32 byte order mark: "
        "save it as UTF-8, one message per line"
    )


@pytest.mark.usefixtures("no_run")
@pytest.mark.parametrize("content", [b"", b"\n  \r\n\t\n"])
def test_a_file_with_no_messages_says_so_and_exits_0(
    content: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = tmp_path / "orders.jsonl"
    orders.write_bytes(content)
    assert main(["local", "run", str(orders)]) == 0
    out = capsys.readouterr().out
    assert f"{orders} holds no messages (it is empty or only blank lines): nothing to run." in out


@pytest.mark.usefixtures("no_run")
def test_dash_reads_standard_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\n\n")))
    assert main(["local", "run", "-"]) == 0
    assert "standard input holds no messages" in capsys.readouterr().out


@pytest.mark.usefixtures("no_run")
@pytest.mark.parametrize(
    ("report", "reason"),
    [
        ("{tmp}", "is a directory; name a file"),
        ("{tmp}/a-file/report.json", "{tmp}/a-file is not a directory"),
        ("/proc/orders-report/report.json", "/proc is not writable"),
    ],
)
def test_a_report_path_that_cannot_be_written_is_found_before_the_run(
    report: str, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("")
    orders = tmp_path / "orders.jsonl"
    orders.write_text('{"orderId": "ord-1"}\n')
    path = report.format(tmp=tmp_path)
    assert main(["local", "run", str(orders), "--report", path]) == 2
    line = one_line_mistake(capsys)
    assert line.startswith(f"orders local run: --report {path} ")
    assert reason.format(tmp=tmp_path) in line


def test_ctrl_c_exits_130_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(workflow.commands, "emulated_stack", interrupted)
    orders = tmp_path / "orders.jsonl"
    orders.write_text('{"orderId": "ord-1"}\n')
    report = tmp_path / "report.json"
    report.write_text("the previous report\n")
    assert main(["local", "run", str(orders), "--report", str(report)]) == 130
    assert one_line_mistake(capsys) == "orders local run: interrupted; no report written."
    assert report.read_text() == "the previous report\n"
    assert sorted(os.listdir(tmp_path)) == ["orders.jsonl", "report.json"]


@pytest.mark.usefixtures("no_run")
@pytest.mark.parametrize("option", ["FILE", "--report", "--html"])
def test_a_folder_that_may_not_be_looked_into_is_one_line_and_exit_2(
    option: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under a folder the user may not search (mode 0700, someone else's), even asking whether a path is a
    folder fails with EACCES. Root may search anything, so the refusal is the one the system would give."""
    hidden = tmp_path / "private"
    orders = tmp_path / "orders.jsonl"
    orders.write_text('{"orderId": "ord-1"}\n')
    real_stat = Path.stat

    def stat(path: Path, **kwargs: object) -> object:
        if hidden in (path, *path.parents):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "stat", stat)
    argv = ["local", "run", str(hidden / "orders.jsonl") if option == "FILE" else str(orders)]
    if option != "FILE":
        argv += [option, str(hidden / "out")]
    assert main(argv) == 2
    assert "Permission denied" in one_line_mistake(capsys)
