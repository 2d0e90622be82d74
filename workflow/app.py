"""Builds the CDK app: the stack, configured from context, checked by cdk-nag on every synth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import App, DefaultStackSynthesizer, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from workflow import config
from workflow.stack import OrderProcessorStack


def cdk_json_context() -> dict[str, Any]:
    """The context of cdk.json: feature flags and the project's defaults, as `cdk synth` passes them."""
    context: dict[str, Any] = json.loads(config.CDK_JSON.read_text())["context"]
    return context


def build_app(*, local: bool = False, outdir: str | None = None, context: dict[str, Any] | None = None) -> App:
    """The app `cdk synth` runs; `local=True` synthesizes for the emulator (no bootstrap version check).

    cdk.json's context is applied first (the CDK CLI's own context, when it runs the app, comes after it and
    wins), so the tests and the local mode synthesize the template `cdk deploy` deploys, feature flags included.
    """
    app = App(outdir=outdir, context={**cdk_json_context(), **(context or {})})
    Validations.of(app).add_plugins(AwsSolutionsChecks(verbose=True))
    synthesizer = DefaultStackSynthesizer(generate_bootstrap_version_rule=not local)
    OrderProcessorStack(
        app,
        config.STACK_NAME,
        synthesizer=synthesizer,
        description="Serverless order processor: SQS intake, Step Functions workflow, DynamoDB, SNS",
        workflow_type=str(app.node.try_get_context(config.CONTEXT_WORKFLOW_TYPE) or "STANDARD").upper(),
        notification_email=app.node.try_get_context(config.CONTEXT_NOTIFICATION_EMAIL) or None,
        operations_email=app.node.try_get_context(config.CONTEXT_OPERATIONS_EMAIL) or None,
        env=Environment(account=None, region=None),
    )
    return app


def synthesize(outdir: str | Path, *, local: bool = False, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """Synthesize into `outdir` (cdk-nag runs, as on every synth) and return the stack's template."""
    assembly = build_app(local=local, outdir=str(outdir), context=context).synth()
    template: dict[str, Any] = assembly.get_stack_by_name(config.STACK_NAME).template
    return template
