"""The stack, deployed from its synthesized template into moto, as `cdk deploy` deploys it into AWS.

`EmulatedStack` is the emulated AWS account with the stack in it, and nothing more: a run
(`workflow.local.run`) sends it messages; other programs may use it the same way.
"""

from __future__ import annotations

import gc
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore import UNSIGNED
from botocore.config import Config
from botocore.hooks import BaseEventHooks
from moto import mock_aws
from moto.moto_api._internal import mock_random

from workflow import config
from workflow.local import patches
from workflow.local.access.account import read_deployed
from workflow.local.access.enforce import AccessControl, alarm_actions
from workflow.local.access.policy import UnsupportedPolicy
from workflow.local.faults import FaultInjector
from workflow.local.patches.speed.models import botocore_session
from workflow.local.runtime import LambdaRuntime
from workflow.operations import outputs_of, resources_from_outputs

ACCOUNT_ID = "123456789012"
REGION = config.LOCAL_REGION
# Stand-in for the public Powertools layer: locally, handlers import Powertools from this environment.
LOCAL_LAYER_ARN = f"arn:aws:lambda:{REGION}:017000801446:layer:AWSLambdaPowertoolsPythonV3-local:1"
CAPTURE_QUEUE = "local-order-notifications"


def synthesize_for_local(outdir: Path, context: dict[str, Any] | None = None) -> Path:
    """Synthesize the stack as the emulator deploys it (no bootstrap version check), with `context` over cdk.json's
    (e.g. a profile); returns `outdir`."""
    from workflow.app import synthesize

    synthesize(outdir, local=True, context=context)
    return outdir


class DeploymentFailed(RuntimeError):
    """CloudFormation did not create the stack: the reason it gives."""


