"""The simulator's in-memory IMS: catalogue, copy jobs (state computed lazily from the clock), server rules.

Nothing runs in the background: a job's phase is a pure function of ``clock.now()``; :meth:`SimState.settle`
(called at the start of every request) uses two heaps to publish finished copies into the catalogue and to purge
old jobs, so the cost per request is O(log n) per job that changed, whatever the number of jobs.
"""

from __future__ import annotations

import copy
import heapq
import json
import random
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["CopyJob", "ImsError", "ScriptedOutcome", "SimState"]

from imstui.sim import fleet, seed
from imstui.sim.clock import format_image_time
from imstui.sim.config import SimConfig
from imstui.sim.eps import EpsProjects
from imstui.sim.faults import FaultInjector, RateLimiter
from imstui.sim.jobs import CopyJob
from imstui.sim.kms import KmsKeys
from imstui.sim.tags import ImageTags

SIZE_LIMIT_BYTES = 128 * 1024**3
DEFAULT_LIMIT = 500
MAX_LIMIT = 1000

_NAME_RE = re.compile(r"^[A-Za-z0-9\u4e00-\u9fa5._\- ]+$")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_BOOLEAN_FIELDS = {"__whole_image": False, "protected": False}


class ImsError(Exception):
    """An IMS service error: ``{"error": {"code": ..., "message": ...}}`` with ``status``."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ScriptedOutcome:
    """How the next copy ends (tests): FAIL at ``fail_at`` (0-1 of the run) with this error."""

    error_code: str
    fail_reason: str
    in_entities: bool = False
    fail_at: float = 0.5


class SimState:
    """The simulator's data and rules. Thread-safe (one lock): tests may poke it while uvicorn serves."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.clock = config.clock
        self._lock = threading.RLock()
        self._rng = random.Random(config.seed)
        self.faults = FaultInjector(config.faults, None if config.seed is None else config.seed + 1)
        self.limiter = RateLimiter()
        self.images: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, CopyJob] = {}
        self._unsettled: list[tuple[float, str]] = []
        self._purge: list[tuple[float, str]] = []
        self._scripted: deque[ScriptedOutcome] = deque()
        self._accepted: deque[float] = deque()  # when recent copies were accepted (copy_burst)
        self.copies_created = 0
        self.created: set[str] = set()  # ids of the images copies published (kept across restarts: sim.persist)
        self.on_change: Callable[[], None] | None = None  # called (under the lock) after a copy job is started
        for image in seed.catalogue(config.project_id):
            self.images[image["id"]] = image
        for image in fleet.generated_images(config.project_id, config.generated_images):
            self.images[image["id"]] = image
        self.kms, self.eps, self.tags = KmsKeys(config.domain_id), EpsProjects(), ImageTags()  # issue 12

    # --- time ---------------------------------------------------------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def settle(self) -> None:
        """Publish copies that finished and forget jobs whose purge time has come."""
        now = self.now()
        with self._lock:
            while self._unsettled and self._unsettled[0][0] <= now:
                end, job_id = heapq.heappop(self._unsettled)
                job = self.jobs.get(job_id)
                if job is None:
                    continue
                if job.succeeds:
                    self._publish(job)
                heapq.heappush(self._purge, (end + self.config.purge_after, job_id))
            while self._purge and self._purge[0][0] <= now:
                _, job_id = heapq.heappop(self._purge)
                self.jobs.pop(job_id, None)

    @property
    def unfinished_jobs(self) -> int:
        with self._lock:
            return len(self._unsettled)

    # --- catalogue ----------------------------------------------------------------------------------------------
    def add_image(self, image: dict[str, Any]) -> None:
        with self._lock:
            self.images[image["id"]] = image

    def _visible(self, image: dict[str, Any], project_id: str) -> bool:
        return bool(
            image.get("owner") == project_id
            or image.get("visibility") == "public"
            or (image.get("visibility") == "shared" and image.get("member_status"))
        )

    def get_image(self, image_id: str, project_id: str) -> dict[str, Any] | None:
        with self._lock:
            image = self.images.get(image_id)
            return copy.deepcopy(image) if image is not None and self._visible(image, project_id) else None

    def list_images(self, params: Iterable[tuple[str, str]], project_id: str) -> list[dict[str, Any]]:
        """``GET /v2/cloudimages``: filters, ``sort_key``/``sort_dir``, ``marker`` (last id seen) and ``limit``."""
        return self.list_images_page(params, project_id)[0]

    def list_images_page(
        self, params: Iterable[tuple[str, str]], project_id: str
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of :meth:`list_images` and the marker of the next one (``None`` after the last page)."""
        filters: dict[str, str] = {}
        limit = DEFAULT_LIMIT
        marker = None
        sort_key = "created_at"
        sort_dir = "desc"
        for key, value in params:
            if key == "limit":
                try:
                    limit = int(value)
                except ValueError:
                    raise ImsError(
                        "IMG.0001", "The request message format is invalid: limit must be an integer."
                    ) from None
                if limit < 1:
                    raise ImsError("IMG.0001", "The request message format is invalid: limit must be >= 1.")
                limit = min(limit, MAX_LIMIT)
            elif key == "marker":
                marker = value
            elif key == "sort_key":
                sort_key = {"size": "__image_size"}.get(value, value)
            elif key == "sort_dir":
                if value not in ("asc", "desc"):
                    raise ImsError("IMG.0001", "The request message format is invalid: sort_dir must be asc or desc.")
                sort_dir = value
            else:
                filters[key] = value
        with self._lock:
            images = [image for image in self.images.values() if self._visible(image, project_id)]
            images = [image for image in images if all(_matches(image, k, v) for k, v in filters.items())]
            images.sort(key=lambda image: (_sortable(image.get(sort_key)), image["id"]), reverse=sort_dir == "desc")
            if marker is not None:
                ids = [image["id"] for image in images]
                images = images[ids.index(marker) + 1 :] if marker in ids else []
            page = [_copy_document(image) for image in images[:limit]]
            return page, (page[-1]["id"] if len(images) > limit else None)

    def _publish(self, job: CopyJob) -> None:
        source = self.images.get(job.source_id)
        if source is None:  # pragma: no cover - seeded sources are never deleted
            return
        image = copy.deepcopy(source)
        created = format_image_time(job.end)
        for key in ("member_status", "__whole_image", "__backup_id"):
            image.pop(key, None)
        image.update(
            {
                "id": job.new_image_id,
                "name": job.name,
                "__description": job.description,
                "owner": job.project_id,
                "status": "active",
                "visibility": "private",
                "__imagetype": "private",
                "__originalimagename": job.source_id,
                "__data_origin": f"image,{self.config.region},{job.source_id}",  # as Terraform's docs describe a copy
                "enterprise_project_id": job.enterprise_project_id or "0",
                "created_at": created,
                "updated_at": created,
                "active_at": created,
                "tags": [],
                "self": f"/v2/images/{job.new_image_id}",
                "file": f"/v2/images/{job.new_image_id}/file",
            }
        )
        if job.cmk_id:
            image["__system__cmkid"] = job.cmk_id
        self.images[image["id"]] = image
        self.created.add(image["id"])

    # --- copy ---------------------------------------------------------------------------------------------------
    def script_next_copy(self, outcome: ScriptedOutcome) -> None:
        """Make the next accepted copy end FAIL as described (tests)."""
        with self._lock:
            self._scripted.append(outcome)

    def copy_image(self, image_id: str, raw_body: bytes, project_id: str) -> str:
        """Validate like IMS and start a copy job; return its id. Raises :class:`ImsError`."""
        body = _parse_body(raw_body)
        name = body.get("name")
        if name is None or name == "":
            raise ImsError("IMG.0013", "The image name is not specified.")
        if not isinstance(name, str):
            raise ImsError("IMG.0003", "The image name format is invalid.")
        if len(name) > 128:
            raise ImsError("IMG.0002", "The image name contains more than 128 characters.")
        if name != name.strip(" ") or not _NAME_RE.match(name):
            raise ImsError("IMG.0003", "The image name format is invalid.")
        description = body.get("description")
        if description is None:
            description = ""
        if not isinstance(description, str):
            raise ImsError("IMG.0054", "The image description format is invalid.")
        if len(description) > 1024:
            raise ImsError("IMG.0004", "The image description contains more than 1024 characters.")
        if any(ch in description for ch in "\r\n<>"):
            raise ImsError("IMG.0054", "The image description format is invalid.")
        cmk_id = body.get("cmk_id") or None
        eps = body.get("enterprise_project_id") or None
        if cmk_id is not None and not isinstance(cmk_id, str):
            raise ImsError("IMG.0001", "The request message format is invalid: cmk_id must be a string.")
        if eps is not None and (not isinstance(eps, str) or (eps != "0" and not _UUID_RE.match(eps))):
            raise ImsError("IMG.0155", "The enterprise project ID is invalid.")

        with self._lock:
            if not _UUID_RE.match(image_id):
                raise ImsError("IMG.0066", "The image ID is incorrect.")
            image = self.images.get(image_id)
            if image is None or not self._visible(image, project_id):
                raise ImsError("IMG.0027", "The image ID does not exist.")
            if image.get("status") != "active":
                raise ImsError("IMG.0046", "The image is unavailable.")
            if _truthy(image.get("__whole_image")):
                raise ImsError("IMG.0130", "The full-ECS image cannot be exported or replicated.")
            if image.get("virtual_env_type") == "IsoImage" or image.get("disk_format") == "iso":
                raise ImsError("IMG.0167", "This operation cannot be performed for ISO images.")
            if image.get("__os_type") == "Windows" or image.get("__platform") == "Windows":
                raise ImsError("IMG.0105", "The operation is not supported: Windows images cannot be replicated.")
            if image.get("__imagetype") == "shared" and image.get("member_status") != "accepted":
                raise ImsError(
                    "IMG.0196", "The image cannot be replicated because it is not accepted by the recipient."
                )
            if image.get("__imagetype") == "shared" and image.get("__system__cmkid"):
                raise ImsError("IMG.0197", "Failed to replicate the shared image because it is encrypted using KMS.")
            if image.get("owner") != project_id and image.get("__imagetype") != "shared":
                raise ImsError("IMG.0047", "Only the image owner can perform this operation.")
            size = _int_or_zero(image.get("__image_size"))
            if size > SIZE_LIMIT_BYTES or int(image.get("min_disk") or 0) > 128:
                raise ImsError("IMG.0105", "The operation is not supported: the image is larger than 128 GB.")
            if cmk_id is not None:
                refusal = self.kms.copy_refusal(cmk_id)  # unknown IMG.0095, not enabled IMG.0097
                if refusal is not None:
                    raise ImsError(*refusal)
                if cmk_id == image.get("__system__cmkid"):
                    raise ImsError("IMG.0096", "The specified KMS key ID must be different from the image key ID.")
            if self.unfinished_jobs >= self.config.max_running_jobs or self._burst_exceeded():
                raise ImsError("IMG.0060", "The number of tasks exceeds the flow control limit.")
            if self.private_images_used(project_id) >= self.config.private_image_quota:
                raise ImsError("IMG.0015", "The number of private images has reached the maximum allowed.")
            if self.config.copy_burst is not None:
                self._accepted.append(self.now())
            return self._start_job(image_id, name, description, cmk_id, eps, project_id)

    def _burst_exceeded(self) -> bool:
        if self.config.copy_burst is None:
            return False
        count, window = self.config.copy_burst
        now = self.now()
        while self._accepted and self._accepted[0] <= now - window:
            self._accepted.popleft()
        return len(self._accepted) >= count

    # --- quota --------------------------------------------------------------------------------------------------
    def private_images_used(self, project_id: str) -> int:
        """Own private images, counting copies still in flight (they will be images)."""
        with self._lock:
            own = sum(
                1
                for other in self.images.values()
                if other.get("owner") == project_id and other.get("__imagetype") == "private"
            )
            return own + self.unfinished_jobs

    def quota_document(self, project_id: str) -> dict[str, Any]:
        """``GET /v1/cloudimages/quota`` as documented: ``quotas.resources[]`` with the ``image`` quota."""
        quota = self.config.private_image_quota
        used = self.private_images_used(project_id)
        resource = {"type": "image", "used": used, "quota": quota, "min": 1, "max": max(quota, 1000)}
        return {"quotas": {"resources": [resource]}}

    def _start_job(
        self, image_id: str, name: str, description: str, cmk_id: str | None, eps: str | None, project_id: str
    ) -> str:
        cfg = self.config
        rng = self._rng
        job_id = f"{rng.getrandbits(128):032x}"
        while job_id in self.jobs:  # pragma: no cover - 128 random bits
            job_id = f"{rng.getrandbits(128):032x}"
        new_image_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        init_s = rng.uniform(*cfg.init_seconds) / cfg.speed
        run_s = rng.uniform(*cfg.run_seconds) / cfg.speed
        job = CopyJob(
            job_id=job_id,
            project_id=project_id,
            source_id=image_id,
            name=name,
            description=description,
            cmk_id=cmk_id,
            enterprise_project_id=eps,
            begin=self.now(),
            init_s=init_s,
            run_s=run_s,
            new_image_id=new_image_id,
        )
        if self._scripted:
            outcome = self._scripted.popleft()
            job.error, job.error_in_entities, job.fail_at = (
                (outcome.error_code, outcome.fail_reason),
                outcome.in_entities,
                outcome.fail_at,
            )
        elif cmk_id == seed.FAILING_CMK_ID:
            job.error, job.fail_at = seed.FAILING_CMK_ERROR, 0.4
        elif image_id == seed.INTERNAL_FAIL_ID:
            job.error, job.error_in_entities, job.fail_at = seed.INTERNAL_FAIL_ERROR, True, 0.7
        elif cfg.fail_probability and rng.random() < cfg.fail_probability:
            job.error, job.fail_at = ("IMG.0061", "Unknown system error."), rng.uniform(0.1, 0.9)
        self.restore_job(job)
        self.copies_created += 1
        if self.on_change is not None:
            self.on_change()
        return job_id

    def restore_job(self, job: CopyJob) -> None:
        """Follow ``job`` on the clock from its absolute times (a new job, or one of an earlier run)."""
        with self._lock:
            self.jobs[job.job_id] = job
            heapq.heappush(self._unsettled, (job.end, job.job_id))

    # --- jobs ---------------------------------------------------------------------------------------------------
    def job_document(self, job_id: str, project_id: str) -> dict[str, Any]:
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None or job.project_id != project_id:
                # The error table's answer for a job query that fails (400); the client reads it as "not found".
                raise ImsError("IMG.0023", "An exception occurred during task query.")
            return job.document(self.now(), self.config.wire_style)


def _copy_document(image: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of an image document, fast: its scalars are shared (immutable), its lists and dicts copied
    (``copy.deepcopy`` of a 10,000-image listing's pages took most of the simulator's time)."""
    return {key: copy.deepcopy(value) if isinstance(value, (dict, list)) else value for key, value in image.items()}


def _parse_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise ImsError("IMG.0007", "The request body is empty.")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ImsError("IMG.0001", "The request message format is invalid.") from None
    if not isinstance(body, dict):
        raise ImsError("IMG.0001", "The request message format is invalid.")
    return body


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _int_or_zero(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _sortable(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    if isinstance(value, str) and value.isdigit():
        return (0, int(value))
    return (1, "" if value is None else str(value))


_OPS = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "eq": lambda a, b: a == b,
    "neq": lambda a, b: a != b,
}


def _matches(image: dict[str, Any], key: str, wanted: str) -> bool:
    if key == "enterprise_project_id":
        return wanted == "all_granted_eps" or str(image.get(key) or "0") == wanted
    if key in ("created_at", "updated_at"):
        op, sep, moment = wanted.partition(":")
        if sep and op in _OPS:
            return bool(_OPS[op](str(image.get(key) or ""), moment))
        return str(image.get(key) or "") == wanted
    if key == "architecture":
        is_arm = _truthy(image.get("__support_arm"))
        return (wanted == "arm") == is_arm
    if key == "tag":
        return wanted in (image.get("tags") or [])
    if not (key.startswith("__") or key in _FILTERABLE):
        return True  # documented or unknown parameters we do not filter on are accepted and ignored
    value = image.get(key, _BOOLEAN_FIELDS.get(key))
    if isinstance(value, bool):
        return wanted.lower() == str(value).lower()
    if value is None:
        return wanted == ""
    return str(value) == wanted


_FILTERABLE = frozenset(
    {
        "id",
        "name",
        "status",
        "visibility",
        "owner",
        "protected",
        "container_format",
        "disk_format",
        "min_ram",
        "min_disk",
        "member_status",
        "virtual_env_type",
    }
)
