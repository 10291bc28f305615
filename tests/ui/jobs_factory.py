"""Build real ledger JobRecords for the jobs-panel tests (only the fields a test cares about vary)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from imstui.api.models import JobStatus
from imstui.core.ledger import JobRecord

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


def make_record(row_id: int, **overrides: Any) -> JobRecord:
    values: dict[str, Any] = {
        "row_id": row_id,
        "job_id": f"ff8080814dbd65d7014dbe{row_id:010d}",
        "profile": "default",
        "region": "ap-southeast-1",
        "project_id": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "source_image_id": f"11111111-2222-3333-4444-{row_id:012d}",
        "source_image_name": f"base-image-{row_id}",
        "name": f"copy-{row_id}",
        "description": None,
        "cmk_id": None,
        "enterprise_project_id": None,
        "submitted_at": NOW - timedelta(minutes=30) + timedelta(seconds=row_id),
        "state": "submitted",
        "status": JobStatus.RUNNING,
        "progress": 0.25,
        "last_polled_at": NOW - timedelta(seconds=5),
        "poll_count": 3,
    }
    values.update(overrides)
    return JobRecord(**values)


def failed(record: JobRecord, code: str = "IMG.0015", reason: str = "quota exceeded") -> JobRecord:
    return replace(
        record,
        status=JobStatus.FAIL,
        error_code=code,
        fail_reason=reason,
        terminal_at=NOW - timedelta(seconds=10),
        progress=None,
    )


def succeeded(record: JobRecord, image_id: str | None = None) -> JobRecord:
    return replace(
        record,
        status=JobStatus.SUCCESS,
        progress=1.0,
        new_image_id=image_id or f"99999999-8888-7777-6666-{record.row_id:012d}",
        terminal_at=NOW - timedelta(seconds=2),
    )


def rendered_text(widget: Any) -> str:
    """What ``widget`` shows on screen right now, as plain text (one line per row)."""
    from textual.geometry import Region

    width, height = widget.outer_size
    strips = widget.render_lines(Region(0, 0, width, height))
    return "\n".join("".join(segment.text for segment in strip).rstrip() for strip in strips)
