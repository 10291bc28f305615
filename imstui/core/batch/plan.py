"""A batch plan: many (source image, target name, key, enterprise project, tags) items, checked before anything is
sent.

Each item gets the same verdict as a single copy (:func:`imstui.core.eligibility.assess`, the local rules of
:func:`imstui.core.validation.validate_copy`, the IMG.0096 "same key" rule); the batch as a whole is checked against
the private-image quota (total needed vs left: the items past what is left are ``over_quota``). A source id given
more than once is merged into its first item (and said once, in :attr:`BatchPlan.merged`); a target name that two
items would get is refused for every item that would get it (nothing ambiguous is sent).

Name templates know ``{name}`` (the source image's name), ``{id8}`` (the first 8 characters of its id), ``{date}``
(today, UTC, ``yyyymmdd``) and ``{n}`` (the item's 1-based position after merging). An item with its own name (an
``id,name`` line of a file) keeps it; the template names the others.

Building a plan is pure (:func:`build_plan` over images already read); :mod:`imstui.core.batch.reads` reads them.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum

from imstui.api.errors import ImageNotFoundError, ImstuiError
from imstui.api.models import CopyRequest, Image
from imstui.api.sanitize import sanitize
from imstui.api.tag_models import ImageTag
from imstui.core.eligibility import QuotaReading, assess
from imstui.core.validation import Violation, check_image_id, normalise_image_id, validate_copy

__all__ = [
    "PLACEHOLDERS",
    "BatchPlan",
    "BatchSpec",
    "ItemVerdict",
    "PlanItem",
    "SourceRef",
    "build_plan",
    "check_template",
    "parse_sources",
    "render_name",
]

PLACEHOLDERS = ("name", "id8", "date", "n")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class ItemVerdict(str, Enum):
    """Why an item will (``ready``) or will not be sent. Stable words for ``--json`` and the ledger."""

    READY = "ready"
    NOT_FOUND = "not_found"  # no such image (or not visible to this project)
    UNREADABLE = "unreadable"  # reading the image failed (the error is the reason)
    NOT_ELIGIBLE = "not_eligible"  # the eligibility verdict blocks it
    INVALID = "invalid"  # a bad id, or a name/key/enterprise project the copy rules refuse
    DUPLICATE_NAME = "duplicate_name"  # another item would get the same target name
    OVER_QUOTA = "over_quota"  # past what is left of the private-image quota


@dataclass(frozen=True)
class SourceRef:
    """One source as the operator gave it: an image id and, from an ``id,name`` line, its own target name."""

    image_id: str
    name: str | None = None


@dataclass(frozen=True)
class BatchSpec:
    """What the operator asked for. ``cmk_id``/``enterprise_project_id`` are already resolved ids (``key_label``
    is how the key is shown, e.g. its alias); ``tags`` are checked tags, applied after each copy succeeds."""

    sources: tuple[SourceRef, ...]
    name_template: str | None = None
    description: str | None = None
    cmk_id: str | None = None
    key_label: str | None = None
    enterprise_project_id: str | None = None
    tags: tuple[ImageTag, ...] = ()


@dataclass(frozen=True)
class PlanItem:
    """One item of a plan; ``position`` is ``{n}`` (1-based). ``reasons`` say why it is not ready (empty when it
    is); ``warnings`` are the eligibility warnings of a ready item."""

    position: int
    source_image_id: str
    target_name: str
    verdict: ItemVerdict
    source_name: str | None = None
    cmk_id: str | None = None
    enterprise_project_id: str | None = None
    description: str | None = None
    tags: tuple[ImageTag, ...] = ()
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    image: Image | None = field(default=None, compare=False, repr=False)

    @property
    def ready(self) -> bool:
        return self.verdict is ItemVerdict.READY

    @property
    def request(self) -> CopyRequest:
        return CopyRequest(
            name=self.target_name,
            description=self.description,
            cmk_id=self.cmk_id,
            enterprise_project_id=self.enterprise_project_id,
        )


@dataclass(frozen=True)
class BatchPlan:
    """Every item in order; ``merged``: source ids given more than once (each said once); ``quota``: the reading
    the plan was checked against (None: not read); ``requests``: requests the plan's reads took."""

    items: tuple[PlanItem, ...]
    merged: tuple[str, ...] = ()
    quota: QuotaReading | None = None
    requests: int = 0
    key_label: str | None = None

    @property
    def ready(self) -> tuple[PlanItem, ...]:
        return tuple(i for i in self.items if i.ready)

    @property
    def skipped(self) -> tuple[PlanItem, ...]:
        return tuple(i for i in self.items if not i.ready)

    @property
    def empty(self) -> bool:
        """Nothing would be sent."""
        return not self.ready


# ---------------------------------------------------------------------------------------------------- templates


def check_template(template: str) -> Violation | None:
    """None when every ``{...}`` of ``template`` is a known placeholder and no brace is left over."""
    if not template or not template.strip():
        return Violation("name_template.required", "the name template is empty")
    unknown = [m.group(0) for m in _PLACEHOLDER.finditer(template) if m.group(1) not in PLACEHOLDERS]
    if unknown:
        known = " ".join("{" + p + "}" for p in PLACEHOLDERS)
        return Violation(
            "name_template.placeholder",
            f"the name template has unknown placeholder {sanitize(unknown[0])[:40]}; it knows {known}",
        )
    if "{" in _PLACEHOLDER.sub("", template) or "}" in _PLACEHOLDER.sub("", template):
        return Violation("name_template.brace", "the name template has a brace that is not part of a placeholder")
    return None


