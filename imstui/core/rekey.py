"""Re-keying without duplicates: which images under the old key already have a copy under the new one.

imstui never deletes an image, so after a re-key the old images still carry the old key and a second
``imstui rekey`` would find them again. Before planning, a source is set aside when there is evidence that a copy
with the new key exists or may exist:

* the ledger (this host's copies): a copy of that source with the new key whose job succeeded, is still running,
  or whose outcome is unknown or whose job IMS no longer knows (only a failed or refused copy made no image,
  :data:`imstui.core.jobs.FAILED_PHASES`);
* the image list (copies made by anyone): an image under the new key whose ``__originalimagename`` is the source
  id, or whose ``__data_origin`` reads ``image,{region},{source id}`` (``kms-eps-tags.md`` §3, Terraform's docs).

``--again`` on the command plans them anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from imstui.api.models import Image
from imstui.api.sanitize import sanitize
from imstui.core.image_search import FilterKey, images_under
from imstui.core.jobs import FAILED_PHASES, phase_of
from imstui.core.ledger import JobRecord

if TYPE_CHECKING:
    from imstui.api.image_list import ImageLister

__all__ = ["already_copied", "copies_among", "copies_in_ledger", "copy_source_of"]


def copy_source_of(image: Image) -> str | None:
    """The id of the image ``image`` was copied from, when it says so (lower-cased); else ``None``."""
    parent = (image.original_image_name or "").strip()
    if parent:
        return parent.lower()
    origin = (image.data_origin or "").strip()
    kind, _, rest = origin.partition(",")
    if kind == "image" and rest:
        return rest.rpartition(",")[2].strip().lower() or None
    return None


def copies_among(images: Iterable[Image], sources: set[str]) -> dict[str, str]:
    """For each source (lower-cased id) that one of ``images`` was copied from: the evidence, in words."""
    found: dict[str, str] = {}
    for image in images:
        parent = copy_source_of(image)
        if parent in sources and parent not in found:
            found[parent] = f"image {image.id} ({sanitize(image.name) or 'no name'}) is its copy under the new key"
    return found


def copies_in_ledger(records: Iterable[JobRecord], sources: set[str], new_key: str) -> dict[str, str]:
    """For each source with a ledger row copying it with ``new_key`` that made (or may have made) an image."""
    found: dict[str, str] = {}
    wanted = new_key.lower()
    for record in records:
        source = (record.source_image_id or "").lower()
        if source not in sources or source in found or (record.cmk_id or "").lower() != wanted:
            continue
        phase = phase_of(record)
        if phase in FAILED_PHASES:
            continue
        job = f"job {record.job_id}" if record.job_id else f"ledger row #{record.row_id}"
        found[source] = f"{job} already copies it with the new key ({phase.value})"
    return found


async def already_copied(
    lister: ImageLister, records: Iterable[JobRecord], sources: Iterable[Image], new_key: FilterKey, project_id: str
) -> dict[str, str]:
    """The sources (lower-cased ids) that already have a copy under ``new_key``, with the evidence (ledger first,
    then the images under the new key, read page by page)."""
    wanted = {image.id.lower() for image in sources}
    found = copies_in_ledger(records, wanted, new_key.key_id)
    if len(found) < len(wanted):
        under_new = await images_under(lister, new_key, project_id=project_id)
        for source, evidence in copies_among(under_new, wanted - set(found)).items():
            found[source] = evidence
    return found
