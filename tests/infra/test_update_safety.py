"""Update safety: every switch the README offers deploys onto a stack deployed with the other setting.

CloudFormation replaces a resource when a create-only property changes, and it creates the replacement before
it deletes the old one; so it refuses to replace a resource with a custom name unless the name changes too
("CloudFormation resource custom naming": "You can't perform an update that causes a custom-named resource to
be replaced. If you must replace the resource, specify a new name."
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html). A named
resource whose logical id changes is a new resource created while the old one, of the same name, still exists.

Create-only properties come from the resource schemas cfn-lint bundles (the CloudFormation registry's
`createOnlyProperties`); a resource's custom name is its create-only property whose name ends in `Name`
(`TableName`, `StateMachineName`, `LogGroupName`...).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER

from tests.infra.conftest import VARIANTS, uses_variants

# The schemas differ little by Region; these are the ones for the Region the README deploys to first.
SCHEMA_REGION = "us-east-1"
# Each switch of the README's Configuration table, both ways: (before, after), named as in conftest.VARIANTS.
SWITCHES = [
    ("defaults", "express"),
    ("express", "defaults"),
    ("defaults", "emails"),
    ("emails", "defaults"),
    ("defaults", "capacity"),
    ("capacity", "defaults"),
    ("defaults", "layer_arn"),
    ("layer_arn", "defaults"),
    ("defaults", "free_tier"),
    ("free_tier", "defaults"),
]

Template = dict[str, Any]


@cache
def create_only_properties(resource_type: str) -> tuple[tuple[str, ...], ...]:
    """The create-only properties of a resource type, each as a path (`/properties/A/B` is ("A", "B"))."""
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, resource_type).schema
    return tuple(tuple(pointer.split("/")[2:]) for pointer in schema.get("createOnlyProperties", []))


def value_at(properties: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = properties
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def custom_name(resource: dict[str, Any]) -> Any:
    """The resource's custom name (its value, an intrinsic possibly), or None when CloudFormation names it."""
    properties = resource.get("Properties", {})
    for path in create_only_properties(resource["Type"]):
        if len(path) == 1 and path[0].endswith("Name") and path[0] in properties:
            return properties[path[0]]
    return None


def replacement_collisions(before: Template, after: Template) -> list[str]:
    """What CloudFormation would refuse, updating a stack deployed from `before` to `after`."""
    offences = []
    old_resources, new_resources = before["Resources"], after["Resources"]
    for logical_id, new in new_resources.items():
        name = custom_name(new)
        if name is None:
            continue
        old = old_resources.get(logical_id)
        if old is not None and old["Type"] == new["Type"]:
            changed = [
                "/".join(path)
                for path in create_only_properties(new["Type"])
                if value_at(old.get("Properties", {}), path) != value_at(new.get("Properties", {}), path)
            ]
            if changed and custom_name(old) == name:
                offences.append(
                    f"{logical_id} ({new['Type']}) would be replaced (create-only {', '.join(changed)} changed) "
                    f"under the same name {name}"
                )
            continue
        namesakes = [
            other_id
            for other_id, other in old_resources.items()
            if other_id != logical_id and other["Type"] == new["Type"] and custom_name(other) == name
        ]
        if namesakes or (old is not None and custom_name(old) == name):
            offences.append(
                f"{logical_id} ({new['Type']}) would be created under the name {name} "
                f"that {namesakes or [logical_id]} still holds"
            )
    return offences


@uses_variants
@pytest.mark.parametrize(("before", "after"), SWITCHES, ids=[f"{b}->{a}" for b, a in SWITCHES])
def test_each_configuration_switch_updates_a_deployed_stack(
    variant: Callable[[str], Template], before: str, after: str
) -> None:
    assert replacement_collisions(variant(before), variant(after)) == []


@uses_variants
def test_each_switch_changes_the_template(variant: Callable[[str], Template]) -> None:
    # A switch that changed nothing would make its update-safety test vacuous.
    switched = {name for pair in SWITCHES for name in pair} - {"defaults"}
    assert switched == set(VARIANTS)
    assert all(variant(name)["Resources"] != variant("defaults")["Resources"] for name in switched)


def _machine(name: str, machine_type: str) -> dict[str, Any]:
    return {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {"StateMachineName": name, "StateMachineType": machine_type, "DefinitionString": "{}"},
    }


def test_a_create_only_change_under_a_fixed_name_is_refused() -> None:
    before = {"Resources": {"Machine": _machine("Orders", "STANDARD")}}
    after = {"Resources": {"Machine": _machine("Orders", "EXPRESS")}}
    assert replacement_collisions(before, after) == [
        "Machine (AWS::StepFunctions::StateMachine) would be replaced (create-only StateMachineType changed) "
        "under the same name Orders"
    ]


def test_a_create_only_change_with_a_new_name_is_allowed() -> None:
    before = {"Resources": {"Machine": _machine("Orders-Standard", "STANDARD")}}
    after = {"Resources": {"Machine": _machine("Orders-Express", "EXPRESS")}}
    assert replacement_collisions(before, after) == []


def test_an_update_that_leaves_create_only_properties_alone_is_allowed() -> None:
    before = {"Resources": {"Machine": _machine("Orders", "STANDARD")}}
    after = {"Resources": {"Machine": _machine("Orders", "STANDARD")}}
    after["Resources"]["Machine"]["Properties"]["DefinitionString"] = '{"StartAt": "Next"}'
    assert replacement_collisions(before, after) == []


def test_a_named_resource_under_a_new_logical_id_collides_with_the_old_one() -> None:
    before = {"Resources": {"Machine": _machine("Orders", "STANDARD")}}
    after = {"Resources": {"RenamedMachine": _machine("Orders", "STANDARD")}}
    assert replacement_collisions(before, after) == [
        "RenamedMachine (AWS::StepFunctions::StateMachine) would be created under the name Orders "
        "that ['Machine'] still holds"
    ]


def test_unnamed_resources_may_be_replaced() -> None:
    queue = {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": False}}
    fifo = {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}}
    assert create_only_properties("AWS::SQS::Queue") == (("FifoQueue",), ("QueueName",))
    assert replacement_collisions({"Resources": {"Q": queue}}, {"Resources": {"Q": fifo}}) == []
