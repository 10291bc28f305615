"""Range-checked readers for the scalars of IMS answers: numbers, ids, times, booleans.

A value that cannot be real (a size of ``1e400``, a 400-digit integer, ``NaN``, a negative size, a percent of
``10**400``, an id of 5,000 characters) is a protocol error for that one field: the reader returns ``None`` and
records what was wrong in a :class:`Problems` list that the model keeps, so the rest of the answer stays usable
and nothing downstream ever meets an ``OverflowError`` or an unprintable string.

Ids (``ims-api.md`` §1-2): job ids seen in the documentation are 32 lower-case hex characters, image ids are UUIDs
(36 characters, hex and hyphens), project ids 32 hex characters. The rule accepted here, :data:`ID_RE`, is letters,
digits, ``-`` and ``_``, 1 to 64 characters: every documented id fits with room to spare, an id of another
(undocumented) alphabet or format still works, and anything longer or with other characters is refused rather
than shortened, because a shortened id names a different job.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any

from imstui.api.sanitize import escape, sanitize

ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
ID_RULE = "letters, digits, '-' or '_', 1 to 64 characters"

# The largest image imstui believes in: 1 PiB (IMS's documented limits are 128 GiB for a copy, 1 TiB for a disk).
GIB = 1024**3
MAX_SIZE_BYTES = 2**50
# min_disk (GB), min_ram / max_ram (MB): generous ceilings far above any flavour or disk IMS offers.
MAX_DISK_GB = 2**20
MAX_RAM_MB = 2**31

_MONTHS = {m: i for i, m in enumerate(("jan feb mar apr may jun jul aug sep oct nov dec").split(), start=1)}
# The old job time format: 06-Nov-2024 06:14:27:168 (day-month-year, milliseconds after a colon).
_OLD_TIME = re.compile(
    r"(\d{1,2})-([A-Za-z]{3})-(\d{4})[ T](\d{1,2}):(\d{2}):(\d{2})(?:[:.](\d{1,6}))?(?:\s*(?:Z|UTC|GMT))?",
    re.IGNORECASE,
)


class Problems(list[str]):
    """What was wrong with the fields of one answer, in words (sanitised and bounded)."""

    def add(self, field: str, value: Any, why: str) -> None:
        self.append(f"{field}: {shown(value)} {why}")


def shown(value: Any) -> str:
    """A raw JSON scalar for a message: strings escaped exactly, numbers by their size when they are huge."""
    if isinstance(value, str):
        return escape(value, 80)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    return sanitize(repr(value))[:80]


def is_api_id(value: str) -> bool:
    return ID_RE.fullmatch(value) is not None


def api_id(data: Any, key: str, problems: Problems) -> str | None:
    """An id field: ``None`` when absent or empty; ``None`` and a problem when it does not fit :data:`ID_RE`."""
    value = data.get(key) if isinstance(data, dict) else None
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if text is None or not is_api_id(text):
        problems.add(key, value, f"is not an id ({ID_RULE})")
        return None
    return text


def to_bool(value: Any) -> bool | None:
    """``True``/``"true"``/``"True"``/``1`` -> True; ``False``/``"false"``/``0`` -> False; else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, float):
        return None if math.isnan(value) else value != 0
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no", ""):
            return False
    return None


def _number(value: Any) -> int | float | None:
    """An int or a finite float from a JSON number or a numeric string; ``None`` for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip().rstrip("%").strip()
        if len(text) > 400:  # int() of a huge digit string is slow (and limited to 4,300 digits)
            return None
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except (ValueError, OverflowError):
            return None
        return number if math.isfinite(number) else None
    return None


def _ranged(value: Any, key: str, problems: Problems, maximum: int, out_of_range: str) -> int | float | None:
    """A number in ``0..maximum``; ``None`` when absent (``None``, blank); ``None`` and a problem otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = _number(value)
    if number is None:
        problems.add(key, value, "is not a number")
        return None
    if not 0 <= number <= maximum:
        problems.add(key, value, out_of_range)
        return None
    return number


def bounded_int(data: Any, key: str, problems: Problems, *, maximum: int) -> int | None:
    """A whole number in ``0..maximum``; ``None`` when absent; ``None`` and a problem when it cannot be real."""
    value = data.get(key) if isinstance(data, dict) else None
    number = _ranged(value, key, problems, maximum, f"is out of range (0 to {maximum:,})")
    return None if number is None else int(number)


def percent(value: Any, problems: Problems, key: str = "process_percent") -> float | None:
    """``process_percent`` as 0.0..1.0. It is documented as a float without a scale: values above 1 are read as
    percent. Absent -> ``None``; not a number, negative or above 100 -> ``None`` and a problem."""
    number = _ranged(value, key, problems, 100, "is not a percentage (0 to 100, or 0 to 1)")
    if number is None:
        return None
    fraction = float(number)
    return fraction / 100 if fraction > 1 else fraction


def parse_time(value: str) -> datetime | None:
    """An IMS job time: ISO 8601 (``2024-11-06T06:14:27.168Z``) or the old ``06-Nov-2024 06:14:27:168`` form.

    Times without a zone are UTC (the reference says "UTC"). ``None`` when the text is neither.
    """
    text = value.strip()
    if not text or len(text) > 64:
        return None
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = _old_time(text)
    if moment is None:
        return None
    try:
        return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    except OverflowError:  # year 1 or 9999 shifted out of range by its offset
        return None


def _old_time(text: str) -> datetime | None:
    match = _OLD_TIME.fullmatch(text)
    if match is None:
        return None
    day, month_name, year, hour, minute, second, fraction = match.groups()
    month = _MONTHS.get(month_name.lower())
    if month is None:
        return None
    micro = int((fraction or "0").ljust(6, "0")[:6])
    try:
        return datetime(int(year), month, int(day), int(hour), int(minute), int(second), micro)
    except ValueError:
        return None


def job_time(raw: str | None, key: str, problems: Problems) -> datetime | None:
    """A sanitised time field as a UTC ``datetime``; ``None`` when absent (``""`` included) or unreadable."""
    if raw is None:
        return None
    moment = parse_time(raw)
    if moment is None:
        problems.add(key, raw, "is not a time (ISO 8601 or dd-Mon-yyyy HH:MM:SS:mmm)")
    return moment
