"""AK/SK request signing for httpx: :class:`SdkHmacAuth` signs exactly the bytes and headers that go on the wire.

The algorithm itself (canonical request, string to sign, signature) is :mod:`imstui.api.signing`, which needs no
httpx (the simulator verifies with it); its names are importable from here too. Reference: ``ims-api.md`` §6.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import datetime, timezone

import httpx

from imstui.api.credentials import Credentials
from imstui.api.errors import ConfigurationError
from imstui.api.signing import (
    _BAD_SK,
    _BAD_TOKEN,
    _UNSIGNED_TRANSPORT_HEADERS,
    ALGORITHM,
    DATE_FORMAT,
    EMPTY_SHA256,
    HEADER_CONTENT_SHA256,
    HEADER_DATE,
    HEADER_DOMAIN,
    HEADER_PROJECT,
    HEADER_TOKEN,
    PreparedGet,
    _encodable,
    _sendable,
    authorization,
    canonical_headers,
    canonical_query,
    canonical_request,
    canonical_uri,
    format_sdk_date,
    parse_raw_query,
    payload_hash,
    sign,
    signature,
    signed_header_names,
    string_to_sign,
)

__all__ = [
    "ALGORITHM",
    "DATE_FORMAT",
    "EMPTY_SHA256",
    "HEADER_CONTENT_SHA256",
    "HEADER_DATE",
    "HEADER_DOMAIN",
    "HEADER_PROJECT",
    "HEADER_TOKEN",
    "PreparedGet",
    "SdkHmacAuth",
    "authorization",
    "canonical_headers",
    "canonical_query",
    "canonical_request",
    "canonical_uri",
    "format_sdk_date",
    "parse_raw_query",
    "payload_hash",
    "sign",
    "signature",
    "signed_header_names",
    "string_to_sign",
]


class SdkHmacAuth(httpx.Auth):
    """httpx authentication that signs exactly the bytes and headers that go on the wire.

    It rewrites the URL's query into the canonical form (what the SDK sends too), adds ``X-Sdk-Date``,
    ``X-Project-Id`` (IMS calls) or ``X-Domain-Id`` (global services such as EPS: the SDK's GlobalCredentials) and
    ``X-Security-Token`` (temporary keys), then signs ``host``, ``content-type``, ``user-agent`` and every ``x-*``
    header. Headers a transport or proxy may touch are left unsigned.
    """

    requires_request_body = True

    def __init__(
        self,
        credentials: Credentials,
        project_id: str | None = None,
        *,
        domain_id: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._credentials = credentials
        self._project_id = project_id
        self._domain_id = domain_id
        self._clock = clock or (lambda: datetime.now(timezone.utc))

    def __repr__(self) -> str:
        domain = f", domain_id={self._domain_id!r}" if self._domain_id else ""
        return f"SdkHmacAuth({self._credentials!r}, project_id={self._project_id!r}{domain})"

    def prepared_get(self, headers: list[tuple[str, str]]) -> PreparedGet:
        """A :class:`PreparedGet` signing as this auth does, for GETs whose other headers are ``headers`` (``Host``
        first, then the client's: what httpx would send)."""
        token = self._credentials.security_token
        if token and not _sendable(token):
            raise ConfigurationError(_BAD_TOKEN)
        ids = [(HEADER_PROJECT, self._project_id or ""), (HEADER_DOMAIN, self._domain_id or "")]
        return PreparedGet(
            self._credentials,
            [*headers, *((name, value) for name, value in ids if value)]
            + ([(HEADER_TOKEN, token.reveal().strip())] if token else []),
            self._clock,
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign_request(request)
        yield request

    def sign_request(self, request: httpx.Request) -> None:
        # Checked before anything is copied into the request, so that no frame holds the token in a header dict
        # when these are raised. httpx/h11 errors would quote a bad header value (the token) in their message.
        if not _encodable(self._credentials.sk):
            raise ConfigurationError(_BAD_SK)
        token = self._credentials.security_token
        if token and not _sendable(token):
            raise ConfigurationError(_BAD_TOKEN)
        raw_path, separator, raw_query = request.url.raw_path.partition(b"?")
        pairs = parse_raw_query(raw_query)
        query = canonical_query(pairs).encode("ascii")
        if separator and (not query or query != raw_query):
            # Re-parsing the URL costs more than signing: done only when the query is not already canonical.
            request.url = request.url.copy_with(query=query or None)
        request.headers[HEADER_DATE] = format_sdk_date(self._clock())
        if self._project_id:
            request.headers[HEADER_PROJECT] = self._project_id
        if self._domain_id:
            request.headers[HEADER_DOMAIN] = self._domain_id
        if token:
            request.headers[HEADER_TOKEN] = token.reveal().strip()  # sent stripped, as the SDK sends it
        to_sign = {
            name: value for name, value in request.headers.items() if name.lower() not in _UNSIGNED_TRANSPORT_HEADERS
        }
        body = request.content
        request.headers["Authorization"] = sign(
            self._credentials, request.method, raw_path.decode("ascii"), pairs, to_sign, body
        )
