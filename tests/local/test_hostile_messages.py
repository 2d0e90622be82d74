"""An adversarial corpus, sent through the whole emulated stack in one run: every hostile message must
reach the outcome the contract gives it (ACCEPTED with its exact total, or REJECTED naming exactly the
broken fields), under the right key, with one record, one notification and a succeeded execution each.

The whole corpus goes through one run (a module-scoped emulated stack): the parametrized tests below
only read what that run left behind.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from order_validation.rules import NOT_JSON_REASON, NOT_OBJECT_REASON
from workflow.local.emulator import EmulatedStack
from workflow.local.run import Progress, build_report, drain, send_messages, wait_for_executions

ACCEPTED = "ACCEPTED"
REJECTED = "REJECTED"
MSG = "msg-"  # the key of a message without a valid orderId: "msg-" + its SQS message id
MAX_EXECUTION_INPUT_BYTES = 256 * 1024
RUN_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Case:
    """One hostile message and the outcome the contract gives it."""

    name: str  # the pytest id
    why: str  # what makes it hostile
    body: str  # the raw SQS message body
    status: str  # ACCEPTED or REJECTED
    key: str | None  # the orderId the record is keyed by; None: "msg-" + the message id
    total: str | None = None  # ACCEPTED: the exact total
    fields: frozenset[str] = frozenset()  # REJECTED: the field paths its reasons name (text before ": ")
    reasons: tuple[str, ...] | None = None  # REJECTED: the exact reasons, where the contract words them
    stored: dict[str, Any] = field(default_factory=dict)  # attribute path -> value the table must hold verbatim


# --- Building the corpus ------------------------------------------------------------------------

BASE_ITEM: dict[str, Any] = {"sku": "BOOK-001", "quantity": 2, "unitPrice": "19.90"}
BASE_TOTAL = "39.80"


def oid(name: str) -> str:
    order_id = f"h-{name}"
    assert len(order_id) <= 64, order_id
    return order_id


ABSENT: Any = object()  # a change to ABSENT removes the field (None writes null)


def doc(order_id: Any, **changes: Any) -> dict[str, Any]:
    """A valid order (total 39.80 BRL) with `changes` applied."""
    document: dict[str, Any] = {
        "orderId": order_id,
        "customer": {"id": "c-42", "email": "ana@example.com", "name": "Ana Souza"},
        "items": [dict(BASE_ITEM)],
        "currency": "BRL",
        "createdAt": "2026-11-27T10:00:00Z",
    }
    for name, value in changes.items():
        if value is ABSENT:
            document.pop(name, None)
        else:
            document[name] = value
    return document


def dumps(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False)


def customer(**changes: Any) -> dict[str, Any]:
    return {"id": "c-42", "email": "ana@example.com", "name": "Ana Souza", **changes}


def item(**changes: Any) -> dict[str, Any]:
    return {**BASE_ITEM, **changes}


def accepted(name: str, why: str, total: str, document: Any = None, *, body: str | None = None, **kw: Any) -> Case:
    """An order keyed by its orderId `h-<name>` (unless `key` says otherwise) that must be ACCEPTED."""
    key = kw.pop("key", oid(name))
    text = body if body is not None else dumps(document if document is not None else doc(key))
    return Case(name, why, text, ACCEPTED, key, total=total, **kw)


def rejected(name: str, why: str, body: str, fields: set[str], *, key: str | None, **kw: Any) -> Case:
    return Case(name, why, body, REJECTED, key, fields=frozenset(fields), **kw)


def rejected_field(name: str, why: str, fields: set[str], **changes: Any) -> Case:
    """A REJECTED order keyed by its (valid) orderId `h-<name>`."""
    return rejected(name, why, dumps(doc(oid(name), **changes)), fields, key=oid(name))


def not_json(name: str, why: str, body: str) -> Case:
    return rejected(name, why, body, {"body"}, key=None, reasons=(NOT_JSON_REASON,))


def not_object(name: str, why: str, body: str) -> Case:
    return rejected(name, why, body, {"body"}, key=None, reasons=(NOT_OBJECT_REASON,))


def splice(document: dict[str, Any], raw_json: str) -> str:
    """The document's JSON with one more top-level member written as raw text (`"extra": <raw_json>`)."""
    text = dumps(document)
    return text[:-1] + f', "extra": {raw_json}}}'


