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
    from imstui.core.session import DemoCatalogue, SeededImage

RECENT_LIMIT = 10

# The seeded demo cases in plain words, by the key the simulator gives each case (``SeededImage.key``); the
# session's catalogue gives the ids, names and documents. Whether a case is eligible is NOT written here: the label's
# mark comes from the lookup's own verdict (:func:`imstui.core.eligibility.assess`) on the seeded document.
DEMO_CASES: dict[str, str] = {
    "eligible_linux": "Linux",
    "eligible_small": "small CentOS",
    "encrypted": "encrypted (KMS)",
    "full_ecs": "full-ECS",
    "iso": "ISO",
    "windows": "Windows",
    "shared_pending": "shared, not accepted",
    "shared_accepted": "shared and accepted",
    "shared_encrypted": "shared + encrypted",
    "public_gold": "public, not yours",
    "large": "over 128 GiB",
    "not_active": "not active yet",
    "hostile_markup": "markup in its name",
    "hostile_escapes": "escape codes in its name",
    "cjk": "Chinese name",
    "long_name": "128-character name",
    "internal_fail": "copy FAILS by itself",
}

ELIGIBLE_MARK = "✓"
BLOCKED_MARK = "✗"
MARKS_LEGEND = f"{ELIGIBLE_MARK} eligible, {BLOCKED_MARK} blocked: the lookup's verdict"


@dataclass(frozen=True)
class Pick:
    """One line of the pick list: ``label`` (plain words), the image ``name`` (untrusted) and its id."""

    image_id: str
    label: str
    name: str
    group: str  # "demo" | "recent"


def demo_case(key: str) -> str:
    if key.startswith("batch_"):
        return f"batch node {key.removeprefix('batch_')}"
    return DEMO_CASES.get(key, key.replace("_", " "))


def demo_label(seeded: SeededImage, project_id: str | None) -> str:
    """``✗ ISO``: the case in plain words, marked with the verdict the lookup gives the seeded image."""
    from imstui.core.eligibility import assess

    case = demo_case(seeded.key)
    if seeded.image is None:
        return case
    mark = ELIGIBLE_MARK if assess(seeded.image, project_id).ok else BLOCKED_MARK
    return f"{mark} {case}"


def demo_picks(catalogue: DemoCatalogue | None) -> list[Pick]:
    """The images a demo session's simulator seeded, in the seed's order of cases (eligible first, then each
    blocking case...); none for a real session."""
    if catalogue is None:
        return []
    project = catalogue.project_id
    return [Pick(image.image_id, demo_label(image, project), image.name, "demo") for image in catalogue.images]


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
    """:func:`recent_picks` for ``profile``'s rows of ``ledger``: the newest rows only, read through the index
    (:func:`imstui.core.ledger.window.recent_sources`), never the whole history."""
    from imstui.core.ledger.window import recent_sources

    return recent_picks(recent_sources(ledger, profile, limit), now, limit=limit)
