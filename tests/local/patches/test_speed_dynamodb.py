"""The condition parser `speed.dynamodb` replaces still has the shape it expects, and answers as moto's own."""

from __future__ import annotations

import re

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.comparisons import ConditionExpressionParser

from tests.local.patches.helpers import parameters, table_keyed_by_k
from workflow.local.patches.speed import dynamodb as patch


def test_patched_condition_parsing_keeps_its_shape() -> None:
    assert parameters(patch._original_condition_parse) == ["self"]
    found = {"expr_attr_names_found", "expr_attr_values_found"}
    assert found <= set(ConditionExpressionParser.__init__.__code__.co_names)


def test_a_kept_condition_expression_still_sees_each_write_its_own_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ConditionExpressionParser, "parse", patch._parse_condition)
    monkeypatch.setattr(patch, "_parsed_conditions", {})
    with mock_aws():
        table = boto3.resource("dynamodb", region_name="us-east-1").Table(table_keyed_by_k())
        new_only = {"ConditionExpression": "attribute_not_exists(k)"}
        table.put_item(Item={"k": "a", "status": "OPEN"}, **new_only)
        with pytest.raises(ClientError, match="ConditionalCheckFailed"):
            table.put_item(Item={"k": "a", "status": "OPEN"}, **new_only)
        table.put_item(Item={"k": "b", "status": "OPEN"}, **new_only)

        def close_if(status: str) -> None:
            table.put_item(
                Item={"k": "a", "status": "CLOSED"},
                ConditionExpression="#s = :expected",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":expected": status},
            )

        with pytest.raises(ClientError, match="ConditionalCheckFailed"):
            close_if("PAID")
        close_if("OPEN")
        assert table.get_item(Key={"k": "a"})["Item"]["status"] == "CLOSED"
        # Names a kept parse found are still checked against those the request declares, every time.
        for _ in range(2):
            with pytest.raises(ClientError, match=re.escape("unused in expressions: keys: {#unused}")):
                table.put_item(Item={"k": "c"}, **new_only, ExpressionAttributeNames={"#unused": "x"})
        # One kept parse per expression, names and values: the two statuses are two entries.
        assert len(patch._parsed_conditions) == 4
