"""The one-line JSON a profile's secrets are stored as: ``{"v":1,"ak":..,"sk":..,"token":..|null}``."""

from __future__ import annotations

import json

from imstui.api.credentials import Credentials
from imstui.api.secret import Secret
from imstui.core.keyring_backends import SecretStoreUnavailable

PAYLOAD_VERSION = 1


def encode_payload(credentials: Credentials) -> str:
    """The one-line JSON stored in the keyring item."""
    token = credentials.security_token.reveal() if credentials.security_token else None
    return json.dumps(
        {"v": PAYLOAD_VERSION, "ak": credentials.ak, "sk": credentials.sk.reveal(), "token": token},
        separators=(",", ":"),
        ensure_ascii=True,
    )


def decode_payload(value: str, *, where: str) -> Credentials:
    """Parse a stored item; a damaged item gives a plain sentence that never echoes its content."""
    try:
        data = json.loads(value)
    except ValueError:
        data = None
    if (
        not isinstance(data, dict)
        or data.get("v") != PAYLOAD_VERSION
        or not isinstance(data.get("ak"), str)
        or not isinstance(data.get("sk"), str)
        or not data["ak"]
        or not data["sk"]
        or not (data.get("token") is None or isinstance(data.get("token"), str))
    ):
        raise SecretStoreUnavailable(
            f"The stored credentials for {where} are not in imstui's format.",
            "Store them again with `imstui profile add` (it overwrites the item).",
            reason="corrupt",
        )
    token = data.get("token")
    return Credentials(ak=data["ak"], sk=Secret(data["sk"]), security_token=Secret(token) if token else None)
