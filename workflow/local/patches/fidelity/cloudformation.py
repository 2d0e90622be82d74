# mypy: disable-error-code="method-assign,assignment,arg-type,abstract,no-any-return"
# (This module assigns to moto's classes on purpose: that is what a patch is.)
"""CloudFormation: the synthesized template deploys as it would on AWS, or fails.

moto's CloudFormation creates state machines where the executing engine cannot see them and ignores
DefinitionSubstitutions, the type, logging and tracing: that resource handler is replaced. It skips
SNS subscriptions, queue and topic policies and alarms: subscriptions are modelled here, the policies
applied (`access`), alarms recorded, and any other type it does not support fails the deployment. SSM
parameters under /aws/ (which the template reads) cannot be written through moto's API: they are
seeded in its backend.
"""

from __future__ import annotations

# Before moto's parser and SSM's models: they are imported there without the services only the parser's
# model registry needs (speed.imports).
from workflow.local.patches.speed import imports  # noqa: F401

# isort: split
import json
import warnings
from typing import Any

from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel
from moto.sns.models import sns_backends
from moto.ssm.models import Parameter, ssm_backends
from moto.stepfunctions import models as sfn_models
from moto.stepfunctions.parser.models import stepfunctions_parser_backends

# Resource types moto's CloudFormation does not model, which this stack uses. They are recorded (the
# alarms' actions are checked at deployment, `workflow.local.access`); any other unsupported type is an error.
RECORDED_TYPES = ("AWS::CloudWatch::Alarm", "AWS::CDK::Metadata")

# Kept to check, in tests, that what is replaced still has the shape the replacements assume.
_original_create_state_machine = sfn_models.StateMachine.create_from_cloudformation_json


def _definition(properties: dict[str, Any]) -> str:
    definition = properties["DefinitionString"]
    for name, value in (properties.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + name + "}", str(value))
    return definition


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _create_state_machine(
    cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
) -> Any:
    properties = cloudformation_json["Properties"]
    return stepfunctions_parser_backends[account_id][region_name].create_state_machine(
        name=properties.get("StateMachineName", resource_name),
        definition=_definition(properties),
        roleArn=properties.get("RoleArn", ""),
        tags=[{"key": t["Key"], "value": t["Value"]} for t in properties.get("Tags", [])],
        loggingConfiguration=_camel(properties.get("LoggingConfiguration")),
        tracingConfiguration=_camel(properties.get("TracingConfiguration")),
        encryptionConfiguration=_camel(properties.get("EncryptionConfiguration")),
        sm_type=properties.get("StateMachineType", "STANDARD"),
    )


def _delete_state_machine(
    cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
) -> None:
    stepfunctions_parser_backends[account_id][region_name].delete_state_machine(resource_name)


class SnsSubscription(CloudFormationModel):
    """AWS::SNS::Subscription, which moto's CloudFormation skips."""

    __module__ = "moto.localmode"  # moto's model registry derives a service name from the module

    def __init__(self, arn: str) -> None:
        self.arn = arn

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::Subscription"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> SnsSubscription:
        properties = cloudformation_json["Properties"]
        backend = sns_backends[account_id][region_name]
        subscription = backend.subscribe(properties["TopicArn"], properties["Endpoint"], properties["Protocol"])
        for name in ("FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy"):
            if name in properties:
                value = properties[name]
                text = json.dumps(value) if isinstance(value, dict | list) else str(value).lower()
                backend.set_subscription_attributes(subscription.arn, name, text)
        return cls(subscription.arn)


def _recorded_model(resource_type: str) -> type:
    """A resource moto cannot model, kept with its properties; alarms answer GetAtt Arn for dashboards."""

    def create(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        resource = cls()
        resource.name = resource_name
        resource.properties = cloudformation_json.get("Properties", {})
        resource.arn = f"arn:aws:cloudwatch:{region_name}:{account_id}:alarm:{resource_name}"
        return resource

    return type(
        "Recorded" + resource_type.replace("::", ""),
        (CloudFormationModel,),
        {
            "__module__": "moto.localmode",
            "cloudformation_type": staticmethod(lambda: resource_type),
            "cloudformation_name_type": staticmethod(lambda: ""),
            "physical_resource_id": property(lambda self: self.name),
            "has_cfn_attr": classmethod(lambda cls, attr: attr == "Arn"),
            "get_cfn_attribute": lambda self, attr: self.arn,
            "create_from_cloudformation_json": classmethod(create),
            "delete_from_cloudformation_json": classmethod(lambda cls, *args, **kwargs: None),
        },
    )


_registered: list[type] = []


def install() -> None:
    sfn_models.StateMachine.create_from_cloudformation_json = classmethod(_create_state_machine)
    sfn_models.StateMachine.delete_from_cloudformation_json = classmethod(_delete_state_machine)
    _registered.append(SnsSubscription)
    _registered.extend(_recorded_model(t) for t in RECORDED_TYPES)
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    # A resource type nobody models must fail the deployment, not vanish from it.
    warnings.filterwarnings("error", message=r"Tried to parse .* not supported by moto's CloudFormation")


def seed_ssm_parameter(account_id: str, region: str, name: str, value: str) -> None:
    """Write a parameter moto's API refuses (names under /aws/ are reserved for AWS)."""
    ssm_backends[account_id][region]._parameters[name].append(
        Parameter(
            account_id=account_id,
            name=name,
            value=value,
            parameter_type="String",
            description=None,
            allowed_pattern=None,
            keyid=None,
            last_modified_date=1.0,
            version=1,
            data_type="text",
        )
    )
