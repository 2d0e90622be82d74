"""Serverless order processor: the CDK stack, the local mode and the `orders` command."""
