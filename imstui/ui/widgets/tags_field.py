"""The tags of the new image, typed as ``key=value, key2=value2`` and checked on every key with the core's rules
(:mod:`imstui.core.tags`): every broken rule is named, not only the first (a malformed item, a key or value too
long or with a character outside the documented set, a key given twice, more than 10 tags). The tags are applied
once the copy has succeeded (the session's Tagger); the copy body has no tags.
"""

from __future__ import annotations

from textual.validation import Failure, ValidationResult, Validator

from imstui.api.tag_models import ImageTag
from imstui.core.tags import MAX_TAGS, parse_tag
from imstui.core.validation import Violation
from imstui.ui.widgets.fields import ValidatedField, violation_text

__all__ = ["TagsField", "format_tags", "split_tags", "tag_problems"]


def split_tags(text: str) -> list[str]:
    """``env=prod, team=db`` -> ``["env=prod", "team=db"]`` (commas separate tags; blank items ignored)."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def format_tags(tags: object) -> str:
    """Tags (``ImageTag`` or ``(key, value)``) as the field shows them."""
    items = []
    for tag in tags if isinstance(tags, (list, tuple)) else ():
        key, value = (tag.key, tag.value) if isinstance(tag, ImageTag) else tag
        items.append(f"{key}={value}")
    return ", ".join(items)


def tag_problems(text: str) -> tuple[list[ImageTag], list[Violation]]:
    """The tags typed and every rule they break (one violation per broken item, then unique keys and the count)."""
    tags: list[ImageTag] = []
    problems: list[Violation] = []
    seen: set[str] = set()
    twice: list[str] = []
    for item in split_tags(text):
        result = parse_tag(item)
        if isinstance(result, Violation):
            problems.append(result)
            continue
        if result.key in seen and result.key not in twice:
            twice.append(result.key)
        seen.add(result.key)
        tags.append(result)
    for key in twice:
        problems.append(Violation("tag.key.unique", f"tag key {key!r} is given twice; keys must be unique"))
    count = len(split_tags(text))
    if count > MAX_TAGS:
        problems.append(Violation("tags.count", f"{count} tags given; an image can have at most {MAX_TAGS}"))
    return tags, problems


class TagsValidator(Validator):
    def validate(self, value: str) -> ValidationResult:
        _tags, problems = tag_problems(value)
        if not problems:
            return self.success()
        return ValidationResult([Failure(self, value, violation_text(p)) for p in problems])


def _never(_value: str) -> None:
    return None


class TagsField(ValidatedField):
    """The tags field: one line of ``key=value`` items separated by commas (optional)."""

    def __init__(self, label: str, *, field_id: str = "tags", value: str = "") -> None:
        super().__init__(
            label,
            check=_never,
            value=value,
            optional=True,
            placeholder="env=prod, team=web",
            field_id=field_id,
            select_on_focus=False,
        )
        self.input.validators = [TagsValidator()]

    @property
    def tags(self) -> list[ImageTag]:
        """The tags typed (only meaningful while :attr:`is_valid`)."""
        return tag_problems(self.value)[0]
