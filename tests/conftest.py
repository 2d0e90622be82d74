"""Test environment: fake credentials and region, so nothing can reach a real AWS account."""

from __future__ import annotations

import os

from hypothesis import settings

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "tests",
        "POWERTOOLS_METRICS_NAMESPACE": "OrderProcessor",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        # The built-in CloudFormation validation costs seconds per synth; cfn-lint checks the template instead.
        "CDK_VALIDATION": "false",
    }
)

# Hypothesis's per-example deadline is a timed assertion: on a loaded 2-core machine it fails tests whose
# properties hold. Properties are judged by what they assert, never by how long an example took.
settings.register_profile("project", deadline=None)
settings.load_profile("project")
