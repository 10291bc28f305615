"""AK/SK credentials as the signer needs them."""

from __future__ import annotations

from dataclasses import dataclass

from imstui.api.secret import Secret


@dataclass(frozen=True, repr=False)
class Credentials:
    """Permanent AK/SK, or temporary AK/SK with a security token.

    ``repr`` shows only the masked AK, never the SK or the token.
    """

    ak: str
    sk: Secret
    security_token: Secret | None = None

    def __post_init__(self) -> None:
        # Accept plain strings too (wrapped at once), and treat an empty token as "no token".
        sk: object = self.sk
        if not isinstance(sk, Secret):
            object.__setattr__(self, "sk", Secret(str(sk)))
        token: object = self.security_token
        if token is not None and not isinstance(token, Secret):
            object.__setattr__(self, "security_token", Secret(str(token)))
        if self.security_token is not None and not self.security_token:
            object.__setattr__(self, "security_token", None)

    @property
    def is_temporary(self) -> bool:
        return self.security_token is not None

    @property
    def ak_hint(self) -> str:
        return mask_ak(self.ak)

    def __repr__(self) -> str:
        token = ", security_token=Secret('****')" if self.security_token else ""
        return f"Credentials(ak={self.ak_hint!r}, sk=Secret('****'){token})"

    __str__ = __repr__


def mask_ak(ak: str) -> str:
    """``HPUAEXAMPLEAK1234567`` -> ``HPUA…4567`` (enough to recognise a key, not to use it)."""
    if len(ak) <= 8:
        return "…" + ak[-2:] if ak else ""
    return f"{ak[:4]}…{ak[-4:]}"
