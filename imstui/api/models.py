"""IMS wire models, parsed tolerantly: missing, null and extra fields are fine; type quirks are normalised.

Every string taken from a response passes through :func:`sanitize` here, so nothing downstream ever holds raw
server text. Reference: ``ims-api.md`` §2 (jobs) and §3.3 (image attributes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from imstui.api import fields
from imstui.api.fields import GIB as GIB  # re-exported: sizes are read as models.GIB too
from imstui.api.fields import MAX_DISK_GB, MAX_RAM_MB, MAX_SIZE_BYTES, Problems, api_id, bounded_int, to_bool
from imstui.api.job_status import JobStatus as JobStatus  # re-exported: the wire models' status
from imstui.api.sanitize import escape, sanitize, sanitize_opt

COPY_SIZE_LIMIT_BYTES = 128 * GIB


def _str(data: Mapping[str, Any], key: str, *, multiline: bool = False) -> str | None:
    value = sanitize_opt(data.get(key), multiline=multiline)
    return value if value is not None and value.strip() else None


def _word(value: str, limit: int = 64) -> str:
    """A status word for display: sanitised, and cut (with "…") if it is longer than any status could be."""
    word = sanitize(value).strip()
    return word if len(word) <= limit else word[: limit - 1] + "…"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class Image:
    """The attributes of an image that decide whether (and how) it can be copied in-region. (Slots: a listing of
    10,000 images holds 10,000 of them; without a ``__dict__`` each is a fifth of the size.)"""

    id: str
    name: str = ""
    status: str | None = None
    visibility: str | None = None
    image_type: str | None = None  # __imagetype: gold | private | shared | market
    os_type: str | None = None  # __os_type: Linux | Windows | Other
    platform: str | None = None  # __platform
    os_version: str | None = None
    os_bit: str | None = None
    disk_format: str | None = None
    container_format: str | None = None
    virtual_env_type: str | None = None  # FusionCompute | DataImage | Ironic | IsoImage
    min_disk_gb: int | None = None
    min_ram_mb: int | None = None
    max_ram_mb: int | None = None
    size_bytes: int | None = None  # __image_size
    whole_image: bool | None = None  # __whole_image: full-ECS image
    cmk_id: str | None = None  # __system__cmkid: set when the image is encrypted
    enterprise_project_id: str | None = None
    owner: str | None = None
    description: str | None = None
    is_registered: bool | None = None
    protected: bool | None = None
    member_status: str | None = None  # for shared images: accepted | pending | rejected
    backup_id: str | None = None
    data_origin: str | None = None
    root_origin: str | None = None
    original_image_name: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    tags: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # fields the server sent that cannot be real (read as unknown), in words

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Image:
        tags = data.get("tags")
        problems = Problems()
        return cls(
            id=sanitize(str(data.get("id") or "")),
            name=sanitize(str(data.get("name") or "")),
            status=_str(data, "status"),
            visibility=_str(data, "visibility"),
            image_type=_str(data, "__imagetype"),
            os_type=_str(data, "__os_type"),
            platform=_str(data, "__platform"),
            os_version=_str(data, "__os_version"),
            os_bit=_str(data, "__os_bit"),
            disk_format=_str(data, "disk_format"),
            container_format=_str(data, "container_format"),
            virtual_env_type=_str(data, "virtual_env_type"),
            min_disk_gb=bounded_int(data, "min_disk", problems, maximum=MAX_DISK_GB),
            min_ram_mb=bounded_int(data, "min_ram", problems, maximum=MAX_RAM_MB),
            max_ram_mb=bounded_int(data, "max_ram", problems, maximum=MAX_RAM_MB),
            size_bytes=bounded_int(data, "__image_size", problems, maximum=MAX_SIZE_BYTES),
            whole_image=to_bool(data.get("__whole_image")),
            cmk_id=_str(data, "__system__cmkid"),
            enterprise_project_id=_str(data, "enterprise_project_id"),
            owner=_str(data, "owner"),
            description=_str(data, "__description", multiline=True),
            is_registered=to_bool(data.get("__isregistered")),
            protected=to_bool(data.get("protected")),
            member_status=_str(data, "member_status"),
            backup_id=_str(data, "__backup_id"),
            data_origin=_str(data, "__data_origin"),
            root_origin=_str(data, "__root_origin"),
            original_image_name=_str(data, "__originalimagename"),
            created_at=_str(data, "created_at"),
            updated_at=_str(data, "updated_at"),
            tags=tuple(sanitize(str(t)) for t in tags) if isinstance(tags, list) else (),
            problems=tuple(problems),
        )

    @property
    def is_encrypted(self) -> bool:
        return bool(self.cmk_id)

    @property
    def is_full_ecs(self) -> bool:
        return bool(self.whole_image) or (self.data_origin or "").startswith("server_backup,")

    @property
    def is_iso(self) -> bool:
        return (self.virtual_env_type or "").lower() == "isoimage" or (self.disk_format or "").lower() == "iso"

    @property
    def is_windows(self) -> bool:
        return (self.os_type or "").lower() == "windows" or (self.platform or "").lower() == "windows"


@dataclass(frozen=True)
class SubJob:
    job_id: str | None
    job_type: str | None
    status: JobStatus
    error_code: str | None
    fail_reason: str | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> SubJob:
        status = data.get("status")
        return cls(
            job_id=_str(data, "job_id"),
            job_type=_str(data, "job_type"),
            status=JobStatus.parse(status) if isinstance(status, str) else JobStatus.UNKNOWN,
            error_code=_str(data, "error_code"),
            fail_reason=_str(data, "fail_reason", multiline=True),
        )


@dataclass(frozen=True)
class Job:
    """An asynchronous IMS job (``ShowJob`` / ``ShowJobProgress``).

    ``raw_status`` is the server's word (sanitised) for display, whatever ``status`` it was read as;
    ``begin_time``/``end_time`` are the server's text, ``started_at``/``ended_at`` the same parsed (UTC) when it
    is a time; ``problems`` lists fields that could not be real and were read as unknown.
    """

    job_id: str
    status: JobStatus
    raw_status: str
    job_type: str | None = None
    begin_time: str | None = None
    end_time: str | None = None
    progress: float | None = None  # 0.0 .. 1.0, whatever scale the server used
    new_image_id: str | None = None
    image_name: str | None = None
    current_task: str | None = None
    error_code: str | None = None
    fail_reason: str | None = None
    sub_jobs: tuple[SubJob, ...] = field(default_factory=tuple)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    problems: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, job_id: str | None = None) -> Job:
        """Parse a job document. Raises ``ValueError`` (a protocol error) when ``status`` is missing, or when no
        ``job_id`` was asked for and the document's does not fit :data:`imstui.api.fields.ID_RE`.

        With ``job_id`` (the id the status was asked for) that id is the job's: a server's different or odd
        ``job_id`` field never replaces the id being followed."""
        raw_status = data.get("status")
        if not isinstance(raw_status, str) or not raw_status.strip():
            raise ValueError("the job document has no status")
        problems = Problems()
        if job_id is None:
            job_id = api_id(data, "job_id", problems)
            if job_id is None:
                raise ValueError(f"the job document has no usable job_id: {escape(str(data.get('job_id')), 200)}")
        entities = _dict(data.get("entities"))
        sub_jobs = tuple(
            SubJob.from_api(item) for item in _list(entities.get("sub_jobs_result")) if isinstance(item, dict)
        )
        failed_subs = [s for s in sub_jobs if s.error_code or s.fail_reason]
        error_code = (
            _str(data, "error_code")
            or _str(entities, "error_code")
            or _str(entities, "addition_error_code")
            or next((s.error_code for s in failed_subs if s.error_code), None)
        )
        reasons = [
            _str(data, "fail_reason", multiline=True),
            _str(entities, "error", multiline=True),
            _str(entities, "addition_error_msg", multiline=True),
            *(s.fail_reason for s in failed_subs),
        ]
        begin_time = _str(data, "begin_time")
        end_time = _str(data, "end_time")
        return cls(
            job_id=job_id,
            status=JobStatus.parse(raw_status),
            raw_status=_word(raw_status),
            job_type=_str(data, "job_type"),
            begin_time=begin_time,
            end_time=end_time,
            progress=fields.percent(entities.get("process_percent"), problems),
            new_image_id=api_id(entities, "image_id", problems),
            image_name=_str(entities, "image_name"),
            current_task=_str(entities, "current_task"),
            error_code=error_code,
            fail_reason=next((r for r in reasons if r), None),
            sub_jobs=sub_jobs,
            started_at=fields.job_time(begin_time, "begin_time", problems),
            ended_at=fields.job_time(end_time, "end_time", problems),
            problems=tuple(problems),
        )

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal


def normalise_progress(value: Any) -> float | None:
    """``process_percent`` as 0.0..1.0 (see :func:`imstui.api.fields.percent`); ``None`` if it cannot be real."""
    return fields.percent(value, Problems())


@dataclass(frozen=True)
class CopyRequest:
    """The body of ``POST /v1/cloudimages/{image_id}/copy`` (validated by ``imstui.core.validation``)."""

    name: str
    description: str | None = None
    cmk_id: str | None = None
    enterprise_project_id: str | None = None

    def to_body(self) -> dict[str, str]:
        body = {"name": self.name}
        for key in ("description", "cmk_id", "enterprise_project_id"):
            value = getattr(self, key)
            if value:
                body[key] = value
        return body
