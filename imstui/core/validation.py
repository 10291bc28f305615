"""Local checks of what the operator types, before anything is sent (the console and the commands share them).

Rules (``ims-api.md`` §1.1, §4): image ids and KMS key ids are UUIDs; an enterprise project id is ``"0"`` or a
UUID (empty means the default project); a name is 1-128 characters among ASCII letters, digits, ``- . _``, space
and Chinese characters (U+4E00-U+9FA5), without a leading or trailing space; a description has at most 1024
characters, no line breaks, no ``<`` or ``>`` and no control characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from imstui.api.models import CopyRequest

NAME_MAX = 128
DESCRIPTION_MAX = 1024

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_NAME_CHAR_RE = re.compile(r"[A-Za-z0-9\u4e00-\u9fa5._\- ]")
# Characters a paste may carry around an id: whitespace, zero-width spaces, BOM, quotes.
# Control, format (bidi overrides, zero-width), surrogate and line/paragraph separators: never in a description.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_PASTE_JUNK = " \t\r\n\v\f\u00a0\u200b\u200c\u200d\u2060\ufeff\"'`"


@dataclass(frozen=True)
class Violation:
    """A failed rule: ``rule`` is a stable identifier (e.g. ``name.charset``), ``message`` says it in plain words."""

    rule: str
    message: str

    def __str__(self) -> str:
        return self.message


def _show(ch: str) -> str:
    """A character as the operator can read it in a message (control characters as U+XXXX)."""
    if ch.isprintable():
        return repr(ch)
    return f"U+{ord(ch):04X}"


def _listing(chars: list[str]) -> str:
    unique = list(dict.fromkeys(chars))
    shown = ", ".join(_show(c) for c in unique[:8])
    return shown + (", …" if len(unique) > 8 else "")


def normalise_image_id(value: str) -> str:
    """Strip what a copy-paste adds around an id (spaces, newlines, zero-width characters, quotes).

    A well-formed UUID is lower-cased (IMS ids are lower-case); anything else is returned stripped, as typed.
    """
    text = (value or "").strip(_PASTE_JUNK)
    return text.lower() if _UUID_RE.fullmatch(text) else text


def _uuid(field: str, value: str, what: str) -> Violation | None:
    if not value:
        return Violation(f"{field}.required", f"The {what} is required.")
    if not _UUID_RE.fullmatch(value):
        return Violation(
            f"{field}.uuid",
            f"The {what} must be a UUID: 32 hexadecimal digits in groups 8-4-4-4-12, "
            "e.g. 465076de-dc36-4aec-80f5-ef9d8009428f.",
        )
    return None


def check_image_id(value: str) -> Violation | None:
    return _uuid("image_id", value or "", "image ID")


COPY_SUFFIX = "-copy"


def default_copy_name(source_name: str) -> str:
    """``<name>-copy`` (what the console proposes and ``imstui copy`` uses without ``--name``), the source name cut
    so the result fits in :data:`NAME_MAX` characters; ``image-copy`` for a source without a name."""
    base = source_name.strip()[: NAME_MAX - len(COPY_SUFFIX)].rstrip()
    return f"{base}{COPY_SUFFIX}" if base else "image-copy"


def check_name(value: str) -> Violation | None:
    if not value:
        return Violation("name.required", "The new image needs a name.")
    if len(value) > NAME_MAX:
        return Violation("name.length", f"The name has {len(value)} characters; at most {NAME_MAX} are allowed.")
    bad = [c for c in value if not _NAME_CHAR_RE.fullmatch(c)]
    if bad:
        return Violation(
            "name.charset",
            "The name may contain only letters A-Z and a-z, digits, hyphen (-), period (.), underscore (_), space "
            f"and Chinese characters; not allowed here: {_listing(bad)}.",
        )
    if value[0] == " " or value[-1] == " ":
        return Violation("name.edge_space", "The name must not start or end with a space.")
    return None


def check_description(value: str | None) -> Violation | None:
    if not value:
        return None
    if len(value) > DESCRIPTION_MAX:
        return Violation(
            "description.length",
            f"The description has {len(value)} characters; at most {DESCRIPTION_MAX} are allowed.",
        )
    if "\r" in value or "\n" in value:
        return Violation("description.line_break", "The description must be a single line (no line breaks).")
    if "<" in value or ">" in value:
        return Violation("description.angle_brackets", "The description must not contain angle brackets (< or >).")
    controls = [c for c in value if unicodedata.category(c) in _INVISIBLE_CATEGORIES]
    if controls:
        return Violation(
            "description.control",
            f"The description must not contain control or invisible characters: {_listing(controls)}.",
        )
    return None


def check_cmk_id(value: str | None) -> Violation | None:
    if not value:
        return None
    return _uuid("cmk_id", value, "KMS key ID")


def check_enterprise_project_id(value: str | None) -> Violation | None:
    if not value or value == "0":
        return None
    if _UUID_RE.fullmatch(value):
        return None
    return Violation(
        "enterprise_project_id.format",
        'The enterprise project ID must be "0" (the default project) or a UUID such as '
        "b9a2c7f4-1a2b-4c3d-8e9f-0a1b2c3d4e5f; leave it empty for the default.",
    )


def validate_copy(request: CopyRequest) -> dict[str, Violation]:
    """Every failed rule of a copy request, by field (``name``, ``description``, ``cmk_id``,
    ``enterprise_project_id``); empty when the request may be sent."""
    checks = {
        "name": check_name(request.name),
        "description": check_description(request.description),
        "cmk_id": check_cmk_id(request.cmk_id),
        "enterprise_project_id": check_enterprise_project_id(request.enterprise_project_id),
    }
    return {field: violation for field, violation in checks.items() if violation is not None}


_JOB_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def check_job_id(value: str) -> Violation | None:
    """Job ids are 32 hex characters in every documented example; accept any plain token to stay tolerant."""
    if not value:
        return Violation("job_id.required", "The job ID is required.")
    if not _JOB_ID_RE.fullmatch(value):
        return Violation(
            "job_id.format",
            "The job ID may contain only letters, digits, '-', '_' and '.', at most 128 characters "
            "(IMS job IDs look like ff8080814dbd65d7014dbe0d84db0013).",
        )
    return None
