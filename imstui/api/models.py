"""IMS wire models, parsed tolerantly: missing, null and extra fields are fine; type quirks are normalised.

Every string taken from a response passes through :func:`sanitize` here, so nothing downstream ever holds raw
server text. Reference: ``ims-api.md`` §2 (jobs) and §3.3 (image attributes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from imstui.api.sanitize import sanitize, sanitize_opt

GIB = 1024**3
COPY_SIZE_LIMIT_BYTES = 128 * GIB


class JobStatus(str, Enum):
    INIT = "INIT"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"  # any other value the server sends: treated as "not finished"

    @classmethod
    def parse(cls, value: str) -> JobStatus:
        try:
            return cls(value.strip().upper())
        except ValueError:
            return cls.UNKNOWN

    @property
    def is_terminal(self) -> bool:
        return self in (JobStatus.SUCCESS, JobStatus.FAIL)


def _str(data: Mapping[str, Any], key: str, *, multiline: bool = False) -> str | None:
    value = sanitize_opt(data.get(key), multiline=multiline)
    return value if value is not None and value.strip() else None


def _bool(value: Any) -> bool | None:
    """``True``/``"true"``/``"True"``/``1`` -> True; ``False``/``"false"``/``0`` -> False; else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no", ""):
            return False
    return None


def _int(value: Any) -> int | None:
    """An int from an int, a float or a numeric string; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                number = float(value.strip())
            except ValueError:
                return None
            return int(number) if math.isfinite(number) else None
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip().rstrip("%"))
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass(frozen=True)
class Image:
    """The attributes of an image that decide whether (and how) it can be copied in-region."""

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

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Image:
        tags = data.get("tags")
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
            min_disk_gb=_int(data.get("min_disk")),
            min_ram_mb=_int(data.get("min_ram")),
            max_ram_mb=_int(data.get("max_ram")),
            size_bytes=_int(data.get("__image_size")),
            whole_image=_bool(data.get("__whole_image")),
            cmk_id=_str(data, "__system__cmkid"),
            enterprise_project_id=_str(data, "enterprise_project_id"),
            owner=_str(data, "owner"),
            description=_str(data, "__description", multiline=True),
            is_registered=_bool(data.get("__isregistered")),
            protected=_bool(data.get("protected")),
            member_status=_str(data, "member_status"),
            backup_id=_str(data, "__backup_id"),
            data_origin=_str(data, "__data_origin"),
            root_origin=_str(data, "__root_origin"),
            original_image_name=_str(data, "__originalimagename"),
            created_at=_str(data, "created_at"),
            updated_at=_str(data, "updated_at"),
            tags=tuple(sanitize(str(t)) for t in tags) if isinstance(tags, list) else (),
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
    """An asynchronous IMS job (``ShowJob`` / ``ShowJobProgress``)."""

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

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, job_id: str | None = None) -> Job:
        """Parse a job document. Raises ``ValueError`` when ``status`` is missing (a protocol error)."""
        raw_status = data.get("status")
        if not isinstance(raw_status, str) or not raw_status.strip():
            raise ValueError("the job document has no status")
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
        fail_reason = next((r for r in reasons if r), None)
        return cls(
            job_id=sanitize(str(data.get("job_id") or job_id or "")),
            status=JobStatus.parse(raw_status),
            raw_status=sanitize(raw_status),
            job_type=_str(data, "job_type"),
            begin_time=_str(data, "begin_time"),
            end_time=_str(data, "end_time"),
            progress=normalise_progress(entities.get("process_percent")),
            new_image_id=_str(entities, "image_id"),
            image_name=_str(entities, "image_name"),
            current_task=_str(entities, "current_task"),
            error_code=error_code,
            fail_reason=fail_reason,
            sub_jobs=sub_jobs,
        )

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal


def normalise_progress(value: Any) -> float | None:
    """``process_percent`` is documented as a float without a scale: values above 1 are read as percent."""
    number = _float(value)
    if number is None or number < 0:
        return None
    if number > 1:
        number = number / 100
    return min(number, 1.0)


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
