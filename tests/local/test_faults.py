"""Faults, repeated deliveries and the way back, on the emulator: every message ends in one outcome."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.local.conftest import fail_calls
from workflow.local.emulator import EmulatedStack
from workflow.local.faults import FaultInjector, parse_rates
from workflow.local.run import (
    DEAD_LETTER,
    DUPLICATE,
    FAILED,
    build_report,
    dead_letters,
    drain_queue,
    process,
    recover,
    run,
)
from workflow.messages import read_file
from workflow.operations import EXPRESS_NOT_RETRIED, key_of, redrive_dead_letters

# An Express soak runs every delivery of an order to SaveOrder (Standard refuses the second one at
# StartExecution) and a fifth of them twice: it runs fewer orders, to keep the suite's time.
SOAK_ORDERS = {"STANDARD": 300, "EXPRESS": 100}
SOAK_FAULTS = {"dynamodb": 0.2, "sns": 0.2, "lambda": 0.2, "sfn": 0.2}
# AWS may run an Express execution more than once: here a fifth of them run twice.
AT_LEAST_ONCE = {"STANDARD": {}, "EXPRESS": {"express": 0.2}}


def order(i: int) -> str:
    return json.dumps(
        {
            "orderId": f"soak-{i:04d}",
            "customer": {"id": f"c-{i}", "email": f"c{i}@example.com"},
            "items": [{"sku": "BOOK-001", "quantity": 1 + i % 3, "unitPrice": "10.05"}],
            "currency": "EUR",
        }
    )


def test_fault_shares_parse_and_reject_what_is_not_a_share() -> None:
    assert parse_rates("dynamodb=0.2, sns=0.2,lambda=0.1,sfn=0.1,express=0.3") == {
        "dynamodb": 0.2,
        "sns": 0.2,
        "lambda": 0.1,
        "sfn": 0.1,
        "express": 0.3,
    }
    assert parse_rates("") == {}
    for bad, message in (
        ("s3=0.1", "SERVICE one of"),
        ("sns", "SERVICE=SHARE"),
        ("sns=2", "from 0 to 1"),
        ("sns=x", "number"),
    ):
        with pytest.raises(ValueError, match=message):
            parse_rates(bad)


def test_the_same_seed_injects_the_same_faults() -> None:
    def decisions(seed: int) -> list[bool]:
        injector = FaultInjector({"sns": 0.5}, seed)
        hook = injector._hook("sns")
        publish = SimpleNamespace(name="Publish")
        return [hook(model=publish, context={}) is not None for _ in range(50)]

    assert decisions(7) == decisions(7)
    assert decisions(7) != decisions(8)
    assert 10 < sum(decisions(7)) < 40


def test_which_express_starts_run_twice_depends_on_the_seed_only() -> None:
    def twice(seed: int) -> list[bool]:
        injector = FaultInjector({"express": 0.5}, seed)
        return [injector.runs_twice(f"order-{i % 20}") for i in range(40)]

    assert twice(7) == twice(7)
    assert twice(7) != twice(8)
    assert 8 < sum(twice(7)) < 32
    injector = FaultInjector({"express": 0.5}, 7)
    assert sum(injector.runs_twice(f"order-{i % 20}") for i in range(40)) == injector.summary()["express:StartedTwice"]


def outcome_by_key(report: dict[str, Any]) -> tuple[dict[str, str], Counter[str], Counter[str]]:
    records = {r["orderId"]: r["status"] for r in report["records"]}
    notified = Counter(n["orderId"] for n in report["notifications"])
    dead = Counter(json.loads(d["body"])["orderId"] for d in report["deadLetters"])
    return records, notified, dead


def the_way_back(stack: EmulatedStack, failed: set[str], bodies: dict[str, str]) -> dict[str, Any]:
    """The operator's way back (`recover`); for an Express workflow, whose failed executions' input
    cannot be read back, also what the README says to do instead: send the orders' messages again."""
    recovery = recover(stack)
    if stack.workflow_type == "EXPRESS":
        assert recovery["ordersRetried"] == []
        assert recovery["ordersNotRetried"] == dict.fromkeys(failed, EXPRESS_NOT_RETRIED)
        process(stack, [bodies[key] for key in sorted(failed)])
    else:
        assert sorted(recovery["ordersRetried"]) == sorted(failed)
        assert recovery["ordersNotRetried"] == {}
    return recovery


