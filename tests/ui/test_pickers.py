"""The copy form's KMS key picker, enterprise project picker and tags field, on the in-process simulator (the demo):
what the lists show and refuse, pasted ids checked with the service, the fallbacks without rights, the tag rules
named; and the whole newcomer's path by keyboard only, ending with the tags on the new image."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import Button

from imstui.sim import kms as sim_kms
from imstui.sim import seed
from imstui.sim.eps import DISABLED_ID, PROD_WEB_ID
from imstui.ui.screens.confirm import ConfirmScreen
from imstui.ui.screens.copy_form import CopyFormScreen
from imstui.ui.screens.lookup import LookupScreen
from imstui.ui.screens.main import MainScreen
from imstui.ui.widgets.eps_picker import EpsPicker
from imstui.ui.widgets.key_picker import KeyPicker
from imstui.ui.widgets.picker import ChoiceField
from imstui.ui.widgets.tags_field import TagsField

from .fakes import demo_app, wait_until
from .screen_text import screen_text


@pytest.fixture
def backends(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The demo simulator each console opens (so a test can make its EPS refuse)."""
    import imstui.sim.demo as sim_demo

    made: list[Any] = []
    real = sim_demo.demo_backend

    def demo_backend(*args: Any, **kwargs: Any) -> Any:
        backend = real(*args, **kwargs)
        made.append(backend)
        return backend

    monkeypatch.setattr(sim_demo, "demo_backend", demo_backend)
    return made


async def open_form(pilot: Any, app: Any, image_id: str = seed.ELIGIBLE_LINUX_ID) -> CopyFormScreen:
    await wait_until(pilot, lambda: app.session is not None)
    await pilot.press("l")
    await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
    await pilot.press(*image_id, "enter")
    await wait_until(pilot, lambda: getattr(app.screen, "image", None) is not None)
    await pilot.press("f2")
    await wait_until(pilot, lambda: isinstance(app.screen, CopyFormScreen))
    form: CopyFormScreen = app.screen
    await wait_until(pilot, lambda: all(p.loaded for p in form.query(ChoiceField)))
    return form


def key_picker(form: CopyFormScreen) -> KeyPicker:
    return form.query_one(KeyPicker)


def eps_picker(form: CopyFormScreen) -> EpsPicker:
    return form.query_one(EpsPicker)


def entries(picker: ChoiceField) -> list[tuple[str, bool]]:
    """Each list entry's text and whether it can be chosen."""
    return [(str(o.prompt), not o.disabled) for o in picker.options.options]


async def type_into(pilot: Any, picker: ChoiceField, text: str) -> None:
    picker.input.focus()
    await pilot.pause()
    picker.input.value = ""
    await pilot.press(*text)
    await wait_until(pilot, lambda: picker.checking is None)


async def paste_into(pilot: Any, picker: ChoiceField, text: str) -> None:
    picker.input.focus()
    picker.input.value = ""
    await pilot.pause()
    picker.input.post_message(events.Paste(text))
    await wait_until(pilot, lambda: picker.input.value == text)
    await wait_until(pilot, lambda: picker.checking is None)


def line(picker: ChoiceField) -> str:
    """The line under the picker as shown: the error, else what is chosen (whole, however it wraps)."""
    return str(picker.error.content) if picker.error_text is not None else str(picker.status.content)


def submit_disabled(form: CopyFormScreen) -> bool:
    return form.query_one("#submit-button", Button).disabled


async def test_the_key_list_shows_aliases_states_and_default_and_only_enabled_keys_can_be_chosen(
    tmp_path: Path,
) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app)
        picker = key_picker(form)
        listed = entries(picker)
        assert listed[0][0].startswith("no encryption") and listed[0][1]  # always the first choice
        by_alias = {text.split()[0]: (text, ok) for text, ok in listed[1:]}
        assert "enabled · default key" in by_alias["ims/default"][0] and by_alias["ims/default"][1]
        assert by_alias["demo/backup"][1]
        for alias, state in (
            ("demo/disabled", "disabled"),
            ("demo/retiring", "pending deletion"),
            ("demo/not-yet-active", "pending activation"),
            ("demo/byok-import", "pending import"),
        ):
            text, ok = by_alias[alias]
            assert state in text and not ok  # visible with its state, not choosable
        assert "team/red[b]bold[/b]" in "".join(t for t, _ in listed)  # a hostile alias, literally

        picker.input.focus()
        await pilot.pause()
        assert "ims/default" in screen_text(app)  # the list is open under the focused field

        await type_into(pilot, picker, "demo/disabled")
        assert "KMS key demo/disabled" in line(picker) and "is disabled" in screen_text(app)
        assert not picker.is_valid and submit_disabled(form)
        await type_into(pilot, picker, "retiring")  # only a key that cannot be chosen matches
        await pilot.press("enter")
        await pilot.pause()
        assert picker.input.value == "retiring" and picker.chosen is None and submit_disabled(form)

        await type_into(pilot, picker, "backup")  # typing filters; Enter chooses and moves on
        assert [t.split()[0] for t, _ in entries(picker)] == ["no", "demo/backup"]
        await pilot.press("enter")
        await wait_until(pilot, lambda: picker.chosen is not None and picker.chosen.value == seed.SECOND_CMK_ID)
        assert picker.input.value == "demo/backup" and app.focused is eps_picker(form).input
        assert not submit_disabled(form)


