#!/usr/bin/env python3
"""CDK entry point (`npx cdk synth`, `npx cdk deploy`): see workflow/app.py."""

from workflow.app import build_app

build_app().synth()