def render_name(template: str, *, name: str, image_id: str, n: int, today: date) -> str:
    """The target name ``template`` gives (check it first with :func:`check_template`)."""
    values = {"name": name, "id8": image_id[:8], "date": today.strftime("%Y%m%d"), "n": str(n)}
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


# ---------------------------------------------------------------------------------------------------- sources


def parse_sources(ids: Iterable[str], file_text: str | None = None) -> list[SourceRef]:
    """The sources from the command line (``ids``) then from a file's text: one id per line, or ``id,name`` CSV
    (quotes allowed); blank lines and lines starting with ``#`` are skipped; an id is normalised as a single
    copy's is (paste junk stripped, a UUID lower-cased). Bad ids are kept: the plan refuses them per item."""
    found = [SourceRef(normalise_image_id(i)) for i in ids]
    if file_text:
        for row in csv.reader(line for line in file_text.splitlines() if line.strip()):
            if not row or row[0].lstrip().startswith("#"):
                continue
            name = ",".join(row[1:]).strip() if len(row) > 1 else ""
            found.append(SourceRef(normalise_image_id(row[0]), name or None))
    return found


# ---------------------------------------------------------------------------------------------------- the plan


def _merge(sources: Sequence[SourceRef]) -> tuple[list[SourceRef], tuple[str, ...]]:
    seen: dict[str, int] = {}
    kept: list[SourceRef] = []
    merged: list[str] = []
    for source in sources:
        key = source.image_id.lower()
        if key in seen:
            if key not in (m.lower() for m in merged):
                merged.append(source.image_id)
            first = kept[seen[key]]
            if first.name is None and source.name is not None:
                kept[seen[key]] = replace(first, name=source.name)
            continue
        seen[key] = len(kept)
        kept.append(source)
    return kept, tuple(merged)


def _item(
    spec: BatchSpec,
    position: int,
    source: SourceRef,
    found: Image | ImstuiError | None,
    project_id: str | None,
    today: date,
) -> PlanItem:
    base = PlanItem(
        position=position,
        source_image_id=source.image_id,
        target_name=source.name or "",
        verdict=ItemVerdict.READY,
        cmk_id=spec.cmk_id,
        enterprise_project_id=spec.enterprise_project_id,
        description=spec.description,
        tags=spec.tags,
    )
    bad_id = check_image_id(source.image_id)
    if bad_id is not None:
        return replace(base, verdict=ItemVerdict.INVALID, reasons=(bad_id.message,))
    if found is None or isinstance(found, ImageNotFoundError):
        return replace(base, verdict=ItemVerdict.NOT_FOUND, reasons=("no such image (or not visible to this project)",))
    if isinstance(found, ImstuiError):
        return replace(base, verdict=ItemVerdict.UNREADABLE, reasons=(sanitize(str(found))[:200],))
    image = found
    base = replace(base, image=image, source_name=image.name or None)
    if source.name is None and spec.name_template:
        name = render_name(spec.name_template, name=image.name or "", image_id=image.id, n=position, today=today)
        base = replace(base, target_name=name)
    elif source.name is None:
        return replace(base, verdict=ItemVerdict.INVALID, reasons=("no target name: give a name template",))
    verdict = assess(image, project_id)
    if not verdict.ok:
        return replace(base, verdict=ItemVerdict.NOT_ELIGIBLE, reasons=tuple(c.title for c in verdict.blocking))
    problems = [v.message for v in validate_copy(base.request).values()]
    if spec.cmk_id and image.cmk_id and spec.cmk_id.lower() == image.cmk_id.lower():
        problems.append("the KMS key for the copy must differ from the key that encrypts the source image (IMG.0096)")
    if problems:
        return replace(base, verdict=ItemVerdict.INVALID, reasons=tuple(problems))
    return replace(base, warnings=tuple(c.title for c in verdict.warnings))


def _refuse_duplicate_names(items: list[PlanItem]) -> None:
    by_name: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        if item.ready:
            by_name.setdefault(item.target_name, []).append(index)
    for name, indexes in by_name.items():
        if len(indexes) < 2:
            continue
        positions = ", ".join(str(items[i].position) for i in indexes)
        reason = f"target name {name!r} is produced by items {positions}: make the template unique (e.g. add {{n}})"
        for i in indexes:
            items[i] = replace(items[i], verdict=ItemVerdict.DUPLICATE_NAME, reasons=(reason,))


def _apply_quota(items: list[PlanItem], quota: QuotaReading | None) -> None:
    if quota is None or quota.quota is None:
        return
    left = quota.quota.left
    ready = [i for i, item in enumerate(items) if item.ready]
    if len(ready) <= left:
        return
    reason = (
        f"over the private-image quota: {len(ready)} copies needed, {left} left ({quota.quota.line}); "
        "IMS would refuse it with IMG.0015"
    )
    for i in ready[left:]:
        items[i] = replace(items[i], verdict=ItemVerdict.OVER_QUOTA, reasons=(reason,))


def build_plan(
    spec: BatchSpec,
    images: Mapping[str, Image | ImstuiError],
    *,
    project_id: str | None,
    quota: QuotaReading | None,
    today: date,
    requests: int = 0,
) -> BatchPlan:
    """The plan of ``spec`` over ``images`` (by lower-cased source id: an :class:`Image`, or the error reading it;
    a missing id is "not found"). The template must have passed :func:`check_template`."""
    sources, merged = _merge(spec.sources)
    lowered = {key.lower(): value for key, value in images.items()}
    items = [
        _item(spec, n, source, lowered.get(source.image_id.lower()), project_id, today)
        for n, source in enumerate(sources, start=1)
    ]
    _refuse_duplicate_names(items)
    _apply_quota(items, quota)
    return BatchPlan(tuple(items), merged, quota, requests, spec.key_label)
