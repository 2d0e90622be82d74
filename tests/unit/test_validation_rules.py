"""The order contract as a sender and the order pipeline see it: which bodies are accepted, what a
rejection says, and that money comes out exact."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from order_validation.rules import (
    ORDER_ID_PATTERN,
    AcceptedOrder,
    Customer,
    LineItem,
    Rejection,
    parse_body,
    validate_body,
    validate_order,
)

CONTRACT_EXAMPLE = """{"orderId": "ord-2026-0001",
 "customer": {"id": "c-42", "email": "ana@example.com", "name": "Ana Souza"},
 "items": [{"sku": "BOOK-001", "quantity": 2, "unitPrice": "19.90"},
           {"sku": "PEN-7", "quantity": 3, "unitPrice": 0.1}],
 "currency": "BRL", "createdAt": "2026-11-27T10:00:00Z"}"""

# The wording senders see, written out here so that a change to it is a deliberate one.
RULE = {
    "orderId": "must be 1-64 characters of A-Z a-z 0-9 _ -",
    "customer": "must be an object",
    "customer.id": "must be 1-64 characters, not blank",
    "customer.email": (
        "must be one email address like ana@example.com, at most 254 characters,"
        ' with no spaces, invisible characters or any of ( ) < > [ ] : ; , \\ "'
    ),
    "customer.name": "must be text of at most 200 characters",
    "items": "must be a list of 1 to 100 items",
    "items[]": "must be an object",
    "items[].sku": "must be 1-64 characters of A-Z a-z 0-9 _ . -",
    "items[].quantity": "must be an integer from 1 to 1000",
    "items[].unitPrice": (
        "must be a number or decimal string greater than 0 and at most 1000000, with at most 2 decimal places"
    ),
    "currency": "must be three upper-case letters",
    "createdAt": "must be an RFC 3339 timestamp with a time zone, like 2026-11-27T10:00:00Z",
}
NOT_JSON = ("body: not valid JSON",)
NOT_OBJECT = ("body: must be a JSON object",)
KNOWN_PATH = re.compile(
    r"(body|orderId|customer(\.(id|email|name))?|items(\[\d+\](\.(sku|quantity|unitPrice))?)?"
    r"|currency|createdAt): \S.*",
    re.DOTALL,
)

Location = tuple[str | int, ...]
ABSENT = object()
_SPLICE = "@@raw-json@@"


def path_of(location: Location) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location).lstrip(".")


def rule_of(location: Location) -> str:
    return "".join("[]" if isinstance(part, int) else f".{part}" for part in location).lstrip(".")


def reason(location: Location) -> str:
    return f"{path_of(location)}: {RULE[rule_of(location)]}"


def example() -> dict[str, Any]:
    """The contract example as plain JSON data, to edit and dump back into a body."""
    return json.loads(CONTRACT_EXAMPLE)  # type: ignore[no-any-return]


def parsed_example() -> dict[str, Any]:
    """The contract example as `parse_body` hands it to `validate_order` (prices as Decimal)."""
    document = parse_body(CONTRACT_EXAMPLE)
    assert isinstance(document, dict)
    return document


def case_id(location: Location, raw_json: str | object) -> str:
    return f"{path_of(location)}={'absent' if raw_json is ABSENT else raw_json!s:.40}"


def body_with(location: Location, raw_json: str | object) -> str:
    """The contract example with one field replaced by raw JSON text (or removed), as a sender writes it."""
    document = example()
    parent: Any = document
    for part in location[:-1]:
        parent = parent[part]
    if raw_json is ABSENT:
        del parent[location[-1]]
        return json.dumps(document)
    parent[location[-1]] = _SPLICE
    return json.dumps(document).replace(json.dumps(_SPLICE), str(raw_json))


def accepted(result: AcceptedOrder | Rejection) -> AcceptedOrder:
    assert isinstance(result, AcceptedOrder), result
    return result


def rejected(result: AcceptedOrder | Rejection) -> tuple[str, ...]:
    assert isinstance(result, Rejection), result
    return result.reasons


# --- the contract example ---------------------------------------------------------------------------


def test_contract_example_is_accepted_with_exact_values() -> None:
    order = accepted(validate_body(CONTRACT_EXAMPLE))

    assert order == AcceptedOrder(
        order_id="ord-2026-0001",
        customer=Customer(id="c-42", email="ana@example.com", name="Ana Souza"),
        items=(
            LineItem(sku="BOOK-001", quantity=2, unit_price=Decimal("19.90"), line_total=Decimal("39.80")),
            LineItem(sku="PEN-7", quantity=3, unit_price=Decimal("0.10"), line_total=Decimal("0.30")),
        ),
        currency="BRL",
        created_at=datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
        total=Decimal("40.10"),
    )
    # Two places exactly, whatever the prices were written with, so the total prints as money.
    assert [str(item.unit_price) for item in order.items] == ["19.90", "0.10"]
    assert str(order.total) == "40.10"


def test_validate_order_takes_what_parse_body_returns() -> None:
    assert validate_order(parse_body(CONTRACT_EXAMPLE)) == validate_body(CONTRACT_EXAMPLE)


# --- one field at a time: accepted values -----------------------------------------------------------

ACCEPTED: list[Any] = [
    # (location, raw JSON or ABSENT, what the accepted order holds, expected)
    (("orderId",), '"A"', lambda o: o.order_id, "A"),
    (("orderId",), json.dumps("x" * 64), lambda o: len(o.order_id), 64),
    (("orderId",), '"Ab_9-z"', lambda o: o.order_id, "Ab_9-z"),
    (("customer", "id"), json.dumps("c" * 64), lambda o: len(o.customer.id), 64),
    (("customer", "id"), '" c-42 "', lambda o: o.customer.id, " c-42 "),
    (("customer", "id"), '"клиент-1"', lambda o: o.customer.id, "клиент-1"),
    (("customer", "email"), '"a@b.co"', lambda o: o.customer.email, "a@b.co"),
    (
        ("customer", "email"),
        '"ana.souza+pedidos@mail.example.com.br"',
        lambda o: o.customer.email[:9],
        "ana.souza",
    ),
    (("customer", "email"), json.dumps("a" * 242 + "@example.com"), lambda o: len(o.customer.email), 254),
    (("customer", "name"), ABSENT, lambda o: o.customer.name, None),
    (("customer", "name"), "null", lambda o: o.customer.name, None),
    (("customer", "name"), '"São João 李 🙂"', lambda o: o.customer.name, "São João 李 🙂"),
    (("customer", "name"), '"\\ud83d\\ude00"', lambda o: o.customer.name, "😀"),  # an escaped pair is fine
    (("customer", "name"), json.dumps("x" * 200), lambda o: len(o.customer.name), 200),
    (
        ("customer", "name"),
        json.dumps("🙂" * 200),
        lambda o: len(o.customer.name),
        200,
    ),  # characters, not bytes
    (("customer", "name"), '""', lambda o: o.customer.name, ""),
    (("items",), json.dumps([{"sku": "A", "quantity": 1, "unitPrice": 1}]), lambda o: len(o.items), 1),
    (
        ("items",),
        json.dumps([{"sku": "A", "quantity": 1, "unitPrice": 1}] * 100),
        lambda o: len(o.items),
        100,
    ),
    (("items", 0, "sku"), '"a.b_C-9"', lambda o: o.items[0].sku, "a.b_C-9"),
    (("items", 0, "sku"), json.dumps("S" * 64), lambda o: len(o.items[0].sku), 64),
    (("items", 0, "quantity"), "1", lambda o: o.items[0].quantity, 1),
    (("items", 0, "quantity"), "1000", lambda o: o.items[0].quantity, 1000),
    (("items", 0, "unitPrice"), '"19.90"', lambda o: o.items[0].unit_price, Decimal("19.90")),
    (("items", 0, "unitPrice"), '"5"', lambda o: o.items[0].unit_price, Decimal("5.00")),
    (("items", 0, "unitPrice"), '"0.01"', lambda o: o.items[0].unit_price, Decimal("0.01")),
    (("items", 0, "unitPrice"), '"007.5"', lambda o: o.items[0].unit_price, Decimal("7.50")),
    (("items", 0, "unitPrice"), '"1000000"', lambda o: o.items[0].unit_price, Decimal("1000000")),
    (("items", 0, "unitPrice"), '"1000000.00"', lambda o: o.items[0].unit_price, Decimal("1000000")),
    (("items", 0, "unitPrice"), "0.1", lambda o: o.items[0].unit_price, Decimal("0.10")),
    (("items", 0, "unitPrice"), "1.50", lambda o: o.items[0].unit_price, Decimal("1.50")),
    (("items", 0, "unitPrice"), "1.10", lambda o: o.items[0].unit_price, Decimal("1.10")),
    # A number is judged by its value: 1.100 is exactly 1.10. A string must be in the plain form.
    (("items", 0, "unitPrice"), "1.100", lambda o: o.items[0].unit_price, Decimal("1.10")),
    (("items", 0, "unitPrice"), "7", lambda o: o.items[0].unit_price, Decimal("7.00")),
    (("items", 0, "unitPrice"), "1E+2", lambda o: o.items[0].unit_price, Decimal("100.00")),
    (("items", 0, "unitPrice"), "1000000", lambda o: o.items[0].unit_price, Decimal("1000000")),
    (("items", 0, "unitPrice"), "1000000.00", lambda o: o.items[0].unit_price, Decimal("1000000")),
    (("currency",), '"USD"', lambda o: o.currency, "USD"),
    (("createdAt",), ABSENT, lambda o: o.created_at, None),
    (("createdAt",), "null", lambda o: o.created_at, None),
    (
        ("createdAt",),
        '"2026-11-27T10:00:00.123+02:00"',
        lambda o: o.created_at,
        datetime(2026, 11, 27, 8, 0, 0, 123000, tzinfo=UTC),
    ),
    (
        ("createdAt",),
        '"2026-11-27T22:30:00-03:00"',  # the next day in UTC
        lambda o: o.created_at,
        datetime(2026, 11, 28, 1, 30, tzinfo=UTC),
    ),
    (
        ("createdAt",),
        '"2026-11-27t10:00:00z"',
        lambda o: o.created_at,
        datetime(2026, 11, 27, 10, tzinfo=UTC),
    ),
    (("createdAt",), '"2026-11-27T10:00:00+00:00"', lambda o: o.created_at.utcoffset(), timedelta(0)),
]


@pytest.mark.parametrize(
    ("location", "raw_json", "attribute", "expected"), ACCEPTED, ids=[case_id(*c[:2]) for c in ACCEPTED]
)
def test_accepted_value(
    location: Location, raw_json: str | object, attribute: Callable[[AcceptedOrder], object], expected: object
) -> None:
    assert attribute(accepted(validate_body(body_with(location, raw_json)))) == expected


def test_created_at_is_reported_in_utc() -> None:
    order = accepted(validate_body(body_with(("createdAt",), '"2026-11-27T10:00:00+05:30"')))
    assert order.created_at is not None
    assert order.created_at.tzinfo == UTC
    assert order.created_at == datetime(2026, 11, 27, 4, 30, tzinfo=UTC)


# --- one field at a time: rejected values, with the exact reason ------------------------------------

REJECTED: list[tuple[Location, str]] = [
    (("orderId",), '""'),
    (("orderId",), json.dumps("x" * 65)),
    (("orderId",), '"ord 1"'),
    (("orderId",), '"ord/1"'),
    (("orderId",), '"pedido-nº1"'),
    (("orderId",), '"ord-1\\n"'),
    (("orderId",), "123"),
    (("orderId",), "null"),
    (("orderId",), '["ord-1"]'),
    (("customer",), "[]"),
    (("customer",), '"c-42"'),
    (("customer",), "null"),
    (("customer", "id"), '""'),
    (("customer", "id"), '"   "'),
    (("customer", "id"), '"\\t\\n"'),
    (("customer", "id"), json.dumps("c" * 65)),
    (("customer", "id"), "42"),
    (("customer", "id"), "null"),
    (("customer", "email"), '"ana"'),
    (("customer", "email"), '"ana@example"'),
    (("customer", "email"), '"@example.com"'),
    (("customer", "email"), '"ana@@example.com"'),
    (("customer", "email"), '"ana @example.com"'),
    (("customer", "email"), '"ana@.example.com"'),
    (("customer", "email"), '"ana@example.com."'),
    (("customer", "email"), '"ana@example..com"'),
    (("customer", "email"), '""'),
    # Whitespace and control characters anywhere: the first two matched the previous rule's `\s`-only check.
    (("customer", "email"), '"ana\\u0000@example.com"'),
    (("customer", "email"), '"ana@example.com\\u001b"'),
    (("customer", "email"), '"ana\\u007f@example.com"'),
    (("customer", "email"), '"ana@example.com\\n"'),
    (("customer", "email"), '"ana\\u00a0@example.com"'),
    (("customer", "email"), '"ana@example.com\\u2028"'),
    # Invisible format characters: zero-width space, right-to-left override, byte order mark, a tag.
    (("customer", "email"), '"ana@exa\\u200bmple.com"'),
    (("customer", "email"), '"ana\\u202e@example.com"'),
    (("customer", "email"), '"\\ufeffana@example.com"'),
    (("customer", "email"), '"ana@example.\\udb40\\udc01com"'),
    # Private use and unassigned code points: no one can type them.
    (("customer", "email"), '"ana@\\ue000.com"'),
    (("customer", "email"), '"ana@example.co\\u0378"'),
    # RFC 5322's specials, which outside quotes make the text a list, a display name or a comment.
    (("customer", "email"), '"ana,bob@example.com"'),
    (("customer", "email"), '"<ana@example.com>"'),
    (("customer", "email"), '"Ana <ana@example.com>"'),
    (("customer", "email"), '"ana(x)@example.com"'),
    (("customer", "email"), '"\\"ana\\"@example.com"'),
    (("customer", "email"), '"ana;@example.com"'),
    (("customer", "email"), '"ana@[192.0.2.1]"'),
    (("customer", "email"), '"ana\\\\@example.com"'),
    (("customer", "email"), '"ana@example.com:25"'),
    (("customer", "email"), json.dumps("a" * 243 + "@example.com")),
    (("customer", "email"), "5"),
    (("customer", "name"), json.dumps("x" * 201)),
    (("customer", "name"), "5"),
    (("customer", "name"), '["Ana"]'),
    (("items",), "[]"),
    (("items",), "{}"),
    (("items",), '"BOOK-001"'),
    (("items",), "null"),
    (("items",), json.dumps([{"sku": "A", "quantity": 1, "unitPrice": 1}] * 101)),
    (("items", 1), "5"),
    (("items", 1), '"PEN-7"'),
    (("items", 1), "[]"),
    (("items", 1), "null"),
    (("items", 0, "sku"), '""'),
    (("items", 0, "sku"), json.dumps("S" * 65)),
    (("items", 0, "sku"), '"BOOK 001"'),
    (("items", 0, "sku"), '"BOOK/001"'),
    (("items", 0, "sku"), "1"),
    (("items", 1, "quantity"), "0"),
    (("items", 1, "quantity"), "-1"),
    (("items", 1, "quantity"), "1001"),
    (("items", 1, "quantity"), "2.0"),
    (("items", 1, "quantity"), "1e3"),
    (("items", 1, "quantity"), '"2"'),
    (("items", 1, "quantity"), "true"),
    (("items", 1, "quantity"), "null"),
    (("items", 1, "quantity"), "[2]"),
    (("items", 1, "unitPrice"), '"abc"'),
    (("items", 1, "unitPrice"), '""'),
    (("items", 1, "unitPrice"), '" 1.00"'),
    (("items", 1, "unitPrice"), '"1.00 "'),
    (("items", 1, "unitPrice"), '"1e3"'),
    (("items", 1, "unitPrice"), '"+1"'),
    (("items", 1, "unitPrice"), '"-1"'),
    (("items", 1, "unitPrice"), '"1."'),
    (("items", 1, "unitPrice"), '".5"'),
    (("items", 1, "unitPrice"), '"1,50"'),
    (("items", 1, "unitPrice"), '"1.001"'),
    (("items", 1, "unitPrice"), '"0"'),
    (("items", 1, "unitPrice"), '"0.00"'),
    (("items", 1, "unitPrice"), '"1000000.01"'),
    (("items", 1, "unitPrice"), '"Infinity"'),
    (("items", 1, "unitPrice"), '"NaN"'),
    (("items", 1, "unitPrice"), '"١٢"'),  # digits, but not ASCII ones
    (("items", 1, "unitPrice"), "true"),
    (("items", 1, "unitPrice"), "false"),
    (("items", 1, "unitPrice"), "null"),
    (("items", 1, "unitPrice"), "0"),
    (("items", 1, "unitPrice"), "0.00"),
    (("items", 1, "unitPrice"), "-1"),
    (("items", 1, "unitPrice"), "-0.5"),
    (("items", 1, "unitPrice"), "0.001"),
    (("items", 1, "unitPrice"), "1000000.01"),
    (("items", 1, "unitPrice"), "1000001"),
    (("items", 1, "unitPrice"), "1e999999999"),
    (("items", 1, "unitPrice"), "1e-999999999"),
    (("items", 1, "unitPrice"), "[1]"),
    (("items", 1, "unitPrice"), '{"amount": "1.00"}'),
    (("currency",), '"brl"'),
    (("currency",), '"BR"'),
    (("currency",), '"BRLL"'),
    (("currency",), '"R$"'),
    (("currency",), '""'),
    (("currency",), "986"),
    (("currency",), "null"),
    (("createdAt",), '"2026-11-27T10:00:00"'),
    (("createdAt",), '"2026-11-27"'),
    (("createdAt",), '"2026-11-27 10:00:00Z"'),
    (("createdAt",), '"2026-11-27T10:00Z"'),
    (("createdAt",), '"2026-11-27T10:00:00+0200"'),
    (("createdAt",), '"2026-11-27T10:00:00+24:00"'),
    (("createdAt",), '"2026-11-27T10:00:00+02:60"'),
    (("createdAt",), '"2026-13-01T00:00:00Z"'),
    (("createdAt",), '"2026-02-30T00:00:00Z"'),
    (("createdAt",), '"2026-11-27T24:00:00Z"'),
    (("createdAt",), '"2026-11-27T10:00:60Z"'),
    (("createdAt",), '"0001-01-01T00:00:00+01:00"'),  # before year 1 once in UTC
    (("createdAt",), '"\uff12\uff10\uff12\uff16-11-27T10:00:00Z"'),
    (("createdAt",), '"yesterday"'),
    (("createdAt",), '""'),
    (("createdAt",), "1764237600"),
]


@pytest.mark.parametrize(("location", "raw_json"), REJECTED, ids=[case_id(*c) for c in REJECTED])
def test_rejected_value_names_the_field_and_its_rule(location: Location, raw_json: str) -> None:
    assert rejected(validate_body(body_with(location, raw_json))) == (reason(location),)


@pytest.mark.parametrize(
    "location",
    [
        ("orderId",),
        ("customer",),
        ("customer", "id"),
        ("customer", "email"),
        ("items",),
        ("items", 1, "sku"),
        ("items", 1, "quantity"),
        ("items", 1, "unitPrice"),
        ("currency",),
    ],
    ids=path_of,
)
def test_missing_required_field_is_reported_as_required(location: Location) -> None:
    assert rejected(validate_body(body_with(location, ABSENT))) == (f"{path_of(location)}: is required",)


def test_exact_reason_strings_for_a_representative_set() -> None:
    # Literal strings, as an operator reads them in a rejection record.
    cases = {
        body_with(("items", 0, "quantity"), '"2"'): "items[0].quantity: must be an integer from 1 to 1000",
        body_with(("orderId",), "123"): "orderId: must be 1-64 characters of A-Z a-z 0-9 _ -",
        body_with(("customer",), "[]"): "customer: must be an object",
        body_with(("customer", "email"), ABSENT): "customer.email: is required",
        body_with(("items",), "[]"): "items: must be a list of 1 to 100 items",
        body_with(("items", 1), "7"): "items[1]: must be an object",
        body_with(("items", 1, "unitPrice"), "0.001"): (
            "items[1].unitPrice: must be a number or decimal string greater than 0 and at most 1000000,"
            " with at most 2 decimal places"
        ),
        body_with(("currency",), '"brl"'): "currency: must be three upper-case letters",
    }
    for body, expected in cases.items():
        assert rejected(validate_body(body)) == (expected,)


# --- all reasons at once ------------------------------------------------------------------------------


def test_every_broken_rule_is_reported_once_in_document_order() -> None:
    body = json.dumps(
        {
            "createdAt": "2026-11-27",
            "currency": "brl",
            "items": [
                {"sku": "OK-1", "quantity": 1, "unitPrice": "1.00"},
                "not an item",
                {"sku": "bad sku", "quantity": 0, "unitPrice": "abc"},
                {"sku": "OK-2"},
            ],
            "customer": {"id": "   ", "email": "nope", "name": "x" * 201},
            "orderId": "",
        }
    )
    # Keys arrive in reverse order; reasons still follow the contract's order, so they read the same way
    # whatever serializer the sender used.
    assert rejected(validate_body(body)) == (
        "orderId: must be 1-64 characters of A-Z a-z 0-9 _ -",
        "customer.id: must be 1-64 characters, not blank",
        f"customer.email: {RULE['customer.email']}",
        "customer.name: must be text of at most 200 characters",
        "items[1]: must be an object",
        "items[2].sku: must be 1-64 characters of A-Z a-z 0-9 _ . -",
        "items[2].quantity: must be an integer from 1 to 1000",
        f"items[2].unitPrice: {RULE['items[].unitPrice']}",
        "items[3].quantity: is required",
        "items[3].unitPrice: is required",
        "currency: must be three upper-case letters",
        "createdAt: must be an RFC 3339 timestamp with a time zone, like 2026-11-27T10:00:00Z",
    )


def test_empty_object_lists_every_required_field() -> None:
    assert rejected(validate_body("{}")) == (
        "orderId: is required",
        "customer: is required",
        "items: is required",
        "currency: is required",
    )


def test_too_many_items_is_one_reason_not_one_per_item() -> None:
    items = [{"sku": "bad sku", "quantity": 0}] * 5000
    assert rejected(validate_body(body_with(("items",), json.dumps(items)))) == (reason(("items",)),)


# --- unknown fields ---------------------------------------------------------------------------------


def test_extra_fields_anywhere_are_ignored() -> None:
    document = example()
    document["channel"] = {"name": "web", "tags": [1, None, True]}
    document["customer"]["loyalty"] = "gold"
    document["items"][0]["discount"] = "not-a-number"
    document["notes"] = None
    body = json.dumps(document)[:-1] + ', "huge": ' + "9" * 5000 + ', "deep": ' + "[" * 500 + "]" * 500 + "}"

    assert validate_body(body) == validate_body(CONTRACT_EXAMPLE)


# --- money ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "total"),
    [
        ([(3, "0.1")], "0.30"),  # not 0.30000000000000004
        ([(1, "0.1"), (1, "0.2")], "0.30"),
        ([(1, "0.01")], "0.01"),
        ([(7, "19.99"), (1, "0.01")], "139.94"),
        ([(1000, "999999.99")], "999999990.00"),
        ([(1000, "1000000")] * 100, "100000000000.00"),
        ([(999, "0.99")] * 100, "98901.00"),
    ],
)
def test_total_is_exact_decimal_with_two_places(items: list[tuple[int, str]], total: str) -> None:
    document = example()
    # Prices as JSON numbers, the spelling where float arithmetic would go wrong.
    document["items"] = [
        {"sku": f"S{i}", "quantity": quantity, "unitPrice": _SPLICE + price}
        for i, (quantity, price) in enumerate(items)
    ]
    body = re.sub(rf'"{_SPLICE}([0-9.]+)"', r"\1", json.dumps(document))

    order = accepted(validate_body(body))

    assert str(order.total) == total
    assert order.total == sum(Decimal(q) * Decimal(p) for q, p in items)
    assert all(str(item.line_total) == f"{item.quantity * item.unit_price:.2f}" for item in order.items)


def test_total_ignores_the_callers_decimal_precision() -> None:
    with localcontext() as context:
        context.prec = 2  # would round 39.80 + 0.30 to 40
        order = accepted(validate_body(CONTRACT_EXAMPLE))
    assert str(order.total) == "40.10"


def test_float_prices_are_refused_because_their_exact_value_is_lost() -> None:
    document = parsed_example()
    document["items"][1]["unitPrice"] = 0.1
    assert rejected(validate_order(document)) == (reason(("items", 1, "unitPrice")),)


# --- bodies that are not an order at all ------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   ",
        "not json",
        "{",
        '{"orderId": "a",}',
        "{'orderId': 'a'}",
        "\ufeff{}",
        "NaN",
        "Infinity",
        "-Infinity",
        CONTRACT_EXAMPLE.replace("0.1}", "NaN}"),
        CONTRACT_EXAMPLE.replace("0.1}", "Infinity}"),
        CONTRACT_EXAMPLE.replace("Ana Souza", "Ana \\ud800"),  # half a UTF-16 pair, escaped
        CONTRACT_EXAMPLE.replace("Ana Souza", "Ana \ud800"),  # half a UTF-16 pair, raw
        CONTRACT_EXAMPLE.replace('"orderId"', '"\\udc00"'),  # even in a key
        CONTRACT_EXAMPLE + " {}",
    ],
)
def test_text_that_is_not_json_is_rejected_as_such(body: str) -> None:
    assert rejected(validate_body(body)) == NOT_JSON
    with pytest.raises(ValueError):
        parse_body(body)


@pytest.mark.parametrize("body", ["[]", "[{}]", "1", "-2.5", '"an order"', "null", "true", " " + "9" * 5000])
def test_json_that_is_not_an_object_is_rejected_as_such(body: str) -> None:
    assert rejected(validate_body(body)) == NOT_OBJECT


@pytest.mark.parametrize(
    "body", ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000, "[" * 100_000]
)
def test_deep_nesting_is_a_rejection_not_a_crash(body: str) -> None:
    assert rejected(validate_body(body)) == NOT_JSON


def test_deeply_nested_python_value_is_a_rejection_not_a_crash() -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    document = parsed_example()
    document["orderId"] = deep
    document["extra"] = deep
    assert rejected(validate_order(document)) == (reason(("orderId",)),)


def test_parse_body_keeps_numbers_exact() -> None:
    assert parse_body('{"q": 2, "p": 0.1, "e": 1.10, "big": 12345678901234567890}') == {
        "q": 2,
        "p": Decimal("0.1"),
        "e": Decimal("1.10"),
        "big": 12345678901234567890,
    }
    parsed = parse_body('{"q": 2, "p": 1.10}')
    assert isinstance(parsed, dict)
    assert type(parsed["q"]) is int
    assert str(parsed["p"]) == "1.10"


# --- properties ---------------------------------------------------------------------------------------

any_text = st.text(alphabet=st.characters(exclude_categories=()))  # lone surrogates too
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.floats()
    | st.text(alphabet=st.characters(exclude_categories=()), max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children),
    max_leaves=20,
)


def near(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly plausible values, sometimes anything: reaches the checks behind the type checks."""
    return st.one_of(strategy, json_values)


