"""The two profiles' templates: the resources the cost model counts, and what the free-tier profile gives up."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import only, resources_of, uses_variants
from workflow import config
from workflow.app import synthesize
from workflow.constructs import nag, orchestration, storage
from workflow.cost.usage import load_measured, template_facts

# What the free-tier profile gives up that cdk-nag checks: point-in-time recovery, logging every event. (It finds
# nothing to say of the unencrypted operations topic: AwsSolutions has no rule for SNS encryption at rest.)
FREE_TIER_FINDINGS = ("DDB3", "SF1")

pytestmark = uses_variants
Template = dict[str, Any]


def test_the_cost_model_counts_each_profiles_resources_from_its_template(variant: Callable[[str], Template]) -> None:
    production, free = template_facts(variant("defaults")), template_facts(variant("free_tier"))
    assert production["customerManagedKeys"] == 1 and free["customerManagedKeys"] == 0
    # The same alarms and dashboard in both: within CloudWatch's free 10 alarms and 3 dashboards.
    assert production["alarms"] == free["alarms"] == 7
    assert production["dashboards"] == free["dashboards"] == 1
    assert production["tableWriteCapacity"] is None and production["pointInTimeRecovery"]
    assert (free["tableWriteCapacity"], free["tableReadCapacity"], free["pointInTimeRecovery"]) == (10, 5, False)
    assert (production["stateMachineLogLevel"], free["stateMachineLogLevel"]) == ("ALL", "ERROR")
    assert (production["logRetentionDays"], free["logRetentionDays"]) == ([30], [7])
    assert (
        production["functions"]
        == free["functions"]
        == {
            "order-starter": {"memoryMb": 256, "architecture": "arm64", "tracing": True},
            "order-validation": {"memoryMb": 256, "architecture": "arm64", "tracing": True},
        }
    )
    # The file `orders cost` reads holds these very counts (regenerate it with `orders measure-usage`).
    measured = load_measured()["profiles"]
    assert measured["production"]["template"] == production
    assert measured["free-tier"]["template"] == free


@pytest.mark.parametrize("name", ["defaults", "free_tier"])
def test_each_table_fits_the_free_tiers_provisioned_capacity_or_is_on_demand(
    variant: Callable[[str], Template], name: str
) -> None:
    _, table = only(variant(name), "AWS::DynamoDB::Table")
    properties = table["Properties"]
    if properties.get("BillingMode") == "PAY_PER_REQUEST":
        assert "ProvisionedThroughput" not in properties
    else:
        throughput = properties["ProvisionedThroughput"]
        # DynamoDB's always-free 25 WCU and 25 RCU per Region, with room left for another table.
        assert throughput["WriteCapacityUnits"] < 25 and throughput["ReadCapacityUnits"] < 25


def test_the_free_tier_profile_uses_no_customer_managed_key_and_keeps_encryption_where_aws_offers_it_free(
    variant: Callable[[str], Template],
) -> None:
    template = variant("free_tier")
    assert not resources_of(template, "AWS::KMS::Key")
    for queue in resources_of(template, "AWS::SQS::Queue").values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
    topics = {name: r["Properties"] for name, r in resources_of(template, "AWS::SNS::Topic").items()}
    order_topic = next(p for n, p in topics.items() if "OrderTopic" in n)
    operations_topic = next(p for n, p in topics.items() if "OperationsTopic" in n)
    assert "alias/aws/sns" in str(order_topic["KmsMasterKeyId"])
    # CloudWatch alarms cannot publish to a topic under SNS's AWS managed key (its policy is AWS's).
    assert "KmsMasterKeyId" not in operations_topic
    _, machine = only(template, "AWS::StepFunctions::StateMachine")
    assert "EncryptionConfiguration" not in machine["Properties"]
    # No statement grants a key that does not exist, and none names KMS at all.
    for policy in resources_of(template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any(action.startswith("kms:") for action in actions)


def test_what_the_free_tier_profile_gives_up_is_acknowledged_by_exact_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both profiles pass cdk-nag (every synth runs it: the fixtures above synthesized both). Without its three
    acknowledgments, the free-tier profile fails on exactly those findings."""
    kept = nag.acknowledge

    def acknowledge_all_but_the_free_tiers(scope: Any, finding: str, reason: str) -> None:
        if finding not in FREE_TIER_FINDINGS:
            kept(scope, finding, reason)

    for module in (storage, orchestration):
        monkeypatch.setattr(module, "acknowledge", acknowledge_all_but_the_free_tiers)
    with pytest.raises(Exception, match="ValidationFailed"):
        synthesize(tmp_path, context={config.CONTEXT_PROFILE: "free-tier"})
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for plugin in report["pluginReports"] for v in plugin["violations"]}
    assert rules == {f"AwsSolutions-{finding}" for finding in FREE_TIER_FINDINGS}