async def test_a_pasted_key_id_is_described_inline_and_an_unknown_or_retiring_one_refused(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app)
        picker = key_picker(form)
        await paste_into(pilot, picker, seed.SECOND_CMK_ID)
        assert f"✓ demo/backup ({seed.SECOND_CMK_ID}): enabled" in screen_text(app)
        assert picker.value == seed.SECOND_CMK_ID and not submit_disabled(form)

        await paste_into(pilot, picker, sim_kms.PENDING_DELETION_KEY_ID)
        assert "pending deletion" in screen_text(app)
        assert "demo/retiring" in line(picker) and "is pending deletion: only an enabled key can" in line(picker)
        assert submit_disabled(form)

        unknown = "12345678-aaaa-4bbb-8ccc-123456789abc"
        await paste_into(pilot, picker, unknown)
        assert f"no KMS key with id {unknown} in this project" in line(picker)
        assert submit_disabled(form)


async def test_an_encrypted_source_says_which_key_the_copy_carries(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app, seed.ENCRYPTED_ID)
        picker = key_picker(form)
        assert "expected to keep the source's key demo/app-data" in line(picker)
        source = [ok for text, ok in entries(picker) if text.startswith("demo/app-data")]
        assert source == [False]  # the same key again is refused by IMS (IMG.0096): not offered
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "expected to keep the source's key" in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is form)
        await type_into(pilot, picker, "demo/backup")
        assert "re-encrypts the copy" in line(picker)


async def test_kms_refusing_the_list_falls_back_to_a_typed_key_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(_self: Any, _body: Any) -> Any:
        raise sim_kms.KmsFailure("KMS.0403", "Forbidden: kms:cmk:list is not allowed.", 403)

    monkeypatch.setattr(sim_kms.KmsKeys, "list_keys", refuse)
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app)
        picker = key_picker(form)
        assert picker.unavailable is not None
        assert "this access key may not list KMS keys (HTTP 403" in line(picker)
        await type_into(pilot, picker, "not-a-key")
        assert "[cmk_id.uuid]" in line(picker) and submit_disabled(form)
        await paste_into(pilot, picker, seed.SECOND_CMK_ID)  # describe-key is still allowed here
        assert "demo/backup" in line(picker) and not submit_disabled(form)


async def test_the_project_list_offers_default_first_and_refuses_a_disabled_project(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app)
        picker = eps_picker(form)
        listed = entries(picker)
        assert listed[0][0].startswith("0 = default") and listed[0][1]
        names = {text.split()[0]: ok for text, ok in listed[1:]}
        assert names["prod-web"] and names["staging"] and names["legacy-archive"] is False
        assert [t for t, _ in listed[1:]] == sorted((t for t, _ in listed[1:]), key=str.lower)

        await type_into(pilot, picker, "legacy-archive")
        assert "is disabled: a copy cannot be placed in it" in line(picker) and submit_disabled(form)
        await paste_into(pilot, picker, DISABLED_ID)  # by id, checked with EPS: refused as well
        assert "is disabled" in line(picker) and submit_disabled(form)
        await paste_into(pilot, picker, PROD_WEB_ID)
        assert f"✓ prod-web ({PROD_WEB_ID}): enabled" in line(picker) and not submit_disabled(form)
        await type_into(pilot, picker, "0")
        assert picker.value == "0" and not submit_disabled(form)


async def test_without_eps_rights_the_form_says_so_and_takes_a_typed_id(tmp_path: Path, backends: list[Any]) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        backends[0].state.eps.denied = True
        form = await open_form(pilot, app)
        picker = eps_picker(form)
        assert "no EPS rights" in screen_text(app) and "type the project id" in line(picker)
        await type_into(pilot, picker, "xyz")
        assert "[enterprise_project_id.format]" in line(picker) and submit_disabled(form)
        await paste_into(pilot, picker, PROD_WEB_ID)
        assert "not checked: no EPS rights" in line(picker)
        assert picker.value == PROD_WEB_ID and not submit_disabled(form)


