"""imstui.core.rekey: what counts as "this image already has a copy under the new key" (ledger rows in every phase,
an image's parent id or data origin), so that a second re-key never copies an image twice by itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from imstui.api.models import Image
from imstui.core.ledger import Ledger
from imstui.core.rekey import copies_among, copies_in_ledger, copy_source_of

SOURCE = "1db073f0-7c3b-46c1-a336-e3bc3b607d7e"
NEW_KEY = "a7d3e9f1-2b4c-4e6a-8d0f-1a2b3c4d5e6f"
OTHER_KEY = "4f8b2c1d-6a3e-4d59-9b7a-0c1e2f3a4b5c"


@pytest.mark.parametrize(
    ("parent", "origin", "expected"),
    [
        (SOURCE.upper(), None, SOURCE),
        (None, f"image,ap-southeast-1,{SOURCE}", SOURCE),
        (None, f"image,{SOURCE}", SOURCE),
        (None, "instance,0b2e6c7a-9d41-4f3e-8c5a-7e6f5d4c3b2a", None),
        (None, "image,", None),
        ("", "", None),
    ],
)
def test_copy_source_of_reads_the_parent_id_or_the_data_origin(
    parent: str | None, origin: str | None, expected: str | None
) -> None:
    image = Image(id="30e55148-deb9-4923-adb9-91618de16ba0", original_image_name=parent, data_origin=origin)
    assert copy_source_of(image) == expected


def test_copies_among_names_the_copy_literally() -> None:
    copy = Image(id="30e55148-deb9-4923-adb9-91618de16ba0", name="[b]x[/b]", original_image_name=SOURCE)
    assert copies_among([copy], {SOURCE}) == {
        SOURCE: "image 30e55148-deb9-4923-adb9-91618de16ba0 ([b]x[/b]) is its copy under the new key"
    }
    assert copies_among([copy], {"another"}) == {}


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "ledger.db") as opened:
        yield opened


def _row(ledger: Ledger, cmk_id: str | None) -> int:
    return ledger.record_intent(
        profile="p", region="r", project_id=None, source_image_id=SOURCE, source_image_name="s", name="n", cmk_id=cmk_id
    )


@pytest.mark.parametrize(
    ("outcome", "counts"),
    [("submitting", True), ("sent", True), ("unknown", True), ("rejected", False)],
)
def test_a_ledger_row_counts_unless_it_made_no_image(ledger: Ledger, outcome: str, counts: bool) -> None:
    row = _row(ledger, NEW_KEY.upper())
    if outcome == "sent":
        ledger.attach_job_id(row, "9a175ac892fa13420193001c2e62205a")
    elif outcome == "unknown":
        ledger.mark_outcome_unknown(row, "the answer was lost")
    elif outcome == "rejected":
        ledger.mark_rejected(row, "IMG.0060", "flow control")
    found = copies_in_ledger(ledger.list(), {SOURCE}, NEW_KEY)
    assert (SOURCE in found) is counts


def test_a_copy_with_another_key_or_of_another_image_does_not_count(ledger: Ledger) -> None:
    _row(ledger, OTHER_KEY)
    _row(ledger, None)
    assert copies_in_ledger(ledger.list(), {SOURCE}, NEW_KEY) == {}
    assert copies_in_ledger(ledger.list(), {"another"}, OTHER_KEY) == {}
