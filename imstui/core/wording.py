"""How imstui words a job, for both fronts: the console and the headless commands say the same words.

Pure functions, no Textual import. The phase comes from :mod:`imstui.core.jobs` (never re-derived here); this module
only says it: a glyph plus a WORD per :class:`~imstui.core.jobs.Phase` (the word carries the meaning on its own, so
``NO_COLOR``, monochrome and ASCII-only terminals lose nothing), a style *kind* per phase, ages, progress, UTC and
local times, the poller's state in one sentence, the job counts of the terminal title and status line, and image
sizes (binary units, said as such: GiB, MiB).

The incident summary (the report the console copies and ``imstui job`` prints) is in :mod:`imstui.core.report`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Literal, Protocol, TextIO

from imstui.api.fields import GIB
from imstui.api.job_status import JobStatus
from imstui.api.sanitize import escape
from imstui.core.jobs import FAILED_PHASES, IN_FLIGHT, SUBMITTED, JobFacts, JobState, Phase, count_phases, phase_of

if TYPE_CHECKING:
    from imstui.api.models import Job
    from imstui.core.poller.events import Throttle

__all__ = [
    "GLYPHS",
    "KIND_STYLES",
    "LOOKS",
    "NOT_REPORTED",
    "SERVER_DATA_UNKNOWN",
    "JobCounts",
    "Kind",
    "PhaseLook",
    "PollerState",
    "count_words",
    "format_age",
    "format_ago",
    "format_local_and_utc",
    "format_progress",
    "format_size",
    "format_utc",
    "live_job_phase",
    "live_job_status",
    "local_clock",
    "look_of",
    "looks_like_secret",
    "needs_ascii",
    "poller_sentence",
    "said_back",
    "tags_sentence",
    "throttle_sentence",
]

Kind = Literal["pending", "running", "success", "failed", "unknown", "gone"]


@dataclass(frozen=True)
class PhaseLook:
    """What the user reads for one phase: ``glyph`` + ``word`` (``ascii_glyph`` where the glyph cannot be printed);
    ``kind`` picks the style (see :data:`KIND_STYLES`)."""

    phase: Phase
    glyph: str
    ascii_glyph: str
    word: str
    kind: Kind

    @property
    def label(self) -> str:
        """``✔ SUCCEEDED``"""
        return f"{self.glyph} {self.word}"

    @property
    def ascii_label(self) -> str:
        """``+ SUCCEEDED``: for a stream that cannot encode the glyph."""
        return f"{self.ascii_glyph} {self.word}"

    def text(self, *, ascii: bool = False) -> str:
        return self.ascii_label if ascii else self.label


def _look(phase: Phase, glyph: str, ascii_glyph: str, word: str, kind: Kind) -> tuple[Phase, PhaseLook]:
    return phase, PhaseLook(phase, glyph, ascii_glyph, word, kind)


# The one wording of every phase (the status column of the console and of `imstui jobs`, `jobs watch`, `imstui job`,
# the incident summary). The word is the phase's own name, upper-case so it reads as a state.
LOOKS: dict[Phase, PhaseLook] = dict(
    [
        _look(Phase.SUBMITTING, "↑", "^", "SUBMITTING", "pending"),
        _look(Phase.REJECTED, "✖", "x", "REJECTED", "failed"),
        _look(Phase.OUTCOME_UNKNOWN, "?", "?", "OUTCOME UNKNOWN", "unknown"),
        _look(Phase.WAITING, "…", ".", "WAITING", "pending"),
        _look(Phase.STARTING, "…", ".", "STARTING", "pending"),
        _look(Phase.RUNNING, "●", "*", "RUNNING", "running"),
        _look(Phase.UNRECOGNISED, "◌", "o", "UNRECOGNISED", "unknown"),
        _look(Phase.SUCCEEDED, "✔", "+", "SUCCEEDED", "success"),
        _look(Phase.FAILED, "✖", "x", "FAILED", "failed"),
        _look(Phase.GONE, "⌛", "!", "GONE", "gone"),
    ]
)

GLYPHS = "".join(sorted({look.glyph for look in LOOKS.values()})) + "–…"

# Rich styles per kind. Failures are bold as well as red, so they stand out under NO_COLOR too.
KIND_STYLES: dict[str, str] = {
    "pending": "",
    "running": "bold",
    "success": "green",
    "failed": "bold red",
    "unknown": "bold yellow",
    "gone": "yellow",
}

NOT_REPORTED = "–"  # no value yet (progress not reported, a time that has not happened)
# The heading over the fields a server sent that cannot be real (an image's or a job's ``problems``: each such field
# is shown as unknown), in `imstui image` / `imstui job` and in the console's lookup.
SERVER_DATA_UNKNOWN = "Server data read as unknown:"


def look_of(job: JobFacts | Phase) -> PhaseLook:
    """The look of a job (anything with ``state``/``status``/``gone``/``job_id``) or of a phase."""
    return LOOKS[job if isinstance(job, Phase) else phase_of(job)]


def needs_ascii(stream: TextIO) -> bool:
    """True when ``stream`` cannot encode the glyphs (then print :attr:`PhaseLook.ascii_label`)."""
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        GLYPHS.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return True
    return False


@dataclass(frozen=True)
class _LiveFacts:
    state: JobState
    status: JobStatus | None
    gone: bool
    job_id: str | None


def live_job_phase(job: Job) -> Phase:
    """The phase of a job IMS just described (it answered, so the copy was submitted and the job is known)."""
    return phase_of(_LiveFacts(SUBMITTED, job.status, False, job.job_id))


def live_job_status(job: Job, *, ascii: bool = False) -> str:
    """``● RUNNING 42% — copying disk`` for a job IMS just described; an unrecognised status names what IMS said."""
    phase = live_job_phase(job)
    text = LOOKS[phase].text(ascii=ascii)
    if phase is Phase.UNRECOGNISED:
        text += f" ({job.raw_status})"
    if job.progress is not None and not job.is_terminal:
        text += f" {format_progress(job.progress)}"
    if job.current_task:
        text += f" {'-' if ascii else '—'} {job.current_task}"
    return text


# ---------------------------------------------------------------------------------------------------------- numbers


def format_age(seconds: float) -> str:
    """A compact age: ``0s``, ``42s``, ``5m``, ``5m07s`` (under 10 minutes), ``2h05m``, ``3d04h``."""
    total = max(0, int(seconds)) if math.isfinite(seconds) else 0
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 10:
        return f"{minutes}m{secs:02d}s" if secs else f"{minutes}m"
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def format_ago(then: datetime | None, now: datetime, *, never: str = "never") -> str:
    """``"12s ago"`` (``never`` when ``then`` is None). A time in the future (clock skew) reads ``just now``."""
    if then is None:
        return never
    delta = (now - then).total_seconds()
    if delta < 1:
        return "just now"
    return f"{format_age(delta)} ago"


def format_progress(progress: float | None, *, ascii: bool = False) -> str:
    """``"42%"``; ``"–"`` (``"-"`` with ``ascii``) when the server has not reported progress."""
    if progress is None or not math.isfinite(progress):
        return "-" if ascii else NOT_REPORTED
    return f"{round(max(0.0, min(1.0, progress)) * 100)}%"


def format_size(size_bytes: int | None) -> str:
    """``40.0 GiB (42,949,672,960 bytes)``; ``unknown`` when IMS gave no size or 0 (a full-ECS image has none)."""
    if not size_bytes or size_bytes < 0:
        return "unknown"
    if size_bytes >= GIB:
        return f"{size_bytes / GIB:.1f} GiB ({size_bytes:,} bytes)"
    return f"{size_bytes / 1024**2:.1f} MiB ({size_bytes:,} bytes)"


# ---------------------------------------------------------------------------------------------------------- times


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def format_utc(moment: datetime | None) -> str:
    """``2024-05-01 12:03:04 UTC`` (``–`` for None). Naive datetimes are taken as UTC."""
    if moment is None:
        return NOT_REPORTED
    return _aware(moment).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_local_and_utc(moment: datetime | None) -> str:
    """``2024-05-01 14:03:04 CEST (2024-05-01 12:03:04 UTC)``: local time for reading, UTC for tickets."""
    if moment is None:
        return NOT_REPORTED
    local = _aware(moment).astimezone()
    zone = local.strftime("%Z") or local.strftime("%z")
    return f"{local.strftime('%Y-%m-%d %H:%M:%S')} {zone} ({format_utc(moment)})"


def local_clock(moment: datetime) -> str:
    """``14:02:10`` in the local time zone."""
    return _aware(moment).astimezone().strftime("%H:%M:%S")


# ---------------------------------------------------------------------------------------------------------- poller


class PollerState(Protocol):
    """What the poller sentence is made of (``imstui.core.poller.PollerStatus`` satisfies it)."""

    @property
    def running(self) -> bool: ...

    @property
    def paused(self) -> bool: ...

    @property
    def outstanding(self) -> int: ...

    @property
    def next_poll_at(self) -> datetime | None: ...

    @property
    def backoff_until(self) -> datetime | None: ...

    @property
    def throttle(self) -> Throttle | None: ...


def _period(seconds: float) -> str:
    for unit, size in (("h", 3600.0), ("min", 60.0)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def throttle_sentence(throttle: Throttle, *, ascii: bool = False) -> str:
    """``throttled by the API gateway (user policy: 200 requests / 5 min) — next poll 14:05:10``: the limit the
    gateway's message stated, or its Retry-After, or that it stated neither."""
    window = throttle.window
    if window is not None:
        per = (
            f"{window.limit} requests / {_period(window.seconds)}" if window.limit else f"per {_period(window.seconds)}"
        )
        why = f"{window.policy} policy: {per}" if window.policy else per  # policy: [a-z0-9_-] (the parser's rule)
    elif throttle.retry_after is not None:
        why = f"asked to wait {_period(round(throttle.retry_after))}"
    else:
        why = "no limit stated"
    dash = "--" if ascii else "\u2014"
    return f"throttled by the API gateway ({why}) {dash} next poll {local_clock(throttle.until)}"


