"""AK/SK request signing, ``SDK-HMAC-SHA256``, byte-compatible with the official Huawei Cloud SDK: the algorithm.

The pure functions here (canonical URI, query, headers, string to sign) are shared by the client's
:class:`~imstui.api.signer.SdkHmacAuth` (the httpx adapter) and the simulator's verifier, which therefore do not need
httpx to load; :class:`PreparedGet` signs the poller's GETs as that adapter would. Reference: ``ims-api.md`` §6.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import quote, unquote, unquote_to_bytes

from imstui.api.credentials import Credentials
from imstui.api.errors import ConfigurationError
from imstui.api.secret import Secret

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
HEADER_DATE = "X-Sdk-Date"
HEADER_CONTENT_SHA256 = "X-Sdk-Content-Sha256"
HEADER_PROJECT = "X-Project-Id"
HEADER_DOMAIN = "X-Domain-Id"  # global services (EPS): the SDK's GlobalCredentials sign this instead
HEADER_TOKEN = "X-Security-Token"  # noqa: S105 - a header name, not a secret

# Headers httpx (or a proxy on the way) may add or rewrite: never signed by SdkHmacAuth.
_UNSIGNED_TRANSPORT_HEADERS = frozenset(
    {"accept", "accept-encoding", "connection", "content-length", "transfer-encoding", "authorization"}
)


def _encode(value: str) -> str:
    return quote(value, safe="~")


@lru_cache(maxsize=4096)  # a poller signs the same few thousand job paths over and over
def canonical_uri(path: str) -> str:
    """Percent-decode the path, re-encode each segment with RFC 3986 rules, and end it with ``/``."""
    uri = "/".join(_encode(segment) for segment in unquote(path).split("/"))
    if not uri.endswith("/"):
        uri += "/"
    return uri


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    """Sort decoded ``(key, value)`` pairs and join them RFC 3986-encoded (space is ``%20``, never ``+``)."""
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted((str(k), str(v)) for k, v in pairs))


def parse_raw_query(raw_query: str | bytes) -> list[tuple[str, str]]:
    """Decode a raw query string into ``(key, value)`` pairs.

    ``+`` decodes to a space (form encoding, which httpx uses for ``params=``); a literal plus arrives as
    ``%2B``. Neither the SDK nor :class:`SdkHmacAuth` ever sends a bare ``+``: both send the canonical form.
    """
    if isinstance(raw_query, bytes):
        raw_query = raw_query.decode("latin-1")
    pairs: list[tuple[str, str]] = []
    if not raw_query:
        return pairs
    for part in raw_query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append(
            (
                unquote_to_bytes(key.replace("+", " ")).decode("utf-8", "replace"),
                unquote_to_bytes(value.replace("+", " ")).decode("utf-8", "replace"),
            )
        )
    return pairs


def signed_header_names(headers: Mapping[str, str]) -> list[str]:
    """Every header whose name has no ``_``, lower-cased and sorted (the SDK's rule)."""
    return sorted({name.lower() for name in headers if "_" not in name})


def canonical_headers(headers: Mapping[str, str], names: Iterable[str]) -> str:
    lowered = {k.lower(): str(v).strip() for k, v in headers.items()}
    return "".join(f"{name}:{lowered[name]}\n" for name in names)


def payload_hash(body: bytes, headers: Mapping[str, str]) -> str:
    if not body:
        return EMPTY_SHA256
    for name, value in headers.items():
        # Stripped like every other header value (the SDK reads it after canonicalising the headers).
        if name.lower() == HEADER_CONTENT_SHA256.lower() and str(value).strip():
            return str(value).strip()
    return hashlib.sha256(body).hexdigest()


def canonical_request(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    names: list[str],
    body: bytes,
) -> str:
    return "\n".join(
        (
            method.upper(),
            canonical_uri(path),
            canonical_query(query),
            canonical_headers(headers, names),
            ";".join(names),
            payload_hash(body, headers),
        )
    )


def string_to_sign(canonical: str, sdk_date: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{sdk_date}\n{digest}"


def signature(sk: str, to_sign: str) -> str:
    return hmac.new(sk.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


_BAD_SK = "the secret key (SK) contains characters that cannot be encoded; enter it again"
_BAD_TOKEN = "the security token contains characters that cannot be sent in a header; enter it again"  # noqa: S105


def _encodable(secret: Secret) -> bool:
    try:
        secret.reveal().encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _sendable(secret: Secret) -> bool:
    """Printable ASCII once stripped: what httpx and h11 accept in a header value."""
    return bool(secret.reveal().strip()) and secret.reveal().strip().isascii() and secret.reveal().strip().isprintable()


def _signature_with(secret: Secret, to_sign: str) -> str:
    """:func:`signature` for a held SK.

    The revealed key is never bound to a name, so a crash report that prints frame locals (Textual's crash screen)
    cannot show it; an SK that cannot be UTF-8 encoded (lone surrogates, e.g. from a mis-decoded environment
    variable) raises a message without the value and without the chained ``UnicodeEncodeError`` (which holds it).
    """
    if not _encodable(secret):
        raise ConfigurationError(_BAD_SK)
    return hmac.new(secret.reveal().encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(ak: str, names: list[str], sig: str) -> str:
    return f"{ALGORITHM} Access={ak}, SignedHeaders={';'.join(names)}, Signature={sig}"


def format_sdk_date(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime(DATE_FORMAT)


def sign(
    credentials: Credentials,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
) -> str:
    """Return the ``Authorization`` value for a request whose headers (to be signed) are ``headers``.

    ``headers`` must already hold ``Host`` and ``X-Sdk-Date`` (and ``X-Project-Id``/``X-Security-Token`` when
    used); every header in it whose name has no ``_`` is signed, as the SDK does.
    """
    date = next((v for k, v in headers.items() if k.lower() == HEADER_DATE.lower()), None)
    if date is None:
        raise ValueError("X-Sdk-Date must be set before signing")
    names = signed_header_names(headers)
    canonical = canonical_request(method, path, query, headers, names, body)
    sig = _signature_with(credentials.sk, string_to_sign(canonical, date.strip()))
    return authorization(credentials.ak, names, sig)


class PreparedGet:
    """Signs GETs without query or body for one set of headers: what :class:`SdkHmacAuth` signs for the same
    request, byte for byte, with the parts that never change computed once (the canonical headers but the date, the
    signed-header list, the SK's keyed HMAC). :meth:`head` gives the whole request head, ready to send.

    ``headers`` are the request's headers as httpx would send them, ``Host`` first, without ``X-Sdk-Date`` and
    ``Authorization``; the date comes from ``clock`` per request. The SK is never bound to a name; the security
    token, if any, is only inside the pre-encoded header block (this object's repr shows neither).
    """

    __slots__ = ("_after_date", "_auth", "_before_date", "_canonical_after", "_canonical_before", "_clock", "_mac")

    def __init__(self, credentials: Credentials, headers: list[tuple[str, str]], clock: Callable[[], datetime]) -> None:
        if not _encodable(credentials.sk):
            raise ConfigurationError(_BAD_SK)
        signed = {name: value for name, value in headers if name.lower() not in _UNSIGNED_TRANSPORT_HEADERS}
        names = signed_header_names({**signed, HEADER_DATE: ""})
        values = {name.lower(): str(value).strip() for name, value in signed.items()}
        at = names.index(HEADER_DATE.lower())
        self._canonical_before = "".join(f"{name}:{values[name]}\n" for name in names[:at])
        after = "".join(f"{name}:{values[name]}\n" for name in names[at + 1 :])
        self._canonical_after = f"{after}\n{';'.join(names)}\n{EMPTY_SHA256}"
        self._auth = f"{ALGORITHM} Access={credentials.ak}, SignedHeaders={';'.join(names)}, Signature="
        # httpx's order: its own headers, the request's, then what SdkHmacAuth adds (the date first).
        added = {HEADER_PROJECT.lower(), HEADER_DOMAIN.lower(), HEADER_TOKEN.lower()}
        self._before_date = "".join(f"\r\n{n}: {v}" for n, v in headers if n.lower() not in added).encode("ascii")
        self._after_date = "".join(f"\r\n{n}: {v}" for n, v in headers if n.lower() in added).encode("ascii")
        self._mac = hmac.new(credentials.sk.reveal().encode("utf-8"), digestmod=hashlib.sha256)
        self._clock = clock

    def __repr__(self) -> str:
        return "PreparedGet(...)"

    def authorization(self, path: str, sdk_date: str) -> str:
        """The ``Authorization`` value of ``GET path`` dated ``sdk_date`` (``path`` as sent, without a query)."""
        canonical = f"GET\n{canonical_uri(path)}\n\n{self._canonical_before}x-sdk-date:{sdk_date}\n"
        digest = hashlib.sha256((canonical + self._canonical_after).encode("utf-8")).hexdigest()
        mac = self._mac.copy()
        mac.update(f"{ALGORITHM}\n{sdk_date}\n{digest}".encode())
        return self._auth + mac.hexdigest()

    def head(self, path: str) -> bytes:
        """``GET path HTTP/1.1`` and every header, signed now, up to the blank line that ends the head."""
        sdk_date = format_sdk_date(self._clock())
        return b"".join(
            (
                f"GET {path} HTTP/1.1".encode("ascii"),
                self._before_date,
                f"\r\n{HEADER_DATE}: {sdk_date}".encode("ascii"),
                self._after_date,
                f"\r\nAuthorization: {self.authorization(path, sdk_date)}\r\n\r\n".encode("ascii"),
            )
        )
