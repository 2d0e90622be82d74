"""The in-process Lambda runtime: leaving it forgets the modules its deployment packages loaded, and only those."""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

import pytest

from workflow.local.runtime import FunctionSpec, LambdaRuntime


def _spec(package: str) -> FunctionSpec:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as code:
        code.writestr(f"{package}/__init__.py", "")
        code.writestr(f"{package}/handler.py", "def handle(event, context):\n    return {'echo': event}\n")
    return FunctionSpec(
        name="echo",
        arn="arn:aws:lambda:us-east-1:123456789012:function:echo",
        handler=f"{package}.handler.handle",
        runtime="python3.11",
        code_sha="sha-of-echo",
        code_zip=archive.getvalue(),
        environment={},
        timeout_seconds=3,
        memory_mb=128,
        region="us-east-1",
        log_group="/aws/lambda/echo",
    )


def test_leaving_forgets_the_packages_modules_and_keeps_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A module from a folder whose name only starts like the runtime's is not one of its packages.
    neighbour = tmp_path / "functions-neighbour"
    (neighbour / "neighbour_module").mkdir(parents=True)
    (neighbour / "neighbour_module" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(neighbour))
    __import__("neighbour_module")
    runtime = LambdaRuntime(tmp_path / "functions")
    with runtime:
        payload, errored, _ = runtime.invoke(_spec("echo_package"), {"n": 1})
    assert (json.loads(payload), errored) == ({"echo": {"n": 1}}, False)
    assert "echo_package.handler" not in sys.modules
    assert "echo_package" not in sys.modules
    assert "neighbour_module" in sys.modules
    monkeypatch.delitem(sys.modules, "neighbour_module")


def test_leaving_does_not_resolve_the_path_of_every_loaded_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With thousands of modules loaded (moto, botocore), resolving each one's path took half a second of
    a one-line run."""
    runtime = LambdaRuntime(tmp_path / "functions")
    with runtime:
        runtime.invoke(_spec("counted_package"), {})
        resolved: list[Path] = []
        original = Path.resolve

        def resolve(self: Path, strict: bool = False) -> Path:
            resolved.append(self)
            return original(self, strict)

        monkeypatch.setattr(Path, "resolve", resolve)
    assert "counted_package" not in sys.modules
    assert len(resolved) < 10
