"""What the lookup screen offers to pick when the id field is empty: the demo session's catalogue (``--demo``) and
the recent source images of the active profile's copies (from the ledger). Pure functions, no Textual.

Every name here may be hostile (the demo seeds markup and escape sequences on purpose): the screen shows them with
:func:`imstui.ui.text.literal` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from imstui.core.wording import format_ago

if TYPE_CHECKING:
    from imstui.core.ledger import JobRecord, Ledger
    from imstui.core.session import DemoCatalogue

RECENT_LIMIT = 10

# The seeded demo cases in plain words, by the key the simulator gives each case (``SeededImage.key``); the
# session's catalogue gives the ids and names.
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


def demo_picks(catalogue: DemoCatalogue | None) -> list[Pick]:
    """The images a demo session's simulator seeded, in the seed's order of cases (eligible first, then each
    blocking case...); none for a real session."""
    if catalogue is None:
        return []
    return [Pick(image.image_id, demo_label(image.key), image.name, "demo") for image in catalogue.images]


def recent_picks(records: Iterable[JobRecord], now: datetime, *, limit: int = RECENT_LIMIT) -> list[Pick]:
    """Distinct source images of ``records`` (ledger rows), newest copy first, at most ``limit``."""
    ordered = sorted(records, key=lambda r: (r.submitted_at, r.row_id), reverse=True)
    picks: list[Pick] = []
    seen: set[str] = set()
    for record in ordered:
        image_id = record.source_image_id
        if not image_id or image_id in seen:
            continue
        seen.add(image_id)
        label = f"copied {format_ago(record.submitted_at, now)}"
        picks.append(Pick(image_id, label, record.source_image_name or "", "recent"))
        if len(picks) >= limit:
            break
    return picks


def ledger_recent_picks(ledger: Ledger, profile: str, now: datetime, *, limit: int = RECENT_LIMIT) -> list[Pick]:
    """:func:`recent_picks` for ``profile``'s rows of ``ledger``."""
    return recent_picks(ledger.list(profile), now, limit=limit)
