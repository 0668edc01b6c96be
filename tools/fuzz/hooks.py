"""Schemathesis hooks for `npm run fuzz`, loaded through tools/fuzz/schemathesis.toml.

Phone numbers. openapi.yaml gives every phone number field a pattern, which is all a JSON Schema can
say about them. The service also asks libphonenumber whether the number fits its country's numbering
plan, and no pattern can say that: `+1 999 555 0100` matches, yet no such number exists. Numbers
drawn from the pattern are almost never real, so every "valid" case with one would be refused and
the fuzzer would barely ever get past validation.

So instead of narrowing a check, this hook narrows the generator by exactly what the pattern cannot
express: in a value that matches the pattern (and fits maxLength) it swaps the digits for those of a
real number (valid-phone-numbers.json, which a unit test checks against the service's own
normaliser), keeping where the generator put its spaces, dashes and parentheses. Everything else
about the case is left as drawn, and a value outside the pattern is not touched, so negative data
stays negative and the service must still refuse it. Numbers the pattern admits and libphonenumber
refuses are covered by the service's unit and e2e tests instead.
"""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path
from typing import Any

import schemathesis

# The pattern openapi.yaml gives typed phone numbers. Should the spec's change without this, drawn
# numbers stop being rewritten and the run fails on the first "valid" number refused: loudly.
PHONE_PATTERN = r"^\+[ ()-]*[1-9](?:[ ()-]*[0-9]){1,14}[ ()-]*$"
# fullmatch without the anchors: in Python `$` also matches before a final newline, in ECMA not.
_TYPED_PHONE = re.compile(PHONE_PATTERN[1:-1])
_MAX_LENGTH = 32
_DIGIT = re.compile(r"[0-9]")

_NUMBERS: list[str] = json.loads((Path(__file__).parent / "valid-phone-numbers.json").read_text())["numbers"]
_BY_DIGITS: dict[int, list[str]] = {}
for _number in _NUMBERS:
    _BY_DIGITS.setdefault(len(_number) - 1, []).append(_number)


def _real_number_like(typed: str) -> str:
    """`typed` with the digits of a real number, the one with the nearest count of digits."""
    slots = _DIGIT.split(typed[1:])  # the separators before, between and after the digits
    nearest = min(_BY_DIGITS, key=lambda count: (abs(count - (len(slots) - 1)), count))
    candidates = _BY_DIGITS[nearest]
    digits = candidates[zlib.crc32(typed.encode()) % len(candidates)][1:]
    inner = slots[1:-1]
    parts = ["+", slots[0]]
    for index, digit in enumerate(digits):
        parts.append(digit)
        if index < len(digits) - 1 and index < len(inner):
            parts.append(inner[index])
    parts.append(slots[-1])
    result = "".join(parts)
    # More digits than were drawn can overflow maxLength: drop separators from the end until it fits.
    while len(result) > _MAX_LENGTH:
        last = max(index for index, char in enumerate(result) if char in " ()-")
        result = result[:last] + result[last + 1 :]
    return result


def _retyped(value: Any) -> Any:
    if isinstance(value, str) and len(value) <= _MAX_LENGTH and _TYPED_PHONE.fullmatch(value):
        return _real_number_like(value)
    return value


def _resolve(schema: Any, root: dict[str, Any]) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        node: Any = root
        for key in schema["$ref"].lstrip("#/").split("/"):
            node = node[key]
        schema = node
    return schema


def _phone_fields(case: schemathesis.Case) -> tuple[set[str], set[str]]:
    """The body's phone number fields by the operation's schema: single values, and arrays of them."""
    root = case.operation.schema.raw_schema
    body = _resolve(case.operation.definition.raw.get("requestBody"), root) or {}
    schema = _resolve(body.get("content", {}).get("application/json", {}).get("schema"), root) or {}
    single, arrays = set(), set()
    for name, prop in (_resolve(schema.get("properties"), root) or {}).items():
        prop = _resolve(prop, root)
        if prop.get("pattern") == PHONE_PATTERN:
            single.add(name)
        elif (_resolve(prop.get("items"), root) or {}).get("pattern") == PHONE_PATTERN:
            arrays.add(name)
    return single, arrays


@schemathesis.hook
def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    if not isinstance(case.body, dict):
        return case
    single, arrays = _phone_fields(case)
    for name in single & case.body.keys():
        case.body[name] = _retyped(case.body[name])
    for name in arrays & case.body.keys():
        if isinstance(case.body[name], list):
            case.body[name] = [_retyped(item) for item in case.body[name]]
    return case
