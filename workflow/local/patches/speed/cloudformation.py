# mypy: disable-error-code="method-assign,assignment"
# (This module assigns to moto's classes on purpose: that is what a patch is.)
"""CloudFormation: a JSON template read as JSON.

moto reads every template body with PyYAML's pure-Python loader (YAML being a superset of JSON) and falls
back to JSON only when that fails; the synthesized template is JSON, and PyYAML takes about 0.2 s over it.
A body that is a JSON object is read with `json.loads`, as CloudFormation reads a JSON template; any other
body (a YAML template) still goes to moto's reader.
"""

from __future__ import annotations

import json
from typing import Any

from moto.cloudformation import models as cloudformation_models

# Kept to check, in tests, that what is replaced still has the shape the replacements assume.
_original_parse_template = cloudformation_models.Stack.parse_template


def _parse_template(template: str) -> dict[str, Any]:
    if template.lstrip().startswith("{"):
        try:
            parsed = json.loads(template)
        except ValueError:
            pass
        else:
            if isinstance(parsed, dict):
                return parsed
    return _original_parse_template(template)


def install() -> None:
    cloudformation_models.Stack.parse_template = staticmethod(_parse_template)