prices = st.integers(1, 100_000_000).map(lambda cents: Decimal(cents).scaleb(-2))
emails = st.sampled_from(["ana@example.com", "ana@example", "a b@c.d", "x" * 250 + "@b.co"])
codes = st.text(alphabet="AZaz09_.- ", min_size=0, max_size=66)  # around the 1-64 limits
items_like = st.fixed_dictionaries(
    {},
    optional={
        "sku": near(codes),
        "quantity": near(st.integers(-5, 1005)),
        "unitPrice": near(prices | prices.map(str) | st.decimals(places=3)),
    },
)
orders_like = st.fixed_dictionaries(
    {},
    optional={
        "orderId": near(codes),
        "customer": near(
            st.fixed_dictionaries(
                {},
                optional={
                    "id": near(codes | st.just("   ")),
                    "email": near(emails),
                    "name": near(st.sampled_from(["Ana", "x" * 201])),
                },
            )
        ),
        "items": near(st.lists(near(items_like), max_size=5)),
        "currency": near(st.sampled_from(["BRL", "USD", "brl", "EURO"])),
        "createdAt": near(st.datetimes(timezones=st.timezones()).map(datetime.isoformat)),
    },
)


def check_result(result: AcceptedOrder | Rejection) -> None:
    if isinstance(result, Rejection):
        assert result.reasons
        for text in result.reasons:
            assert KNOWN_PATH.fullmatch(text), text
        paths = [text.split(": ", 1)[0] for text in result.reasons]
        assert len(paths) == len(set(paths)), "one reason per field"
    else:
        assert isinstance(result, AcceptedOrder)
        assert result.total.as_tuple().exponent == -2


