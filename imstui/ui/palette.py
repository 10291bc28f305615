"""The command palette: imstui's own entries, and a palette that survives keys arriving before its list is laid out.

Textual 8.2.8's ``OptionList._move_page`` (PageUp/PageDown) reads ``self._index_to_line[self.highlighted or 0]``
without a guard. That map is filled by ``_update_lines``, which returns early while the list has no size. The
palette's list is hidden (``display: none``) until its first results arrive; the results set ``highlighted = 0``
and make the list visible, but the list is laid out only on the next refresh. A PageDown typed in the same burst as
ctrl+p is handled in between, finds no line for option 0 and raises ``KeyError`` (Textual's own
``scroll_to_highlight`` catches that same ``KeyError``; ``_move_page`` does not), which ends the app.
:class:`SafeCommandPalette` ignores PageUp/PageDown until the list has a size; a moment later they work as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import ClassVar

from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider

__all__ = ["ImstuiCommands", "SafeCommandPalette"]

PAGE_ACTIONS = frozenset({"page_up", "page_down"})


class ImstuiCommands(Provider):
    """Command-palette entries for the main actions (``category: Verb`` titles)."""

    COMMANDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("image: Look up an image", "lookup", "Type or paste an image id and check whether it can be copied (l)"),
        ("jobs: Poll now", "poll_now", "Ask IMS for the status of every unfinished copy job now (r)"),
        ("jobs: Pause or resume polling", "toggle_pause", "Stop or restart the automatic job polling (p)"),
        ("jobs: Filter", "jobs('start_filter')", "Show only jobs matching a name, id, status or error code (/)"),
        ("jobs: Failed only", "jobs('toggle_failed')", "Show only failed, rejected, unknown and gone jobs, or all (f)"),
        ("jobs: Hide finished", "jobs('toggle_finished')", "Hide the finished jobs, or list them again (h)"),
        ("jobs: Sort by the next column", "jobs('cycle_sort')", "Newest first by default; the header shows ▲/▼ (s)"),
        ("jobs: Flip the sort", "jobs('flip_sort')", "Reverse the order of the sorted column (S)"),
        ("jobs: Details of the selected job", "jobs('details')", "Every field of the selected job (Enter or d)"),
        ("jobs: Retry the selected job", "jobs('retry')", "Open the copy form pre-filled from a failed copy (R)"),
        ("jobs: Copy the job id", "jobs('copy_job_id')", "Copy the selected job's id to the clipboard (c)"),
        ("jobs: Copy the new image id", "jobs('copy_image_id')", "Copy the selected job's new image id (i)"),
        ("jobs: Copy a report", "jobs('copy_summary')", "Copy an incident summary of the selected job (y)"),
        ("jobs: Open the new image", "jobs('open_image')", "Look up the image the selected job made (o)"),
        ("credentials: Manage profiles", "credentials", "Create, edit, select, test or delete a profile (a)"),
        ("help: Show key bindings", "help", "List the keys that work on the current screen"),
        ("app: Quit", "quit", "Leave imstui (jobs keep running on the server)"),
    )

    def _command(self, action: str) -> Callable[[], object]:
        return partial(self.app.run_action, action)

    async def discover(self) -> Hits:
        for title, action, help_text in self.COMMANDS:
            yield DiscoveryHit(title, self._command(action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, help_text in self.COMMANDS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._command(action), help=help_text)


class SafeCommandPalette(CommandPalette):
    """Textual's palette, minus the crash of a page key handled before the result list has been laid out."""

    def _action_command_list(self, action: str) -> None:
        if action in PAGE_ACTIONS and not self.query_one(CommandList).scrollable_content_region:
            return  # nothing is shown yet, so there is no page to move by
        super()._action_command_list(action)
