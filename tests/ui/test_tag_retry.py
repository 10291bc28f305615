"""``T`` in the console: a copy that succeeded but whose tags failed gets them applied again (the copy is never
resent); the jobs panel and the job detail say how the tags stand. Other rows refuse ``T`` with a reason."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from imstui.api.models import Job
from imstui.api.tag_models import ImageTag
from imstui.core.tags import TagOutcome
from imstui.ui.screens.job_detail import JobDetailScreen
from imstui.ui.widgets.jobs_table import JobsPanel

from .fakes import FakeApi, fake_app, wait_until
from .screen_text import screen_text

TAGS = (ImageTag("env", "prod"), ImageTag("team", "web"))


def _tagged_copy(session: Any, state: str = "failed") -> Any:
    ledger = session.ledger
    row = ledger.record_intent(
        profile="test", region="r", project_id=None, source_image_id="src", source_image_name="base", name="tagged",
        tags=TAGS, endpoint="https://ims.example.test",
    )  # fmt: skip
    ledger.attach_job_id(row, "job-tagged")
    done = Job.from_api({"job_id": "job-tagged", "status": "SUCCESS", "entities": {"image_id": "new-image"}})
    ledger.update_from_job("job-tagged", done, datetime.now(timezone.utc))
    if state == "failed":
        return ledger.mark_tags_failed(row, "IMG.0001", "An image can have a maximum of 10 tags.")
    return ledger.mark_tags_applied(row)


async def test_T_applies_failed_tags_again_and_the_detail_shows_them_applied(tmp_path: Path) -> None:
    applied: list[tuple[str, tuple[ImageTag, ...]]] = []

    async def tag(image_id: str, tags: Sequence[ImageTag]) -> TagOutcome:
        applied.append((image_id, tuple(tags)))
        return TagOutcome(image_id, tuple(tags))

    api = FakeApi()
    app = fake_app(tmp_path, api)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        session = app.session
        session.tagger._tag = tag  # the tag service, recorded (FakeApi has no tags; the network path: tests/core)
        record = _tagged_copy(session)
        app.job_changed(record)
        panel = app.screen.query_one(JobsPanel)
        await wait_until(pilot, lambda: any(r.row_id == record.row_id for r in panel.records))
        panel.table.focus()
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        assert "copied, tags not applied: IMG.0001 An image can have a maximum of 10 tags." in screen_text(app)
        await pilot.press("T")
        await wait_until(pilot, lambda: session.ledger.get("job-tagged").tags_state == "applied")
        await wait_until(pilot, lambda: panel.records and panel.records[0].tags_state == "applied")
        await wait_until(pilot, lambda: not isinstance(app.screen, JobDetailScreen))  # T hands over, as R does
        await pilot.press("d")
        await wait_until(pilot, lambda: "tags applied (2)" in screen_text(app))
        assert applied == [("new-image", TAGS)]
        assert api.jobs == {}  # no copy was sent: the retry is the tags only


async def test_T_on_tags_already_applied_says_why_and_sends_nothing(tmp_path: Path) -> None:
    calls: list[str] = []

    async def tag(image_id: str, tags: Sequence[ImageTag]) -> TagOutcome:
        calls.append(image_id)
        return TagOutcome(image_id, tuple(tags))

    app = fake_app(tmp_path, FakeApi())
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        session = app.session
        session.tagger._tag = tag
        record = _tagged_copy(session, state="applied")
        app.job_changed(record)
        panel = app.screen.query_one(JobsPanel)
        await wait_until(pilot, lambda: any(r.row_id == record.row_id for r in panel.records))
        panel.table.focus()
        await pilot.press("T")
        said = "only tags that could not be applied can be retried"
        await wait_until(pilot, lambda: any(said in n.message for n in app._notifications))
        assert calls == []
