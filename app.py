#!/usr/bin/env python3
"""CDK entry point (`npx cdk synth`, `npx cdk deploy`): see workflow/app.py."""

import sys

from workflow.app import ConfigurationError, build_app

try:
    build_app().synth()
except ConfigurationError as error:
    sys.exit(f"orders: {error}")
