"""How the console shows a batch plan (:class:`imstui.core.batch.BatchPlan`): one line per item with its target
name and a glyph + word verdict, the totals with the quota, and the confirmation's plan listing.

The plan itself is the core's (:func:`imstui.core.batch.build_plan`): nothing here decides a verdict, it only says
one. Every name (source or target) is untrusted and shown literally (:func:`imstui.ui.text.assemble`).
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content

from imstui.core.batch import BatchPlan, ItemVerdict, PlanItem
from imstui.core.validation import check_name
from imstui.ui.text import assemble, literal, plain

__all__ = ["TAGS_AFTER_SUCCESS", "confirm_body", "item_line", "notes", "totals_text", "verdict_words"]

# The batch submitter stores each item's tags pending on its copy's row; the session's Tagger applies them once.
TAGS_AFTER_SUCCESS = "The tags are applied to each new image once its copy succeeds (the jobs panel says if not)."

OK_GLYPH = "✓"
NO_GLYPH = "✗"
WARN_GLYPH = "!"

_WORDS = {
    ItemVerdict.READY: "eligible",
    ItemVerdict.NOT_FOUND: "not found",
    ItemVerdict.UNREADABLE: "unreadable",
    ItemVerdict.NOT_ELIGIBLE: "not eligible",
    ItemVerdict.INVALID: "invalid",
    ItemVerdict.DUPLICATE_NAME: "duplicate name",
    ItemVerdict.OVER_QUOTA: "would exceed quota",
}


def verdict_words(item: PlanItem) -> str:
    """``eligible``, ``not eligible: <reason>``, ``duplicate name``, ``invalid name: <rule>``, ``would exceed
    quota``... (plain text; the reasons are the core's)."""
    word = _WORDS[item.verdict]
    if item.verdict is ItemVerdict.INVALID:
        bad_name = check_name(item.target_name) if item.target_name else None
        if bad_name is not None:
            return f"invalid name: {bad_name.message}"
    if item.verdict in (ItemVerdict.NOT_ELIGIBLE, ItemVerdict.INVALID, ItemVerdict.UNREADABLE) and item.reasons:
        return f"{word}: {'; '.join(item.reasons)}"
    return word


def item_line(item: PlanItem) -> Content:
    """``  1 ✓ eligible            ubuntu-web-copy  <- ubuntu-web`` (warnings said after an eligible verdict)."""
    glyph, style = (OK_GLYPH, "$text-success") if item.ready else (NO_GLYPH, "$text-error")
    target = plain(item.target_name) or "(no name)"
    source = plain(item.source_name or item.source_image_id)
    words = verdict_words(item)
    parts: list[str | Content | tuple[str, str]] = [
        (f"{item.position:>3} ", "dim"),
        (f"{glyph} ", f"bold {style}"),
        (target, "bold"),
        ("  <- ", "dim"),
        source,
        ("  ", ""),
        (words, style),
    ]
    if item.ready and item.warnings:
        parts.append((f"  {WARN_GLYPH} {'; '.join(item.warnings)}", "$text-warning"))
    return assemble(*parts)


def totals_text(plan: BatchPlan) -> str:
    """``10 images: 8 to copy, 2 skipped; quota: 8 needed, 40 left`` (the quota as far as it is known)."""
    count = len(plan.items)
    head = f"{count} image{'s' if count != 1 else ''}: {len(plan.ready)} to copy, {len(plan.skipped)} skipped"
    reading = plan.quota
    if reading is None:
        quota = "quota: reading…"
    elif reading.quota is None:
        quota = f"quota: {reading.line}"
    else:
        needed = len(plan.ready) + sum(1 for i in plan.items if i.verdict is ItemVerdict.OVER_QUOTA)
        quota = f"quota: {needed} needed, {reading.quota.left} left"
    return f"{head}; {quota}"


def notes(plan: BatchPlan) -> list[Content]:
    """What the operator should know about the plan as a whole: sources marked twice (copied once), tags."""
    found = [literal(f"note: {plain(m)} was marked more than once; it is copied once", "dim") for m in plan.merged]
    if any(item.tags for item in plan.ready):
        found.append(literal(TAGS_AFTER_SUCCESS, "dim"))
    return found


def _key_text(item: PlanItem, plan: BatchPlan) -> str:
    if not item.cmk_id:
        return "key: none given"
    return f"key: {plan.key_label or item.cmk_id}"


def confirm_body(
    plan: BatchPlan,
    *,
    region: str,
    project: str,
    batch_hint: str,
    enterprise_project: str = "",
    tags: Sequence[str] = (),
) -> Content:
    """The confirmation: where (and, when given, the enterprise project by name and id and the tags of every copy),
    one line per item (verdict, target name, key), and, when items are skipped, that the reduced plan is what will
    be sent."""
    rows: list[Content] = [
        assemble(("Region   ", "bold"), region),
        assemble(("Project  ", "bold"), project or "(discovered from the region)"),
    ]
    if enterprise_project:
        rows.append(assemble(("Enterprise project  ", "bold"), enterprise_project))
    if tags:
        rows.append(assemble(("Tags  ", "bold"), ", ".join(tags)))
    rows.append(Content(""))
    for item in plan.items:
        glyph, style = (OK_GLYPH, "$text-success") if item.ready else (NO_GLYPH, "$text-error")
        word = "copy" if item.ready else "skip"
        rows.append(
            assemble(
                (f"{item.position:>3} {glyph} {word}  ", f"bold {style}"),
                (plain(item.target_name) or "(no name)", "bold"),
                ("  ", ""),
                (_key_text(item, plan), "dim"),
            )
        )
        if not item.ready:
            rows.append(literal(f"        {verdict_words(item)}", "dim"))
    rows.append(Content(""))
    rows.append(literal(totals_text(plan), "bold"))
    rows.extend(notes(plan))
    if plan.skipped:
        rows.append(
            literal(
                f"Only the {len(plan.ready)} item(s) marked copy will be sent; the {len(plan.skipped)} skipped "
                "item(s) are stored with their reasons and never sent.",
                "$text-warning",
            )
        )
    rows.append(literal(batch_hint, "dim"))
    return Content("\n").join(rows)
