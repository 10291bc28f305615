"""The console batch form on the in-process simulator: the live preview says every target name and verdict as the
core's plan does, follows the template, marks duplicates; the confirmation lists the plan; on yes the batch is in the
ledger and exactly the eligible items are POSTed; an all-skipped plan sends nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from imstui.api.errors import ImsServiceError
from imstui.api.models import Image
from imstui.core.batch import PENDING, SKIPPED, BatchStore, ItemVerdict
from imstui.sim import seed
from imstui.sim.state import SimState
from imstui.ui.batch_runner import running_batches
from imstui.ui.screens.batch_confirm import BatchConfirmScreen
from imstui.ui.screens.batch_form import DEFAULT_TEMPLATE, NOTHING_TO_SEND, BatchFormScreen
from imstui.ui.screens.main import MainScreen
from imstui.ui.widgets.picker import ChoiceField

from .fakes import demo_app, wait_until
from .screen_text import screen_text

IDS = (seed.ELIGIBLE_LINUX_ID, seed.ELIGIBLE_SMALL_ID, seed.WINDOWS_ID)


@pytest.fixture
def posts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The source id of every copy POST the simulator receives (accepted or not)."""
    seen: list[str] = []
    real: Callable[..., str] = SimState.copy_image

    def copy_image(self: SimState, image_id: str, raw_body: bytes, project_id: str) -> str:
        seen.append(image_id)
        return real(self, image_id, raw_body, project_id)

    monkeypatch.setattr(SimState, "copy_image", copy_image)
    return seen


class KmsRefusing:
    """A KMS that refuses every call (HTTP 403), as for an access key without KMS rights."""

    async def list_keys(self, *, key_state: str | None = None) -> list[Any]:
        raise ImsServiceError(403, "KMS.0403", "Forbidden.", "req-kms")

    async def describe_key(self, key_id: str) -> Any:
        raise ImsServiceError(403, "KMS.0403", "Forbidden.", "req-kms")


async def open_form(pilot: Any, app: Any, ids: tuple[str, ...] = IDS, *, kms: Any = None) -> BatchFormScreen:
    await wait_until(pilot, lambda: app.session is not None)
    if kms is not None:
        app.session.kms_source = kms
    images: list[Image] = [await app.session.api.get_image(i) for i in ids]
    form = BatchFormScreen(images)
    await app.push_screen(form)
    # The project and the quota were read, the key and project lists loaded: the verdicts and the quota are final.
    await wait_until(pilot, lambda: form.plan is not None and form.plan.quota is not None)
    await wait_until(pilot, lambda: all(p.loaded for p in form.query(ChoiceField)))
    return form


def preview(form: BatchFormScreen) -> str:
    return str(form.query_one("#batch-preview", Static).content)


async def set_template(pilot: Any, form: BatchFormScreen, value: str) -> None:
    before = form.preview_generation
    form.query_one("#name_template", Input).value = value
    await wait_until(pilot, lambda: form.preview_generation > before and not form._preview_pending)


async def test_preview_shows_each_target_and_verdict_and_follows_the_template(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app)
        assert form.query_one("#name_template", Input).value == DEFAULT_TEMPLATE
        plan = form.plan
        assert plan is not None
        names = [i.source_name for i in plan.items]
        assert [i.target_name for i in plan.items] == [f"{n}-copy" for n in names]
        assert [i.verdict for i in plan.items] == [ItemVerdict.READY, ItemVerdict.READY, ItemVerdict.NOT_ELIGIBLE]
        text = preview(form)
        for name in names:
            assert f"{name}-copy" in text
        assert text.count("✓ ") == 2 and "✗ " in text
        assert "not eligible: " in text
        totals = str(form.query_one("#batch-totals", Static).content)
        assert totals.startswith("3 images: 2 to copy, 1 skipped; quota: 2 needed, ")
        assert totals.endswith(" left")

        await set_template(pilot, form, "{n}-{id8}-nightly")
        assert f"1-{seed.ELIGIBLE_LINUX_ID[:8]}-nightly" in preview(form)
        assert f"2-{seed.ELIGIBLE_SMALL_ID[:8]}-nightly" in preview(form)
        assert f"{names[0]}-copy" not in preview(form)

        before = form.preview_generation  # a burst of edits (a paste, fast typing): one rebuild, for the last one
        field = form.query_one("#name_template", Input)
        for value in ("a", "a-{n}", "a-{n}-b", "copy-{n}"):
            field.value = value
        await wait_until(pilot, lambda: form.preview_generation > before and not form._preview_pending)
        assert form.preview_generation - before < 4  # fewer rebuilds than edits (one, unless a refresh fell between)
        assert "copy-1" in preview(form) and "a-1-b" not in preview(form)

        await set_template(pilot, form, "{nam}")  # an unknown placeholder: no plan, and Submit cannot be pressed
        assert form.plan is None and "Fix the fields above" in preview(form)
        assert "unknown placeholder" in str(form.query_one("#name_template-error", Static).content)
        await pilot.press("f2")
        assert app.screen is form


