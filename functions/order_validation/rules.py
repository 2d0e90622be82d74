"""The order contract: what a valid order body is, and why an invalid one is rejected.

Pure: no I/O, no AWS. `validate_body` never raises, whatever text it is given: an exception would fail
the workflow's execution instead of recording a rejection that tells the sender what to fix.

The wire shape is declared once, as strict pydantic models (strict because the contract is: "2" is not a
quantity, `true` is not a price). Pydantic's errors are then translated through one table, `_RULES`,
into one reason per broken field rule, so the wording a customer reads lives in a single place.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from order_contract.body import ORDER_ID_PATTERN, parse_body

SKU_PATTERN: str = r"^[A-Za-z0-9_.-]{1,64}$"
CURRENCY_PATTERN: str = r"^[A-Z]{3}$"
# An e-mail address is checked for plausibility only (local@domain.tld, every character visible):
# deliverability is the mail system's business, and RFC 5322's full grammar is no customer's address.
# Not plausible: a control, format (zero-width, bidi, BOM, tag), private use or unassigned character, or
# any space or line separator, Unicode's included (general categories C* and Z*)...
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
# ...or one of RFC 5322's specials besides "@" and ".", which outside quotes make the text something
# other than one bare address: a list (","), a display name ("<>"), a comment ("()"), a quoted local
# part, a domain literal ("[]"), a group (":" ";").
EMAIL_SPECIALS = '()<>[]:;,\\"'
# A price written as a string is a plain decimal: ASCII digits, at most 2 decimals, no sign, exponent,
# spaces or "Infinity", so a string price means exactly what it says.
PRICE_TEXT_PATTERN: str = r"[0-9]+(?:\.[0-9]{1,2})?"

MAX_CUSTOMER_ID_LENGTH = 64
MAX_EMAIL_LENGTH = 254  # the SMTP limit for a forward path
MAX_NAME_LENGTH = 200
MIN_ITEMS = 1
MAX_ITEMS = 100
MIN_QUANTITY = 1
MAX_QUANTITY = 1000
MAX_UNIT_PRICE = Decimal("1000000")
PRICE_DECIMAL_PLACES = 2
CENT = Decimal("0.01")

BODY_PATH = "body"

# One message per field rule, keyed by the field's path with list indexes written as "[]". A missing
# required field says "is required" instead; anything else wrong with a field gets its rule.
_RULES: dict[str, str] = {
    "orderId": "must be 1-64 characters of A-Z a-z 0-9 _ -",
    "customer": "must be an object",
    "customer.id": f"must be 1-{MAX_CUSTOMER_ID_LENGTH} characters, not blank",
    "customer.email": (
        f"must be one email address like ana@example.com, at most {MAX_EMAIL_LENGTH} characters,"
        f" with no spaces, invisible characters or any of {' '.join(EMAIL_SPECIALS)}"
    ),
    "customer.name": f"must be text of at most {MAX_NAME_LENGTH} characters",
    "items": f"must be a list of {MIN_ITEMS} to {MAX_ITEMS} items",
    "items[]": "must be an object",
    "items[].sku": "must be 1-64 characters of A-Z a-z 0-9 _ . -",
    "items[].quantity": f"must be an integer from {MIN_QUANTITY} to {MAX_QUANTITY}",
    "items[].unitPrice": (
        f"must be a number or decimal string greater than 0 and at most {MAX_UNIT_PRICE},"
        f" with at most {PRICE_DECIMAL_PLACES} decimal places"
    ),
    "currency": "must be three upper-case letters",
    "createdAt": "must be an RFC 3339 timestamp with a time zone, like 2026-11-27T10:00:00Z",
}
_REQUIRED = "is required"
NOT_JSON_REASON = f"{BODY_PATH}: not valid JSON"
NOT_OBJECT_REASON = f"{BODY_PATH}: must be a JSON object"

_PRICE_TEXT = re.compile(PRICE_TEXT_PATTERN)
# RFC 3339 date-time; `T`/`Z` may be lower case there. Leap seconds (:60) do not fit a datetime and are
# rejected; fractions beyond microseconds are truncated by `fromisoformat`.
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
    r"(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)
# Money arithmetic runs in its own context so a caller's decimal settings can never round a total.
_MONEY = Context(prec=28, rounding=ROUND_HALF_EVEN)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("blank")  # the text is replaced by the field's rule
    return value


def _plausible_email(value: str) -> str:
    """One `@` between a local part and a domain of two or more dot-separated labels, all visible."""
    local, _, domain = value.rpartition("@")
    plausible = (
        bool(local)
        and "@" not in local
        and "." in domain
        and all(domain.split("."))  # no empty label: no leading, trailing or doubled dot
        and not any(c in EMAIL_SPECIALS or unicodedata.category(c) in _INVISIBLE_CATEGORIES for c in value)
    )
    if not plausible:
        raise ValueError("not a plausible address")  # the text is replaced by the field's rule
    return value


def _price(value: object) -> object:
    """Turns the accepted spellings of a price into a Decimal; the Decimal constraints do the rest.

    A float is refused: its exact value is already lost, and `parse_body` never produces one.
    """
    if isinstance(value, str):
        return Decimal(value) if _PRICE_TEXT.fullmatch(value) else value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value  # a Decimal passes on; anything else fails the strict Decimal check


def _timestamp(value: object) -> object:
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("not RFC 3339")
    try:
        return datetime.fromisoformat(value.upper()).astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise ValueError("out of range") from exc


def _text(pattern: str | None = None, max_length: int | None = None) -> StringConstraints:
    return StringConstraints(pattern=pattern, max_length=max_length)


class _Strict(BaseModel):
    # Unknown fields are ignored so senders can add data without breaking the contract.
    model_config = ConfigDict(strict=True, extra="ignore")


class _CustomerIn(_Strict):
    id: Annotated[str, _text(max_length=MAX_CUSTOMER_ID_LENGTH), AfterValidator(_not_blank)]
    email: Annotated[str, _text(max_length=MAX_EMAIL_LENGTH), AfterValidator(_plausible_email)]
    name: Annotated[str, _text(max_length=MAX_NAME_LENGTH)] | None = None


class _LineItemIn(_Strict):
    sku: Annotated[str, _text(SKU_PATTERN)]
    quantity: Annotated[int, Field(ge=MIN_QUANTITY, le=MAX_QUANTITY)]
    unit_price: Annotated[
        Decimal,
        BeforeValidator(_price),
        # Decimal places of a number count by value (1.100 is 1.10); a string must be written plainly.
        Field(gt=0, le=MAX_UNIT_PRICE, decimal_places=PRICE_DECIMAL_PLACES, allow_inf_nan=False),
    ] = Field(alias="unitPrice")


class _OrderIn(_Strict):
    # Field order is the order reasons are reported in (pydantic validates fields as declared).
    order_id: Annotated[str, _text(ORDER_ID_PATTERN)] = Field(alias="orderId")
    customer: _CustomerIn
    items: Annotated[list[_LineItemIn], Field(min_length=MIN_ITEMS, max_length=MAX_ITEMS)]
    currency: Annotated[str, _text(CURRENCY_PATTERN)]
    created_at: Annotated[datetime, BeforeValidator(_timestamp)] | None = Field(None, alias="createdAt")


@dataclass(frozen=True)
class Customer:
    id: str
    email: str
    name: str | None


@dataclass(frozen=True)
class LineItem:
    sku: str
    quantity: int
    unit_price: Decimal  # exactly 2 places, e.g. Decimal("0.10")
    line_total: Decimal  # quantity x unit_price, exactly 2 places


@dataclass(frozen=True)
class AcceptedOrder:
    order_id: str
    customer: Customer
    items: tuple[LineItem, ...]
    currency: str
    created_at: datetime | None  # aware, in UTC
    total: Decimal  # sum of line totals, exactly 2 places


@dataclass(frozen=True)
class Rejection:
    reasons: tuple[str, ...]  # each "<field path>: <rule>", in document order


def _path(location: tuple[int | str, ...], any_index: bool = False) -> str:
    """("items", 3, "sku") -> "items[3].sku", or "items[].sku" (a `_RULES` key) with any_index."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += "[]" if any_index else f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _reasons(error: ValidationError) -> tuple[str, ...]:
    reasons: dict[str, str] = {}  # by path: one reason per field, in pydantic's (declaration) order
    for detail in error.errors(include_url=False, include_context=False, include_input=False):
        path = _path(detail["loc"])
        if detail["type"] == "missing":
            message = _REQUIRED
        else:  # every field has a rule; "is invalid" would only show a field added without one
            message = _RULES.get(_path(detail["loc"], any_index=True), "is invalid")
        reasons.setdefault(path, f"{path}: {message}")
    return tuple(reasons.values())


