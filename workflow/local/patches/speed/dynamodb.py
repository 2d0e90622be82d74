# mypy: disable-error-code="method-assign"
# (This module assigns to moto's classes on purpose: that is what a patch is.)
"""DynamoDB: moto parses a condition expression twice per write; each parsed expression is kept."""

from __future__ import annotations

import json
from typing import Any

from moto.dynamodb.comparisons import ConditionExpressionParser

_original_condition_parse = ConditionExpressionParser.parse

_parsed_conditions: dict[tuple[Any, str, str], tuple[Any, list[str], list[str]]] = {}


def _parse_condition(self: ConditionExpressionParser) -> Any:
    """moto parses a PutItem's condition twice (to validate it, then to apply it), and again for every item.

    The tree depends only on the expression and its names and values, and evaluating it reads the item
    without changing the tree, so it is kept, with the names and values the parse found.
    """
    try:
        key = (
            self.condition_expression,
            json.dumps(self.expression_attribute_names, sort_keys=True),
            json.dumps(self.expression_attribute_values, sort_keys=True),
        )
    except TypeError:  # a value JSON cannot spell (bytes): not worth keeping
        return _original_condition_parse(self)
    if key not in _parsed_conditions:
        tree = _original_condition_parse(self)  # an invalid expression raises here, and is not kept
        if len(_parsed_conditions) > 4096:
            _parsed_conditions.clear()
        _parsed_conditions[key] = (tree, list(self.expr_attr_names_found), list(self.expr_attr_values_found))
        return tree
    tree, names, values = _parsed_conditions[key]
    self.expr_attr_names_found.extend(names)
    self.expr_attr_values_found.extend(values)
    return tree


def install() -> None:
    ConditionExpressionParser.parse = _parse_condition
