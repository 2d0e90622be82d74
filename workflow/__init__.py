"""Serverless order processor: the CDK stack, the local mode and the `orders` command."""

import os

# jsii (under aws-cdk-lib) prints an 11-line warning at start-up that Node 20 is past its end of life;
# Node 20 is the toolchain here. The variable must be set before aws_cdk is first imported.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
