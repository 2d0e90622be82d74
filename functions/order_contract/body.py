"""Reading a message body as JSON, exactly: the one parser the starter and the validator share."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

ORDER_ID_PATTERN: str = r"^[A-Za-z0-9_-]{1,64}$"

# Extra fields are ignored, never an error, however deeply nested; the JSON parser recurses once per
# level, so the interpreter's recursion limit must leave room for such nesting.
JSON_NESTING_ALLOWANCE = 2000
sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000 + JSON_NESTING_ALLOWANCE))

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class UnrepresentableNumber:
    """A JSON number no Python type holds: its exponent is past Decimal's range (`1e99999999999999999999`).

    RFC 8259 (section 6) gives numbers a grammar and no range, so the body is still JSON: a field the
    contract ignores may hold one, and a field it reads refuses it as it refuses any other type.
    """

    text: str


def _no_constant(name: str) -> object:
    # NaN and Infinity are outside RFC 8259's grammar: Python's json accepts them, JSON does not.
    raise ValueError(f"{name} is not JSON")


def _parse_number(text: str) -> Decimal | UnrepresentableNumber:
    try:
        return Decimal(text)
    except InvalidOperation:
        return UnrepresentableNumber(text)


def _parse_int(text: str) -> int | Decimal | UnrepresentableNumber:
    # Python refuses to convert integers of more than 4300 digits; such a number in an ignored field
    # must not make the whole body unreadable, and as a Decimal it still fails any integer rule.
    try:
        return int(text)
    except ValueError:
        return _parse_number(text)


def _has_lone_surrogate(document: object) -> bool:
    """Whether any string holds half a UTF-16 pair (`"\\ud800"`), which no UTF-8 text can carry.

    Iterative, because the document may be nested as deep as the JSON parser allows.
    """
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if _LONE_SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def parse_body(body: str) -> object:
    """Parses an order body with exact numbers: fractions become Decimal, integers int (Decimal past
    4300 digits), and a number beyond Decimal's range an `UnrepresentableNumber`.

    Raises ValueError for anything that is not valid JSON text, including NaN/Infinity, lone
    surrogates and nesting too deep to parse.
    """
    try:
        document = json.loads(body, parse_float=_parse_number, parse_int=_parse_int, parse_constant=_no_constant)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc
    if _has_lone_surrogate(document):
        raise ValueError("lone surrogate in a string")
    return document