def test_soak_every_order_ends_once_under_faults_and_duplicates(stack_of_each_type: EmulatedStack) -> None:
    stack = stack_of_each_type
    orders = SOAK_ORDERS[stack.workflow_type]
    bodies = read_file("\n".join(order(i) for i in range(orders)).encode(), duplicates=2)
    keys = {f"soak-{i:04d}" for i in range(orders)}
    stack.faults.configure(SOAK_FAULTS | AT_LEAST_ONCE[stack.workflow_type], seed=20261129)

    seconds = process(stack, bodies).seconds
    during = build_report(stack, seconds=seconds)
    records, notified, dead = outcome_by_key(during)

    assert during["summary"]["faultsInjected"] > orders / 3
    assert during["summary"]["retries"] > 0
    if stack.workflow_type == "EXPRESS":
        # Both deliveries of an order started an execution, and some executions ran twice.
        assert during["faults"]["express:StartedTwice"] > 0
        skipped = [e for e in during["executions"] if e["states"][-1:] == ["SkipDuplicate"]]
        assert len(skipped) > orders / 2
    # No order without an outcome: a record, or (both of) its messages in the dead-letter queue.
    assert keys == set(records) | set(dead)
    assert all(records.get(key) is None for key in dead if dead[key] == 2)
    # No duplicate record (one per key, by construction of the table) and no message-keyed record.
    assert len(during["records"]) == len(records) and set(records) <= keys
    # No duplicate notification; every ACCEPTED order was notified.
    assert max(notified.values()) == 1
    assert {key for key, status in records.items() if status == "ACCEPTED"} <= set(notified)
    assert set(records.values()) <= {"ACCEPTED", "FAILED"}

    failed = {key for key, status in records.items() if status == "FAILED"}
    recovery = the_way_back(stack, failed, {f"soak-{i:04d}": order(i) for i in range(orders)})
    after = build_report(stack, seconds=seconds)
    records, notified, dead = outcome_by_key(after)

    assert recovery["deadLettersRedriven"] == len(during["deadLetters"])
    assert records == dict.fromkeys(keys, "ACCEPTED")
    assert notified == Counter(keys)
    assert after["deadLetters"] == []


def test_the_way_back_recovers_dead_letters_and_failed_orders(stack_of_each_type: EmulatedStack) -> None:
    stack = stack_of_each_type
    keys = {f"soak-{i:04d}" for i in range(30)}
    # The shares are set high enough that both kinds of trouble are all but certain for any seed:
    # StartExecution failing 5 receives in a row (~24% of messages) and ValidateOrder's invoke failing all
    # 5 attempts (~59% of executions). The table and topics stay healthy, so every failure can be recorded.
    stack.faults.configure({"sfn": 0.75, "lambda": 0.9}, seed=5)
    seconds = process(stack, [order(i) for i in range(30)]).seconds
    during = build_report(stack, seconds=seconds)
    records, notified, dead = outcome_by_key(during)
    failed = {key for key, status in records.items() if status == "FAILED"}
    assert dead and failed
    assert keys == set(records) | set(dead)
    failed_executions = [e for e in during["executions"] if e["status"] == "FAILED"]
    assert {e["name"] for e in failed_executions} == failed
    assert all(e["error"] == "OrderFailed" and e["states"][-1] == "OrderFailed" for e in failed_executions)

    recovery = the_way_back(stack, failed, {f"soak-{i:04d}": order(i) for i in range(30)})
    after = build_report(stack, seconds=seconds)
    records, notified, dead = outcome_by_key(after)
    assert recovery["deadLettersRedriven"] == len(during["deadLetters"])
    assert records == dict.fromkeys(keys, "ACCEPTED")
    assert notified == Counter(keys)
    assert after["deadLetters"] == []
    assert after["summary"]["unaccounted"] == 0
    if stack.workflow_type == "STANDARD":
        # Each line's own message reached ACCEPTED: a dead letter sent back, under its new message id; a
        # FAILED order, through its retry (same input, same message).
        assert [(m["line"], m["outcome"]) for m in after["messages"]] == [(n, "ACCEPTED") for n in range(1, 31)]
        retries = [e for e in after["executions"] if key_of(e["name"]) != e["name"]]
        assert sorted(key_of(e["name"]) for e in retries) == sorted(failed)
        assert all(e["status"] == "SUCCEEDED" for e in retries)
    else:
        # The orders' messages, sent again, started executions of the same names that succeeded.
        again = [e for e in after["executions"] if e["name"] in failed and e["status"] == "SUCCEEDED"]
        assert sorted(e["name"] for e in again) == sorted(failed)


