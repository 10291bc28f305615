"""Can this image be copied within its region? A verdict in plain words, before anything is submitted.

Rules from ``ims-api.md`` §1.3 and §3.4. Blocking conditions are the documented refusals (full-ECS, ISO, Windows,
not active, public/market, shared but not accepted, shared and encrypted, larger than 128 GB); warnings are what may
still make the job fail or surprise the operator (encryption and KMS rights, another owner).

The size limit is measured on ``__image_size`` (the image's size in bytes), not on ``min_disk`` (the smallest system
disk in GB): the reference writes "128 GB" in the API text and ``int(__image_size) > 128 GiB`` in its constraint list,
so the limit is read as 128 GiB = 137,438,953,472 bytes, the binary unit imstui prints sizes in. IMS refuses a
larger image (IMG.0105), so it blocks here too. An image without a size (full-ECS) is not measured.

The private-image quota (``GET /v1/cloudimages/quota``, read by :func:`read_quota`) joins the verdict as a line
("private images 48 of 50 used"); at the limit it blocks with the IMG.0015 explanation. When the quota cannot be
read (403, an endpoint that does not exist) the verdict says so and does not block.
"""

from __future__ import annotations

from dataclasses import dataclass

from imstui.api.catalogue import explain
from imstui.api.errors import ApiError, ImstuiError
from imstui.api.models import COPY_SIZE_LIMIT_BYTES, GIB, Image
from imstui.api.protocol import ImsApi
from imstui.api.quota import ImageQuota
from imstui.api.sanitize import sanitize


@dataclass(frozen=True)
class Condition:
    """One finding: ``key`` is stable (for code and tests), ``title`` a short line, ``detail`` the explanation."""

    key: str
    title: str
    detail: str


@dataclass(frozen=True)
class QuotaReading:
    """The private-image quota before a copy: ``quota`` when IMS answered, else ``problem`` (why it is unknown)."""

    quota: ImageQuota | None = None
    problem: str | None = None

    @property
    def line(self) -> str:
        if self.quota is not None:
            return self.quota.line
        return f"private image quota unknown ({self.problem or 'not read'}): not checked"

    @property
    def reached(self) -> bool:
        return self.quota is not None and self.quota.reached


async def read_quota(api: ImsApi) -> QuotaReading:
    """Ask IMS for the private-image quota; a failure is a reading that says why (never raised)."""
    try:
        return QuotaReading(await api.get_image_quota())
    except ApiError as error:
        return QuotaReading(problem=f"HTTP {error.status} {sanitize(error.code)}")
    except ImstuiError as error:
        return QuotaReading(problem=sanitize(str(error))[:100])


def quota_condition(quota: ImageQuota) -> Condition:
    """The blocking condition of a quota with no room left, explained as IMS's IMG.0015."""
    info = explain("IMG.0015")
    why = f" {info.meaning} {info.next_step}" if info is not None else ""
    return Condition(
        "quota",
        f"Private image quota reached ({quota.used} of {quota.quota} used)",
        f"IMS would refuse the copy with IMG.0015.{why}",
    )


@dataclass(frozen=True)
class Verdict:
    blocking: tuple[Condition, ...] = ()
    warnings: tuple[Condition, ...] = ()
    quota: QuotaReading | None = None  # None: the quota was not asked for

    @property
    def ok(self) -> bool:
        """True when nothing blocks the copy (warnings may remain)."""
        return not self.blocking

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(c.key for c in self.blocking + self.warnings)


def _is_shared(image: Image, project_id: str | None) -> bool:
    if (image.image_type or "").lower() == "shared":
        return True
    foreign = bool(project_id and image.owner and image.owner != project_id)
    return (image.visibility or "").lower() == "shared" and foreign


