"""Two conditional writes of one item, at the same moment: one succeeds, as on AWS (`fidelity.dynamodb`)."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

from tests.local.patches.helpers import parameters, table_keyed_by_k
from workflow.local.patches.fidelity import dynamodb as patch


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
