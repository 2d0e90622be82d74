# mypy: disable-error-code="method-assign,assignment"
# (This module assigns to moto's classes on purpose: that is what a patch is.)
"""Definitions: each state machine definition parsed once.

moto parses a definition (ANTLR: about 0.13 s of CPU for this stack's) when the state machine is created, to
validate it, and drops what it built; the first execution then parses the same text again (`speed.stepfunctions`
keeps the program from there on). `AmazonStateLanguageParser.parse` keeps what it returns for each definition
text, so creating the state machine parses it for its executions too. A definition that does not parse keeps
nothing: it raises the same error every time.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

# Kept to check, in tests, that what is replaced still has the shape the replacements assume.
_original_parse = AmazonStateLanguageParser.parse

_parsed: dict[str, tuple[Any, Any]] = {}
_lock = threading.Lock()


def _parse_once(definition: str) -> tuple[Any, Any]:
    if definition not in _parsed:
        parsed = _original_parse(definition)
        with _lock:
            _parsed.setdefault(definition, parsed)
    return _parsed[definition]


def install() -> None:
    AmazonStateLanguageParser.parse = staticmethod(_parse_once)