def poller_sentence(status: PollerState, now: datetime, *, resume_hint: str = "") -> str:
    """The poller's state in a few words: ``2 unfinished, next poll in 8s``, ``backing off until 14:02:10``,
    ``throttled by the API gateway (...) — next poll 14:05:10``, ``paused`` (plus ``resume_hint``, e.g.
    ``" (p resumes)"``), ``idle``, ``stopped``."""
    if status.paused:
        return "paused" + resume_hint
    if not status.running:
        return "stopped"
    now = _aware(now)
    if status.throttle is not None and _aware(status.throttle.until) > now:
        return throttle_sentence(status.throttle)
    backoff = status.backoff_until
    if backoff is not None and _aware(backoff) > now:
        return f"backing off until {local_clock(backoff)}"
    if status.outstanding == 0:
        return "idle"
    prefix = f"{status.outstanding} unfinished, "
    if status.next_poll_at is None:
        return prefix + "polling"
    seconds = max(0, round((_aware(status.next_poll_at) - now).total_seconds()))
    return prefix + ("polling now" if seconds == 0 else f"next poll in {seconds}s")


# ---------------------------------------------------------------------------------------------------------- values

SAID_BACK_LIMIT = 64


def looks_like_secret(value: str) -> bool:
    """Whether ``value`` could be a key or token pasted in the wrong place: 16+ characters mixing at least three of
    upper-case letters, lower-case letters, digits and base64's ``+``/``=`` (an SK, a security token). Region ids,
    project ids (lower-case hex), URLs and ordinary names do not."""
    if len(value) < 16:
        return False
    kinds = (
        any(c.isupper() for c in value),
        any(c.islower() for c in value),
        any(c.isdigit() for c in value),
        any(c in "+=" for c in value),
    )
    return sum(kinds) >= 3


