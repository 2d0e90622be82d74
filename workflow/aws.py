"""The deployed stack, as an operator command reaches it: its resources, or one line saying why not.

Every command that works on the deployed stack finds it here (`deployed_stack`) and runs under
`aws_command`, so a missing region or credentials, a stack that does not exist, an endpoint that cannot
be reached or a call AWS refuses ends the command with one line on standard error and exit status 1
(2 for a region name that is not one), never a traceback.

Where boto3 looks for the region and credentials: the "Configuration" and "Credentials" guides of
Boto3, https://boto3.amazonaws.com/v1/documentation/api/latest/guide/configuration.html and
https://boto3.amazonaws.com/v1/documentation/api/latest/guide/credentials.html.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

from workflow import config

if TYPE_CHECKING:  # boto3 and what needs it load only when a command reaches AWS: the CLI starts faster
    import boto3

    from workflow.operations import StackResources

USAGE_STATUS = 2
# Any credentials reach the emulated account: moto maps an access key it did not issue to its default
# account, the one the stack is deployed into (workflow.local.serve).
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
NO_REGION = "no AWS region: pass --region, or set AWS_REGION, or a region in your AWS config file"
NO_CREDENTIALS = (
    "no AWS credentials: configure them (aws configure, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
)


class AwsCommandError(Exception):
    """Why a command could not work on the deployed stack: one line for the terminal, and the exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class DeployedStack:
    """A stack's resources (from its CloudFormation outputs), and the session and endpoint that found them:
    AWS's (endpoint None) or a running `orders local serve`'s."""

    name: str
    session: boto3.Session
    resources: StackResources
    endpoint_url: str | None = None

    @property
    def local(self) -> bool:
        return self.endpoint_url is not None

    @property
    def description(self) -> str:
        if self.endpoint_url is not None:
            return f"the local stack at {self.endpoint_url}"
        return f"stack {self.name} in {self.session.region_name}"

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint_url)

    def resource(self, service: str) -> Any:
        return self.session.resource(service, endpoint_url=self.endpoint_url)


def local_endpoint(port: int) -> str:
    """Where `orders local serve --port PORT` answers."""
    return f"http://127.0.0.1:{port}"


@contextmanager
def aws_errors(endpoint: str | None = None) -> Iterator[None]:
    """Turns what boto3 raises for missing settings, an unreachable endpoint or a refused call into an
    `AwsCommandError` of one line, naming AWS or, given its `endpoint`, the local emulator."""
    service = f"the emulator at {endpoint}" if endpoint else "AWS"
    try:
        yield
    except NoRegionError:
        raise AwsCommandError(NO_REGION) from None
    except (NoCredentialsError, PartialCredentialsError):
        raise AwsCommandError(NO_CREDENTIALS) from None
    except InvalidRegionError as error:
        raise AwsCommandError(f"not a region name: {error}", USAGE_STATUS) from None
    except EndpointConnectionError as error:
        raise AwsCommandError(f"cannot reach {service}: {error}") from None
    except ClientError as error:
        details = error.response.get("Error", {})
        raise AwsCommandError(
            f"{service} refused {error.operation_name}: {details.get('Code', 'Unknown')}: {details.get('Message', '')}"
        ) from None
    except BotoCoreError as error:  # a profile not found, a config file that does not parse, an SSO token...
        raise AwsCommandError(str(error)) from None


def local_session() -> boto3.Session:
    """A boto3 session for `orders local serve`: the emulated stack's region, and any credentials."""
    import boto3

    return boto3.Session(region_name=config.LOCAL_REGION, **LOCAL_CREDENTIALS)


def deployed_stack(stack_name: str, region: str | None, *, local_port: int | None = None) -> DeployedStack:
    """Finds the stack's resources from its outputs, on AWS or, given `local_port`, on a running
    `orders local serve`; raises `AwsCommandError` when it cannot."""
    import boto3
    from botocore.config import Config

    from workflow.operations import resources_from_outputs, stack_outputs

    endpoint = None if local_port is None else local_endpoint(local_port)
    with aws_errors(endpoint):
        if endpoint is None:
            session, once = boto3.Session(region_name=region), None
        else:
            session = local_session()
            once = Config(retries={"total_max_attempts": 1})  # nothing listening is said at once, not after retries
        where = f"the emulator at {endpoint}" if endpoint else session.region_name
        try:
            outputs = stack_outputs(session.client("cloudformation", endpoint_url=endpoint, config=once), stack_name)
        except EndpointConnectionError:
            if endpoint is None:
                raise
            raise AwsCommandError(
                f"nothing answers at {endpoint}: start `orders local serve --port {local_port}` first"
            ) from None
        except ClientError as error:
            # DescribeStacks: "If the stack doesn't exist, a ValidationError is returned"
            # (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html).
            if error.response.get("Error", {}).get("Code") == "ValidationError":
                advice = (
                    "is `orders local serve` running this project's stack?"
                    if endpoint
                    else "deploy it (npx cdk deploy), or name yours with --stack-name and --region"
                )
                raise AwsCommandError(
                    f"no stack {stack_name} in {where} ({error.response['Error'].get('Message')}): {advice}"
                ) from None
            raise
    try:
        resources = resources_from_outputs(outputs)
    except KeyError as missing:
        raise AwsCommandError(
            f"stack {stack_name} in {where} has no output {missing}: is it this project's stack?"
        ) from None
    return DeployedStack(stack_name, session, resources, endpoint)


def add_stack_arguments(command: argparse.ArgumentParser) -> None:
    """Where a command acts: the deployed stack (default) or, with --local, a running `orders local serve`."""
    command.add_argument("--local", action="store_true", help="act on a running `orders local serve`")
    command.add_argument("--port", type=port, default=config.LOCAL_PORT, help=f"its port (default {config.LOCAL_PORT})")
    command.add_argument("--stack-name", default=config.STACK_NAME)
    command.add_argument("--region", help="default: your AWS configuration's")


def port(text: str) -> int:
    """A TCP port number (0 to 65535), as an argparse type: anything else is a usage error, not a traceback."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535, not {text!r}")
    return int(text)


def stack_of(args: argparse.Namespace) -> DeployedStack:
    """The stack a command's arguments name (see `add_stack_arguments`)."""
    return deployed_stack(args.stack_name, args.region, local_port=args.port if args.local else None)


def aws_command(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A command on the deployed stack: what stops it is one line on standard error and its exit status."""

    @functools.wraps(run)
    def command(args: argparse.Namespace) -> int:
        try:
            with aws_errors(local_endpoint(args.port) if args.local else None):
                return run(args)
        except AwsCommandError as error:
            line = " ".join(str(error).split())  # an AWS message may span lines; the terminal gets one
            print(f"orders {args.command}: {line}", file=sys.stderr)
            return error.status
        except KeyboardInterrupt:  # Ctrl-C: what was done is done (each message is sent or not)
            print(f"orders {args.command}: interrupted", file=sys.stderr)
            return 130

    return command
