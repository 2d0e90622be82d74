"""The state machine's integration errors, named as Step Functions names them.

Step Functions names the error of a service integration `<Service>.<ErrorName>`, the error name always
ending in `Exception`, "even if the suffix is not already part of the service-provided error name"
(S3's BucketAlreadyExists is caught as S3.BucketAlreadyExistsException): "Learning to use AWS service
SDK integrations in Step Functions",
https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html. Lambda's errors are
`Lambda.<ErrorName>` ("Handle Lambda service exceptions",
https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).

moto 5.2.5's interpreter appends the suffix for SNS (`SNS.InternalErrorException`) but names DynamoDB's
errors by the bare code (`DynamoDB.InternalServerError`, `DynamoDB.RequestLimitExceeded`), so a Retry
list written for the emulator would miss them on AWS, and one written for AWS would miss them here.

A Task that runs past its `TimeoutSeconds` "fails with a States.Timeout error name" (Amazon States
Language, Task state, https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html). moto 5.2.5's
base Task reports it so, but its DynamoDB, SNS and Lambda integrations override the error mapping and
report the timeout as their service's generic error (`DynamoDB.AmazonDynamoDBException`), which a Retry
list may retry where AWS would not, or the reverse. `install` names them as AWS does; the version guard
of `workflow.local.patches` covers this module.
"""

from __future__ import annotations

from typing import Any

from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_dynamodb,
    state_task_service_lambda,
    state_task_service_sns,
)

# The prefix of each optimized integration's errors, by botocore's service id.
ERROR_PREFIX = {"lambda": "Lambda", "dynamodb": "DynamoDB", "sns": "SNS"}

_original_dynamodb_error_cause = state_task_service_dynamodb.StateTaskServiceDynamoDB._error_cause_from_client_error


def step_functions_error_name(service: str, code: str) -> str:
    """The error name a state sees for the error `code` of `service` (a botocore service id)."""
    name = code if code.endswith("Exception") else f"{code}Exception"
    return f"{ERROR_PREFIX[service]}.{name}"


def _dynamodb_error_cause(client_error: Any) -> tuple[str, str]:
    _, cause = _original_dynamodb_error_cause(client_error)
    return step_functions_error_name("dynamodb", client_error.response["Error"]["Code"]), cause


# The integrations whose own error mapping loses the timeout.
_TIMING_OUT = (
    state_task_service_dynamodb.StateTaskServiceDynamoDB,
    state_task_service_sns.StateTaskServiceSns,
    state_task_service_lambda.StateTaskServiceLambda,
)


def _timing_out_as_aws(original: Any) -> Any:
    def from_error(self: Any, env: Any, ex: Exception) -> Any:
        if isinstance(ex, TimeoutError):
            return self._get_timed_out_failure_event(env)
        return original(self, env, ex)

    return from_error


def install() -> None:
    for task in _TIMING_OUT:
        task._from_error = _timing_out_as_aws(task._from_error)  # type: ignore[method-assign]
    state_task_service_dynamodb.StateTaskServiceDynamoDB._error_cause_from_client_error = staticmethod(  # type: ignore[method-assign]
        _dynamodb_error_cause
    )
