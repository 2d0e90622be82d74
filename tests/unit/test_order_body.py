"""`parse_body` reads every JSON text RFC 8259 allows, whatever numbers it holds.

RFC 8259, section 6, gives a number a grammar and no range ("This specification allows implementations
to set limits on the range and precision of numbers accepted"), and the contract (section 1) says a field
it does not read is ignored, "a number too large for any type in an ignored field" included. So a number
beyond what Python holds (`1e99999999999999999999`: past Decimal's exponent range; an integer of more
than 4300 digits: past `int`'s conversion limit) must leave the body JSON: ignored where the contract
ignores it, the field's own rule where the contract reads it. What the grammar excludes (NaN, Infinity,
a leading `+` or zero, a bare `.5`) is not JSON.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from order_contract.body import parse_body
from order_validation.rules import AcceptedOrder, Rejection, validate_body
from tests.unit.test_validation_rules import CONTRACT_EXAMPLE, NOT_JSON, Location, body_with, reason

digits = st.text(alphabet="0123456789", min_size=1, max_size=30)


@st.composite
def json_numbers(draw: st.DrawFn) -> str:
    """Number texts of RFC 8259's grammar, reaching past what Decimal and int can hold."""
    sign = draw(st.sampled_from(["", "-"]))
    integer = draw(
        st.one_of(
            st.just("0"),
            st.builds(lambda first, rest: first + rest, st.sampled_from("123456789"), digits | st.just("")),
            # int() refuses more than 4300 digits (sys.get_int_max_str_digits)
            st.integers(4290, 4400).map(lambda n: "7" * n),
        )
    )
    fraction = draw(st.one_of(st.just(""), digits.map(lambda d: "." + d)))
    exponent = draw(
        st.one_of(
            st.just(""),
            st.builds(
                lambda e, s, d: e + s + d,
                st.sampled_from("eE"),
                st.sampled_from(["", "+", "-"]),
                # Decimal holds exponents up to 999999999999999999: 17 to 25 digits cross that line
                digits | st.integers(17, 25).map(lambda n: "9" * n),
            ),
        )
    )
    return sign + integer + fraction + exponent


def representable(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


@settings(max_examples=300)
@given(json_numbers())
def test_a_number_in_an_ignored_field_never_changes_the_outcome(number: str) -> None:
    assert json.loads(f"[{number}]", parse_float=str, parse_int=str) == [number]  # it is JSON, as generated
    body = CONTRACT_EXAMPLE[:-1] + f', "note": {number}, "extra": {{"deep": [{number}]}}}}'
    assert validate_body(body) == validate_body(CONTRACT_EXAMPLE)


@settings(max_examples=300)
@given(json_numbers(), st.sampled_from([("items", 1, "quantity"), ("items", 1, "unitPrice"), ("orderId",)]))
def test_a_number_in_a_field_the_contract_reads_gets_that_fields_rule(number: str, location: Location) -> None:
    result = validate_body(body_with(location, number))
    assert isinstance(result, AcceptedOrder) or result == Rejection((reason(location),)), result


@settings(max_examples=300)
@given(json_numbers())
def test_a_number_keeps_its_exact_value_where_decimal_can_hold_it(number: str) -> None:
    parsed = parse_body(f"[{number}]")
    assert isinstance(parsed, list)
    (value,) = parsed
    if representable(number):
        assert value == Decimal(number)
        # Python reads an integer of at most 4300 digits, its sign not counted (sys.int_info.default_max_str_digits).
        digits = number.lstrip("-")
        assert isinstance(value, int) == (digits.isdigit() and len(digits) <= 4300)


@pytest.mark.parametrize(
    ("number", "value"),
    [
        ("-0", 0),
        ("-0.0", Decimal("-0.0")),
        ("1e400", Decimal("1e400")),
        ("9" * 5000, Decimal("9" * 5000)),
        ("-" + "9" * 5000, Decimal("-" + "9" * 5000)),
        ("1E-400", Decimal("1E-400")),
    ],
)
def test_numbers_python_reads_specially_keep_their_value(number: str, value: object) -> None:
    assert parse_body(f'{{"n": {number}}}') == {"n": value}


@pytest.mark.parametrize(
    "number",
    ["1e99999999999999999999999999", "-1E+1000000000000000000", "0.5e-99999999999999999999", "0e9999999999999999999"],
)
def test_a_number_past_decimals_range_is_still_json(number: str) -> None:
    assert validate_body(CONTRACT_EXAMPLE[:-1] + f', "huge": {number}}}') == validate_body(CONTRACT_EXAMPLE)
    assert validate_body(body_with(("items", 1, "unitPrice"), number)) == Rejection(
        (reason(("items", 1, "unitPrice")),)
    )
    assert validate_body(body_with(("items", 1, "quantity"), number)) == Rejection((reason(("items", 1, "quantity")),))


@pytest.mark.parametrize(
    "text", ["NaN", "Infinity", "-Infinity", "+1", "01", ".5", "1.", "1e", "0x10", "1_000", "--1", "\u0661"]
)
def test_what_rfc_8259s_grammar_excludes_is_not_json(text: str) -> None:
    assert validate_body(CONTRACT_EXAMPLE[:-1] + f', "x": {text}}}') == Rejection(NOT_JSON)
    with pytest.raises(ValueError):
        parse_body(f"[{text}]")
