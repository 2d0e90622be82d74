"""Local end-to-end tests: one synthesized assembly per session, a fresh emulated account per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from workflow.local.emulator import EmulatedStack, synthesize_for_local


@pytest.fixture(scope="session")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthesize_for_local(tmp_path_factory.mktemp("local-cdk.out"))


@pytest.fixture
def stack(assembly: Path) -> Iterator[EmulatedStack]:
    with EmulatedStack(assembly, time_scale=0.0001) as emulated:
        yield emulated
