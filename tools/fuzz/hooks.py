"""Schemathesis hooks for `npm run fuzz`, loaded through tools/fuzz/schemathesis.toml.

They teach the generator the few rules of the contract that a JSON Schema cannot state, so that data
the schema calls valid really is valid. They never touch a value that breaks the schema: negative
data stays negative, and the service must still refuse it. No check is switched off here.

Phone numbers. openapi.yaml gives every phone number a pattern, which is all a JSON Schema can say.
The service also asks libphonenumber whether the number fits its country's numbering plan, and no
pattern can say that: `+1 999 555 0100` matches, yet no such number exists. Numbers drawn from the
pattern are almost never real, so nearly every "valid" case with one would be refused. In a value
that matches the pattern (and fits maxLength) this swaps the digits for those of a real number
(valid-phone-numbers.json, which a unit test checks against the service's own normaliser), keeping
where the generator put its spaces, dashes and parentheses. Numbers that the pattern admits and
libphonenumber refuses are covered by the service's unit and e2e tests instead.

Calls page cursors. The pattern says a cursor is the canonical base64url of 20 bytes. The first 8
are a time in milliseconds, which the service refuses beyond the range of a JavaScript Date
(±8.64e15), a bound no pattern can state. A cursor that matches gets its top 12 bits cleared, which
keeps it well-formed and puts its time in range.

Time ranges. A list of calls may be narrowed to `since` and `until`, and `until` may not be before
`since`: a rule between two parameters, which a schema cannot state. When both are valid date-times
in the wrong order, they are swapped.

Report times. A report on a call (PATCH /api/calls/{id}) may not carry a time before the call
started, nor one more than a minute ahead of the server's clock: rules about the stored call and
the clock, which no schema can state. Drawn times are almost all outside that window, and nearly
every report would be refused with the documented 422. So valid `answerTime` and `endTime` values become "a moment ago" (the answer two seconds, the end one
second). The many spellings of a date-time are still drawn for GET /api/calls, whose `since` and
`until` are left as drawn, and the parser has unit tests of its own.

Webhook URLs. A webhook endpoint's URL must not resolve to a loopback, private or metadata address
(SSRF), and must be https:// unless WEBHOOK_ALLOW_HTTP is on: rules about DNS and the settings, which no
pattern can state (`https://0` matches, and is 0.0.0.0). A URL that matches gets the host `hooks.invalid`
and the scheme https://, in place of its whole authority (a drawn port or user name would be refused), keeping its path and query: the `.invalid` top-level domain never resolves
(RFC 2606), so the service accepts it (it checks again at every send) and its deliveries fail at once,
at no cost. Refused URLs are the e2e tests' job (test/webhooks.e2e-spec.ts).

Sinch callbacks. The callback operation takes no bearer token: Sinch signs each request over its
method, body, Content-Type, x-timestamp and path, and an unsigned one is refused with 401 before its
body is read. Unsigned, the fuzzer would never get past that door, so every callback is signed as
Sinch would sign it, with the test application's secret. Unsigned and badly signed callbacks are
the e2e tests' job (test/sinch-webhook.e2e-spec.ts).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

import schemathesis

# The patterns openapi.yaml gives typed phone numbers: in bodies, and in a query string, where an
# unencoded `+` arrives as a space. Should the spec's change without these, drawn numbers stop being
# rewritten and the run fails on the first "valid" number refused: loudly.
PHONE_PATTERN = r"^\+[ ()-]*[1-9](?:[ ()-]*[0-9]){1,14}[ ()-]*$"
QUERY_PHONE_PATTERN = r"^(?:\+[ ()-]*| )[1-9](?:[ ()-]*[0-9]){1,14}[ ()-]*$"
TIME_ID_CURSOR_PATTERN = r"^[A-Za-z0-9_-]{26}[AEIMQUYcgkosw048]$"
WEBHOOK_URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?:\/\/[^\s/?#\u0000]+([/?][^\s#\u0000]*)?$"
CALLBACK_OPERATION = "handleProviderCallback"
REPORT_OPERATION = "updateCall"
STATS_OPERATION = "callStats"
# The statistics' longest range, which a schema cannot state (see CallStatsQueryDto).
_MAX_STATS_RANGE = timedelta(days=366)
# openapi.yaml's pattern for an IANA time-zone name; a drawn name that fits it is rarely a zone that
# exists, so it is replaced by a real one (as drawn phone numbers are by real numbers).
TIME_ZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$"
_REAL_TIME_ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe", "America/St_Johns"]

_MAX_PHONE_LENGTH = 32
_MAX_URL_LENGTH = 2048
# What `\s` means in the service's (ECMAScript) patterns; Python's also takes \x1c-\x1f and \x85.
_ECMA_SPACE = "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_DIGIT = re.compile(r"[0-9]")
_SEPARATORS = " ()-"
_BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

_NUMBERS: list[str] = json.loads((Path(__file__).parent / "valid-phone-numbers.json").read_text())["numbers"]
_BY_DIGITS: dict[int, list[str]] = {}
for _number in _NUMBERS:
    _BY_DIGITS.setdefault(len(_number) - 1, []).append(_number)


def _matches(pattern: str, value: Any) -> bool:
    # fullmatch without the anchors: in Python `$` also matches before a final newline, in ECMA not.
    return isinstance(value, str) and re.fullmatch(pattern[1:-1], value) is not None


def _real_number_like(typed: str) -> str:
    """`typed` with the digits of a real number, the one with the nearest count of digits."""
    prefix, rest = typed[0], typed[1:]
    slots = _DIGIT.split(rest)  # the separators before, between and after the digits
    nearest = min(_BY_DIGITS, key=lambda count: (abs(count - (len(slots) - 1)), count))
    candidates = _BY_DIGITS[nearest]
    digits = candidates[zlib.crc32(typed.encode()) % len(candidates)][1:]
    inner = slots[1:-1]
    parts = [prefix, slots[0]]
    for index, digit in enumerate(digits):
        parts.append(digit)
        if index < len(digits) - 1 and index < len(inner):
            parts.append(inner[index])
    parts.append(slots[-1])
    result = "".join(parts)
    # More digits than were drawn can overflow maxLength: drop separators from the end until it fits.
    while len(result) > _MAX_PHONE_LENGTH:
        last = max(index for index, char in enumerate(result) if index > 0 and char in _SEPARATORS)
        result = result[:last] + result[last + 1 :]
    return result


def _retyped(pattern: str, value: Any) -> Any:
    if isinstance(value, str) and len(value) <= _MAX_PHONE_LENGTH and _matches(pattern, value):
        return _real_number_like(value)
    return value


def _in_range_cursor(value: Any) -> Any:
    if not _matches(TIME_ID_CURSOR_PATTERN, value):
        return value
    # Two characters are twelve bits: the sign and the highest bits of the time.
    return "AA" + value[2:]


def _resolve(schema: Any, root: dict[str, Any]) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        node: Any = root
        for key in schema["$ref"].lstrip("#/").split("/"):
            node = node[key]
        schema = node
    return schema


def _body_fields(case: schemathesis.Case) -> dict[str, tuple[str, bool]]:
    """Body properties with a pattern: name -> (pattern, whether the property is an array of such values)."""
    root = case.operation.schema.raw_schema
    body = _resolve(case.operation.definition.raw.get("requestBody"), root) or {}
    schema = _resolve(body.get("content", {}).get("application/json", {}).get("schema"), root) or {}
    fields = {}
    for name, prop in (_resolve(schema.get("properties"), root) or {}).items():
        prop = _resolve(prop, root) or {}
        items = _resolve(prop.get("items"), root) or {}
        if "pattern" in prop:
            fields[name] = (prop["pattern"], False)
        elif "pattern" in items:
            fields[name] = (items["pattern"], True)
    return fields


def _query_fields(case: schemathesis.Case) -> dict[str, str]:
    root = case.operation.schema.raw_schema
    fields = {}
    for parameter in case.operation.definition.raw.get("parameters", []):
        parameter = _resolve(parameter, root)
        pattern = (_resolve(parameter.get("schema"), root) or {}).get("pattern")
        if parameter.get("in") == "query" and pattern:
            fields[parameter["name"]] = pattern
    return fields


def _rewrite(pattern: str, value: Any) -> Any:
    if pattern in (PHONE_PATTERN, QUERY_PHONE_PATTERN):
        return _retyped(pattern, value)
    if pattern == TIME_ID_CURSOR_PATTERN:
        return _in_range_cursor(value)
    if pattern == WEBHOOK_URL_PATTERN and _matches(pattern.replace("\\s", _ECMA_SPACE), value):
        # The whole authority goes (a port or user name drawn with it could be refused); the length stays in bounds.
        return re.sub(f"^[Hh][Tt][Tt][Pp][Ss]?://[^{_ECMA_SPACE}/?#]+", "https://hooks.invalid", value)[:_MAX_URL_LENGTH]
    return value


@schemathesis.hook
def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    if isinstance(case.body, dict):
        if case.operation.definition.raw.get("operationId") == REPORT_OPERATION:
            now = datetime.now(timezone.utc)
            for name, seconds_ago in (("answerTime", 2), ("endTime", 1)):
                if _instant(case.body.get(name)):
                    case.body[name] = (now - timedelta(seconds=seconds_ago)).isoformat(timespec="milliseconds")
        for name, (pattern, is_array) in _body_fields(case).items():
            if name not in case.body:
                continue
            if is_array and isinstance(case.body[name], list):
                case.body[name] = [_rewrite(pattern, item) for item in case.body[name]]
            elif not is_array:
                case.body[name] = _rewrite(pattern, case.body[name])
    if isinstance(case.query, dict):
        for name, pattern in _query_fields(case).items():
            if name in case.query:
                case.query[name] = _rewrite(pattern, case.query[name])
        since, until = _instant(case.query.get("since")), _instant(case.query.get("until"))
        if since and until and until < since:
            case.query["since"], case.query["until"] = case.query["until"], case.query["since"]
            since, until = until, since
        zone = case.query.get("timeZone")
        if isinstance(zone, str) and re.match(TIME_ZONE_PATTERN, zone) and zone not in _REAL_TIME_ZONES:
            case.query["timeZone"] = _REAL_TIME_ZONES[zlib.crc32(zone.encode()) % len(_REAL_TIME_ZONES)]
        if case.operation.definition.raw.get("operationId") == STATS_OPERATION and since and until and until - since > _MAX_STATS_RANGE:
            case.query["since"] = (until - _MAX_STATS_RANGE).isoformat()
    return case


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return None
    return instant if instant.tzinfo is not None else None


class _SinchSignature(requests.auth.AuthBase):
    """Signs a request as Sinch signs its callbacks, over the bytes and headers about to be sent."""

    def __init__(self, key: str, secret: str) -> None:
        self.key = key
        self.secret = base64.b64decode(secret)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        if not isinstance(body, bytes):
            return request  # a streamed body cannot be hashed up front; it goes unsigned, and gets a 401
        timestamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        string_to_sign = "\n".join(
            [
                (request.method or "").upper(),
                base64.b64encode(hashlib.md5(body).digest()).decode(),
                request.headers.get("Content-Type", ""),
                f"x-timestamp:{timestamp}",
                urlsplit(request.url or "").path,
            ]
        )
        signature = base64.b64encode(hmac.new(self.secret, string_to_sign.encode(), hashlib.sha256).digest()).decode()
        request.headers["x-timestamp"] = timestamp
        request.headers["Authorization"] = f"Application {self.key}:{signature}"
        return request


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: dict[str, Any]) -> None:
    if case.operation.definition.raw.get("operationId") == CALLBACK_OPERATION:
        kwargs["auth"] = _SinchSignature(os.environ["CALLS_FUZZ_SINCH_KEY"], os.environ["CALLS_FUZZ_SINCH_SECRET"])