async def test_a_template_giving_one_name_to_many_marks_them_duplicate(tmp_path: Path, posts: list[str]) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app)
        await set_template(pilot, form, "nightly")
        plan = form.plan
        assert plan is not None
        assert [i.verdict for i in plan.items][:2] == [ItemVerdict.DUPLICATE_NAME, ItemVerdict.DUPLICATE_NAME]
        assert preview(form).count("duplicate name") == 2
        assert "0 to copy, 3 skipped" in str(form.query_one("#batch-totals", Static).content)

        await pilot.press("f2")  # nothing to send: said inline, no confirmation, no POST, no batch
        await wait_until(pilot, lambda: NOTHING_TO_SEND in str(form.query_one("#batch-result", Static).content))
        assert app.screen is form and posts == []
        with BatchStore(app.session.ledger) as store:
            assert store.batches() == []


async def test_confirm_stores_the_batch_and_posts_exactly_the_eligible_items(tmp_path: Path, posts: list[str]) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, BatchConfirmScreen))
        shown = screen_text(app)
        assert "Copy 2 images in one batch?" in shown
        assert "Only the 2 item(s) marked copy will be sent" in shown
        assert shown.count("✓ copy") == 2 and shown.count("✗ skip") == 1
        assert posts == []  # nothing before the yes

        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        batch_id = form.batch_id
        assert batch_id is not None
        await wait_until(pilot, lambda: len(posts) == 2 and not running_batches(app))
        assert sorted(posts) == sorted(IDS[:2])
        with BatchStore(app.session.ledger) as store:
            items = store.items(batch_id)
        assert [i.state for i in items][2] == SKIPPED
        assert all(i.job_id for i in items[:2]) and items[2].job_id is None
        assert [i.name for i in items[:2]] == [f"{i.source_image_name}-copy" for i in items[:2]]
        assert any(f"batch {batch_id}: 2 copies being submitted" in n.message for n in app._notifications)
        # The new jobs reach the jobs panel (the session's poller follows them).
        rows = app.session.ledger.list(app.session.scope)
        assert {r.job_id for r in rows} >= {i.job_id for i in items[:2]}


async def test_back_from_the_confirmation_stores_and_sends_nothing(tmp_path: Path, posts: list[str]) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, app)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, BatchConfirmScreen))
        await pilot.press("enter")  # Back has the focus
        await wait_until(pilot, lambda: app.screen is form)
        assert posts == [] and form.batch_id is None
        with BatchStore(app.session.ledger) as store:
            assert store.batches() == []


async def test_hostile_names_are_shown_literally(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app, (seed.HOSTILE_MARKUP_ID, seed.ELIGIBLE_LINUX_ID))
        assert f"{seed.HOSTILE_MARKUP_NAME}-copy" in preview(form)  # the brackets as typed, not markup
        assert form.plan is not None and form.plan.items[0].verdict is ItemVerdict.INVALID
        assert "invalid name: The name may contain only" in preview(form)
        await pilot.click("#batch-preview")  # the [@click=app.quit] in the name is text: clicking it does nothing
        assert app.screen is form and app.is_running


