"""What the lookup screen offers to pick when the id field is empty: the demo catalogue (``--demo``) and the
recent source images of the active profile's copies (from the ledger). Pure functions, no Textual.

Every name here may be hostile (the demo seeds markup and escape sequences on purpose): the screen shows them with
:func:`imstui.ui.text.literal` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from imstui.core.wording import format_ago

RECENT_LIMIT = 10

# The seeded demo cases in plain words (keys of imstui.sim.seed.DEMO_IMAGES); the catalogue gives the names.
DEMO_LABELS: dict[str, str] = {
    "eligible_linux": "eligible Linux",
    "eligible_small": "eligible small CentOS",
    "encrypted": "encrypted (KMS), eligible",
    "full_ecs": "full-ECS (blocked)",
    "iso": "ISO (blocked)",
    "windows": "Windows (blocked)",
    "shared_pending": "shared, not accepted (blocked)",
    "shared_accepted": "shared and accepted, eligible",
    "shared_encrypted": "shared + encrypted (blocked)",
    "public_gold": "public, not yours (blocked)",
    "large": "over 128 GB (blocked)",
    "not_active": "not active yet (blocked)",
    "hostile_markup": "markup in its name",
    "hostile_escapes": "escape codes in its name",
    "cjk": "Chinese name",
    "long_name": "128-character name",
    "internal_fail": "copy FAILS by itself",
}


@dataclass(frozen=True)
class Pick:
    """One line of the pick list: ``label`` (plain words), the image ``name`` (untrusted) and its id."""

    image_id: str
    label: str
    name: str
    group: str  # "demo" | "recent"


def demo_label(key: str) -> str:
    if key.startswith("batch_"):
        return f"eligible batch node {key.removeprefix('batch_')}"
    return DEMO_LABELS.get(key, key.replace("_", " "))


def demo_picks() -> list[Pick]:
    """The seeded demo images, in the catalogue's order of cases (eligible first, then each blocking case...)."""
    from imstui.sim import seed

    names = {str(item.get("id")): str(item.get("name") or "") for item in seed.catalogue(seed_project())}
    return [
        Pick(image_id, demo_label(key), names.get(image_id, ""), "demo") for key, image_id in seed.DEMO_IMAGES.items()
    ]


def seed_project() -> str:
    return "0" * 32  # the catalogue's names do not depend on the owning project


def demo_failure_hint() -> str:
    """How to see a copy FAIL in the demo (plain text)."""
    from imstui.sim import seed

    return (
        f"A copy FAILS mid-way with KMS key {seed.FAILING_CMK_ID} ({seed.FAILING_CMK_ERROR[0]});\n"
        f"the image {seed.INTERNAL_FAIL_ID} fails by itself ({seed.INTERNAL_FAIL_ERROR[0]})."
    )


def recent_picks(records: Iterable[Any], now: datetime, *, limit: int = RECENT_LIMIT) -> list[Pick]:
    """Distinct source images of ``records`` (ledger rows), newest copy first, at most ``limit``."""
    ordered = sorted(records, key=lambda r: (r.submitted_at, r.row_id), reverse=True)
    picks: list[Pick] = []
    seen: set[str] = set()
    for record in ordered:
        image_id = getattr(record, "source_image_id", None)
        if not image_id or image_id in seen:
            continue
        seen.add(image_id)
        label = f"copied {format_ago(record.submitted_at, now)}"
        picks.append(Pick(image_id, label, getattr(record, "source_image_name", None) or "", "recent"))
        if len(picks) >= limit:
            break
    return picks


def ledger_recent_picks(ledger: Any, profile: str, now: datetime, *, limit: int = RECENT_LIMIT) -> list[Pick]:
    """:func:`recent_picks` for ``profile``'s rows of ``ledger`` (an ``imstui.core.ledger.Ledger``)."""
    listing = getattr(ledger, "list", None)
    if not callable(listing):
        return []
    return recent_picks(listing(profile), now, limit=limit)
