"""The benchmarks end a command that fails with one line naming it and what it said, not a traceback."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from workflow import config

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def benchmark(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The script `benchmarks/NAME.py` as a module (it is no package's)."""
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look their module up there
    monkeypatch.setattr(sys, "path", list(sys.path))  # the script puts its folders first on sys.path
    spec.loader.exec_module(module)
    return module


def exit_line(main: Callable[[], object], argv: list[str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exited:
        main()
    assert isinstance(exited.value.code, str), exited.value.code
    return exited.value.code


@pytest.fixture
def cold_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ModuleType:
    """cold_start.py with one function, a starter whose handler module is `no_such_handler` (no synthesis)."""
    module = benchmark("cold_start", monkeypatch)
    (tmp_path / "order_starter").mkdir()
    environment = {**os.environ, "AWS_REGION": "us-east-1"}
    function = module.Function(config.STARTER_SERVICE, "no_such_handler", tmp_path, environment)
    monkeypatch.setattr(module, "deployed_functions", lambda: [function])
    return module


def test_cold_start_against_a_revision_git_does_not_know(
    cold_start: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = exit_line(cold_start.main, ["cold_start.py", "--against", "no-such-revision"], monkeypatch)
    assert line == (
        "cold_start: git archive no-such-revision functions/order_starter exited with status 128:"
        " fatal: not a valid object name: no-such-revision"
    )


def test_cold_start_with_an_import_that_fails(cold_start: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    line = exit_line(cold_start.main, ["cold_start.py", "--runs", "1"], monkeypatch)
    assert line == (
        f"cold_start: {sys.executable} -c 'import no_such_handler' exited with status 1:"
        " ModuleNotFoundError: No module named 'no_such_handler'"
    )


def test_local_speed_with_a_run_that_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    module = benchmark("local_speed", monkeypatch)
    orders = tmp_path / "orders"
    orders.write_text(
        "#!/bin/sh\necho 'Traceback (most recent call last):' >&2\necho 'OSError: disk full' >&2\nexit 3\n"
    )
    orders.chmod(0o755)
    monkeypatch.setattr(module, "ORDERS", orders)
    line = exit_line(module.main, ["local_speed.py", "--runs", "1", "-n", "1"], monkeypatch)
    assert line.startswith(f"local_speed: {orders} local run ")
    assert line.endswith(" exited with status 3: OSError: disk full")
