"""Everything about one copy job: every ledger field, the failure explanation, the poll error, local + UTC times.

A modal over the jobs panel. Keys: ``escape``/``q`` close, ``c`` copy job id, ``i`` copy new image id, ``y`` copy the
incident summary, ``o`` open the new image in lookup, ``R``/``t`` retry (failed copies), ``T`` retry the tags (a copy
that succeeded but whose tags were not applied; never the copy). All text is built as
``rich.text.Text`` from sanitised strings (server text is shown literally, never parsed as markup).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from imstui.api.catalogue import explain as catalogue_explain
from imstui.core.ledger import JobRecord
from imstui.core.wording import KIND_STYLES, TAGS_RETRY_HINT, look_of, tags_sentence
from imstui.ui.clipboard import ClipboardMode, copy_text
from imstui.ui.record_actions import RecordActions, record_bindings
from imstui.ui.widgets.jobs_text import Explain, detail_fields, explanation_lines

__all__ = ["JobDetailScreen", "detail_text"]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


Links = Callable[[JobRecord], tuple[str | None, list[str]]]
"""``record -> (retry of, retried as)`` by job id (the jobs panel's ``retry_links``)."""


def _no_links(record: JobRecord) -> tuple[str | None, list[str]]:
    return None, []


def detail_text(record: JobRecord, explain: Explain, now: datetime, links: Links = _no_links) -> Text:
    """The detail view's body: a heading, the explanation block (if any), then every field."""
    view = look_of(record)
    body = Text()
    body.append(view.label, style=KIND_STYLES.get(view.kind, "") or "bold")
    body.append("  ")
    body.append(record.name or "", style="bold")
    tags = tags_sentence(record.tags_state, len(record.tags), record.tags_error)
    if tags is not None:
        body.append("\n\n")
        body.append("Tags: ", style="bold")
        body.append(tags, style="bold red" if record.tags_state == "failed" else "")
        body.append("  " + ", ".join(str(t) for t in record.tags))
        if record.tags_state == "failed":
            body.append("\n" + TAGS_RETRY_HINT.replace("JOB", record.label))
    explained = explanation_lines(record, explain)
    if explained:
        body.append("\n")
        for label, value in explained:
            body.append("\n")
            body.append(f"{label.capitalize()}: ", style="bold")
            body.append(value)
    body.append("\n")
    retry_of, retried_as = links(record)
    fields = detail_fields(record, now, retry_of=retry_of, retried_as=retried_as)
    width = max((len(label) for label, _ in fields), default=0) + 2
    for label, value in fields:
        body.append("\n")
        body.append(f"{label}:".ljust(width), style="bold")
        body.append(value)
    return body


class JobDetailScreen(RecordActions, ModalScreen[None]):
    DEFAULT_CSS = """
    JobDetailScreen {
        align: center middle;
    }
    JobDetailScreen > #job-detail {
        width: 90%;
        max-width: 120;
        height: 90%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    JobDetailScreen #job-detail-body {
        width: 100%;
    }
    JobDetailScreen #job-detail-keys {
        height: 1;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_detail", "Close", id="job_detail.close"),
        Binding("q", "dismiss_detail", "Close", show=False, id="job_detail.close_q"),
        *record_bindings("job_detail"),
    ]

    def __init__(
        self,
        record: JobRecord,
        *,
        explain: Explain = catalogue_explain,
        clock: Callable[[], datetime] = _utcnow,
        clipboard_mode: ClipboardMode | None = None,
        links: Links = _no_links,
    ) -> None:
        super().__init__()
        self._links = links
        self.record = record
        self._explain = explain
        self._clock = clock
        self._clipboard_mode = clipboard_mode

    def compose(self) -> ComposeResult:
        with Vertical(id="job-detail"):
            with VerticalScroll():
                yield Static(self._body(self.record), id="job-detail-body", markup=False)
            yield Static(
                Text("esc/q close · c job id · i image id · y report · o image · R/t retry · T retry tags · ? keys"),
                id="job-detail-keys",
                markup=False,
            )

    def show(self, record: JobRecord) -> None:
        """Show a newer version of the same record (the app may forward ``JobChanged`` while this is open)."""
        self.record = record
        self.query_one("#job-detail-body", Static).update(self._body(record))

    def _body(self, record: JobRecord) -> Text:
        return detail_text(record, self._explain, self._clock(), self._links)

    def action_dismiss_detail(self) -> None:
        self.dismiss(None)

    # The per-job actions (c, i, y, o, R/t) come from RecordActions; these are its hooks.

    def action_record(self) -> JobRecord | None:
        return self.record

    def copy_record_text(self, text: str, what: str) -> None:
        result = copy_text(self.app, text, what, mode=self._clipboard_mode)
        self.notify(result.message, severity=result.severity, markup=False)

    def hand_over(self, message: Message) -> None:
        self.dismiss(None)
        self.app.post_message(message)
