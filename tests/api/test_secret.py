"""Secrets (SK, security token) never show up in reprs, formatting, logs, pickles or crash tracebacks."""

from __future__ import annotations

import io
import logging
import pickle

import httpx
import pytest
import rich
from rich.console import Console
from rich.traceback import Traceback

from imstui.api.credentials import Credentials, mask_ak
from imstui.api.errors import ConfigurationError
from imstui.api.secret import Secret
from imstui.api.signer import SdkHmacAuth

# Built reversed so that the plain value never appears in this file's source lines, which a traceback renders.
SK = "0ELPMAXEfedcba9876543210yeKterceSelpmaxe"[::-1]
TOKEN = "NEKOT-YTIRUCES-ELPMAXE-tnemom-a-rof-dilav"[::-1]
AK = "HPUAEXAMPLEAK1234567"
MASK = "Secret('****')"


def _credentials() -> Credentials:
    return Credentials(AK, Secret(SK), Secret(TOKEN))


def _assert_clean(text: str) -> None:
    assert SK not in text
    assert TOKEN not in text
    # Also no long fragment of either (e.g. a truncated repr that still shows most of it).
    assert SK[4:24] not in text
    assert TOKEN[4:24] not in text


# --- formatting ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "render",
    [
        repr,
        str,
        format,
        lambda s: format(s, ">60"),
        lambda s: f"{s}",
        lambda s: f"{s!r}",
        lambda s: f"{s!s}",
        lambda s: f"{s:^50}",
        lambda s: "%s" % s,  # noqa: UP031 - the old-style formatting is the point
        lambda s: "%r" % (s,),  # noqa: UP031
        lambda s: "{}".format(s),  # noqa: UP032
        lambda s: repr([s, {"sk": s}]),
        lambda s: str(ValueError(s)),
        lambda s: repr(ValueError("bad key", s)),
    ],
    ids=lambda _: "",
)
def test_secret_renders_masked(render: object) -> None:
    assert callable(render)
    text = render(Secret(SK))
    assert SK not in text
    assert MASK in text


def test_reveal_is_the_only_way_to_the_value() -> None:
    secret = Secret(SK)
    assert secret.reveal() == SK
    assert Secret(secret).reveal() == SK  # re-wrapping keeps the value
    assert bool(secret) and not Secret("")
    assert len(secret) == len(SK)
    assert secret == Secret(SK) and secret != Secret(SK + "x")
    assert not hasattr(secret, "__dict__")  # nothing for vars() or a debugger's attribute dump beyond the slot


def test_secret_is_immutable_and_holds_only_str() -> None:
    secret = Secret(SK)
    with pytest.raises(AttributeError):
        secret._value = "other"  # type: ignore[misc]
    with pytest.raises(TypeError) as excinfo:
        Secret(12345)  # type: ignore[arg-type]
    assert "12345" not in str(excinfo.value)


def test_credentials_repr_shows_only_the_masked_ak() -> None:
    creds = _credentials()
    for text in (repr(creds), str(creds), f"{creds}", "%s" % (creds,), repr([creds])):  # noqa: UP031
        _assert_clean(text)
        assert AK not in text
    _assert_clean(repr(vars(creds)))  # the fields themselves: the AK is not secret, the Secrets are masked
    assert repr(creds) == f"Credentials(ak={mask_ak(AK)!r}, sk={MASK}, security_token={MASK})"
    assert repr(Credentials(AK, Secret(SK))) == f"Credentials(ak={mask_ak(AK)!r}, sk={MASK})"
    assert mask_ak(AK) == "HPUA…4567"


def test_credentials_wrap_plain_strings_at_once() -> None:
    creds = Credentials(AK, SK, TOKEN)  # type: ignore[arg-type]
    assert isinstance(creds.sk, Secret) and isinstance(creds.security_token, Secret)
    _assert_clean(repr(creds))
    assert creds.is_temporary
    assert Credentials(AK, Secret(SK), Secret("")).security_token is None  # empty token = permanent key


# --- logging ------------------------------------------------------------------------------------------------------


