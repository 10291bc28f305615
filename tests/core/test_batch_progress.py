"""A batch's aggregate progress (core/batch/outcome.py): every item counted once, in the words ``imstui batch list``
and the console's batch row both print; each item's glyph and word are the jobs' own."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from imstui.api.models import JobStatus
from imstui.core.batch import PENDING, REJECTED, SENDING, SENT, SKIPPED, UNKNOWN, ItemRecord
from imstui.core.batch.outcome import ItemOutcome, item_look, progress, progress_words, retryable
from imstui.core.ledger import JobRecord

AT = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
ITEM = ItemRecord(
    batch_id=1, position=1, source_image_id="src", source_image_name="web", name="web-copy", description=None,
    cmk_id=None, enterprise_project_id=None, tags=(), verdict="ready", reason=None, state=SENT, claim_mark=None,
    job_row_id=None, job_id="job", error_code=None, flow_waits=0, updated_at=AT,
)  # fmt: skip
ROW = JobRecord(
    row_id=1, job_id="job", profile="p", region="r", project_id=None, source_image_id="src", source_image_name="web",
    name="web-copy", description=None, cmk_id=None, enterprise_project_id=None, submitted_at=AT, state="submitted",
)  # fmt: skip


def _sent(n: int, status: JobStatus | None, **row: object) -> ItemOutcome:
    item = replace(ITEM, position=n, job_row_id=n, job_id=f"job{n}")
    return ItemOutcome(item, replace(ROW, row_id=n, job_id=f"job{n}", status=status, **row))  # type: ignore[arg-type]


def _state(n: int, state: str, record: JobRecord | None = None) -> ItemOutcome:
    return ItemOutcome(replace(ITEM, position=n, state=state, job_id=None), record)


def test_the_words_count_each_item_once() -> None:
    rejected_row = replace(ROW, row_id=9, job_id=None, state="rejected", error_code="IMG.0095")
    items = [
        *(_sent(n, JobStatus.SUCCESS) for n in range(1, 8)),
        _sent(8, JobStatus.FAIL, error_code="IMG.0014"),
        _sent(9, JobStatus.RUNNING),
        _sent(10, None),  # sent, no status answer yet
    ]
    assert progress_words(items) == "7/10 done, 1 failed, 2 running"
    more = [
        *items,
        _state(11, REJECTED, rejected_row),  # refused, its row kept: one failure, not two
        _state(12, SENDING),
        _state(13, PENDING),
        _state(14, UNKNOWN, replace(ROW, row_id=14, job_id=None, state="outcome_unknown")),
        _state(15, SKIPPED),
        _sent(16, JobStatus.RUNNING, gone=True),
    ]
    counts = progress(more)
    assert counts.words == (
        "7/16 done, 2 failed, 1 gone, 2 running, 1 submitting, 1 to send, 1 outcome unknown, 1 skipped"
    )
    assert (
        counts.total
        == sum(
            (counts.done, counts.failed, counts.gone, counts.running, counts.submitting, counts.to_send, counts.unknown)
        )
        + counts.skipped
    )
    assert not counts.settled and progress(items[:8]).settled


def test_each_item_reads_as_the_jobs_do() -> None:
    assert item_look(_sent(1, JobStatus.SUCCESS)).label == "✔ SUCCEEDED"
    assert item_look(_sent(2, JobStatus.FAIL)).label == "✖ FAILED"
    assert item_look(_sent(3, JobStatus.RUNNING)).label == "● RUNNING"
    assert item_look(_state(4, SENDING)).label == "↑ SUBMITTING"
    assert item_look(_state(5, UNKNOWN)).label == "? OUTCOME UNKNOWN"
    assert item_look(_state(6, PENDING)).word == "NOT SENT"
    assert item_look(_state(7, SKIPPED)).word == "SKIPPED"
    assert retryable(_sent(2, JobStatus.FAIL)) and retryable(_state(8, REJECTED))
    assert not retryable(_state(5, UNKNOWN)) and not retryable(_sent(1, JobStatus.SUCCESS))
