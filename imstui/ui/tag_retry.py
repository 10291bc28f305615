"""``T``: apply a succeeded copy's tags again after they failed, in the console (the copy is never resent).

The app hands :class:`~imstui.ui.record_actions.RecordActions.RetryTagsRequested` here; the session's
:class:`~imstui.core.tagging.Tagger` marks the row pending and applies the tags, publishing each change through the
poller (the jobs panel and an open job detail update as for any job change).
"""

from __future__ import annotations

from typing import Any

from imstui.core.ledger import JobRecord, LedgerError
from imstui.core.wording import tags_sentence

__all__ = ["retry_tags"]


def retry_tags(app: Any, record: JobRecord) -> None:
    """Start the retry on ``app``'s session (a worker); say how it ended in a notification (plain text)."""
    session = getattr(app, "session", None)
    if session is None:
        app.notify("not connected: the tags cannot be applied now", severity="warning", markup=False)
        return

    async def run() -> None:
        try:
            done = await session.tagger.retry(record.row_id)
        except LedgerError as exc:
            app.notify(f"the tags were not retried: {exc}", severity="error", markup=False)
            return
        if done is None:
            return
        said = tags_sentence(done.tags_state, len(done.tags), done.tags_error) or "no tags"
        severity = "information" if done.tags_state == "applied" else "error"
        app.notify(f"{done.label}: {said}", title="Tags", severity=severity, markup=False)

    app.run_worker(run(), name=f"retry tags {record.row_id}", group="tags", exit_on_error=False)