def test_logging_a_secret_or_credentials_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("imstui.test.secret")
    creds = _credentials()
    with caplog.at_level(logging.DEBUG, logger="imstui.test.secret"):
        log.info("sk=%s", creds.sk)
        log.info("creds %r and %s", creds, creds)
        log.warning(creds.security_token)
        log.info("as dict %s", {"sk": creds.sk, "token": creds.security_token})
        try:
            raise RuntimeError("signing failed", creds)
        except RuntimeError:
            log.exception("boom with %s", creds)
    assert len(caplog.records) == 5
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    _assert_clean(text)
    assert MASK in text


# --- pickling -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_is_refused(protocol: int) -> None:
    for value in (Secret(SK), _credentials()):
        with pytest.raises(TypeError) as excinfo:
            pickle.dumps(value, protocol=protocol)
        _assert_clean(str(excinfo.value))


# --- crash tracebacks (Textual's crash screen renders rich tracebacks with locals) --------------------------------


def _render_crash(func: object) -> str:
    """Run ``func``, render its exception as Textual's crash screen does, return the text."""
    assert callable(func)
    try:
        func()
    except Exception:
        traceback = Traceback(show_locals=True, width=None, locals_max_length=5, suppress=[rich])
    else:
        raise AssertionError("expected a crash")
    console = Console(file=io.StringIO(), width=200, record=True, color_system=None)
    console.print(traceback)
    return console.export_text()


def test_crash_traceback_with_credentials_in_locals_hides_them() -> None:
    def load_profile() -> None:
        credentials = _credentials()
        settings = {"profile": "prod", "credentials": credentials, "sk": credentials.sk}
        raise RuntimeError(f"could not use {settings['profile']}")

    text = _render_crash(load_profile)
    _assert_clean(text)
    # The locals really were rendered (so the check above is not vacuous).
    assert "credentials = Credentials(ak='HPUA…4567'" in text
    assert MASK in text


def test_crash_during_a_signed_request_hides_sk_and_token() -> None:
    """An unexpected error raised while an httpx client sends a signed request (frames in httpx hold the request)."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("transport exploded")

    def fetch() -> None:
        auth = SdkHmacAuth(_credentials(), "0123456789abcdef0123456789abcdef")
        with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as client:
            client.get("https://ims.example.com/v2/cloudimages", params={"id": "x"})

    text = _render_crash(fetch)
    _assert_clean(text)
    assert "transport exploded" in text
    assert "SdkHmacAuth(Credentials(ak='HPUA…4567'" in text


def test_unencodable_sk_fails_without_showing_it() -> None:
    """An SK with a lone surrogate (e.g. a mis-decoded env var) must not leak through the encoding error."""

    def fetch() -> None:
        auth = SdkHmacAuth(Credentials(AK, Secret(SK[:20] + "\udcff" + SK[20:])), None)
        with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200)), auth=auth) as client:
            client.get("https://ims.example.com/v2/cloudimages")

    with pytest.raises(ConfigurationError) as excinfo:
        fetch()
    assert excinfo.value.__context__ is None and excinfo.value.__cause__ is None
    assert "secret key" in str(excinfo.value)
    text = _render_crash(fetch)
    assert SK[:20] not in text and SK[20:] not in text
    assert "ConfigurationError" in text


@pytest.mark.parametrize("token", [" \n", "tok\nen", "tök", "tok\x00en"])
def test_unsendable_token_fails_without_showing_it(token: str) -> None:
    """httpx/h11 would quote a bad header value in their error message; the signer refuses it first."""
    auth = SdkHmacAuth(Credentials(AK, Secret(SK), Secret(token)), None)
    request = httpx.Request("GET", "https://ims.example.com/v2/cloudimages")
    with pytest.raises(ConfigurationError) as excinfo:
        next(auth.auth_flow(request))
    assert token not in str(excinfo.value)
    assert "X-Security-Token" not in request.headers
    assert "Authorization" not in request.headers


def test_token_with_surrounding_whitespace_is_sent_stripped() -> None:
    """As the SDK does (it strips header values before sending); h11 would refuse the unstripped value."""
    auth = SdkHmacAuth(Credentials(AK, Secret(SK), Secret(f"  {TOKEN}\n")), None)
    sent = next(auth.auth_flow(httpx.Request("GET", "https://ims.example.com/v2/cloudimages")))
    assert sent.headers["X-Security-Token"] == TOKEN