async def test_a_stored_batch_is_resumed_by_id(tmp_path: Path, posts: list[str]) -> None:
    from imstui.ui.batch_runner import resume_batch

    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app)
        plan = form.plan
        assert plan is not None
        with BatchStore(app.session.ledger) as store:  # stored, then imstui stopped before sending anything
            batch_id = store.create(
                plan,
                profile=app.session.profile,
                region=app.session.region,
                project_id=None,
                name_template="t",
                max_in_flight=5,
            )
            assert [i.state for i in store.items(batch_id)] == [PENDING, PENDING, SKIPPED]
        worker = resume_batch(form, batch_id)
        assert worker is not None
        await wait_until(pilot, lambda: worker.is_finished)
        assert sorted(posts) == sorted(IDS[:2])
        assert resume_batch(form, batch_id) is not None  # nothing left to send: a second resume sends nothing
        await wait_until(pilot, lambda: not running_batches(app))
        assert len(posts) == 2


async def test_a_refused_item_is_sent_again_only_when_retried_and_a_sent_one_never(
    tmp_path: Path, posts: list[str]
) -> None:
    from imstui.core.batch import REJECTED, SENT
    from imstui.ui.batch_runner import retry_item

    unknown_key = "0f0f0f0f-1111-4222-8333-444455556666"  # not a key of the simulator: IMS refuses with IMG.0095
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        # KMS refuses this key's calls: the picker takes the typed id unchecked and IMS is the one to refuse it.
        form = await open_form(pilot, app, IDS[:2], kms=KmsRefusing())
        form.query_one("#cmk_id", Input).value = unknown_key
        await wait_until(pilot, lambda: form.plan is not None and form.plan.items[0].cmk_id == unknown_key)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, BatchConfirmScreen))
        assert f"key: {unknown_key}" in screen_text(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: form.batch_id is not None and len(posts) == 2 and not running_batches(app))
        batch_id = form.batch_id
        assert batch_id is not None
        with BatchStore(app.session.ledger) as store:
            assert [(i.state, i.error_code) for i in store.items(batch_id)] == [(REJECTED, "IMG.0095")] * 2
            # The operator fixes nothing here and retries item 1 only: exactly one more POST, for its image.
        assert retry_item(form, batch_id, 1) is not None
        await wait_until(pilot, lambda: len(posts) == 3 and not running_batches(app))
        assert posts[2] == IDS[0]

    posts.clear()
    app = demo_app(tmp_path / "second")
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app, IDS[:1])
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, BatchConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: form.batch_id is not None and len(posts) == 1 and not running_batches(app))
        batch_id = form.batch_id
        assert batch_id is not None
        with BatchStore(app.session.ledger) as store:
            assert store.items(batch_id)[0].state == SENT
        assert retry_item(form, batch_id, 1) is None  # sent (running or succeeded): never sent again from here
        await wait_until(pilot, lambda: any("not sent again:" in n.message for n in app._notifications))
        assert posts == [IDS[0]]


async def test_leaving_the_app_mid_submission_leaves_a_batch_that_resumes_without_a_duplicate(
    tmp_path: Path, posts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from imstui.api.client import ImsClient
    from imstui.core.batch import SENDING, UNKNOWN
    from imstui.core.ledger import Ledger
    from imstui.ui.batch_runner import resume_batch, start_batch, store_plan

    ids = (seed.ELIGIBLE_LINUX_ID, seed.ELIGIBLE_SMALL_ID, seed.ENCRYPTED_ID)
    gate = asyncio.Event()  # never set: the first copy request is on its way when the operator quits
    real = ImsClient.copy_image

    async def held(self: ImsClient, image_id: str, request: Any) -> str:
        await gate.wait()
        return await real(self, image_id, request)

    monkeypatch.setattr(ImsClient, "copy_image", held)
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app, ids)
        assert form.plan is not None and len(form.plan.ready) == 3
        batch_id = store_plan(form, form.plan, name_template="{name}-copy", max_in_flight=1)
        images = {i.source_image_id: i.image for i in form.plan.ready if i.image is not None}
        start_batch(form, batch_id, images)
        with BatchStore(app.session.ledger) as store:
            await wait_until(pilot, lambda: store.items(batch_id)[0].state == SENDING)
        await app.action_quit()
    assert posts == []  # the held request never reached IMS

    monkeypatch.setattr(ImsClient, "copy_image", real)
    with Ledger(tmp_path / "demo-jobs.sqlite3") as ledger, BatchStore(ledger) as store:
        assert [i.state for i in store.items(batch_id)][1:] == [PENDING, PENDING]  # resumable
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        worker = resume_batch(app.screen, batch_id)
        assert worker is not None
        await wait_until(pilot, lambda: worker.is_finished)
        with BatchStore(app.session.ledger) as store:
            states = [i.state for i in store.items(batch_id)]
    # The item whose request was in flight may have created a copy: never sent again; the other two sent once.
    assert states[0] == UNKNOWN and sorted(posts) == sorted(ids[1:])


