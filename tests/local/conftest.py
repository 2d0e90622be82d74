"""Local end-to-end tests: one synthesized assembly per workflow type and session, a fresh emulated
account per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from workflow import config
from workflow.local.emulator import EmulatedStack, synthesize_for_local


@pytest.fixture(scope="session")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthesize_for_local(tmp_path_factory.mktemp("local-cdk.out"))


@pytest.fixture(scope="session")
def express_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stack synthesized with `orders:workflowType=EXPRESS`."""
    return synthesize_for_local(
        tmp_path_factory.mktemp("local-cdk-express.out"), context={config.CONTEXT_WORKFLOW_TYPE: "EXPRESS"}
    )


@pytest.fixture
def stack(assembly: Path) -> Iterator[EmulatedStack]:
    with EmulatedStack(assembly, time_scale=0.0001) as emulated:
        yield emulated


@pytest.fixture(params=config.WORKFLOW_TYPES)
def stack_of_each_type(request: pytest.FixtureRequest) -> Iterator[EmulatedStack]:
    """The stack deployed once as a Standard workflow, once as an Express one."""
    assembly: Path = request.getfixturevalue("express_assembly" if request.param == "EXPRESS" else "assembly")
    with EmulatedStack(assembly, time_scale=0.0001) as emulated:
        yield emulated