def padded(document: dict[str, Any], size: int) -> str:
    """The document's JSON with an ignored `padding` field that makes it exactly `size` bytes."""
    short = dumps({**document, "padding": ""})
    text = dumps({**document, "padding": "x" * (size - len(short.encode("utf-8")))})
    assert len(text.encode("utf-8")) == size
    return text


def many_items(count: int, **changes: Any) -> list[dict[str, Any]]:
    return [item(sku=f"SKU-{i:03d}", **changes) for i in range(count)]


QTY = "items[0].quantity"
PRICE = "items[0].unitPrice"
SKU = "items[0].sku"

INJECTIONS = {
    "sql": "'; DROP TABLE orders; --",
    "template": "{{7*7}}",
    "jndi": "${jndi:ldap://x}",
    "script": "<script>alert(1)</script>",
    "jsonpath": "$.orderKey",
    "intrinsic": "States.Format('{}', $)",
}

EMAIL_254 = "a" * 64 + "@" + "b" * 185 + ".com"
EMAIL_255 = "a" * 64 + "@" + "b" * 186 + ".com"
ID_64 = "h-id64-" + "x" * 57
ID_65 = "h-id65-" + "x" * 58
ID_MAX_ORDER = "h-max-" + "m" * 58
ARABIC_INDIC_PRICE = "\u0661\u0660.\u0665\u0660"  # 10.50 in Arabic-Indic digits, which Decimal() reads
ARABIC_INDIC_ID = "\u0661\u0662\u0663\u0664"  # 1234 in Arabic-Indic digits, which Python's \d matches
NAME_EMOJI = "Ana 😀🎉 Souza"
NAME_RTL = "آنا سوزا \u202eazuoS anA"  # Arabic script plus a right-to-left override
NAME_ZWJ = "👩\u200d💻 Ana\u200dSouza"  # zero-width joiners, inside an emoji sequence and between words
NAME_ASTRAL_200 = "😀" * 200  # 200 characters, 400 UTF-16 code units, 800 UTF-8 bytes

