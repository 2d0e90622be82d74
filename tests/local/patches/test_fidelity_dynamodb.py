"""DynamoDB's item size limit as `fidelity.dynamodb` measures it: 400 KB with names, lists and maps as AWS counts.

Pages: "Service, account, and table quotas in Amazon DynamoDB" and "DynamoDB item sizes and formats",
cited in the module under test.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.local.patches.helpers import parameters, table_keyed_by_k
from workflow.local.patches.fidelity import dynamodb as patch

LIMIT = patch.MAX_ITEM_BYTES


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    patch.install(monkeypatch.setattr)
    with mock_aws():
        yield boto3.client("dynamodb", region_name="us-east-1"), table_keyed_by_k()


def item_of(size: int) -> dict[str, Any]:
    """An item of exactly `size` bytes: key `k` = "1" (2 bytes), and `v`, a string (1 byte of name)."""
    return {"k": {"S": "1"}, "v": {"S": "é" * ((size - 3) // 2) + "x" * ((size - 3) % 2)}}


def refusal(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_patched_item_internals_keep_their_shape() -> None:
    assert parameters(patch._original_setitem) == ["self", "key", "value"]
    assert "raise ItemSizeTooLarge" in inspect.getsource(patch._original_setitem)


def test_sizes_follow_the_documented_rules() -> None:
    item = {
        "k": {"S": "ação"},  # 1 + 6
        "n": {"N": "-0012.3400"},  # 1 + (4 significant digits: 2 bytes) + 1
        "b": {"B": "AAEC"},  # 1 + 3 raw bytes
        "t": {"BOOL": True},  # 1 + 1
        "z": {"NULL": True},  # 1 + 1
        "l": {"L": [{"S": "ab"}, {"NULL": True}]},  # 1 + 3 + (1 + 2) + (1 + 1)
        "m": {"M": {"x": {"S": "y"}}},  # 1 + 3 + (1 + 1 + 1)
        "s": {"SS": ["a", "bc"]},  # 1 + 3
    }
    assert patch.item_bytes(item) == 7 + 4 + 4 + 2 + 2 + 9 + 7 + 4
    assert patch.item_bytes(item_of(LIMIT)) == LIMIT


def test_put_item_accepts_400_kb_and_refuses_one_byte_more(table: tuple[Any, str]) -> None:
    dynamodb, name = table
    dynamodb.put_item(TableName=name, Item=item_of(LIMIT))
    assert refusal(dynamodb.put_item, TableName=name, Item=item_of(LIMIT + 1)) == (
        "ValidationException",
        "Item size has exceeded the maximum allowed size",
    )


def test_list_elements_count_their_overhead(table: tuple[Any, str]) -> None:
    # 20,000 one-character strings make a list of 3 + 20,000 x (1 + 1) = 40,003 bytes (moto alone counts
    # 20,000): beside a string of 360,000 bytes the item fits, beside one of 370,000 it is over 400 KB.
    dynamodb, name = table
    listed = {"L": [{"S": "x"}] * 20_000}
    dynamodb.put_item(TableName=name, Item={"k": {"S": "1"}, "l": listed, "v": {"S": "x" * 360_000}})
    too_big = {"k": {"S": "1"}, "l": listed, "v": {"S": "x" * 370_000}}
    assert patch.item_bytes(too_big) == 2 + 1 + 40_003 + 1 + 370_000
    assert refusal(dynamodb.put_item, TableName=name, Item=too_big)[0] == "ValidationException"


def test_update_item_accepts_400_kb_and_refuses_one_byte_more(table: tuple[Any, str]) -> None:
    dynamodb, name = table
    dynamodb.put_item(TableName=name, Item={"k": {"S": "1"}})

    def grow_to(size: int) -> None:
        dynamodb.update_item(
            TableName=name,
            Key={"k": {"S": "1"}},
            UpdateExpression="SET v = :v",
            ExpressionAttributeValues={":v": item_of(size)["v"]},
        )

    grow_to(LIMIT)
    assert refusal(grow_to, size=LIMIT + 1) == (
        "ValidationException",
        "Item size to update has exceeded the maximum allowed size",
    )
