"""What the credentials screen says about its fields: the keyring verdict, the region against the known list, and
the endpoints a profile may override (plain http refused except loopback, the client's own rule)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.suggester import SuggestFromList

from imstui.api.endpoints import KNOWN_REGIONS, iam_endpoint, ims_endpoint
from imstui.api.errors import ImstuiError
from imstui.ui.text import assemble, literal, plain

if TYPE_CHECKING:
    from imstui.core.keyring_backends import BackendInfo

# (widget id, label, Profile field): the endpoints a profile stores (core/profiles.py: IMS and IAM; KMS and EPS
# follow the IMS endpoint on loopback and their regional defaults otherwise, and are not stored per profile).
ENDPOINT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("profile-endpoint", "IMS endpoint (empty: the region's default)", "endpoint"),
    ("profile-iam-endpoint", "IAM endpoint (empty: the region's default)", "iam_endpoint"),
)


def region_suggester() -> SuggestFromList:
    """Completes a region id from the known list as it is typed (→ or End accepts the suggestion)."""
    return SuggestFromList(KNOWN_REGIONS, case_sensitive=False)


def is_known_region(region: str) -> bool:
    return region in KNOWN_REGIONS


def region_note(region: str) -> Content:
    """Under the region field: nothing for a known region, a warning for one imstui does not know."""
    if not region or is_known_region(region):
        return Content("")
    return assemble(
        ("⚠ ", "bold $text-warning"),
        (plain(region), "bold $text-warning"),
        (" is not a known IMS region; Save asks you to confirm it (a wrong one fails only when connecting).", ""),
    )


def unknown_region_question(region: str) -> Content:
    return assemble(
        ("⚠ ", "bold $text-warning"),
        (plain(region), "bold"),
        (" is not one of the ", "$text-warning"),
        (str(len(KNOWN_REGIONS)), "$text-warning"),
        (" known IMS regions (e.g. ap-southeast-1, cn-north-4). Press Save (F2) again to save it anyway.", ""),
    )


def default_endpoint(field: str, region: str) -> str:
    """The endpoint the client uses for ``region`` when the profile stores none (shown as the placeholder)."""
    try:
        return ims_endpoint(region) if field == "endpoint" else iam_endpoint(region)
    except ImstuiError:
        return "https://…"


def backend_content(info: BackendInfo | None) -> Content:
    """The keyring backend verdict, with the remedies when it is not secure."""
    if info is None:
        return literal("Keyring: checking…", "italic")
    secure = info.secure
    name = plain(info.name)
    lines = [
        assemble(
            ("Keyring backend: ", "bold"),
            name,
            ("  SECURE" if secure else "  NOT SECURE", "bold $text-success" if secure else "bold $text-error"),
        ),
        literal(info.description or "", "dim", multiline=True),
    ]
    if info.needs_master_password and not info.unlocked:
        lines.append(literal("Locked: imstui asks for its master password when it is needed.", "$text-warning"))
    if not secure:
        if info.remedies:
            lines.append(literal("What you can do:", "bold"))
            lines.extend(literal(f"• {r}", multiline=True) for r in info.remedies)
    return Content("\n").join(lines)
