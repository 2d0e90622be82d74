"""DynamoDB's typed JSON (the AttributeValue form) of a JSON value, exactly as boto3's TypeSerializer writes it.

Here so that ValidateOrder need not import boto3, most of its cold start, only to shape the record the state
machine writes; `tests/unit/test_typed_json.py` holds it equal to TypeSerializer.
"""

from __future__ import annotations

from typing import Any

# TypeSerializer writes a number through its own decimal context (boto3.dynamodb.types.DYNAMODB_CONTEXT: precision
# 38, trapping Rounded), so an integer of more than 38 digits raises there instead of being rounded: refused here
# alike. The 38 is DynamoDB's ("Numbers can have up to 38 digits of precision", "Supported data types and naming
# rules in Amazon DynamoDB": https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html).
MAX_NUMBER_DIGITS = 38


def attribute_value(value: object) -> dict[str, Any]:
    """`{"S": ...}`, `{"N": ...}`, `{"BOOL": ...}`, `{"NULL": True}`, `{"M": ...}` or `{"L": ...}`. A float is
    refused, as TypeSerializer refuses it (money is text here), and so is an integer of more than 38 digits."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        digits = str(value)
        if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
            raise ValueError(f"a DynamoDB number has at most {MAX_NUMBER_DIGITS} digits: {digits}")
        return {"N": digits}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, dict):
        return {"M": {name: attribute_value(member) for name, member in value.items()}}
    if isinstance(value, list):
        return {"L": [attribute_value(member) for member in value]}
    raise TypeError(f"not a JSON value DynamoDB's typed JSON is written for: {type(value).__name__}")