CORPUS: list[Case] = [
    # --- Wrong types, one field at a time -------------------------------------------------------
    rejected(
        "orderid-number",
        "orderId as a JSON number: not a string, so no valid orderId and the message is keyed by its id",
        dumps(doc(20261127)),
        {"orderId"},
        key=None,
    ),
    rejected_field("customer-string", "customer is a string, not an object", {"customer"}, customer="c-42"),
    rejected_field("customer-null", "customer is null", {"customer"}, customer=None),
    rejected_field("customer-id-number", "customer.id is a number", {"customer.id"}, customer=customer(id=42)),
    rejected_field(
        "customer-email-list", "customer.email is a list", {"customer.email"}, customer=customer(email=["a@b.co"])
    ),
    rejected_field("customer-name-number", "customer.name is a number", {"customer.name"}, customer=customer(name=7)),
    rejected_field("items-object", "items is an object, not a list", {"items"}, items={"0": BASE_ITEM}),
    rejected_field("item-string", "an item is a string, not an object", {"items[0]"}, items=["BOOK-001"]),
    rejected_field("sku-number", "items[0].sku is a number", {SKU}, items=[item(sku=1234)]),
    rejected_field(
        "quantity-string", 'quantity "2": a string that int() would accept', {QTY}, items=[item(quantity="2")]
    ),
    rejected(
        "quantity-float",
        "quantity 2.0: integral value, but a float in JSON",
        dumps(doc(oid("quantity-float"))).replace('"quantity": 2', '"quantity": 2.0'),
        {QTY},
        key=oid("quantity-float"),
    ),
    rejected_field("quantity-true", "quantity true: a boolean is an int in Python", {QTY}, items=[item(quantity=True)]),
    rejected(
        "quantity-null",
        "quantity null: present but empty",
        dumps(doc(oid("quantity-null"), items=[{"sku": "BOOK-001", "quantity": None, "unitPrice": "1.00"}])),
        {QTY},
        key=oid("quantity-null"),
    ),
    rejected_field("price-true", "unitPrice true: a boolean is 1 in Python", {PRICE}, items=[item(unitPrice=True)]),
    rejected_field("price-abc", 'unitPrice "abc": Decimal() would raise', {PRICE}, items=[item(unitPrice="abc")]),
    rejected_field("price-list", "unitPrice []", {PRICE}, items=[item(unitPrice=[])]),
    rejected_field("price-object", "unitPrice {}", {PRICE}, items=[item(unitPrice={})]),
    rejected_field("currency-number", "currency 986: the numeric ISO 4217 code", {"currency"}, currency=986),
    rejected_field("created-at-epoch", "createdAt as epoch seconds", {"createdAt"}, createdAt=1764237600),
    # --- Boundaries ------------------------------------------------------------------------------
    accepted("orderid-64-chars", "orderId of exactly 64 characters", BASE_TOTAL, doc(ID_64), key=ID_64),
    rejected("orderid-65-chars", "orderId of 65 characters", dumps(doc(ID_65)), {"orderId"}, key=None),
    rejected("orderid-empty", "orderId empty", dumps(doc("")), {"orderId"}, key=None),
    rejected(
        "orderid-missing",
        "no orderId",
        dumps(doc("x", orderId=ABSENT)),
        {"orderId"},
        key=None,
        reasons=("orderId: is required",),
    ),
    accepted("quantity-1", "quantity 1", "19.90", doc(oid("quantity-1"), items=[item(quantity=1)])),
    accepted("quantity-1000", "quantity 1000", "19900.00", doc(oid("quantity-1000"), items=[item(quantity=1000)])),
    rejected_field("quantity-0", "quantity 0", {QTY}, items=[item(quantity=0)]),
    rejected_field("quantity-1001", "quantity 1001", {QTY}, items=[item(quantity=1001)]),
    accepted(
        "price-0-01", "unitPrice 0.01 (a JSON number)", "0.02", doc(oid("price-0-01"), items=[item(unitPrice=0.01)])
    ),
    accepted(
        "price-1000000", "unitPrice 1000000", "2000000.00", doc(oid("price-1000000"), items=[item(unitPrice=1000000)])
    ),
    rejected_field("price-1000000-01", "unitPrice 1000000.01", {PRICE}, items=[item(unitPrice=1000000.01)]),
    rejected_field("price-0", "unitPrice 0", {PRICE}, items=[item(unitPrice=0)]),
    rejected_field("price-minus-1", "unitPrice -1", {PRICE}, items=[item(unitPrice=-1)]),
    rejected_field("price-0-001", "unitPrice 0.001: three decimal places", {PRICE}, items=[item(unitPrice=0.001)]),
    accepted(
        "price-float-trap",
        "3 x 0.1 is 0.30000000000000004 in binary floats",
        "0.30",
        doc(oid("price-float-trap"), items=[item(quantity=3, unitPrice=0.1)]),
    ),
    accepted(
        "price-exponent",
        "unitPrice 1e2: a JSON number in exponent notation",
        "200.00",
        body=dumps(doc(oid("price-exponent"), items=[item(unitPrice="PRICE")])).replace('"PRICE"', "1e2"),
    ),
    rejected(
        "price-huge-exponent",
        "unitPrice 1e999999999: a float() of infinity, a Decimal far over the maximum",
        dumps(doc(oid("price-huge-exponent"), items=[item(unitPrice="PRICE")])).replace('"PRICE"', "1e999999999"),
        {PRICE},
        key=oid("price-huge-exponent"),
    ),
    rejected_field(
        "price-arabic-digits",
        "unitPrice of Arabic-Indic digits: Decimal() reads them",
        {PRICE},
        items=[item(unitPrice=ARABIC_INDIC_PRICE)],
    ),
    accepted("items-100", "100 items", "3980.00", doc(oid("items-100"), items=many_items(100))),
    rejected_field("items-101", "101 items", {"items"}, items=many_items(101)),
    rejected_field("items-empty", "no items", {"items"}, items=[]),
    accepted(
        "max-order",
        "64-character orderId, 100 items x 1000 x 1000000: the largest total and longest subject there can be",
        "100000000000.00",
        doc(ID_MAX_ORDER, items=many_items(100, quantity=1000, unitPrice="1000000")),
        key=ID_MAX_ORDER,
    ),
    accepted(
        "name-200-chars",
        "customer.name of 200 characters",
        BASE_TOTAL,
        doc(oid("name-200-chars"), customer=customer(name="n" * 200)),
    ),
    rejected_field(
        "name-201-chars", "customer.name of 201 characters", {"customer.name"}, customer=customer(name="n" * 201)
    ),
    accepted(
        "name-null",
        "customer.name null: the optional field, explicitly absent",
        BASE_TOTAL,
        doc(oid("name-null"), customer=customer(name=None)),
    ),
    accepted(
        "email-254-chars",
        "customer.email of 254 characters",
        BASE_TOTAL,
        doc(oid("email-254-chars"), customer=customer(email=EMAIL_254)),
    ),
    rejected_field(
        "email-255-chars", "customer.email of 255 characters", {"customer.email"}, customer=customer(email=EMAIL_255)
    ),
    rejected_field(
        "email-control-character",
        "customer.email with an escaped NUL: JSON carries it, no address holds it",
        {"customer.email"},
        customer=customer(email="ana\u0000@example.com"),
    ),
    rejected_field(
        "email-zero-width-space",
        "customer.email with a zero-width space: invisible, so the address is not the one it shows",
        {"customer.email"},
        customer=customer(email="ana@exa\u200bmple.com"),
    ),
    rejected_field(
        "email-two-recipients",
        "customer.email 'ana,bob@example.com': a mail header reads a list, to ana and to bob@example.com",
        {"customer.email"},
        customer=customer(email="ana,bob@example.com"),
    ),
    rejected_field("customer-id-blank", "customer.id of spaces only", {"customer.id"}, customer=customer(id="   ")),
    rejected(
        "everything-missing",
        "an empty object: every required field missing at once",
        "{}",
        {"orderId", "customer", "items", "currency"},
        key=None,
        reasons=("orderId: is required", "customer: is required", "items: is required", "currency: is required"),
    ),
    rejected_field(
        "every-rule-broken",
        "one rule broken in every field at once: all must be reported",
        {"customer.id", "customer.email", SKU, QTY, PRICE, "currency", "createdAt"},
        customer={"id": "", "email": "ana"},
        items=[{"sku": "", "quantity": 0, "unitPrice": "-1"}],
        currency="usd",
        createdAt="yesterday",
    ),
    # --- Anchors: a trailing newline passes a Python `$` -----------------------------------------
    rejected("orderid-trailing-newline", "orderId ending in \\n", dumps(doc("h-nl\n")), {"orderId"}, key=None),
    rejected_field("sku-trailing-newline", "sku ending in \\n", {SKU}, items=[item(sku="BOOK-001\n")]),
    rejected_field("currency-trailing-newline", "currency ending in \\n", {"currency"}, currency="BRL\n"),
    # --- Not JSON ------------------------------------------------------------------------------------
    not_json("plain-text", "plain text", "please send me two books"),
    not_json("truncated-json", "JSON cut off mid-document", dumps(doc("h-truncated"))[:60]),
    not_json("single-quotes", "a Python dict literal", str(doc("h-single-quotes"))),
    not_json("trailing-comma", "a trailing comma, as JavaScript allows", dumps(doc("h-trailing-comma"))[:-1] + ",}"),
    not_json("whitespace-only", "a body of spaces", "   "),
    not_json(
        "price-nan",
        "unitPrice NaN: Python's json reads it, JSON has no such value",
        dumps(doc("h-nan", items=[item(unitPrice="PRICE")])).replace('"PRICE"', "NaN"),
    ),
    not_json(
        "price-infinity",
        "unitPrice Infinity",
        dumps(doc("h-inf", items=[item(unitPrice="PRICE")])).replace('"PRICE"', "Infinity"),
    ),
    not_json(
        "price-minus-infinity",
        "unitPrice -Infinity",
        dumps(doc("h-minus-inf", items=[item(unitPrice="PRICE")])).replace('"PRICE"', "-Infinity"),
    ),
    # Valid JSON that is not an object, unless the parser gives up first ("not valid JSON"): either way a
    # rejection of the body, under the message's key; which wording depends on the Python version.
    rejected(
        "nested-arrays-10000",
        "10000 nested arrays: a recursive parser's stack overflows",
        "[" * 10000 + "]" * 10000,
        {"body"},
        key=None,
    ),
    not_json(
        "lone-surrogate",
        'customer.name "\\ud800": half a UTF-16 pair, which no UTF-8 text can carry (the validator: not JSON)',
        dumps(doc("h-lone-surrogate", customer=customer(name="SURROGATE"))).replace("SURROGATE", "\\ud800"),
    ),
    rejected(
        "number-beyond-decimal",
        "unitPrice 1e9999999999999999999: JSON, beyond Decimal's exponent range: the price's rule, not 'not JSON'",
        dumps(doc(oid("number-beyond-decimal"), items=[item(unitPrice="PRICE")])).replace(
            '"PRICE"', "1e9999999999999999999"
        ),
        {PRICE},
        key=oid("number-beyond-decimal"),
    ),
    accepted(
        "ignored-number-beyond-decimal",
        "an ignored field holding 1e9999999999999999999 and -1E-99999999999999999999: still JSON, still ignored",
        BASE_TOTAL,
        body=splice(doc(oid("ignored-number-beyond-decimal")), "[1e9999999999999999999, -1E-99999999999999999999]"),
    ),
    # --- JSON, but not an object ----------------------------------------------------------------------
    not_object("json-array", "an array of orders", dumps([doc("h-in-array")])),
    not_object("json-string", "an order serialized twice: a JSON string", dumps(dumps(doc("h-in-string")))),
    not_object("json-number", "a number", "42"),
    not_object("json-null", "null", "null"),
    not_object("json-true", "true", "true"),
    # --- Depth and size --------------------------------------------------------------------------------
    accepted(
        "deep-ignored-field",
        "an ignored field nested 1000 arrays deep in a valid order",
        BASE_TOTAL,
        body=splice(doc(oid("deep-ignored-field")), "[" * 1000 + "]" * 1000),
    ),
    accepted(
        "huge-integer-ignored",
        "an ignored 5000-digit integer: Python's int() refuses more than 4300 digits",
        BASE_TOTAL,
        body=splice(doc(oid("huge-integer-ignored")), "1" + "0" * 5000),
    ),
    accepted(
        "large-body-under-limit",
        "a 200 KB ignored field: large, but fits an execution input",
        BASE_TOTAL,
        doc(oid("large-body-under-limit"), padding="x" * 200_000),
    ),
    rejected(
        "rejected-body-150-kb",
        "a 150 KB body with a wrong currency: the rejection keeps the raw body, next to the input's copy",
        padded(doc(oid("rejected-body-150-kb"), currency="brl"), 150_000),
        {"currency"},
        key=oid("rejected-body-150-kb"),
    ),
    accepted(
        "accepted-100-items-240-kb",
        "a 240 KB body of 100 items: the outcome (100 items, twice) is added to an input that nearly fills a state",
        "3980.00",
        body=padded(doc(oid("accepted-100-items-240-kb"), items=many_items(100)), 240_000),
    ),
    rejected(
        "body-over-256-kib",
        "a valid order with a 300 KB ignored field: too large for an execution input",
        dumps(doc(oid("body-over-256-kib"), padding="x" * 300_000)),
        {"body"},
        key=oid("body-over-256-kib"),
    ),
    rejected(
        "body-escapes-over-256-kib",
        'a valid order of 148,256 bytes whose ignored field is quotes, each written \\" (2 bytes): carried as a'
        " JSON string, the body's escapes are escaped again (4 bytes), and the execution input is over 256 KiB",
        dumps(doc(oid("body-escapes-over-256-kib"), note='"' * 74_000)),
        {"body"},
        key=oid("body-escapes-over-256-kib"),
    ),
    # --- Unicode ---------------------------------------------------------------------------------------
    accepted(
        "name-emoji",
        "customer.name with emoji (astral plane)",
        BASE_TOTAL,
        doc(oid("name-emoji"), customer=customer(name=NAME_EMOJI)),
        stored={"customer.name": NAME_EMOJI},
    ),
    accepted(
        "name-rtl",
        "customer.name in Arabic script with a right-to-left override",
        BASE_TOTAL,
        doc(oid("name-rtl"), customer=customer(name=NAME_RTL)),
        stored={"customer.name": NAME_RTL},
    ),
    accepted(
        "name-zwj",
        "customer.name with zero-width joiners",
        BASE_TOTAL,
        doc(oid("name-zwj"), customer=customer(name=NAME_ZWJ)),
        stored={"customer.name": NAME_ZWJ},
    ),
    accepted(
        "name-200-emoji",
        "customer.name of 200 emoji: 200 characters, but 400 UTF-16 units",
        BASE_TOTAL,
        doc(oid("name-200-emoji"), customer=customer(name=NAME_ASTRAL_200)),
        stored={"customer.name": NAME_ASTRAL_200},
    ),
    rejected("orderid-accented", "orderId with an accented letter", dumps(doc("h-ordé-1")), {"orderId"}, key=None),
    rejected(
        "orderid-unicode-digits",
        "orderId of Arabic-Indic digits, which \\d matches",
        dumps(doc(ARABIC_INDIC_ID)),
        {"orderId"},
        key=None,
    ),
    # --- Strings that look like code ------------------------------------------------------------------
    *(
        accepted(
            f"inject-{label}-name-and-id",
            f"{text!r} as customer.name and customer.id: free text, stored verbatim",
            BASE_TOTAL,
            doc(oid(f"inject-{label}-name-and-id"), customer=customer(id=text, name=text)),
            stored={"customer.name": text, "customer.id": text},
        )
        for label, text in INJECTIONS.items()
    ),
    *(
        rejected_field(
            f"inject-{label}-sku", f"{text!r} as sku: outside the sku alphabet", {SKU}, items=[item(sku=text)]
        )
        for label, text in INJECTIONS.items()
    ),
    rejected(
        "orderid-intrinsic",
        "orderId States.Format('{}', $): would be an execution name",
        dumps(doc(INJECTIONS["intrinsic"])),
        {"orderId"},
        key=None,
    ),
    accepted(
        "jsonpath-keys-ignored",
        "unknown keys ending in .$, as ASL Parameters do, with paths and intrinsics as values",
        BASE_TOTAL,
        doc(oid("jsonpath-keys-ignored"), **{"orderKey.$": "$.orderId", "status.$": "States.Format('{}', $)"}),
    ),
    # --- Duplicate keys: Python's json keeps the last ------------------------------------------------
    accepted(
        "duplicate-orderid",
        'two "orderId" members: json.loads keeps the last, so the key is the last one',
        BASE_TOTAL,
        body=dumps(doc("h-duplicate-orderid-first"))[:-1] + ', "orderId": "h-duplicate-orderid-last"}',
        key="h-duplicate-orderid-last",
    ),
    rejected(
        "duplicate-quantity",
        'two "quantity" members, 2 then 0: the last (0) is the one judged',
        dumps(doc(oid("duplicate-quantity"))).replace('"quantity": 2', '"quantity": 2, "quantity": 0'),
        {QTY},
        key=oid("duplicate-quantity"),
    ),
    # --- Lookalikes and extra fields ------------------------------------------------------------------
    accepted("orderid-numeric-string", "orderId of digits only", BASE_TOTAL, doc("20261127"), key="20261127"),
    accepted(
        "orderid-like-a-message-key",
        "a valid orderId starting with msg-, the prefix of message keys",
        BASE_TOTAL,
        doc("msg-not-a-message-id"),
        key="msg-not-a-message-id",
    ),
    accepted(
        "extra-fields-everywhere",
        "unknown fields at the top level, in customer and in every item, some named like JS prototype keys",
        "40.10",
        doc(
            oid("extra-fields-everywhere"),
            customer=customer(vip=True, **{"__proto__": {"admin": True}}),
            items=[item(color="red", discount="100%"), item(sku="PEN-7", quantity=3, unitPrice=0.1, constructor=None)],
            coupon={"code": "FREE", "$where": "1 == 1"},
            notes=None,
            priority=[1, 2, 3],
        ),
    ),
    accepted(
        "record-fields-in-body",
        "the body names the record's own fields (status, total, reasons, orderKey): they must not leak into it",
        BASE_TOTAL,
        doc(oid("record-fields-in-body"), status="REJECTED", total="0.01", reasons=["forged"], orderKey="h-forged"),
        stored={"status": ACCEPTED, "total": BASE_TOTAL, "orderKey": oid("record-fields-in-body")},
    ),
]


