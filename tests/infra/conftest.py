"""One synthesized stack for the whole test session (synthesis takes seconds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from workflow.app import synthesize


@pytest.fixture(scope="session")
def cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cdk.out")


@pytest.fixture(scope="session")
def template_json(cdk_out: Path) -> dict[str, Any]:
    return synthesize(cdk_out)


@pytest.fixture(scope="session")
def template(template_json: dict[str, Any]) -> Template:
    return Template.from_json(template_json)


def resources_of(template_json: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template_json["Resources"].items() if r["Type"] == resource_type}


def only(template_json: dict[str, Any], resource_type: str, name_part: str = "") -> tuple[str, dict[str, Any]]:
    """The one resource of a type (whose logical id contains `name_part`)."""
    found = [(n, r) for n, r in resources_of(template_json, resource_type).items() if name_part in n]
    assert len(found) == 1, f"expected one {resource_type} named *{name_part}*, found {[n for n, _ in found]}"
    return found[0]
