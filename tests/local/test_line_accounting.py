"""Every line of a file is accounted for (contract, section 4): for any mix of lines and faults, each
message ends in exactly one outcome, read from the services."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflow.local.emulator import EmulatedStack
from workflow.local.run import DEAD_LETTER, DUPLICATE, FAILED, REFUSED, drain_queue, ledger, run
from workflow.messages import read_file
from workflow.operations import scan_records

EXAMPLES = itertools.count()
OUTCOMES = {"ACCEPTED", "REJECTED", FAILED, DUPLICATE, DEAD_LETTER, REFUSED}
# More than SQS's 1 MiB message limit ("Amazon SQS message quotas",
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html).
OVERSIZED_BYTES = 1_048_576 + 1


def order(key: str, **extra: Any) -> str:
    return json.dumps(
        {
            "orderId": key,
            "customer": {"id": "c-1", "email": "ana@example.com", "name": "Ana\u2028Souza"},
            "items": [{"sku": "BOOK-001", "quantity": 2, "unitPrice": "19.90"}],
            "currency": "BRL",
            **extra,
        },
        ensure_ascii=False,
    )


# Each kind of line: its bytes, and whether SQS (or the run, for bytes that are no text) refuses it.
KINDS: dict[str, tuple[bytes, bool]] = {
    "valid": (b"", False),  # filled with an order id from a small pool, so that some lines repeat one
    "invalid": (order("ord-bad", currency="brl").encode(), False),
    "not json": (b"not json \xe2\x80\xa8 at all", False),
    "oversized": (order("ord-big", pad="x" * OVERSIZED_BYTES).encode(), True),
    "refused character": (b'{"orderId": "ord-ctl", "note": "\x01"}', True),  # a raw U+0001, not JSON's \\u0001
    "not utf-8": (b'{"orderId": "caf\xe9"}', True),
    "blank": (b"  \r", False),
}


def file_of(lines: list[tuple[str, int]], prefix: str) -> bytes:
    """The file, each order id prefixed: the examples share one emulated stack, so each has keys of its own."""
    return (
        b"\n".join(
            (order(f"ord-{n}").encode() if kind == "valid" else KINDS[kind][0]).replace(b'"ord-', f'"{prefix}'.encode())
            for kind, n in lines
        )
        + b"\n"
    )


@pytest.fixture(scope="module")
def shared_stack(assembly: Path) -> Iterator[EmulatedStack]:
    with EmulatedStack(assembly, time_scale=0.0001) as stack:
        yield stack


def emptied(stack: EmulatedStack) -> EmulatedStack:
    """The stack as a new run finds it: no record, dead letter or notification left by the example before."""
    table = stack.resource("dynamodb").Table(stack.resources.table_name)
    for item in scan_records(stack.resource("dynamodb"), stack.resources.table_name):
        table.delete_item(Key={"orderKey": item["orderKey"]})
    for queue_url in (stack.resources.dead_letter_queue_url, stack.notifications_queue_url):
        drain_queue(stack, queue_url)
    for kept in vars(ledger(stack)).values():
        kept.clear()
    return stack


def outcomes(report: dict[str, Any]) -> list[tuple[int, str | None, str]]:
    return [(m["line"], m["orderId"], m["outcome"]) for m in report["messages"]]


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(st.tuples(st.sampled_from(sorted(KINDS)), st.integers(0, 2)), min_size=1, max_size=7),
    shares=st.fixed_dictionaries(
        {name: st.sampled_from([0.0, 0.3, 1.0]) for name in ("dynamodb", "sns", "lambda", "sfn")}
    ),
    seed=st.integers(0, 1000),
    duplicates=st.integers(1, 2),
)
def test_every_line_ends_in_exactly_one_outcome(
    shared_stack: EmulatedStack, lines: list[tuple[str, int]], shares: dict[str, float], seed: int, duplicates: int
) -> None:
    stack = emptied(shared_stack)
    messages = read_file(file_of(lines, prefix=f"ex{next(EXAMPLES)}-"), duplicates=duplicates)
    stack.faults.configure(shares, seed)
    report = run(stack, messages)

    # Every non-blank line, each of its copies, exactly once, in the file's order, with one outcome.
    expected_lines = [n for n, (kind, _) in enumerate(lines, start=1) if kind != "blank" for _ in range(duplicates)]
    assert [m["line"] for m in report["messages"]] == expected_lines
    assert all(m["outcome"] in OUTCOMES for m in report["messages"]), outcomes(report)
    for number, _, outcome in outcomes(report):
        assert (outcome == REFUSED) == KINDS[lines[number - 1][0]][1]
    # The counts add up to the lines sent, and each is what the services hold.
    summary = report["summary"]
    counted = Counter(m["outcome"] for m in report["messages"])
    assert summary["messages"] == len(expected_lines)
    assert sum(
        summary[name] for name in ("accepted", "rejected", "failed", "duplicates", "deadLetters", "refused")
    ) == len(expected_lines)
    assert summary["unaccounted"] == 0
    assert summary["accepted"] == counted["ACCEPTED"]
    assert summary["rejected"] == counted["REJECTED"]
    # An order ACCEPTED or REJECTED was told exactly once, with that outcome; no other order was told
    # (a record written whose notification failed is FAILED, contract section 3).
    told = Counter((n["orderId"], n["status"]) for n in report["notifications"])
    ended = Counter(
        (m["orderId"], m["outcome"]) for m in report["messages"] if m["outcome"] in ("ACCEPTED", "REJECTED")
    )
    assert told == ended
    records = Counter(r["status"] for r in report["records"])
    assert summary["deadLetters"] == len(report["deadLetters"])
    assert summary["refused"] == len(report["refused"])
    assert summary["failed"] >= records["FAILED"]
    # No order recorded twice (one record per key, each naming one message) nor notified twice.
    assert len({r["orderId"] for r in report["records"]}) == len(report["records"])
    assert max(Counter(n["orderId"] for n in report["notifications"]).values(), default=0) <= 1
    # At most one message per key has an outcome of its own; the others are duplicates or dead letters.
    owners = Counter(m["orderId"] for m in report["messages"] if m["outcome"] in ("ACCEPTED", "REJECTED"))
    assert max(owners.values(), default=0) <= 1