@settings(max_examples=200)
@given(any_text | json_values.map(lambda value: json.dumps(value, default=str)))
def test_validate_body_never_raises_on_any_text(body: str) -> None:
    check_result(validate_body(body))


@settings(max_examples=200)
@given(json_values | orders_like)
def test_validate_order_never_raises_on_any_json_value(document: object) -> None:
    check_result(validate_order(document))


@settings(max_examples=200)
@given(st.text(max_size=70))
def test_order_id_pattern_agrees_with_validation(order_id: str) -> None:
    # The starter names executions with re.fullmatch(ORDER_ID_PATTERN, ...); both must agree.
    document = parsed_example()
    document["orderId"] = order_id
    matches = re.fullmatch(ORDER_ID_PATTERN, order_id) is not None
    assert isinstance(validate_order(document), AcceptedOrder) == matches


valid_lines = st.lists(st.tuples(st.integers(1, 1000), prices, st.booleans()), min_size=1, max_size=100)


@settings(max_examples=60)
@given(valid_lines)
def test_generated_valid_orders_total_the_exact_decimal_sum(lines: list[tuple[int, Decimal, bool]]) -> None:
    document = example()
    document["items"] = [
        {
            "sku": f"SKU-{i}",
            "quantity": quantity,
            "unitPrice": str(price) if as_text else _SPLICE + str(price),
        }
        for i, (quantity, price, as_text) in enumerate(lines)
    ]
    body = re.sub(rf'"{_SPLICE}([0-9.E+-]+)"', r"\1", json.dumps(document))

    order = accepted(validate_body(body))

    expected = sum((Decimal(quantity) * price for quantity, price, _ in lines), Decimal(0))
    assert order.total == expected
    assert order.total.as_tuple().exponent == -2
    assert [item.line_total for item in order.items] == [Decimal(q) * p for q, p, _ in lines]


