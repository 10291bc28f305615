"""A simulated copy job and its ShowJob / ShowJobProgress document, written the way IMS writes it.

By default the document follows the evidence (``ims-api.md`` §2, ``kms-eps-tags.md`` §4): upper-case statuses,
ISO-8601 times with milliseconds, ``end_time`` ``""`` while the job runs, ``process_percent`` a 0-1 fraction.
Variants seen in older samples or in the docs' prose are options of :class:`WireStyle`: the old time format
``04-Jun-2015 18:11:06:586`` and lower-case statuses (``success`` / ``failed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from imstui.sim.clock import format_job_time

JOB_TYPE = "imsCopyImageInRegionJob"
TIME_FORMATS = ("iso", "legacy")
STATUS_CASES = ("upper", "lower")
# The prose of the copy page writes the final statuses "success" and "failed".
_LOWER = {"SUCCESS": "success", "FAIL": "failed", "RUNNING": "running", "INIT": "init"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_legacy_time(ts: float) -> str:
    """The old sample's job time: ``04-Jun-2015 18:11:06:586`` (UTC, milliseconds after a colon)."""
    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    return (
        f"{moment.day:02d}-{_MONTHS[moment.month - 1]}-{moment.year:04d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}:{moment.microsecond // 1000:03d}"
    )


@dataclass(frozen=True)
class WireStyle:
    """How job documents are written: ``time_format`` ``iso``/``legacy``, ``status_case`` ``upper``/``lower``,
    ``progress_scale`` 1.0 (fractions 0-1) or 100.0 (percent)."""

    time_format: str = "iso"
    status_case: str = "upper"
    progress_scale: float = 1.0

    def time(self, ts: float) -> str:
        return format_legacy_time(ts) if self.time_format == "legacy" else format_job_time(ts)

    def status(self, status: str) -> str:
        return _LOWER[status] if self.status_case == "lower" else status


@dataclass
class CopyJob:
    job_id: str
    project_id: str
    source_id: str
    name: str
    description: str
    cmk_id: str | None
    enterprise_project_id: str | None
    begin: float
    init_s: float
    run_s: float
    new_image_id: str
    fail_at: float = 1.0  # fraction of the run reached; 1.0 for a job that succeeds
    error: tuple[str, str] | None = None
    error_in_entities: bool = False

    @property
    def end(self) -> float:
        return self.begin + self.init_s + self.run_s * self.fail_at

    @property
    def succeeds(self) -> bool:
        return self.error is None

    def document(self, now: float, style: WireStyle | None = None) -> dict[str, Any]:
        style = style or WireStyle()
        entities: dict[str, Any] = {"image_name": self.name}
        end_time = ""  # a running job's end_time is "" in the one sample (kms-eps-tags.md §4)
        error_code = None
        fail_reason = None
        if now >= self.end:
            end_time = style.time(self.end)
            if self.error is None:
                status = "SUCCESS"
                entities["image_id"] = self.new_image_id
            else:
                status = "FAIL"
                if self.error_in_entities:
                    entities["error_code"], entities["error"] = self.error
                else:
                    error_code, fail_reason = self.error
        elif now < self.begin + self.init_s:
            status = "INIT"
            entities["process_percent"] = 0.0
        else:
            status = "RUNNING"
            fraction = (now - self.begin - self.init_s) / self.run_s if self.run_s > 0 else 1.0
            fraction = max(0.0, min(fraction, self.fail_at, 0.99))
            if style.progress_scale == 100.0:
                entities["process_percent"] = round(fraction * 100.0, 2)
            else:
                entities["process_percent"] = round(fraction, 4)
        return {
            "job_id": self.job_id,
            "job_type": JOB_TYPE,
            "begin_time": style.time(self.begin),
            "end_time": end_time,
            "status": style.status(status),
            "error_code": error_code,
            "fail_reason": fail_reason,
            "entities": entities,
        }