async def test_each_broken_tag_rule_is_named(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 34)) as pilot:
        form = await open_form(pilot, app)
        tags = form.query_one(TagsField)
        tags.input.value = "bad key=x, a=1, a=2, k=v<, novalue"
        await pilot.pause()
        text = screen_text(app)
        for rule in ("[tag.key.charset]", "[tag.value.charset]", "[tag.format]", "[tag.key.unique]"):
            assert rule in text
        assert submit_disabled(form)
        tags.input.value = ", ".join(f"k{n}=v" for n in range(11))
        await pilot.pause()
        assert "[tags.count]" in screen_text(app) and submit_disabled(form)
        tags.input.value = "env=prod, team=web"
        await pilot.pause()
        assert [str(t) for t in tags.tags] == ["env=prod", "team=web"] and not submit_disabled(form)


async def test_newcomer_picks_a_key_a_project_adds_two_tags_and_sees_them_on_the_new_image(tmp_path: Path) -> None:
    """The issue's "done when", keyboard only on the demo: browse, pick, copy with a key by alias, a project by
    name and two tags; the job succeeds and the tags are on the new image (asked of the simulator) and in the
    job detail."""
    from imstui.api.tags import list_image_tags
    from imstui.ui.screens.job_detail import JobDetailScreen
    from imstui.ui.widgets.jobs_table import JobsPanel

    app = demo_app(tmp_path, speed=200.0)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LookupScreen))
        lookup: LookupScreen = app.screen
        await wait_until(pilot, lambda: lookup.model.done)
        target = [row.image.id for row in lookup.model.shown].index(seed.ELIGIBLE_LINUX_ID)
        await pilot.press("down", *["down"] * target, "enter")  # into the browser, down to the image, look it up
        await wait_until(pilot, lambda: lookup.image is not None and lookup.image.id == seed.ELIGIBLE_LINUX_ID)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, CopyFormScreen))
        form: CopyFormScreen = app.screen
        await wait_until(pilot, lambda: all(p.loaded for p in form.query(ChoiceField)))

        await pilot.press("enter", "enter")  # name as proposed, no description
        assert app.focused is key_picker(form).input
        await pilot.press(*"backup", "enter")  # the key by alias
        assert app.focused is eps_picker(form).input
        await pilot.press(*"prod-w", "enter")  # the enterprise project by name
        assert app.focused is form.query_one(TagsField).input
        await pilot.press(*"env=prod, team=web")
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        text = screen_text(app)
        assert f"KMS key demo/backup ({seed.SECOND_CMK_ID})" in text
        assert f"prod-web ({PROD_WEB_ID})" in text
        assert "env=prod, team=web" in text
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))

        session = app.session
        assert session is not None

        def tagged() -> Any:
            rows = [r for r in session.ledger.list(session.scope) if r.source_image_id == seed.ELIGIBLE_LINUX_ID]
            return rows[0] if rows and rows[0].tags_state == "applied" else None

        await wait_until(pilot, tagged)
        row = tagged()
        assert row.cmk_id == seed.SECOND_CMK_ID and row.enterprise_project_id == PROD_WEB_ID
        on_image = await list_image_tags(session.api, row.new_image_id)  # type: ignore[arg-type]
        assert sorted(str(t) for t in on_image) == ["env=prod", "team=web"]

        panel = app.screen.query_one(JobsPanel)
        await wait_until(pilot, lambda: any(r.tags_state == "applied" for r in panel.records))
        panel.table.focus()
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        await wait_until(pilot, lambda: "tags applied (2)" in screen_text(app))
        assert "env=prod" in screen_text(app) and "team=web" in screen_text(app)


async def test_the_session_shares_one_kms_and_one_eps_client_and_drops_them_when_closed(tmp_path: Path) -> None:
    from imstui.connect import open_demo_session

    session = open_demo_session(50.0, ledger_path=tmp_path / "jobs.sqlite3")
    kms, eps = session.kms(), session.eps()
    assert kms is not None and eps is not None
    assert session.kms() is kms and session.eps() is eps  # both fronts' pickers use the same clients
    assert [k.alias for k in await kms.list_keys()][:1] == ["ims/default"]
    await session.aclose()
    assert session.kms() is None and session.eps() is None