def said_back(value: str) -> str:
    """``value`` quoted for an error message, or ``(a value of N characters, not shown)`` when it could be a secret
    or is longer than any id: an error never echoes what may be a key typed into the wrong option."""
    if looks_like_secret(value) or len(value) > SAID_BACK_LIMIT:
        return f"(a value of {len(value)} characters, not shown)"
    return repr(value) if value.isascii() and value.isprintable() else escape(value)


# ---------------------------------------------------------------------------------------------------------- counts


@dataclass(frozen=True)
class JobCounts:
    """Jobs in four groups, for the terminal title and the status line."""

    running: int = 0  # in flight: submitting, waiting, starting, running, unrecognised status
    failed: int = 0  # failed or rejected
    unknown: int = 0  # outcome unknown, or gone before finishing
    succeeded: int = 0

    @classmethod
    def of_phases(cls, counts: Mapping[Phase, int]) -> JobCounts:
        def total(phases: Iterable[Phase]) -> int:
            return sum(counts.get(p, 0) for p in phases)

        return cls(
            running=total(IN_FLIGHT),
            failed=total(FAILED_PHASES),
            unknown=total((Phase.OUTCOME_UNKNOWN, Phase.GONE)),
            succeeded=counts.get(Phase.SUCCEEDED, 0),
        )

    @classmethod
    def of(cls, jobs: Iterable[JobFacts]) -> JobCounts:
        return cls.of_phases(count_phases(jobs))


def count_words(counts: JobCounts, *, always_done: bool = True) -> list[str]:
    """``["3 running", "1 FAILED", "1 UNKNOWN", "4 done"]`` (zero counts left out). Problems are upper-case so they
    stand out; with ``always_done=False`` successes are counted only when nothing else is going on."""
    parts: list[str] = []
    if counts.running:
        parts.append(f"{counts.running} running")
    if counts.failed:
        parts.append(f"{counts.failed} FAILED")
    if counts.unknown:
        parts.append(f"{counts.unknown} UNKNOWN")
    if counts.succeeded and (always_done or not parts):
        parts.append(f"{counts.succeeded} done")
    return parts


# ---------------------------------------------------------------------------------------------- tags on the copy

TAGS_NOT_APPLIED = "copied, tags not applied"
TAGS_RETRY_HINT = "retry the tags (never the copy) with T in the console or imstui job JOB --retry-tags"


def tags_sentence(state: str | None, count: int, error: str | None = None) -> str | None:
    """How a copy's tags stand (:mod:`imstui.core.tagging`): "tags applied (2)", "tags pending",
    "copied, tags not applied: CODE message"; None when no tags were asked for."""
    from imstui.api.sanitize import sanitize

    if state is None:
        return None
    if state == "applied":
        return f"tags applied ({count})"
    if state == "failed":
        return f"{TAGS_NOT_APPLIED}: {sanitize(error or 'no reason recorded')}"
    return "tags pending"
