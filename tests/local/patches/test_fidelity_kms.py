"""AWS managed keys as `fidelity.kms` makes them: created on first use, with the policy AWS gives them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.local.patches.helpers import parameters
from workflow.local.access.policy import Principal, Request, evaluate_kms
from workflow.local.patches.fidelity import kms as patch

ACCOUNT, REGION = "123456789012", "us-east-1"
ROLE = Principal.role_session(f"arn:aws:iam::{ACCOUNT}:role/states", "StepFunctions")


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    patch.install(monkeypatch.setattr)
    with mock_aws():
        yield boto3.client("kms", region_name=REGION)


def test_the_patched_alias_lookup_keeps_its_shape() -> None:
    assert parameters(patch._original_key_id_from_alias) == ["self", "alias_name"]


def test_an_aws_managed_key_exists_once_used_by_its_alias_arn(kms: Any) -> None:
    described = kms.describe_key(KeyId=f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/sns")["KeyMetadata"]
    again = kms.describe_key(KeyId="alias/aws/sns")["KeyMetadata"]
    assert described["Arn"] == again["Arn"]  # one key per service and account
    assert [a["AliasName"] for a in kms.list_aliases(KeyId=described["KeyId"])["Aliases"]] == ["alias/aws/sns"]


def test_its_policy_lets_principals_of_the_account_use_it_only_through_the_service(kms: Any) -> None:
    key = kms.describe_key(KeyId="alias/aws/sns")["KeyMetadata"]
    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])

    def allowed(via: str, account: str = ACCOUNT) -> bool:
        context = {"kms:ViaService": f"{via}.{REGION}.amazonaws.com", "kms:CallerAccount": account}
        request = Request.of(ROLE, "kms:GenerateDataKey", key["Arn"], context)
        return evaluate_kms(request, identity_policies=[], key_policy=policy).allowed

    assert allowed("sns")
    assert not allowed("sqs")  # not through another service
    assert not allowed("sns", account="210987654321")  # nor for another account