# --- One run for the whole corpus ---------------------------------------------------------------


@dataclass
class Outcome:
    stack: EmulatedStack
    report: dict[str, Any]
    message_ids: dict[str, str]  # case name -> SQS message id
    records: dict[str, list[dict[str, Any]]]  # SQS message id -> its records (exactly one, if all is well)
    executions: dict[str, dict[str, Any]]  # execution name (the key) -> execution


@pytest.fixture(scope="module")
def outcome(assembly: Path) -> Iterator[Outcome]:
    with EmulatedStack(assembly, time_scale=0.0001) as stack:
        bodies = [case.body for case in CORPUS]
        progress = Progress(messages=len(bodies))
        sent = send_messages(stack, bodies)
        assert sent.refused == [], "every hostile body is one SQS accepts"
        ids = [id_ for id_ in sent.ids if id_ is not None]
        drain(stack, progress, lambda p: None, RUN_TIMEOUT_SECONDS)
        wait_for_executions(stack, progress, lambda p: None, RUN_TIMEOUT_SECONDS)
        report = build_report(stack, seconds=0.0)
        by_message: dict[str, list[dict[str, Any]]] = {}
        for record in report["records"]:
            by_message.setdefault(record.get("messageId", ""), []).append(record)
        yield Outcome(
            stack,
            report,
            message_ids={case.name: id_ for case, id_ in zip(CORPUS, ids, strict=True)},
            records=by_message,
            executions={e["name"]: e for e in report["executions"]},
        )


