"""Image tag rules, checked locally before anything is sent (``kms-eps-tags.md`` §3, IMS "Image Tag Format").

* at most :data:`MAX_TAGS` (10) tags per image;
* a key is 1-36 characters, a value 0-43 (empty, never absent); keys are unique;
* the documented character set. The sources differ [UNCERTAIN]: the current IMS page allows only digits, letters,
  ``_`` and ``-`` in a key (plus ``.`` in a value); older pages allowed anything but ``= * < > \\ , | /``; the Paris
  page names the letters as ASCII plus CJK (U+4E00-U+9FFF). imstui enforces the strictest reading (what every
  reading accepts): ASCII letters, digits, CJK, ``_`` and ``-`` (and ``.`` in a value).

Leading and trailing spaces are trimmed (the server trims them too). A tag is typed as ``key=value``; ``key=`` is
an empty value. :func:`tag_new_image` applies checked tags to the image a successful copy made (whichever process
follows the job calls it) and returns a :class:`TagOutcome` to record, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imstui.api.errors import ImstuiError, LocalValidationError
from imstui.api.tag_models import ImageTag
from imstui.core.validation import Violation

if TYPE_CHECKING:  # the client (and httpx) load only when tags are applied
    from imstui.api.client import ImsClient

MAX_TAGS = 10
KEY_MAX = 36
VALUE_MAX = 43
_ASCII_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_ASCII_VALUE_CHARS = _ASCII_KEY_CHARS | {"."}


def _key_char(ch: str) -> bool:
    """A character a tag key may hold: ASCII letters and digits, ``_``, ``-``, CJK ideographs U+4E00-U+9FFF.
    (A set and a range, not a regular expression: compiling that character class cost ~2.5 ms at import.)"""
    return ch in _ASCII_KEY_CHARS or "\u4e00" <= ch <= "\u9fff"


def _value_char(ch: str) -> bool:
    """A character a tag value may hold: what a key may, and ``.``."""
    return ch in _ASCII_VALUE_CHARS or "\u4e00" <= ch <= "\u9fff"


KEY_CHARSET_TEXT = "letters, digits, '_' and '-'"
VALUE_CHARSET_TEXT = "letters, digits, '_', '.' and '-'"


def _bad_chars(text: str, allowed: Callable[[str], bool]) -> str:
    bad = list(dict.fromkeys(ch for ch in text if not allowed(ch)))
    shown = ", ".join(repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}" for ch in bad[:6])
    return shown + (", …" if len(bad) > 6 else "")


def parse_tag(text: str) -> ImageTag | Violation:
    """``key=value`` -> a tag (both sides trimmed), or the :class:`Violation` of the first broken rule."""
    key, sep, value = (text or "").partition("=")
    if not sep:
        return Violation("tag.format", f"a tag is written key=value (key= for an empty value), not {text!r}")
    return check_tag(key, value)


def check_tag(key: str, value: str) -> ImageTag | Violation:
    key, value = key.strip(), value.strip()
    if not key:
        return Violation("tag.key.required", "a tag needs a key (1 to 36 characters)")
    if len(key) > KEY_MAX:
        return Violation("tag.key.length", f"tag key {key[:40]!r}… has {len(key)} characters; at most {KEY_MAX}")
    if not all(map(_key_char, key)):
        return Violation(
            "tag.key.charset",
            f"tag key {key!r} contains {_bad_chars(key, _key_char)}: a key may hold only {KEY_CHARSET_TEXT}",
        )
    if len(value) > VALUE_MAX:
        return Violation(
            "tag.value.length", f"the value of tag {key!r} has {len(value)} characters; at most {VALUE_MAX}"
        )
    if not all(map(_value_char, value)):
        return Violation(
            "tag.value.charset",
            f"the value of tag {key!r} contains {_bad_chars(value, _value_char)}: "
            f"a value may hold only {VALUE_CHARSET_TEXT}",
        )
    return ImageTag(key, value)


def tags_violation(items: Iterable[str | tuple[str, str] | ImageTag]) -> tuple[list[ImageTag], Violation | None]:
    """Check every tag (``"key=value"``, ``(key, value)`` or :class:`ImageTag`): the tags, and the first failed rule."""
    tags: list[ImageTag] = []
    seen: set[str] = set()
    for item in items:
        if isinstance(item, ImageTag):
            result = check_tag(item.key, item.value)
        elif isinstance(item, tuple):
            result = check_tag(*item)
        else:
            result = parse_tag(item)
        if isinstance(result, Violation):
            return tags, result
        if result.key in seen:
            return tags, Violation("tag.key.unique", f"tag key {result.key!r} is given twice; keys must be unique")
        seen.add(result.key)
        tags.append(result)
    if len(tags) > MAX_TAGS:
        return tags, Violation("tags.count", f"{len(tags)} tags given; an image can have at most {MAX_TAGS}")
    return tags, None


def validate_tags(items: Iterable[str | tuple[str, str] | ImageTag]) -> list[ImageTag]:
    """The checked tags, or :class:`LocalValidationError` (field ``tags``) naming the rule that failed."""
    tags, violation = tags_violation(items)
    if violation is not None:
        raise LocalValidationError("tags", violation.rule, violation.message)
    return tags


def check_total(existing: Sequence[ImageTag], new: Sequence[ImageTag]) -> Violation | None:
    """Would the image end up with more than :data:`MAX_TAGS` tags? (A key already there is overwritten.)"""
    keys = {tag.key for tag in existing} | {tag.key for tag in new}
    if len(keys) > MAX_TAGS:
        return Violation(
            "tags.count",
            f"the image would have {len(keys)} tags ({len(existing)} already there); at most {MAX_TAGS}",
        )
    return None


@dataclass(frozen=True)
class TagOutcome:
    """What tagging a new image came to: the tags applied, or the failure (its code and message) to record and show
    as "copied, tags not applied". Tagging never touches the copy itself."""

    image_id: str
    tags: tuple[ImageTag, ...]
    error_code: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_code is None

    def describe(self) -> str:
        if self.ok:
            return "tags applied: " + (", ".join(str(t) for t in self.tags) or "none")
        return f"copied, tags not applied: {self.error_code} {self.error_message}".rstrip()


async def tag_new_image(ims: ImsClient, image_id: str, tags: Sequence[ImageTag]) -> TagOutcome:
    """Apply ``tags`` to the image a copy made, once its job succeeded. Reads the image's tags first (a copy may
    inherit the source's [UNCERTAIN]) so that the 10-tag limit is checked locally; never raises an imstui error:
    a failure is the outcome's ``error_code`` (``tags.count`` for the local rule, else the server's code)."""
    from imstui.api.tags import add_image_tags, list_image_tags

    wanted = tuple(tags)
    if not wanted:
        return TagOutcome(image_id, ())
    try:
        violation = check_total(await list_image_tags(ims, image_id), wanted)
        if violation is not None:
            return TagOutcome(image_id, wanted, violation.rule, violation.message)
        await add_image_tags(ims, image_id, wanted)
    except ImstuiError as error:
        code = getattr(error, "code", None) or type(error).__name__
        return TagOutcome(image_id, wanted, str(code), getattr(error, "message", str(error)))
    return TagOutcome(image_id, wanted)
