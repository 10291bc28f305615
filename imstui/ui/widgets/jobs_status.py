"""The two text lines around the jobs table: the status line above it and the failure strip below it.

The status line sums the panel up in one line: the job counts, what the poller is doing, how many rows a filter
shows, and the last failed poll. The failure strip explains the selected job when it needs explaining (failed,
rejected, outcome unknown, a failing status check): the error, what it means and what to do. Both show untrusted
text (server messages, the filter the user typed) only as ``Text``/``Content``, never as markup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.content import Content
from textual.widgets import Static

from imstui.api.sanitize import sanitize
from imstui.core.jobs import needs_attention
from imstui.core.ledger import JobRecord
from imstui.core.wording import KIND_STYLES, JobCounts, count_words, local_clock, look_of, poller_sentence
from imstui.ui.poller_text import RESUME_HINT
from imstui.ui.widgets.jobs_text import Explain, explanation_lines

if TYPE_CHECKING:
    from imstui.core.poller import PollerStatus

__all__ = ["FailureStrip", "JobsStatusLine", "StatusFacts", "poll_now_text"]

STRIP_KEYS = "R retry · Enter details · y copy a report · c copy job id"
STRIP_KEYS_HEALTHY = "Enter details · y copy a report · c copy job id"


@dataclass(frozen=True)
class StatusFacts:
    """What the status line is made of (the panel gathers it)."""

    counts: JobCounts
    poller: PollerStatus | None = None
    shown: int = 0
    total: int = 0
    filter_text: str = ""
    failed_only: bool = False
    hide_finished: bool = False
    poll_error: str = ""


def status_text(facts: StatusFacts, now: datetime) -> str:
    """``2 running, 1 FAILED  ·  paused (p resumes)  ·  1/3 shown: filter "web"  ·  last poll error: …``"""
    parts = count_words(facts.counts)
    line = ", ".join(parts) if parts else "no copy jobs yet for this profile"
    if facts.poller is not None:
        sentence = poller_sentence(facts.poller, now, resume_hint=RESUME_HINT)
        # The routine countdown ("2 unfinished, next poll in 8s") is the status bar's: said here too, this line
        # would be repainted every second. Paused, stopped, backing off and throttled are said here as well.
        if not (sentence == "idle" or sentence.startswith(f"{facts.poller.outstanding} unfinished, ")):
            line += f"  ·  {sentence}"
    if facts.filter_text or facts.failed_only or facts.hide_finished:
        how = []
        if facts.filter_text:
            how.append(f'filter "{facts.filter_text}"')
        if facts.failed_only:
            how.append("failed only (f)")
        if facts.hide_finished:
            how.append("finished hidden (h)")
        line += f"  ·  {facts.shown}/{facts.total} shown: {', '.join(how)}"
    if facts.poll_error:
        line += f"  ·  last poll error: {facts.poll_error}"
    return sanitize(line)


def poll_now_text(jobs: int, not_before: datetime | None, *, paused: bool) -> str:
    """What ``r`` did: ``Polling 3 jobs now.``, ``Polling 3 jobs: throttled until 14:05:10.``, or nothing to poll."""
    count = f"{jobs} job{'' if jobs == 1 else 's'}"
    if jobs == 0:
        return "Nothing to poll: no unfinished jobs."
    if not_before is not None:
        return f"Polling {count}: throttled until {local_clock(not_before)}."
    return f"Polling {count} now" + (" (once: polling stays paused)." if paused else ".")


class JobsStatusLine(Static):
    """One line above the table; rewritten only when its text changes."""

    def __init__(self, clock: Callable[[], datetime], *, id: str | None = "jobs-status") -> None:
        super().__init__(id=id, markup=False)
        self._clock = clock
        self._line: str | None = None

    @property
    def line(self) -> str:
        return self._line or ""

    def show(self, facts: StatusFacts) -> None:
        line = status_text(facts, self._clock())
        if line != self._line:
            self._line = line
            self.update(Content(line))


class FailureStrip(Static):
    """Below the table: why the selected job failed and what to do; hidden (``shown`` False) for a healthy job."""

    def __init__(self, explain: Explain, *, id: str | None = "jobs-strip") -> None:
        super().__init__(id=id, markup=False)
        self._explain = explain

    def show(self, record: JobRecord | None) -> bool:
        """Explain ``record``; returns whether there was anything to say (the panel shows the strip then)."""
        lines = explanation_lines(record, self._explain) if record is not None else []
        if not lines or record is None:
            self.update("")
            return False
        view = look_of(record)
        content = Text()
        content.append(view.label, style=KIND_STYLES.get(view.kind, "") or "bold")
        content.append("  ")
        content.append(record.name or "", style="bold")
        for label, value in lines:
            content.append("\n")
            content.append(f"{label}: ", style="bold")
            content.append(value)
        content.append("\n")
        content.append(STRIP_KEYS if needs_attention(record) else STRIP_KEYS_HEALTHY, style="dim")
        self.update(content)
        return True