def table_item(stack: EmulatedStack, key: str) -> dict[str, Any]:
    item = stack.client("dynamodb").get_item(TableName=stack.resources.table_name, Key={"orderKey": {"S": key}})
    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in item.get("Item", {}).items()}


def at(document: dict[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        value = value[part]
    return value


def test_the_corpus_is_hostile_enough() -> None:
    names = [case.name for case in CORPUS]
    assert len(CORPUS) >= 30
    assert len(set(names)) == len(names), [n for n, c in Counter(names).items() if c > 1]
    keys = [case.key for case in CORPUS if case.key is not None]
    assert len(set(keys)) == len(keys), "two cases share a key: the second would be a duplicate delivery"
    assert all(case.why for case in CORPUS)
    assert {case.status for case in CORPUS} == {ACCEPTED, REJECTED}


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_each_message_reaches_its_outcome(outcome: Outcome, case: Case) -> None:
    message_id = outcome.message_ids[case.name]
    expected_key = case.key if case.key is not None else MSG + message_id
    found = outcome.records.get(message_id, [])
    execution = outcome.executions.get(expected_key, {})
    assert len(found) == 1, (
        f"{case.name} ({case.why}): expected one record, found {found}; its execution"
        f" {execution.get('status', 'not found')} {execution.get('error', '')} after {execution.get('states')}"
    )
    record = found[0]
    summary = {k: v for k, v in record.items() if k != "messageId"}
    context = f"{case.name} ({case.why}): got {summary}"
    assert record["orderId"] == expected_key, f"{context}; expected the key {expected_key}"
    assert record["status"] == case.status, context
    if case.status == ACCEPTED:
        assert record.get("total") == case.total, context
        assert record.get("currency") == "BRL", context
        assert "reasons" not in record, context
    else:
        assert "total" not in record, context
        reasons = record.get("reasons", [])
        paths = [reason.split(": ", 1)[0] for reason in reasons]
        assert all(": " in reason for reason in reasons), context
        assert len(paths) == len(set(paths)), f"{context}: one reason per field"
        assert set(paths) == case.fields, context
        if case.reasons is not None:
            assert tuple(reasons) == case.reasons, context


@pytest.mark.parametrize("case", [c for c in CORPUS if c.stored], ids=[c.name for c in CORPUS if c.stored])
def test_accepted_text_is_stored_verbatim(outcome: Outcome, case: Case) -> None:
    assert case.key is not None
    stored = table_item(outcome.stack, case.key)
    assert stored, f"{case.name}: no record under {case.key}"
    for path, value in case.stored.items():
        assert at(stored, path) == value, f"{case.name}: {path} stored as {at(stored, path)!r}, sent {value!r}"


# Rejections keep the raw body so an operator sees what was sent (README); small ones at least, whatever they hold.
KEPT_BODY_BYTES = 16 * 1024
SMALL_REJECTIONS = [c for c in CORPUS if c.status == REJECTED and len(c.body.encode("utf-8")) <= KEPT_BODY_BYTES]


@pytest.mark.parametrize("case", SMALL_REJECTIONS, ids=[c.name for c in SMALL_REJECTIONS])
def test_a_rejection_keeps_the_raw_body_verbatim(outcome: Outcome, case: Case) -> None:
    found = outcome.records.get(outcome.message_ids[case.name], [])
    assert len(found) == 1, f"{case.name}: {len(found)} records"
    stored = table_item(outcome.stack, found[0]["orderId"])  # whatever its key (checked above)
    assert stored.get("body") == case.body, f"{case.name}: the record keeps {stored.get('body')!r:.200}"


@pytest.mark.parametrize("name", ["body-over-256-kib", "body-escapes-over-256-kib"])
def test_the_oversize_body_is_rejected_with_the_size_measured_escapes_included(outcome: Outcome, name: str) -> None:
    case = next(c for c in CORPUS if c.name == name)
    message_id = outcome.message_ids[case.name]
    (record,) = outcome.records[message_id]
    (reason,) = record["reasons"]
    size = len(case.body.encode("utf-8"))
    carried = {"orderKey": case.key, "messageId": message_id, "bodyBytes": size, "body": case.body}
    input_bytes = len(json.dumps(carried, ensure_ascii=False).encode("utf-8"))
    assert input_bytes > MAX_EXECUTION_INPUT_BYTES
    assert reason.startswith(f"body: {size:,} bytes of text; "), reason
    assert (
        f"escapes included (a quote, backslash or control character takes 2 to 6 bytes), would be {input_bytes:,} bytes"
        in reason
    ), reason
    assert "Step Functions' 256 KiB input limit" in reason, reason


def test_every_message_has_exactly_one_record(outcome: Outcome) -> None:
    without = [name for name, id_ in outcome.message_ids.items() if len(outcome.records.get(id_, [])) != 1]
    assert without == [], f"messages without exactly one record (no outcome, or two): {without}"
    strangers = set(outcome.records) - set(outcome.message_ids.values())
    assert strangers == set(), f"records of messages never sent: {strangers}"
    records = outcome.report["records"]
    assert len(records) == len(CORPUS)
    assert len({r["orderId"] for r in records}) == len(records)


def test_one_notification_per_record(outcome: Outcome) -> None:
    records = Counter((r["orderId"], r["status"]) for r in outcome.report["records"])
    notified = Counter((n["orderId"], n["status"]) for n in outcome.report["notifications"])
    assert notified == records, f"not notified: {records - notified}; notified without a record: {notified - records}"


def test_no_dead_letters_and_every_execution_succeeded(outcome: Outcome) -> None:
    report = outcome.report
    assert report["deadLetters"] == []
    names = {id_: name for name, id_ in outcome.message_ids.items()}
    failed = [
        (
            names.get(next((r["messageId"] for r in report["records"] if r["orderId"] == e["name"]), ""), e["name"]),
            e["status"],
            e.get("error"),
        )
        for e in report["executions"]
        if e["status"] != "SUCCEEDED"
    ]
    assert failed == [], f"executions that did not succeed (case or key, status, error): {failed}"
    assert len(report["executions"]) == len(CORPUS)
    assert set(outcome.executions) == {r["orderId"] for r in report["records"]}
    assert report["summary"]["failed"] == 0
