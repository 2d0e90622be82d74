"""Builds the CDK app: the stack, configured from context, checked by cdk-nag on every synth."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aws_cdk import App, DefaultStackSynthesizer, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from workflow import config
from workflow.profiles import PROFILES
from workflow.stack import OrderProcessorStack, StackSettings

# A layer version ARN as Lambda's API accepts it (AWS Lambda API reference, "Layer":
# https://docs.aws.amazon.com/lambda/latest/dg/API_Layer.html, pattern and length 1-140).
LAYER_VERSION_ARN = re.compile(r"arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+")
LAYER_VERSION_ARN_MAX_LENGTH = 140


class ConfigurationError(ValueError):
    """A context value the stack cannot be built with: `app.py` prints it as one line, not a traceback."""


def build_app(*, local: bool = False, outdir: str | None = None, context: dict[str, Any] | None = None) -> App:
    """The app `cdk synth` runs; `local=True` synthesizes for the emulator (no bootstrap version check).

    cdk.json's context is applied first (the CDK CLI's own context, when it runs the app, comes after it and
    wins), so the tests and the local mode synthesize the template `cdk deploy` deploys, feature flags included.
    """
    app = App(outdir=outdir, context={**config.cdk_json_context(), **(context or {})})
    Validations.of(app).add_plugins(AwsSolutionsChecks(verbose=True))
    synthesizer = DefaultStackSynthesizer(generate_bootstrap_version_rule=not local)
    OrderProcessorStack(
        app,
        config.STACK_NAME,
        synthesizer=synthesizer,
        description="Serverless order processor: SQS intake, Step Functions workflow, DynamoDB, SNS",
        settings=settings_from(app),
        env=Environment(account=None, region=None),
    )
    return app


def settings_from(app: App) -> StackSettings:
    """The stack's settings from context, each checked, with an error that names the key and what it accepts."""
    workflow_type = str(app.node.try_get_context(config.CONTEXT_WORKFLOW_TYPE) or "STANDARD").upper()
    if workflow_type not in config.WORKFLOW_TYPES:
        raise ConfigurationError(
            f"{config.CONTEXT_WORKFLOW_TYPE} must be one of {config.WORKFLOW_TYPES}, not {workflow_type!r}"
        )
    low, high = config.SQS_MAXIMUM_CONCURRENCY_RANGE
    starter_max_concurrency = _integer(
        app, config.CONTEXT_STARTER_MAX_CONCURRENCY, low, high, "Lambda's MaximumConcurrency for an SQS source"
    )
    profile = str(app.node.try_get_context(config.CONTEXT_PROFILE) or "production")
    if profile not in PROFILES:
        raise ConfigurationError(f"{config.CONTEXT_PROFILE} must be one of {tuple(PROFILES)}, not {profile!r}")
    return StackSettings(
        profile=PROFILES[profile],
        workflow_type=workflow_type,
        notification_email=app.node.try_get_context(config.CONTEXT_NOTIFICATION_EMAIL) or None,
        operations_email=app.node.try_get_context(config.CONTEXT_OPERATIONS_EMAIL) or None,
        starter_max_concurrency=(
            config.STARTER_MAX_CONCURRENCY if starter_max_concurrency is None else starter_max_concurrency
        ),
        validate_reserved_concurrency=_integer(
            app, config.CONTEXT_VALIDATE_RESERVED_CONCURRENCY, 1, None, "ValidateOrder's reserved concurrency"
        ),
        powertools_layer_arn=_layer_arn(app),
    )


def _integer(app: App, key: str, low: int, high: int | None, what: str) -> int | None:
    """An integer setting from `-c key=N` (a string) or cdk.json (a number); empty or absent means unset."""
    value = app.node.try_get_context(key)
    if value is None or value == "":
        return None
    text = str(value).strip()
    within = f"from {low} to {high}" if high is not None else f"of at least {low}"
    if isinstance(value, bool) or not re.fullmatch(r"\d+", text) or int(text) < low or (high and int(text) > high):
        raise ConfigurationError(f"{key} ({what}) must be an integer {within}, not {value!r}")
    return int(text)


def _layer_arn(app: App) -> str | None:
    value = app.node.try_get_context(config.CONTEXT_POWERTOOLS_LAYER_ARN)
    if value is None or value == "":
        return None
    arn = str(value).strip()
    if len(arn) > LAYER_VERSION_ARN_MAX_LENGTH or not LAYER_VERSION_ARN.fullmatch(arn):
        raise ConfigurationError(
            f"{config.CONTEXT_POWERTOOLS_LAYER_ARN} must be the ARN of a layer version "
            f"(arn:aws:lambda:<region>:<account>:layer:<name>:<version>), not {value!r}"
        )
    return arn


def synthesize(outdir: str | Path, *, local: bool = False, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """Synthesize into `outdir` (cdk-nag runs, as on every synth) and return the stack's template."""
    assembly = build_app(local=local, outdir=str(outdir), context=context).synth()
    template: dict[str, Any] = assembly.get_stack_by_name(config.STACK_NAME).template
    return template
