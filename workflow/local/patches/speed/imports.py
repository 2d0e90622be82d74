"""Imports: moto's CloudFormation parser without the services only its model registry needs.

moto's parser imports about 30 services so that `CloudFormationModel.__subclasses__()` sees every resource
type moto can create, and SSM's models import EC2's (its region and instance-type data: about 1 s) for two
calls this stack never makes. Importing this module imports both with those services stood in for, each
imported for real the first time anything of it is used:

- `register_models(types)`, before a template is created, imports every one of them if the template has a
  resource type from their namespaces (`DEFERRED_NAMESPACES`), so the parser then maps every type to the
  class stock moto maps it to (tests/local/patches/test_speed_imports.py compares both registries);
- a module attribute read (SSM's `ec2_backends[...]`, the parser's `ec2_models.`) imports the real module;
- `isinstance(x, TaggedEC2Resource)` is false until EC2's models are imported (nothing can be one before).

Import this before anything imports `moto.cloudformation` or `moto.ssm` (fidelity.cloudformation does).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from collections.abc import Iterable
from typing import Any

# The parser's imports that only register models, unless one of the services the local mode runs imports it.
REGISTRY_ONLY = (
    "apigateway",
    "autoscaling",
    "batch",
    "datapipeline",
    "ec2",
    "ecr",
    "ecs",
    "efs",
    "elb",
    "elbv2",
    "emr",
    "events",
    "iot",
    "kinesis",
    "rds",
    "redshift",
    "route53",
    "sagemaker",
)
LOCAL_SERVICES = ("awslambda", "cloudwatch", "dynamodb", "iam", "kms", "logs", "s3", "sns", "sqs")
# The namespaces of the resource types only those imports register (moto 5.2.5; the test derives them).
DEFERRED_NAMESPACES = frozenset(
    {
        "AWS::ApiGateway",
        "AWS::AutoScaling",
        "AWS::Batch",
        "AWS::DataPipeline",
        "AWS::EC2",
        "AWS::ECS",
        "AWS::EFS",
        "AWS::EMR",
        "AWS::ElasticLoadBalancing",
        "AWS::ElasticLoadBalancingV2",
        "AWS::IoT",
        "AWS::RDS",
        "AWS::Redshift",
        "AWS::Route53",
        "AWS::SageMaker",
    }
)


class _Deferred(types.ModuleType):
    """Stands in for a module: reading an attribute imports the real one (once the stand-in is gone)."""

    def __getattr__(self, attribute: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            raise AttributeError(attribute)
        return getattr(importlib.import_module(self.__name__), attribute)


class _DeferredItems:
    """Stands in for a module's mapping (a backend dict): the first lookup imports the real module."""

    def __init__(self, module: str, name: str) -> None:
        self._module = module
        self._name = name

    def __getitem__(self, key: str) -> Any:
        return getattr(importlib.import_module(self._module), self._name)[key]


class _TaggedEC2ResourceCheck(type):
    def __instancecheck__(cls, instance: object) -> bool:
        core = sys.modules.get("moto.ec2.models.core")
        return core is not None and not isinstance(core, _Deferred) and isinstance(instance, core.TaggedEC2Resource)


class _TaggedEC2Resource(metaclass=_TaggedEC2ResourceCheck):
    """The parser's `isinstance(instance, TaggedEC2Resource)`, without importing EC2 before it has any."""


def _stand_ins() -> dict[str, types.ModuleType]:
    stand_ins: dict[str, types.ModuleType] = {}
    for service in REGISTRY_ONLY:
        package, models = _Deferred(f"moto.{service}"), _Deferred(f"moto.{service}.models")
        # Its other modules (utils, exceptions) import for real, without the package's __init__ (its models).
        spec = importlib.util.find_spec(package.__name__)
        package.__path__ = list(spec.submodule_search_locations or []) if spec else []
        package.models = models  # type: ignore[attr-defined]
        stand_ins[package.__name__] = package
        stand_ins[models.__name__] = models
    ec2_core = _Deferred("moto.ec2.models.core")
    ec2_core.TaggedEC2Resource = _TaggedEC2Resource  # type: ignore[attr-defined]
    stand_ins[ec2_core.__name__] = ec2_core
    stand_ins["moto.ec2"].ec2_backends = _DeferredItems("moto.ec2", "ec2_backends")  # type: ignore[attr-defined]
    return stand_ins


def _import_deferring(modules: Iterable[str]) -> None:
    # The services the local mode runs, imported for real first: what they import themselves is never stood in for.
    for service in LOCAL_SERVICES:
        importlib.import_module(f"moto.{service}.models")
    stand_ins = {name: module for name, module in _stand_ins().items() if name not in sys.modules}
    sys.modules.update(stand_ins)
    try:
        for module in modules:
            importlib.import_module(module)
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]


def register_models(resource_types: Iterable[str]) -> None:
    """Import every deferred service if any of `resource_types` is in their namespaces, so the parser's
    registry holds what stock moto's would for this template."""
    if not any(t.rsplit("::", 1)[0] in DEFERRED_NAMESPACES for t in resource_types):
        return
    from moto.cloudformation import parsing

    loaded = [importlib.import_module(f"moto.{service}.models") for service in REGISTRY_ONLY]
    parsing.ec2_models = loaded[REGISTRY_ONLY.index("ec2")]  # type: ignore[attr-defined]
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()


# Step Functions' interpreter imports Batch's models for one enum; SSM's import EC2's.
_import_deferring(
    (
        "moto.stepfunctions.models",
        "moto.stepfunctions.parser.asl.parse.asl_parser",
        "moto.ssm.models",
        "moto.cloudformation.parsing",
    )
)
