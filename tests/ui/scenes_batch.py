"""Scenes of the batch rows (ui/widgets/batch_strip.py) and a batch's items (ui/screens/batch_detail.py), for the
snapshot tests and the README's screenshot of a batch (registered by the lead next to tests/ui/scenes.py's).

The console runs on the in-memory fake IMS (tests/ui/fakes.py): a batch of four copies is stored and sent as the
batch form does; the fake's jobs are then set by source image (two SUCCESS, one FAIL with IMG.0014, one still
RUNNING at 42 %) from the copy's answer on, so what a row shows never depends on when the poller first looked (a
first look at a default RUNNING 10 % left "10%" on the failed row in some runs), and each scene waits until the row
says exactly that.
"""

from __future__ import annotations

from typing import Any

from imstui.api.models import Image
from imstui.ui.app import ImstuiApp

from .fakes import PROJECT, FakeApi, FakeConnector, image
from .scenes import NOW, Scene, _connected, _settle, _tmp

SOURCES: tuple[tuple[str, str], ...] = (
    ("5a1e0001-7c3b-46c1-a336-e3bc3b607d7e", "web-frontend-2026"),
    ("5a1e0002-7c3b-46c1-a336-e3bc3b607d7e", "api-gateway-2026"),
    ("5a1e0003-7c3b-46c1-a336-e3bc3b607d7e", "billing-db-2026"),
    ("5a1e0004-7c3b-46c1-a336-e3bc3b607d7e", "batch-worker-2026"),
)
FAIL_ERROR = ("IMG.0014", "An exception occurred when IaaS OpenStack was executing the task.")
WORDS = "2/4 done, 1 failed, 1 running"


def _documents(index: int, job_id: str) -> dict[str, Any]:
    if index in (0, 1):
        new_id = f"b7d1c0de-5a5e-4f00-9c1e-00000000000{index}"
        return {"status": "SUCCESS", "job_id": job_id, "entities": {"image_id": new_id, "process_percent": 100}}
    if index == 2:
        code, reason = FAIL_ERROR
        return {"status": "FAIL", "job_id": job_id, "error_code": code, "fail_reason": reason, "entities": {}}
    return {"status": "RUNNING", "job_id": job_id, "entities": {"process_percent": 42}}


def batch_console() -> ImstuiApp:
    images: dict[str, Image] = {i: image(i, name=n, owner=PROJECT) for i, n in SOURCES}
    api = FakeApi(images)
    order = [source for source, _ in SOURCES]
    api.job_for = lambda source, job_id: _documents(order.index(source), job_id)
    return ImstuiApp(FakeConnector(_tmp(), api), clock=lambda: NOW)


async def _batch_sent(pilot: Any) -> int:
    from imstui.core.batch import BatchSpec, SourceRef, prepare_plan
    from imstui.ui.batch_runner import running_batches, start_batch, store_plan
    from imstui.ui.widgets.batch_strip import BatchStrip

    app = pilot.app
    await _connected(pilot)
    api = app.session.api
    spec = BatchSpec(sources=tuple(SourceRef(i) for i, _ in SOURCES), name_template="{name}-rekeyed")
    plan, reads = await prepare_plan(api, spec)
    batch_id = store_plan(app.screen, plan, name_template="{name}-rekeyed")
    start_batch(app.screen, batch_id, reads.images())
    await _settle(pilot, lambda: len(api.copies) == len(SOURCES) and not running_batches(app), "every item sent")
    strip = app.screen.query_one(BatchStrip)

    def said() -> bool:
        if not strip.display or batch_id not in strip.shown:
            return False
        return WORDS in str(strip.batch_list.get_option_at_index(0).prompt)

    await _settle(pilot, said, f"the batch row says {WORDS}")
    return batch_id


async def batch_row(pilot: Any) -> None:
    """The main screen with a batch's row above the jobs panel, the row highlighted."""
    from imstui.ui.widgets.batch_strip import BatchStrip

    app = pilot.app
    await _batch_sent(pilot)
    await pilot.press("b")
    await _settle(pilot, lambda: app.focused is app.screen.query_one(BatchStrip).batch_list, "the batch row focused")


async def batch_items(pilot: Any) -> None:
    """The items of the batch: succeeded, failed (code explained), running; the cursor on the failed one."""
    from textual.widgets import DataTable

    from imstui.ui.screens.batch_detail import BatchDetailScreen

    app = pilot.app
    await batch_row(pilot)
    await pilot.press("enter")
    await _settle(pilot, lambda: isinstance(app.screen, BatchDetailScreen), "the batch's items")
    table = app.screen.query_one("#batch-items", DataTable)
    failed = next(i for i, o in enumerate(app.screen.view.outcomes) if o.word == "failed")
    table.move_cursor(row=failed)
    await _settle(pilot, lambda: table.cursor_row == failed, "the cursor on the failed item")


SCENES: list[Scene] = [
    Scene("batch_row", "main screen: a batch as one row with its aggregate progress", batch_console, batch_row),
    Scene("batch_items", "a batch's items: states, job ids, a failure explained", batch_console, batch_items),
]
