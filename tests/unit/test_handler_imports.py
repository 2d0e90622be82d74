"""What each handler's module loads at cold start, in a fresh interpreter with the environment Lambda gives it.

Lambda bills the init phase, and a library imported there is paid on every cold start: the handlers import
no tracing SDK (Lambda's active tracing records the invocations), ValidateOrder no boto3 (it writes
DynamoDB's typed JSON itself) and the starter only botocore (its one client needs nothing of boto3). How long
the imports take is measured by `benchmarks/cold_start.py`, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from workflow import config

LAMBDA_ENVIRONMENT = {
    "LAMBDA_TASK_ROOT": str(config.FUNCTIONS_DIR),
    "AWS_LAMBDA_FUNCTION_NAME": "OrderProcessor-Function",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.14",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_METRICS_NAMESPACE": config.METRICS_NAMESPACE,
    config.ENV_STATE_MACHINE_ARN: "arn:aws:states:us-east-1:123456789012:stateMachine:OrderProcessor-Orders-Standard",
    "PYTHONPATH": str(config.FUNCTIONS_DIR),
}


def loaded_packages(module: str) -> set[str]:
    """The top-level packages loaded once `module` is imported."""
    code = f"import sys, json, {module}; print(json.dumps(sorted({{name.split('.')[0] for name in sys.modules}})))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=LAMBDA_ENVIRONMENT,
        cwd=config.FUNCTIONS_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(result.stdout))


@pytest.mark.parametrize("module", ["order_starter.handler", "order_validation.handler"])
def test_no_handler_loads_a_tracing_sdk(module: str) -> None:
    loaded = loaded_packages(module)
    assert "aws_lambda_powertools" in loaded
    assert "aws_xray_sdk" not in loaded
    assert "opentelemetry" not in loaded


def test_the_starter_creates_its_client_from_botocore_alone() -> None:
    loaded = loaded_packages("order_starter.handler")
    assert {"botocore", "order_starter"} <= loaded
    assert "boto3" not in loaded
    assert "s3transfer" not in loaded


def test_validate_order_loads_no_aws_sdk_client_library() -> None:
    loaded = loaded_packages("order_validation.handler")
    assert {"pydantic", "order_validation"} <= loaded
    assert "boto3" not in loaded
    assert "s3transfer" not in loaded