def _accept(order: _OrderIn) -> AcceptedOrder:
    with localcontext(_MONEY):
        items = tuple(
            LineItem(
                sku=item.sku,
                quantity=item.quantity,
                unit_price=item.unit_price.quantize(CENT),
                line_total=(item.quantity * item.unit_price).quantize(CENT),
            )
            for item in order.items
        )
        total = sum((item.line_total for item in items), Decimal(0)).quantize(CENT)
    customer = Customer(id=order.customer.id, email=order.customer.email, name=order.customer.name)
    return AcceptedOrder(
        order_id=order.order_id,
        customer=customer,
        items=items,
        currency=order.currency,
        created_at=order.created_at,
        total=total,
    )


def validate_order(document: object) -> AcceptedOrder | Rejection:
    """Checks a parsed body (any JSON value, as `parse_body` returns it) against the contract.

    Reports every broken rule at once, in document order, so a sender can fix an order in one round.
    """
    if not isinstance(document, dict):
        return Rejection((NOT_OBJECT_REASON,))
    try:
        order = _OrderIn.model_validate(document)
    except ValidationError as error:
        return Rejection(_reasons(error))
    return _accept(order)


def validate_body(body: str) -> AcceptedOrder | Rejection:
    """Checks the text of an SQS message body; never raises."""
    try:
        document = parse_body(body)
    except ValueError:
        return Rejection((NOT_JSON_REASON,))
    return validate_order(document)