def test_the_way_back_names_the_new_message_each_dead_letter_became(stack: EmulatedStack) -> None:
    """`redrive-dlq` returns, for each dead letter, its id and the id SendMessage gave it on the order queue: what
    the local run follows a line's message by, rather than matching bodies."""
    stack.faults.configure({"sfn": 1.0}, seed=1)  # every start fails: both messages end as dead letters
    process(stack, [order(1), order(2)])
    dead = {letter["messageId"] for letter in dead_letters(stack)}
    assert len(dead) == 2

    moved = redrive_dead_letters(stack.client("sqs"), stack.resources.dead_letter_queue_url, stack.resources.queue_url)

    assert {old for old, _ in moved} == dead
    on_the_queue = {m["MessageId"] for m in drain_queue(stack, stack.resources.queue_url, keep=True)}
    assert {new for _, new in moved} == on_the_queue
    assert len(moved) == 2 and not on_the_queue & dead


def test_a_dead_letter_dead_lettered_again_after_the_way_back_keeps_its_line(assembly: Path) -> None:
    """A line whose message the way back sent again, only to be dead-lettered again, is named by the dead letter
    now in the queue (its `lines`), which the way back's new message id ties to the line."""
    stack = EmulatedStack(assembly, time_scale=0.0001)
    # Every start of soak-0002 fails, the way back's included (the faults it clears are the injector's only).
    stack.application_session.events.register(
        "before-call.sfn.StartExecution", fail_calls("ServiceUnavailable", 503, "soak-0002", 10**6)
    )
    with stack:
        process(stack, [order(1), order(2)])
        first = dead_letters(stack)
        recovery = recover(stack)
        report = build_report(stack, seconds=0)

    assert recovery["deadLettersRedriven"] == 1
    [again] = report["deadLetters"]
    assert again["messageId"] != first[0]["messageId"]
    assert again["lines"] == [2]
    assert [(m["line"], m["orderId"], m["outcome"]) for m in report["messages"]] == [
        (1, "soak-0001", "ACCEPTED"),
        (2, None, DEAD_LETTER),
    ]
    assert report["messages"][1]["lastMessageId"] == again["messageId"]


def test_the_same_seed_gives_the_same_outcome_for_every_line(assembly: Path) -> None:
    """`--seed` (README): the same file, seed and shares give the same faults and outcomes, run after run, lines
    keyed by their message id (no orderId) included."""
    data = "\n".join(order(i % 20) if i % 5 else f"line {i}: no order here" for i in range(40)).encode()
    # High enough that some orders fail every retry and some starts fail every receive.
    shares = {"dynamodb": 0.4, "sns": 0.4, "lambda": 0.6, "sfn": 0.6}

    def once() -> tuple[list[tuple[int, str | None, str]], dict[str, int]]:
        with EmulatedStack(assembly, time_scale=0.0001) as stack:
            stack.inject_faults(shares, seed=7)
            report = run(stack, read_file(data))
        return [(m["line"], m["orderId"], m["outcome"]) for m in report["messages"]], report["faults"]

    first = once()
    seen = {outcome for _, _, outcome in first[0]}
    assert seen >= {"ACCEPTED", DUPLICATE} and seen & {FAILED, DEAD_LETTER}, seen
    assert once() == first
    assert once() == first