def assess(image: Image, project_id: str | None = None, quota: QuotaReading | None = None) -> Verdict:
    """The copy verdict for ``image`` as seen from ``project_id`` (the project the copy would be created in),
    with the private-image ``quota`` when it was read (see :func:`read_quota`)."""
    blocking: list[Condition] = []
    warnings: list[Condition] = []
    image_type = (image.image_type or "").lower()
    owned = bool(project_id and image.owner and image.owner == project_id)
    shared = _is_shared(image, project_id)

    if (image.status or "").lower() != "active":
        state = image.status or "unknown"
        blocking.append(
            Condition(
                "status",
                f"The image is not active (status: {state})",
                "Only active images can be copied. Wait until the image is active (images being created or "
                "uploaded are 'queued' or 'saving'); 'killed' or 'deleted' images cannot be used at all.",
            )
        )
    if image.is_full_ecs:
        blocking.append(
            Condition(
                "full_ecs",
                "Full-ECS image",
                "Full-ECS images (server images including data disks) cannot be replicated within a region "
                "(IMS error IMG.0130). Copy the server's system-disk image instead.",
            )
        )
    if image.is_iso:
        blocking.append(
            Condition(
                "iso",
                "Image created from an ISO file",
                "Private images created from ISO files cannot be replicated (IMS error IMG.0167). Install a "
                "server from the ISO, create a system image from it, and copy that.",
            )
        )
    if image.is_windows:
        blocking.append(
            Condition(
                "windows",
                "Windows image",
                "Huawei Cloud no longer replicates Windows images with this API.",
            )
        )
    if image_type in ("gold", "market") or ((image.visibility or "").lower() == "public" and not owned):
        if not owned:
            kind = "Marketplace image" if image_type == "market" else "Public image"
            blocking.append(
                Condition(
                    "public" if kind == "Public image" else "market",
                    kind,
                    "Only private images you own (or shared images you accepted) can be replicated; public and "
                    "marketplace images are not yours to copy. Create a server from it and make a private image.",
                )
            )
    if shared:
        status = (image.member_status or "").lower()
        if status != "accepted":
            seen = image.member_status or "unknown"
            blocking.append(
                Condition(
                    "shared_not_accepted",
                    f"Shared image not accepted (share status: {seen})",
                    "A shared image can be replicated only after your project has accepted the share "
                    "(IMS error IMG.0196). Accept it under Images Shared with Me in the IMS console.",
                )
            )
        if image.is_encrypted:
            blocking.append(
                Condition(
                    "shared_encrypted",
                    "Shared image encrypted with KMS",
                    "A shared image that is encrypted with a KMS key cannot be replicated (IMS error IMG.0197). "
                    "Ask the owner for an unencrypted share or to make the copy in their account.",
                )
            )
        if status == "accepted":
            warnings.append(
                Condition(
                    "shared",
                    "Shared image",
                    "The image belongs to another account and was shared with you. Enterprise projects are not "
                    "supported for shared images: leave the enterprise project empty.",
                )
            )
    if image.is_encrypted and not shared:
        warnings.append(
            Condition(
                "encrypted",
                "Encrypted image",
                f"The image is encrypted with KMS key {image.cmk_id}. You need KMS permissions on that key. "
                "Without a KMS key for the copy it will most likely stay encrypted with the source key "
                "(not documented); a key for the copy must differ from the source key (IMG.0096).",
            )
        )
    if image.size_bytes is not None and image.size_bytes > COPY_SIZE_LIMIT_BYTES:
        blocking.append(
            Condition(
                "too_large",
                f"Larger than 128 GiB (__image_size {image.size_bytes / GIB:.1f} GiB)",
                f"IMS refuses to copy an image larger than 128 GiB ({COPY_SIZE_LIMIT_BYTES:,} bytes) within a "
                f"region (IMG.0105). Measured on the image size (__image_size, {image.size_bytes:,} bytes), not on "
                "min_disk.",
            )
        )
    if project_id and image.owner and image.owner != project_id and not shared and image_type not in ("gold", "market"):
        warnings.append(
            Condition(
                "foreign_owner",
                "Owned by another project",
                f"The image's owner ({image.owner}) is not the project in use ({project_id}). IMS may refuse "
                "the copy (IMG.0047/IMG.0106); check the region and project settings.",
            )
        )
    if quota is not None and quota.quota is not None and quota.reached:
        blocking.append(quota_condition(quota.quota))
    return Verdict(tuple(blocking), tuple(warnings), quota)