INVISIBLE_OR_BLANK = ["Cc", "Cf", "Co", "Cn", "Zs", "Zl", "Zp"]  # control, format, private use, unassigned, spaces


@settings(max_examples=200)
@given(st.characters(categories=INVISIBLE_OR_BLANK), st.integers(0, len("ana@example.com")))
def test_an_email_holding_a_control_format_or_space_character_is_not_plausible(character: str, at: int) -> None:
    document = parsed_example()
    document["customer"]["email"] = "ana@example.com"[:at] + character + "ana@example.com"[at:]
    assert rejected(validate_order(document)) == (reason(("customer", "email")),)


label = st.text(alphabet=st.characters(categories=["L", "N"]) | st.sampled_from("-_"), min_size=1, max_size=12)
local_part = st.text(
    alphabet=st.characters(categories=["L", "N", "M"]) | st.sampled_from(".+-_%'!#$&*=?^`{|}~/"), min_size=1
)


@settings(max_examples=200)
@given(local_part, st.lists(label, min_size=2, max_size=4))
def test_an_email_of_visible_characters_and_a_dotted_domain_is_plausible(local: str, labels: list[str]) -> None:
    email = f"{local}@{'.'.join(labels)}"
    document = parsed_example()
    document["customer"]["email"] = email
    assert (len(email) <= 254) == isinstance(validate_order(document), AcceptedOrder), email
