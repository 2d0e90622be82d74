"""DynamoDB as `fidelity.dynamodb` makes it: two conditional writes of one item at the same moment let one
through, as on AWS; an item's size limit is 400 KB with names, lists and maps as AWS counts them.

Pages: "Best practices for handling concurrent updates in DynamoDB", "Service, account, and table quotas
in Amazon DynamoDB" and "DynamoDB item sizes and formats", cited in the module under test.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

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


def test_wrapped_writes_keep_their_shape() -> None:
    assert parameters(patch._originals["put_item"])[:3] == ["self", "table_name", "item_attrs"]
    assert parameters(patch._originals["update_item"])[:3] == ["self", "table_name", "key"]
    assert parameters(patch._originals["delete_item"])[:3] == ["self", "table_name", "key"]
    assert parameters(patch._originals["transact_write_items"]) == ["self", "transact_items"]


def test_concurrent_conditional_writes_of_one_item_let_exactly_one_through(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, original in patch._originals.items():
        monkeypatch.setattr(DynamoDBBackend, name, patch._atomic(original))
    # Each write waits, after reading the item, until the other has read it too (or 0.5 s have
    # passed): without atomic writes, both read "no item" and both writes pass their condition.
    both_read = threading.Barrier(2, timeout=0.5)
    read = Table.get_item

    def get_item_then_wait(self: Table, *args: Any, **kwargs: Any) -> Any:
        item = read(self, *args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait()
        return item

    monkeypatch.setattr(Table, "get_item", get_item_then_wait)
    outcomes: list[str] = []
    with mock_aws():
        table = boto3.resource("dynamodb", region_name="us-east-1").Table(table_keyed_by_k())

        def save(execution: str) -> None:
            try:
                table.put_item(
                    Item={"k": "order-1", "execution": execution}, ConditionExpression="attribute_not_exists(k)"
                )
                outcomes.append("saved")
            except ClientError as error:
                outcomes.append(error.response["Error"]["Code"])

        threads = [threading.Thread(target=save, args=(name,)) for name in ("first", "second")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(outcomes) == ["ConditionalCheckFailedException", "saved"]