class EmulatedStack:
    """Use as a context manager: `with EmulatedStack(assembly_dir) as stack: ...`."""

    def __init__(self, assembly_dir: Path, *, time_scale: float = 0.001) -> None:
        self.assembly_dir = assembly_dir
        self.time_scale = time_scale
        self._work_dir = Path(tempfile.mkdtemp(prefix="orders-local-"))
        self.runtime = LambdaRuntime(self._work_dir / "functions")
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        # The local mode's own calls (deploying, polling, reading back) use `session`; the
        # application's (handlers, the state machine's integrations) use `application_session`,
        # where faults can be injected.
        self.session = unsigned_session()
        self.faults = FaultInjector()
        self.application_session = unsigned_session()
        self.faults.register(self.application_session.events)
        # Every application call is authorized against the deployed policies (workflow.local.access).
        self.access = AccessControl(self.runtime)
        self.access.register(self.application_session.events)
        self.alarm_action_failures: list[str] = []
        self._saved_default_session: boto3.Session | None = None
        self._saved_get_session: Callable[..., botocore.session.Session] | None = None
        self._clients: dict[tuple[str, str], Any] = {}
        self._gc_threshold = gc.get_threshold()
        self._gc_enabled = True
        self.template: dict[str, Any] = json.loads((assembly_dir / f"{config.STACK_NAME}.template.json").read_text())

    def __enter__(self) -> EmulatedStack:
        self._gc_enabled = gc.isenabled()
        self._saved_default_session = boto3.DEFAULT_SESSION
        self._saved_get_session = botocore.session.get_session
        try:
            # What deploying loads (moto's models, botocore's service models, the stack) lives as long as the
            # emulator, and next to none of it is garbage: the collector would only scan it again and again
            # (about 0.1 s of a one-line run's deployment).
            gc.disable()
            self._mock.start()
            # The handlers' own clients come from boto3's default session, or from botocore's (the starter's).
            boto3.DEFAULT_SESSION = self.application_session
            botocore.session.get_session = self._get_session
            self.runtime.__enter__()
            patches.install(self.runtime, self.time_scale, self.faults)
            self._deploy()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        # Keep the collector from scanning what is loaded by now during the run too. (Without collecting
        # first: what little of it is garbage waits for `__exit__`, and a full collection costs more than a
        # one-line run's whole pipeline.)
        gc.freeze()
        # A run allocates and drops thousands of objects per order: collecting young objects every
        # 10,000 allocations rather than 700 halves the collector's time (measured).
        gc.set_threshold(10_000, *self._gc_threshold[1:])
        gc.enable()
        return self

    def __exit__(self, *exc: object) -> None:
        gc.set_threshold(*self._gc_threshold)
        gc.unfreeze()
        (gc.enable if self._gc_enabled else gc.disable)()
        boto3.DEFAULT_SESSION = self._saved_default_session
        if self._saved_get_session is not None:
            botocore.session.get_session = self._saved_get_session
        self.runtime.__exit__()
        patches.forget_stack()
        self._mock.stop()
        shutil.rmtree(self._work_dir, ignore_errors=True)

    def _get_session(self, env_vars: dict[str, Any] | None = None) -> botocore.session.Session:
        """`botocore.session.get_session` as code running as a function sees it: a session of its own (its
        settings are its own, as on AWS) on the application session's event hooks (faults injected, each call
        checked against the function's role, the run's ledger); anywhere else, botocore's own."""
        if self.runtime.current_function() is None:
            assert self._saved_get_session is not None
            return self._saved_get_session(env_vars)
        return unsigned_core(env_vars, event_hooks=self.application_session._session._original_handler)

    def inject_faults(self, rates: dict[str, float], seed: int) -> None:
        """Fail the application's calls at these shares, reproducibly for `seed` (`FaultInjector`). A line with no
        orderId is keyed by the message id SQS gives it, which moto draws from its one random source: seeded too
        (before any message is sent), the same file gets the same ids, so the same keys and the same faults."""
        self.faults.configure(rates, seed)
        if rates:
            mock_random.seed(seed)

    def client(self, service: str) -> Any:
        """The local mode's own client for a service (one per service, shared by its threads)."""
        return self._shared(("client", service), lambda: self.session.client(service))

    def application_client(self, service: str) -> Any:
        """A client of the application's session: its calls are checked when made as a caller of the system."""
        return self._shared(("application", service), lambda: self.application_session.client(service))

    def resource(self, service: str) -> Any:
        return self._shared(("resource", service), lambda: self.session.resource(service))

    def _shared(self, key: tuple[str, str], build: Callable[[], Any]) -> Any:
        if key not in self._clients:
            # Building a client reads os.environ, which the Lambda runtime changes while a handler runs.
            with self.runtime.lock:
                self._clients.setdefault(key, build())
        return self._clients[key]

    def _deploy(self) -> None:
        self._upload_assets()
        self._seed_parameters()
        patches.register_models({resource["Type"] for resource in self.template["Resources"].values()})
        cloudformation = self.client("cloudformation")
        cloudformation.create_stack(
            StackName=config.STACK_NAME,
            TemplateBody=json.dumps(self.template),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        )
        stack = cloudformation.describe_stacks(StackName=config.STACK_NAME)["Stacks"][0]
        if stack["StackStatus"] != "CREATE_COMPLETE":
            raise DeploymentFailed(f"the emulated stack ended {stack['StackStatus']}: {stack.get('StackStatusReason')}")
        self.outputs = outputs_of(stack)
        self.resources = resources_from_outputs(self.outputs)
        machine = self.client("stepfunctions").describe_state_machine(stateMachineArn=self.resources.state_machine_arn)
        self.workflow_type: str = machine["type"]  # STANDARD or EXPRESS, as deployed
        patches.detach_event_source_mappings(ACCOUNT_ID, REGION, self.resources.queue_url.rsplit("/", 1)[1])
        patches.warm_up(REGION, ("lambda", "dynamodb", "sns", "sqs", "stepfunctions"))
        # A real SNS -> SQS subscription on the order topic: what customers would be told, kept to read back.
        self.notifications_queue_url = self.subscribe_queue(self.resources.order_topic_arn, CAPTURE_QUEUE)
        try:
            self.access.load(read_deployed(self.client, ACCOUNT_ID, REGION))
        except UnsupportedPolicy as error:  # the local mode refuses to run what it cannot check
            raise DeploymentFailed(f"the local mode cannot check {error}") from None
        # The local mode does not evaluate alarms: whether CloudWatch could take each action is checked now.
        alarms = alarm_actions(patches.deployed_alarms(ACCOUNT_ID, REGION, config.STACK_NAME))
        self.alarm_action_failures = self.access.alarm_action_failures(alarms)

    def _upload_assets(self) -> None:
        """Each zip asset where the template expects it, as `cdk deploy` publishes assets before deploying."""
        manifest = json.loads((self.assembly_dir / f"{config.STACK_NAME}.assets.json").read_text())
        s3 = self.client("s3")
        buckets: set[str] = set()
        for asset in manifest.get("files", {}).values():
            source = self.assembly_dir / asset["source"]["path"]
            for destination in asset["destinations"].values():
                bucket = _fill(destination["bucketName"])
                if bucket not in buckets:
                    s3.create_bucket(Bucket=bucket)
                    buckets.add(bucket)
                body = _zip(source) if asset["source"].get("packaging") == "zip" else source.read_bytes()
                s3.put_object(Bucket=bucket, Key=_fill(destination["objectKey"]), Body=body)

    def _seed_parameters(self) -> None:
        for parameter in self.template.get("Parameters", {}).values():
            if parameter["Type"].startswith("AWS::SSM::Parameter::Value"):
                patches.seed_ssm_parameter(ACCOUNT_ID, REGION, parameter["Default"], LOCAL_LAYER_ARN)

    def subscribe_queue(self, topic_arn: str, queue_name: str) -> str:
        """A new queue subscribed to a topic, with the queue policy that lets SNS deliver to it; its URL."""
        sqs = self.client("sqs")
        url: str = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        policy = json.dumps(subscribed_queue_policy(arn, topic_arn))
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
        self.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
        return url

    def event_source_mapping(self) -> dict[str, Any]:
        """The starter's SQS mapping as deployed (batch size, response types)."""
        queue_arn = self.client("sqs").get_queue_attributes(
            QueueUrl=self.resources.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        mappings = self.client("lambda").list_event_source_mappings(EventSourceArn=queue_arn)["EventSourceMappings"]
        if len(mappings) != 1:
            raise RuntimeError(f"expected one event source mapping on the order queue, found {len(mappings)}")
        mapping: dict[str, Any] = mappings[0]
        return mapping

    def wait_for_execution(self, execution_arn: str, timeout: float = 60) -> str:
        return patches.wait_for_execution(execution_arn, timeout)


def subscribed_queue_policy(queue_arn: str, topic_arn: str) -> dict[str, Any]:
    """The queue policy a user writes to subscribe a queue to a topic: SNS may send, for this topic only
    ("Subscribing an Amazon SQS queue to an Amazon SNS topic", step 2,
    https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        ],
    }


def unsigned_session() -> boto3.Session:
    """Clients that do not sign requests: the emulator ignores signatures, and signing costs more than
    the emulated call itself. Requests without credentials land in the emulator's default account."""
    return boto3.Session(botocore_session=unsigned_core(), region_name=REGION)


def unsigned_core(
    session_vars: dict[str, Any] | None = None, *, event_hooks: BaseEventHooks | None = None
) -> botocore.session.Session:
    """`unsigned_session`'s botocore session; given `event_hooks`, on those (builtin handlers included), not on
    new ones. One loader for every session of the process (`speed.models`): each service model is read from
    botocore's JSON once, not once per session (the local mode's, the application's, moto's)."""
    core = botocore_session(session_vars, event_hooks=event_hooks)
    core.set_default_client_config(Config(signature_version=UNSIGNED))
    return core


def _fill(text: str) -> str:
    return (
        text.replace("${AWS::AccountId}", ACCOUNT_ID)
        .replace("${AWS::Region}", REGION)
        .replace("${AWS::Partition}", "aws")
    )


def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()
