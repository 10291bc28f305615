"""The image browser's pure model: what the filter keeps and in which order (the core's ImageFilter and sort_rows,
however the view got there: typed character by character, pages arriving in between), and the marks."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from imstui.api.models import Image
from imstui.core.eligibility import assess
from imstui.core.image_search import UNENCRYPTED, ImageFilter, ImageRow, sort_rows
from imstui.ui.browser_model import BrowserModel, filter_words, verdict_look

PROJECT = "0123456789abcdef0123456789abcdef"
KEY_A = "4f8b2c1d-0000-4000-8000-00000000000a"
KEY_B = "77e1d2c3-0000-4000-8000-00000000000b"


def make_row(n: int, name: str, *, os: str = "Ubuntu 22.04 server 64bit", **extra: Any) -> ImageRow:
    data: dict[str, Any] = {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "name": name,
        "status": "active",
        "__imagetype": "private",
        "__os_type": "Linux",
        "__os_version": os,
        "__image_size": str(1_000_000_000 + (n * 7919) % 5_000_000_000),
        "min_disk": 40,
        "owner": PROJECT,
        "created_at": f"2026-01-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
    }
    data.update(extra)
    image = Image.from_api(data)
    return ImageRow(image, assess(image, PROJECT), "private")


names = st.text(alphabet="abcXYZ-_ 中[]/", min_size=0, max_size=8)
rows_strategy = st.lists(
    st.tuples(
        names,
        st.sampled_from([None, KEY_A, KEY_B]),
        st.booleans(),  # Windows (blocked)
        st.sampled_from(["Ubuntu 22.04 server 64bit", "CentOS 7.9 64bit"]),
    ),
    max_size=30,
)


def build(spec: list[tuple[str, str | None, bool, str]], start: int = 0) -> list[ImageRow]:
    out = []
    for i, (name, key, windows, os) in enumerate(spec, start=start):
        extra: dict[str, Any] = {}
        if key:
            extra["__system__cmkid"] = key
        if windows:
            extra["__os_type"] = "Windows"
        out.append(make_row(i, name, os=os, **extra))
    return out


def expected(model: BrowserModel, rows: list[ImageRow]) -> list[str]:
    wanted = ImageFilter(text=model.text or None, eligible_only=model.eligible_only, encrypted_with=model.key_id)
    return [r.image.id for r in sort_rows(rows, model.sort) if wanted.keeps(r.image, r.verdict)]


@settings(max_examples=150, deadline=None)
@given(
    first=rows_strategy,
    second=rows_strategy,
    typed=st.text(alphabet="abcxyz中-0 ", max_size=5),
    sort=st.sampled_from(["created", "name", "size"]),
    eligible=st.booleans(),
    key=st.sampled_from([None, KEY_A, UNENCRYPTED]),
)
def test_the_view_is_the_cores_filter_and_sort_however_it_was_reached(
    first: list[Any], second: list[Any], typed: str, sort: str, eligible: bool, key: str | None
) -> None:
    page1, page2 = build(first), build(second, start=len(first))
    model = BrowserModel()
    model.add(page1)
    model.set_sort(sort)
    model.set_eligible_only(eligible)
    model.set_key(key)
    for i in range(1, len(typed) + 1):  # typed one character at a time: each step narrows the last view
        model.set_text(typed[:i])
        assert [r.image.id for r in model.shown] == expected(model, page1)
    model.add(page2)  # a page arriving under a filter
    assert [r.image.id for r in model.shown] == expected(model, page1 + page2)
    model.set_text(typed[:-1])  # a character deleted: the view widens again
    assert [r.image.id for r in model.shown] == expected(model, page1 + page2)
    model.set_text("")
    model.set_eligible_only(False)
    model.set_key(None)
    assert not model.filtered
    assert [r.image.id for r in model.shown] == [r.image.id for r in sort_rows(page1 + page2, sort)]


def test_text_matches_name_id_and_os_case_insensitively_and_duplicates_are_added_once() -> None:
    rows = [make_row(1, "Web-Server"), make_row(2, "db", os="CentOS 7.9 64bit"), make_row(3, "other")]
    model = BrowserModel()
    assert model.add(rows) == 3 and model.add(rows[:1]) == 0 and model.loaded == 3
    model.set_text("web")
    assert [r.image.name for r in model.shown] == ["Web-Server"]
    model.set_text("centos")
    assert [r.image.name for r in model.shown] == ["db"]
    model.set_text("000000000003")
    assert [r.image.name for r in model.shown] == ["other"]
    assert 'contains "000000000003"' in filter_words(model)


def test_sort_cycles_created_name_size() -> None:
    model = BrowserModel()
    assert [model.next_sort() for _ in range(3)] == ["name", "size", "created"]


@settings(max_examples=80, deadline=None)
@given(spec=rows_strategy, picks=st.lists(st.integers(min_value=0, max_value=29), max_size=12), typed=names)
def test_marks_are_image_ids_kept_when_the_filter_hides_them(spec: list[Any], picks: list[int], typed: str) -> None:
    rows = build(spec)
    model = BrowserModel()
    model.add(rows)
    marked: set[str] = set()
    for pick in picks:
        if pick < len(rows):
            image_id = rows[pick].image.id
            now = model.toggle_mark(image_id)
            assert now == (image_id not in marked)
            marked ^= {image_id}
    model.set_text(typed)
    shown = {r.image.id for r in model.shown}
    assert {i.id for i in model.marked_images()} == marked and model.mark_count == len(marked)
    assert model.hidden_marks == len(marked - shown)
    # The ones shown come first, in the view's order.
    order = [i.id for i in model.marked_images()]
    assert order[: len(marked & shown)] == [r.image.id for r in model.shown if r.image.id in marked]
    added = model.mark_shown()
    assert added == len(shown - marked)
    assert {i.id for i in model.marked_images()} == marked | shown
    assert model.clear_marks() == len(marked | shown) and model.marked_images() == []


def test_verdict_reads_as_a_word_with_an_ascii_fallback() -> None:
    good, bad = make_row(1, "a"), make_row(2, "b", __os_type="Windows")
    assert verdict_look(good).text() == "✓ eligible" and verdict_look(bad).text() == "✗ blocked"
    assert verdict_look(good).text(ascii=True) == "+ eligible" and verdict_look(bad).text(ascii=True) == "x blocked"


@settings(max_examples=120, deadline=None)
@given(
    pages=st.lists(
        st.lists(st.tuples(st.integers(0, 9), st.booleans(), st.booleans(), names), max_size=12), max_size=5
    ),
    sort=st.sampled_from(["created", "name", "size"]),
    typed=st.sampled_from(["", "a", "x"]),
)
def test_pages_merged_into_the_sorted_rows_are_in_the_order_sort_rows_gives(
    pages: list[list[tuple[int, bool, bool, str]]], sort: str, typed: str
) -> None:
    """Each page's rows are put in their places (not the whole list sorted again): the same order as sort_rows
    over every row in arrival order, rows without a date or a size last in arrival order, whatever the pages."""
    model = BrowserModel()
    model.set_sort(sort)
    model.set_text(typed)
    loaded: list[ImageRow] = []
    n = 0
    for page in pages:
        rows = []
        for day, dated, sized, name in page:
            extra: dict[str, Any] = {"created_at": f"2026-02-{1 + day:02d}T00:00:00Z" if dated else None}
            if not sized:
                extra["__image_size"] = None
            rows.append(make_row(n, name, **extra))
            n += 1
        model.add(rows + rows[:1])  # an image already loaded is not added again
        loaded += rows
        assert [r.image.id for r in model.shown] == expected(model, loaded)
    model.set_text("")
    assert [r.image.id for r in model.shown] == [r.image.id for r in sort_rows(loaded, sort)]
    assert all(model.row_for(r.image.id) is r for r in loaded) and model.row_for("nope") is None


def test_a_deleted_character_shows_the_view_it_had_and_marks_hidden_are_counted_per_view() -> None:
    rows = [make_row(1, "web-1"), make_row(2, "web-2"), make_row(3, "db")]
    model = BrowserModel()
    model.add(rows)
    model.toggle_mark(rows[2].image.id)
    model.set_text("w")
    wide = model.shown
    assert model.hidden_marks == 1
    model.set_text("web-1")
    assert [r.image.name for r in model.shown] == ["web-1"] and model.hidden_marks == 1
    model.set_text("w")
    assert model.shown is wide  # as it was: not filtered again
    model.toggle_mark(rows[0].image.id)
    assert model.hidden_marks == 1
    model.set_text("")
    assert model.hidden_marks == 0 and [r.image.name for r in model.shown] == ["db", "web-2", "web-1"]
    assert model.index_of(rows[0].image.id, hint=0) == 2 == model.index_of(rows[0].image.id, hint=2)
    model.add([make_row(4, "web-4")])  # a page arriving: the views kept are worked out again
    model.set_text("w")
    assert model.shown is not wide and len(model.shown) == 3
