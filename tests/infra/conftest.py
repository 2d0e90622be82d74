"""One synthesized stack per configuration for the whole test session (synthesis takes seconds)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from workflow import config
from workflow.app import synthesize

# The switches the README's Configuration table offers, each away from cdk.json's defaults.
LAYER_ARN = "arn:aws:lambda:ca-west-1:123456789012:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:1"
VARIANTS: dict[str, dict[str, str]] = {
    "express": {config.CONTEXT_WORKFLOW_TYPE: "EXPRESS"},
    "emails": {
        config.CONTEXT_NOTIFICATION_EMAIL: "orders@example.com",
        config.CONTEXT_OPERATIONS_EMAIL: "operations@example.com",
    },
    "capacity": {config.CONTEXT_STARTER_MAX_CONCURRENCY: "10", config.CONTEXT_VALIDATE_RESERVED_CONCURRENCY: "20"},
    "layer_arn": {config.CONTEXT_POWERTOOLS_LAYER_ARN: LAYER_ARN},
    "free_tier": {config.CONTEXT_PROFILE: "free-tier"},
}


@pytest.fixture(scope="session")
def cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cdk.out")


@pytest.fixture(scope="session")
def template_json(cdk_out: Path) -> dict[str, Any]:
    return synthesize(cdk_out)


@pytest.fixture(scope="session")
def template(template_json: dict[str, Any]) -> Template:
    return Template.from_json(template_json)


# Tests that use `variant` run on one pytest-xdist worker (pyproject: --dist loadgroup), so that each
# configuration is synthesized once per run rather than once per worker.
uses_variants = pytest.mark.xdist_group("configuration-variants")


@pytest.fixture(scope="session")
def variant(tmp_path_factory: pytest.TempPathFactory, template_json: dict[str, Any]) -> Callable[[str], dict[str, Any]]:
    """The template of a named configuration ("defaults" or a key of VARIANTS), synthesized once per session."""
    templates: dict[str, dict[str, Any]] = {"defaults": template_json}

    def get(name: str) -> dict[str, Any]:
        if name not in templates:
            templates[name] = synthesize(tmp_path_factory.mktemp(name), context=VARIANTS[name])
        return templates[name]

    return get


def resources_of(template_json: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template_json["Resources"].items() if r["Type"] == resource_type}


def only(template_json: dict[str, Any], resource_type: str, name_part: str = "") -> tuple[str, dict[str, Any]]:
    """The one resource of a type (whose logical id contains `name_part`)."""
    found = [(n, r) for n, r in resources_of(template_json, resource_type).items() if name_part in n]
    assert len(found) == 1, f"expected one {resource_type} named *{name_part}*, found {[n for n, _ in found]}"
    return found[0]
