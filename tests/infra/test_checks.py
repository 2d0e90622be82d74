"""The checks every synth must pass: cdk-nag, cfn-lint, the ASL validator, and one source of truth."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from importlib import resources
from importlib.metadata import version
from pathlib import Path
from typing import Any, cast

import pytest
from aws_cdk import Stack
from aws_cdk import aws_sqs as sqs
from cfnlint.api import lint_all

from tests.infra.conftest import LAYER_ARN, VARIANTS, only, resources_of, uses_variants
from workflow import config
from workflow.app import build_app
from workflow.config import cdk_json_context

PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def test_cdk_nag_passes_with_no_violation_left(cdk_out: Path, template_json: dict[str, Any]) -> None:
    # A finding fails the synth itself; a report, when written, must hold no violation either.
    report = cdk_out / "validation-report.json"
    if report.exists():
        violations = [v for p in json.loads(report.read_text())["pluginReports"] for v in p["violations"]]
        assert violations == []
    assert template_json["Resources"]


def test_cdk_nag_runs_on_every_synth_and_fails_an_unsafe_resource(tmp_path: Path) -> None:
    app = build_app(outdir=str(tmp_path))
    stack = app.node.find_child(config.STACK_NAME)
    sqs.Queue(cast(Stack, stack), "QueueWithoutDeadLetterQueue")
    with pytest.raises(Exception, match="AwsSolutions-SQS3"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    failed_paths = {
        c["constructPath"] for p in report["pluginReports"] for v in p["violations"] for c in v["violatingConstructs"]
    }
    assert f"{config.STACK_NAME}/QueueWithoutDeadLetterQueue/Resource" in failed_paths


def test_cfn_lint_finds_no_errors(template_json: dict[str, Any]) -> None:
    matches = lint_all(json.dumps(template_json))
    errors = [f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches if m.rule.id.startswith("E")]
    assert errors == []


@pytest.mark.skipif(shutil.which("npx") is None, reason="Node.js is part of the toolchain; make setup installs it")
def test_asl_validator_accepts_the_definition() -> None:
    result = subprocess.run(
        ["npx", "--no-install", "asl-validator", "--json-path", str(config.DEFINITION_FILE)],
        cwd=config.PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_template_definition_times_executions_out(template_json: dict[str, Any]) -> None:
    """CDK drops the construct's `timeout` for a definition given as a string (DefinitionBody.from_string):
    only a TimeoutSeconds in the definition reaches AWS. Without one a Standard execution may run a year."""
    _, machine = only(template_json, "AWS::StepFunctions::StateMachine")
    assert json.loads(machine["Properties"]["DefinitionString"]).get("TimeoutSeconds", 0) > 0


def test_template_definition_is_the_file_with_its_placeholders_filled(template_json: dict[str, Any]) -> None:
    _, machine = only(template_json, "AWS::StepFunctions::StateMachine")
    props = machine["Properties"]
    file_text = config.DEFINITION_FILE.read_text()
    assert json.loads(props["DefinitionString"]) == json.loads(file_text)
    substitutions = props["DefinitionSubstitutions"]
    assert set(substitutions) == set(PLACEHOLDER.findall(file_text))
    validate, _ = only(template_json, "AWS::Lambda::Function", "ValidateOrder")
    table, _ = only(template_json, "AWS::DynamoDB::Table")
    order_topic, _ = only(template_json, "AWS::SNS::Topic", "OrderTopic")
    ops_topic, _ = only(template_json, "AWS::SNS::Topic", "OperationsTopic")
    assert substitutions == {
        config.SUBSTITUTION_VALIDATE_FUNCTION: {"Fn::GetAtt": [validate, "Arn"]},
        config.SUBSTITUTION_TABLE: {"Ref": table},
        config.SUBSTITUTION_ORDER_TOPIC: {"Ref": order_topic},
        config.SUBSTITUTION_OPERATIONS_TOPIC: {"Ref": ops_topic},
    }


def test_definition_states_have_comments_and_tasks_retry_and_catch() -> None:
    definition = json.loads(config.DEFINITION_FILE.read_text())
    for name, state in definition["States"].items():
        assert state.get("Comment"), f"state {name} has no Comment"
        if state["Type"] == "Task":
            assert state["Catch"], f"task {name} catches nothing"
            for retry in state["Retry"]:
                assert retry["JitterStrategy"] == "FULL"
                assert retry["MaxDelaySeconds"] > 0
                assert "States.ALL" not in retry["ErrorEquals"], f"task {name} retries every error, bugs included"


def test_powertools_layer_version_matches_the_pinned_package() -> None:
    assert version("aws-lambda-powertools") == config.POWERTOOLS_VERSION
    requirements = (config.PROJECT_ROOT / "requirements.txt").read_text()
    assert f"aws-lambda-powertools=={config.POWERTOOLS_VERSION}" in requirements.splitlines()


@uses_variants
def test_express_workflow_is_selected_by_context(variant: Callable[[str], dict[str, Any]]) -> None:
    _, machine = only(variant("express"), "AWS::StepFunctions::StateMachine")
    assert machine["Properties"]["StateMachineType"] == "EXPRESS"


@uses_variants
def test_email_addresses_from_context_subscribe_to_their_topics(variant: Callable[[str], dict[str, Any]]) -> None:
    template = variant("emails")
    order_topic, _ = only(template, "AWS::SNS::Topic", "OrderTopic")
    ops_topic, _ = only(template, "AWS::SNS::Topic", "OperationsTopic")
    subscriptions = sorted(
        (s["Properties"]["Endpoint"], s["Properties"]["Protocol"], s["Properties"]["TopicArn"]["Ref"])
        for s in resources_of(template, "AWS::SNS::Subscription").values()
    )
    assert subscriptions == [
        (VARIANTS["emails"][config.CONTEXT_OPERATIONS_EMAIL], "email", ops_topic),
        (VARIANTS["emails"][config.CONTEXT_NOTIFICATION_EMAIL], "email", order_topic),
    ]


@uses_variants
def test_capacity_settings_from_context_reach_the_event_source_and_validate_order(
    template_json: dict[str, Any], variant: Callable[[str], dict[str, Any]]
) -> None:
    # By default ValidateOrder reserves nothing: a reservation fails `cdk deploy` in an account whose
    # concurrency quota cannot spare it (README, "Capacity").
    assert all("ReservedConcurrentExecutions" not in f["Properties"] for f in functions_of(template_json))
    template = variant("capacity")
    _, mapping = only(template, "AWS::Lambda::EventSourceMapping")
    assert mapping["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 10}
    _, validate = only(template, "AWS::Lambda::Function", "ValidateOrder")
    assert validate["Properties"]["ReservedConcurrentExecutions"] == 20
    _, starter = only(template, "AWS::Lambda::Function", "Starter")
    assert "ReservedConcurrentExecutions" not in starter["Properties"]


def test_default_starter_concurrency_stays_under_every_regions_standard_start_rate() -> None:
    """The starter starts a batch's executions one after another; with the default MaximumConcurrency and the
    fastest StartExecution assumed, it cannot start more per second than the smallest Standard refill rate."""
    low, high = config.SQS_MAXIMUM_CONCURRENCY_RANGE
    assert low <= config.STARTER_MAX_CONCURRENCY <= high
    starts_per_second = config.STARTER_MAX_CONCURRENCY / config.ASSUMED_START_EXECUTION_SECONDS
    assert starts_per_second <= config.STANDARD_START_EXECUTION_REFILL_PER_SECOND


@uses_variants
def test_a_layer_arn_from_context_replaces_the_ssm_parameter(variant: Callable[[str], dict[str, Any]]) -> None:
    template = variant("layer_arn")
    functions = functions_of(template)
    assert len(functions) == 2
    assert all(f["Properties"]["Layers"] == [LAYER_ARN] for f in functions)
    parameters = [p.get("Default", "") for p in template.get("Parameters", {}).values()]
    assert not any(name.startswith("/aws/service/powertools/") for name in parameters), parameters


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (config.CONTEXT_WORKFLOW_TYPE, "batch", "orders:workflowType must be one of"),
        (config.CONTEXT_PROFILE, "cheap", r"orders:profile must be one of \('production', 'free-tier'\)"),
        (config.CONTEXT_STARTER_MAX_CONCURRENCY, "1", r"orders:starterMaxConcurrency .* integer from 2 to 1000"),
        (config.CONTEXT_STARTER_MAX_CONCURRENCY, "1001", r"orders:starterMaxConcurrency .* integer from 2 to 1000"),
        (config.CONTEXT_STARTER_MAX_CONCURRENCY, "ten", r"orders:starterMaxConcurrency .* not 'ten'"),
        (config.CONTEXT_VALIDATE_RESERVED_CONCURRENCY, "0", r"orders:validateReservedConcurrency .* at least 1"),
        (config.CONTEXT_VALIDATE_RESERVED_CONCURRENCY, "2.5", r"orders:validateReservedConcurrency .* not '2.5'"),
        (
            config.CONTEXT_POWERTOOLS_LAYER_ARN,
            "arn:aws:lambda:ca-west-1:123456789012:layer:Powertools",
            "layer version",
        ),
        (config.CONTEXT_POWERTOOLS_LAYER_ARN, "AWSLambdaPowertoolsPythonV3:1", "layer version"),
    ],
)
def test_a_wrong_context_value_is_a_clear_error_before_synthesis(key: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_app(context={key: value})


def test_the_app_synthesizes_with_cdk_json_context_that_the_command_line_overrides() -> None:
    # `cdk synth` passes cdk.json's context; the tests and the local mode must synthesize the same template.
    flags = {k: v for k, v in cdk_json_context().items() if k.startswith("@aws-cdk/")}
    assert flags
    app = build_app(context={config.CONTEXT_WORKFLOW_TYPE: "EXPRESS"})
    assert {k: app.node.try_get_context(k) for k in flags} == flags
    assert app.node.try_get_context(config.CONTEXT_WORKFLOW_TYPE) == "EXPRESS"


def test_cdk_json_flags_are_feature_flags_of_the_pinned_aws_cdk_lib() -> None:
    """A key CDK does not know is silently ignored: read the flags the pinned aws-cdk-lib defines (cx-api's
    features.js, in the jsii bundle the Python package ships) and refuse any other, and any expired one."""
    known, expired = pinned_feature_flags()
    assert len(known) > 50
    flags = [k for k in cdk_json_context() if k.startswith("@aws-cdk")]
    assert [f for f in flags if f not in known] == []
    assert [f for f in flags if f in expired] == []


def pinned_feature_flags() -> tuple[set[str], set[str]]:
    """(every flag, the expired ones) as aws-cdk-lib's cx-api module computes them, evaluated by Node.js."""
    bundle = resources.files("aws_cdk._jsii") / f"aws-cdk-lib@{version('aws-cdk-lib')}.jsii.tgz"
    module = "package/cx-api/lib/"
    needed = {f"{module}features.js", f"{module}private/flag-modeling.js"}  # all that features.js requires
    with resources.as_file(bundle) as path, tarfile.open(path) as archive, tempfile.TemporaryDirectory() as directory:
        for member in archive:
            if member.name in needed:
                archive.extract(member, directory, filter="data")
                needed.remove(member.name)
                if not needed:
                    break
        assert not needed, f"aws-cdk-lib's bundle lacks {needed}"
        script = (
            "const f = require('./features.js');"
            "console.log(JSON.stringify([Object.keys(f.FLAGS), f.CURRENT_VERSION_EXPIRED_FLAGS]));"
        )
        result = subprocess.run(
            ["node", "-e", script], cwd=Path(directory, module), capture_output=True, text=True, check=True
        )
    known, expired = json.loads(result.stdout)
    return set(known), set(expired)


def functions_of(template: dict[str, Any]) -> list[dict[str, Any]]:
    return list(resources_of(template, "AWS::Lambda::Function").values())
