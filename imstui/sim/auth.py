"""The simulator's API-gateway authentication: verify SDK-HMAC-SHA256 signatures like Huawei's gateway.

The canonical request is rebuilt from what actually arrived (method, raw path, raw query decoded and
re-encoded, the received values of the headers named in ``SignedHeaders``, raw body bytes) with the same pure
functions the client signs with (:mod:`imstui.api.signing`), and compared to the ``Signature`` in constant time.

Every failure is ``401 APIGW.0301`` ("Incorrect IAM authentication information"), including a stale
``X-Sdk-Date`` (the dedicated APIG's ``APIGW.0303`` is not used, so clients see one code for all auth errors).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from imstui.api import signing
from imstui.api.errors import ConfigurationError
from imstui.api.secret import Secret

MAX_SKEW_SECONDS = 15 * 60
AUTH_CODE = "APIGW.0301"
AUTH_PREFIX = "Incorrect IAM authentication information: "

_AUTH_RE = re.compile(
    r"^\s*(?P<alg>[A-Za-z0-9-]+)\s+Access=(?P<ak>[^,\s]*)\s*,\s*SignedHeaders=(?P<sh>[^,\s]*)\s*,"
    r"\s*Signature=(?P<sig>[0-9A-Fa-f]*)\s*$"
)


@dataclass(frozen=True, repr=False)
class AccessKey:
    """One AK the sim knows: permanent (no token) or temporary (requests must carry this X-Security-Token)."""

    ak: str
    sk: Secret
    security_token: Secret | None = None

    @property
    def is_temporary(self) -> bool:
        return self.security_token is not None

    def __repr__(self) -> str:
        kind = "temporary" if self.is_temporary else "permanent"
        return f"AccessKey({self.ak!r}, {kind})"


class AuthFailure(Exception):
    """The gateway refuses the request: ``401 APIGW.0301``."""

    status = 401
    code = AUTH_CODE

    def __init__(self, reason: str) -> None:
        super().__init__(AUTH_PREFIX + reason)
        self.message = AUTH_PREFIX + reason


@dataclass(frozen=True)
class ParsedAuthorization:
    algorithm: str
    access: str
    signed_headers: list[str]
    signature: str


def parse_authorization(value: str) -> ParsedAuthorization:
    match = _AUTH_RE.match(value)
    if match is None:
        raise AuthFailure(
            "the Authorization header is not 'SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...'"
        )
    names = [name for name in match["sh"].split(";") if name]
    return ParsedAuthorization(match["alg"], match["ak"], names, match["sig"].lower())


def header_map(raw_headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Lower-cased names; repeated headers joined with ``,`` (as an HTTP intermediary would)."""
    result: dict[str, str] = {}
    for raw_name, raw_value in raw_headers:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        result[name] = f"{result[name]},{value}" if name in result else value
    return result


def verify(
    *,
    method: str,
    raw_path: str,
    raw_query: bytes | str,
    headers: Mapping[str, str],
    body: bytes,
    keys: Mapping[str, AccessKey],
    now: float,
    max_skew: float = MAX_SKEW_SECONDS,
) -> AccessKey:
    """Return the caller's key when the request is correctly signed, else raise :class:`AuthFailure`.

    ``headers`` must have lower-case names (see :func:`header_map`).
    """
    authorization = headers.get("authorization")
    if not authorization:
        raise AuthFailure("the request is not signed (no Authorization header)")
    parsed = parse_authorization(authorization)
    if parsed.algorithm != signing.ALGORITHM:
        raise AuthFailure(f"unsupported signing algorithm {parsed.algorithm[:40]!r}")
    names = parsed.signed_headers
    if names != sorted(set(names)) or any(name != name.lower() for name in names):
        raise AuthFailure("SignedHeaders must be lower-case, sorted and unique")
    for required in ("host", "x-sdk-date"):
        if required not in names:
            raise AuthFailure(f"the {required} header must be signed")
    missing = [name for name in names if name not in headers]
    if missing:
        raise AuthFailure(f"signed header {missing[0]!r} is missing from the request")
    sdk_date = headers["x-sdk-date"].strip()
    try:
        signed_at = datetime.strptime(sdk_date, signing.DATE_FORMAT).replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        raise AuthFailure("X-Sdk-Date is not in the format YYYYMMDDTHHMMSSZ") from None
    if abs(now - signed_at) > max_skew:
        raise AuthFailure(
            "verify aksk signature fail: the X-Sdk-Date differs from the server time by more than 15 minutes "
            "(check the client clock)"
        )
    key = keys.get(parsed.access)
    if key is None:
        raise AuthFailure("Get secretKey failed (unknown access key)")
    if key.security_token is not None:
        token = headers.get("x-security-token")
        if token is None or "x-security-token" not in names:
            raise AuthFailure("a temporary access key needs a signed X-Security-Token header")
        if not hmac.compare_digest(token.strip().encode(), key.security_token.reveal().encode()):
            raise AuthFailure("decrypt token fail (invalid security token)")
    signed = {name: headers[name] for name in names}
    pairs = signing.parse_raw_query(raw_query)
    canonical = signing.canonical_request(method, raw_path, pairs, signed, names, body)
    try:
        # The revealed SK is never bound to a name here or below (a crash report showing locals cannot print it).
        expected = signing._signature_with(key.sk, signing.string_to_sign(canonical, sdk_date))
    except ConfigurationError:
        raise AuthFailure("the simulator's secret key for this access key cannot be used (not UTF-8)") from None
    if not hmac.compare_digest(expected, parsed.signature):
        shown = canonical.replace("\n", "|")
        if key.security_token is not None:
            shown = shown.replace(key.security_token.reveal(), "****")
        raise AuthFailure(f"verify aksk signature fail, SignedHeaders:{';'.join(names)}, canonicalRequest:{shown}")
    return key
