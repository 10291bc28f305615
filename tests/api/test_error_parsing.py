"""Every error shape a server, gateway or proxy can send becomes a clear ApiError, never a traceback."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imstui.api.error_parsing import error_from_response, parse_retry_after
from imstui.api.errors import (
    AuthenticationError,
    GatewayError,
    HttpError,
    ImsServiceError,
    ThrottledError,
)


def response(
    status: int,
    *,
    json: object = None,
    text: str | None = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    if json is not None:
        return httpx.Response(status, json=json, headers=headers)
    if text is not None:
        return httpx.Response(status, text=text, headers=headers)
    return httpx.Response(status, content=content or b"", headers=headers)


def test_ims_shape() -> None:
    err = error_from_response(
        response(
            400,
            json={"error": {"code": "IMG.0024", "message": "The imagetype is invalid."}},
            headers={"X-Request-Id": "req-123"},
        )
    )
    assert type(err) is ImsServiceError and err.kind == "ims"
    assert (err.status, err.code, err.request_id) == (400, "IMG.0024", "req-123")
    assert err.message == "The imagetype is invalid."
    assert str(err) == "IMG.0024 HTTP 400: The imagetype is invalid. (request id req-123)"


def test_ims_403_role_error_stays_an_ims_error() -> None:
    err = error_from_response(response(403, json={"error": {"code": "IMG.0026", "message": "The role is invalid."}}))
    assert type(err) is ImsServiceError and err.code == "IMG.0026"


@pytest.mark.parametrize("status", [401, 403])
def test_gateway_auth_failures(status: int) -> None:
    err = error_from_response(
        response(
            status,
            json={
                "error_code": "APIGW.0301",
                "error_msg": "Incorrect IAM authentication information: verify aksk signature fail",
                "request_id": "body-rid",
            },
        )
    )
    assert isinstance(err, AuthenticationError) and err.kind == "gateway"
    assert err.code == "APIGW.0301" and err.request_id == "body-rid" and "verify aksk" in err.message


def test_header_request_id_wins_over_body() -> None:
    err = error_from_response(
        response(
            401,
            json={"error_code": "APIGW.0301", "error_msg": "x", "request_id": "body"},
            headers={"X-Request-Id": "header"},
        )
    )
    assert err.request_id == "header"


def test_dedicated_gateway_prefix() -> None:
    err = error_from_response(response(401, json={"error_code": "APIG.0301", "error_msg": "bad signature"}))
    assert isinstance(err, AuthenticationError) and err.code == "APIG.0301"


def test_route_missing_is_a_gateway_error() -> None:
    err = error_from_response(response(404, json={"error_code": "APIGW.0101", "error_msg": "The API does not exist"}))
    assert type(err) is GatewayError and not err.retryable


def test_throttled_with_retry_after_seconds() -> None:
    err = error_from_response(
        response(429, json={"error_code": "APIGW.0308", "error_msg": "throttled"}, headers={"Retry-After": "7"})
    )
    assert isinstance(err, ThrottledError) and err.retry_after == 7.0 and err.retryable


def test_throttled_with_retry_after_http_date() -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=120)
    err = error_from_response(
        response(
            429,
            json={"error_code": "APIGW.0308", "error_msg": "throttled"},
            headers={"Retry-After": format_datetime(when, usegmt=True)},
        )
    )
    assert err.retry_after is not None and 100 <= err.retry_after <= 121


def test_parse_retry_after_edge_cases() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("nan") is None
    assert parse_retry_after("-5") == 0.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("Wed, 31 Dec 2025 23:59:00 GMT", now=now) == 0.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now=now) == 30.0


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"errorCode": "IMG.0061", "errorMsg": "Unknown system error."}, "IMG.0061", "Unknown system error."),
        ({"code": "IMG.0060", "message": "flow control"}, "IMG.0060", "flow control"),
        ({"outer": {"inner": {"code": "IMG.0046", "message": "unavailable"}}}, "IMG.0046", "unavailable"),
        ({"error": {"code": "IMG.0001"}}, "IMG.0001", "HTTP 400 with no message"),
    ],
    ids=["camelCase", "flat", "nested", "no-message"],
)
def test_other_json_spellings_like_the_sdk(body: dict[str, object], code: str, message: str) -> None:
    err = error_from_response(response(400, json=body))
    assert isinstance(err, ImsServiceError) and err.code == code and err.message == message


def test_html_from_a_proxy_is_an_http_error_with_a_readable_message() -> None:
    err = error_from_response(
        response(
            502,
            text="<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>",
            headers={"Content-Type": "text/html"},
        )
    )
    assert type(err) is HttpError and err.kind == "http"
    assert err.code == "502" and err.status == 502 and err.retryable
    assert "text/html" in err.message and "Bad Gateway" in err.message and "<h1>" not in err.message


@pytest.mark.parametrize(
    ("resp", "fragment"),
    [
        (response(500, content=b""), "empty body"),
        (response(500, text='{"error": {"code": "IMG.00'), "bytes"),
        (response(400, json=["not", "an", "object"]), "bytes"),
        (response(400, content=b"\xff\xfe\x00garbage"), "bytes"),
        (response(400, json={"error": "just a string"}), "bytes"),
    ],
    ids=["empty", "truncated-json", "json-array", "binary", "error-string"],
)
def test_unreadable_bodies_fall_back_to_the_status(resp: httpx.Response, fragment: str) -> None:
    err = error_from_response(resp)
    assert type(err) is HttpError and err.code == str(resp.status_code) and fragment in err.message


def test_hostile_text_is_sanitised_and_bounded() -> None:
    evil = "\x1b]8;;http://evil\x07click\x1b]8;;\x07 \x1b[2J\u202eoops\r\nX-Injected: 1 " + "A" * 10_000
    err = error_from_response(
        response(
            400, json={"error": {"code": "IMG.0001\x1b[31m", "message": evil}}, headers={"X-Request-Id": "rid\x1b[1m-1"}
        )
    )
    for text in (err.message, err.code, err.request_id or "", str(err)):
        assert "\x1b" not in text and "\u202e" not in text and "\r" not in text and "\n" not in text
    assert len(err.message) <= 500 and err.code == "IMG.0001" and err.request_id == "rid-1"


def test_the_real_gateway_throttle_states_its_window_only_in_the_message() -> None:
    from imstui.api.errors import ThrottleWindow

    body = {
        "error_msg": "The throttling threshold has been reached: policy user over ratelimit,limit:200,time:5 minute",
        "error_code": "APIGW.0308",
        "request_id": "rid-1335",
    }
    err = error_from_response(response(429, json=body))  # no Retry-After, as in every capture
    assert isinstance(err, ThrottledError) and err.retry_after is None and err.request_id == "rid-1335"
    assert err.window == ThrottleWindow(seconds=300, limit=200, policy="user")


@pytest.mark.parametrize(
    ("message", "seconds", "limit", "policy"),
    [
        ("policy api over ratelimit,limit:1000,time:1 second", 1, 1000, "api"),
        ("policy ip over ratelimit, limit: 50, time: 2 minutes", 120, 50, "ip"),
        ("over ratelimit,limit:10,time:1 hour", 3600, 10, None),
        ("The throttling threshold has been reached", None, None, None),
        ("policy user over ratelimit,limit:200,time:0 minute", None, None, None),
    ],
)
def test_throttle_window_variants(message: str, seconds: float | None, limit: int | None, policy: str | None) -> None:
    from imstui.api.error_parsing import parse_throttle_window

    window = parse_throttle_window(message)
    if seconds is None:
        assert window is None
    else:
        assert window is not None and (window.seconds, window.limit, window.policy) == (seconds, limit, policy)


@given(st.text(max_size=400))
def test_throttle_window_parsing_never_raises(message: str) -> None:
    from imstui.api.error_parsing import parse_throttle_window

    window = parse_throttle_window(message)
    assert window is None or 0 < window.seconds <= 7 * 86400