async def test_tags_are_checked_and_an_image_marked_twice_is_copied_once(tmp_path: Path) -> None:
    from imstui.ui.screens.batch_preview import TAGS_AFTER_SUCCESS

    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app, (seed.ELIGIBLE_LINUX_ID, seed.ELIGIBLE_LINUX_ID))
        plan = form.plan
        assert plan is not None and len(plan.items) == 1 and plan.merged == (seed.ELIGIBLE_LINUX_ID,)
        totals = form.query_one("#batch-totals", Static)
        assert "1 image: 1 to copy, 0 skipped" in str(totals.content)
        assert f"note: {seed.ELIGIBLE_LINUX_ID} was marked more than once; it is copied once" in str(totals.content)

        form.query_one("#tags", Input).value = "env=prod, bad key=x"
        await wait_until(pilot, lambda: form.plan is None)
        assert "tag key 'bad key'" in str(form.query_one("#tags-error", Static).content)
        await pilot.press("f2")
        assert app.screen is form  # an invalid tag: nothing to confirm

        form.query_one("#tags", Input).value = "env=prod, team=db"
        await wait_until(pilot, lambda: form.plan is not None)
        assert form.plan is not None and [str(t) for t in form.plan.items[0].tags] == ["env=prod", "team=db"]
        assert TAGS_AFTER_SUCCESS in str(totals.content)


async def test_the_tags_of_a_console_batch_reach_the_new_images_after_success(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app, IDS[:2])
        form.query_one("#tags", Input).value = "env=prod"
        await wait_until(pilot, lambda: form.plan is not None and bool(form.plan.items[0].tags))
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, BatchConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: form.batch_id is not None and not running_batches(app))
        ledger = app.session.ledger

        def tagged() -> bool:
            rows = [r for r in ledger.list(app.session.scope) if r.source_image_id in IDS[:2]]
            return len(rows) == 2 and all(r.tags_state == "applied" for r in rows)

        await wait_until(pilot, tagged)
        rows = [r for r in ledger.list(app.session.scope) if r.source_image_id in IDS[:2]]
        # Applied by the session's Tagger once each copy succeeded, as recorded in the ledger.
        assert all(r.new_image_id and [str(t) for t in r.tags] == ["env=prod"] for r in rows)


async def test_the_batch_key_and_project_are_picked_by_alias_and_name_and_the_preview_follows(tmp_path: Path) -> None:
    from imstui.sim.eps import PROD_DB_ID

    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app, IDS[:2])
        form.query_one("#cmk_id", Input).focus()
        await pilot.press(*"demo/disab")  # only a disabled key matches: nothing to choose, no plan
        await wait_until(pilot, lambda: form.plan is None)
        assert "Fix the fields above" in preview(form)
        await pilot.press(*["backspace"] * 10, *"backup", "enter")  # the key by alias; Enter moves on
        assert app.focused is form.query_one("#enterprise_project_id", Input)
        await pilot.press(*"production", "enter")  # the project by name
        await pilot.press(*"env=prod")
        await wait_until(pilot, lambda: form.plan is not None and bool(form.plan.items[0].tags))
        plan = form.plan
        assert plan is not None
        assert all(i.cmk_id == seed.SECOND_CMK_ID and i.enterprise_project_id == PROD_DB_ID for i in plan.items)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, BatchConfirmScreen))
        text = screen_text(app)
        assert f"key: demo/backup ({seed.SECOND_CMK_ID})" in text
        assert f"production-db ({PROD_DB_ID})" in text and "env=prod" in text
        await pilot.press("escape")
