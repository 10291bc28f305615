"""Turn an HTTP error answer into the right :class:`ApiError`, whatever the body looks like.

Two documented JSON shapes (``ims-api.md`` §5): IMS ``{"error": {"code": "IMG.xxxx", "message": ...}}`` and the
API gateway's ``{"error_code": "APIGW.xxxx", "error_msg": ..., "request_id": ...}``. Like the SDK's exception
handler we also accept ``errorCode``/``errorMsg`` and ``code``/``message`` at any nesting depth. Anything else
(an HTML page from a proxy, an empty body, truncated JSON) becomes an :class:`HttpError` whose code is the status.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from imstui.api.errors import (
    ApiError,
    AuthenticationError,
    GatewayError,
    HttpError,
    ImsServiceError,
    ThrottledError,
    ThrottleWindow,
)
from imstui.api.sanitize import sanitize

MAX_MESSAGE_CHARS = 500
MAX_CODE_CHARS = 40
MAX_REQUEST_ID_CHARS = 128
SNIPPET_CHARS = 200

_CODE_KEYS = (("error_code", "error_msg"), ("errorCode", "errorMsg"), ("code", "message"))
_GATEWAY_PREFIXES = ("APIGW.", "APIG.")
_WS = re.compile(r"\s+")
_TAGS = re.compile(r"<[^>]{0,400}>")


def clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clean(value: Any, limit: int = MAX_MESSAGE_CHARS) -> str:
    """A server-provided scalar as one sanitised, whitespace-collapsed, length-bounded line."""
    if value is None:
        return ""
    return clip(_WS.sub(" ", sanitize(str(value), multiline=True)), limit)


def request_id_of(response: httpx.Response, body: Mapping[str, Any] | None = None) -> str | None:
    """``X-Request-Id`` from the headers, else a ``request_id`` in the body."""
    value: Any = response.headers.get("X-Request-Id")
    if not value and body is not None:
        value = body.get("request_id") or body.get("requestId")
        if isinstance(value, (dict, list)):
            value = None
    text = clean(value, MAX_REQUEST_ID_CHARS)
    return text or None


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: either a number of seconds or an HTTP-date; ``None`` if absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            return None
        return max(0.0, seconds)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None  # type: ignore[unreachable]
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    reference = now or datetime.now(timezone.utc)
    return max(0.0, (moment - reference).total_seconds())


_WINDOW = re.compile(
    r"(?:policy\s*[:=]?\s*(?P<policy>[a-z][a-z0-9_-]{0,30})\b.{0,40}?)?"
    r"limit\s*[:=]\s*(?P<limit>\d{1,9})\s*[,;]?\s*"
    r"time\s*[:=]\s*(?P<amount>\d{1,6}(?:\.\d{1,3})?)\s*(?P<unit>ms|millisecond|sec|second|s|min|minute|m|hour|h|day|d)s?\b",
    re.IGNORECASE,
)
_UNIT_SECONDS = {
    "ms": 0.001,
    "millisecond": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
}


def parse_throttle_window(message: str) -> ThrottleWindow | None:
    """The window an ``APIGW.0308`` message states ("The throttling threshold has been reached: policy user over
    ratelimit,limit:200,time:5 minute" -> 200 requests / 300 s, policy ``user``); None when it states none."""
    found = _WINDOW.search(message[:MAX_MESSAGE_CHARS])
    if found is None:
        return None
    seconds = float(found["amount"]) * _UNIT_SECONDS[found["unit"].lower()]
    if not 0 < seconds <= 7 * 86400:
        return None
    limit = int(found["limit"])
    policy = found["policy"]
    return ThrottleWindow(
        seconds=seconds, limit=limit if limit > 0 else None, policy=policy.lower() if policy else None
    )


def find_code_and_message(data: Any, depth: int = 0) -> tuple[str, str] | None:
    """The SDK's search order: ``error_code``/``error_msg``, ``errorCode``/``errorMsg``, ``code``/``message``,
    then the same inside nested objects (which finds ``{"error": {"code": ..., "message": ...}}``)."""
    if not isinstance(data, dict) or depth > 4:
        return None
    for code_key, message_key in _CODE_KEYS:
        code = data.get(code_key)
        if code is not None and not isinstance(code, (dict, list)) and str(code).strip():
            message = data.get(message_key)
            if isinstance(message, (dict, list)):
                message = json.dumps(message, ensure_ascii=False)
            return str(code), "" if message is None else str(message)
    for value in data.values():
        found = find_code_and_message(value, depth + 1)
        if found is not None:
            return found
    return None


def describe_body(response: httpx.Response) -> str:
    """A short, safe description of a body that is not one of the JSON shapes (for messages)."""
    content = response.content
    if not content.strip():
        return "an empty body"
    ctype = clean(response.headers.get("Content-Type", "").split(";")[0], 60)
    text = content[:4096].decode("utf-8", "replace")
    if "html" in ctype or text.lstrip().startswith("<"):
        text = _TAGS.sub(" ", text)
    snippet = clean(text, SNIPPET_CHARS)
    kind = f"{'an' if ctype[:1].lower() in 'aeiou' else 'a'} {ctype} body" if ctype else "a body (no content type)"
    return f"{kind} of {len(content)} bytes" + (f": {snippet}" if snippet else "")


def decode_json(response: httpx.Response) -> Any:
    """The decoded JSON body, or ``None`` when it is not JSON (never raises)."""
    try:
        return json.loads(response.content.decode("utf-8-sig"))  # a leading BOM is tolerated
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def error_from_response(response: httpx.Response) -> ApiError:
    """Classify an error answer; never raises, whatever the body."""
    status = response.status_code
    data = decode_json(response)
    body = data if isinstance(data, dict) else None
    request_id = request_id_of(response, body)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    found = find_code_and_message(body)
    if found is None:
        reason = clean(response.reason_phrase, 80)
        message = f"HTTP {status}{' ' + reason if reason else ''} with {describe_body(response)}"
        return HttpError(status, str(status), clip(message, MAX_MESSAGE_CHARS), request_id, retry_after=retry_after)
    raw_code, raw_message = found
    code = clean(raw_code, MAX_CODE_CHARS)
    message = clean(raw_message) or f"HTTP {status} with no message"
    upper = code.upper()
    cls: type[ApiError]
    if upper.startswith(_GATEWAY_PREFIXES):
        if status in (401, 403):
            cls = AuthenticationError
        elif status == 429 or upper.endswith(".0308"):
            cls = ThrottledError
        else:
            cls = GatewayError
    elif status == 429:
        cls = ThrottledError
    elif status == 401:
        cls = AuthenticationError
    else:
        cls = ImsServiceError
    if cls is ThrottledError:
        window = parse_throttle_window(message)
        return ThrottledError(status, code, message, request_id, retry_after=retry_after, window=window)
    return cls(status, code, message, request_id, retry_after=retry_after)
