"""The key footer: Textual's :class:`~textual.widgets.Footer`, rebuilt only when what it shows changed.

Textual's footer recomposes (removes and mounts again one widget per key, each styled anew) every time its screen
says its bindings were updated, once per notice: focus moving, a screen mounting, a check_action refresh. On the
console's start-up that was five rebuilds of the same eight keys before the session was connected (14-30 ms each).
Here the notices that arrive before the next refresh make one look, and the footer is rebuilt only if the keys it
would show (key, label, enabled, tooltip, how the key is displayed; the command palette's entry) differ from the ones
on screen. Same widgets, same CSS type (``Footer``), same look.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Footer as TextualFooter

if TYPE_CHECKING:
    from textual.screen import Screen

__all__ = ["Footer"]


class Footer(TextualFooter):
    """A footer that rebuilds its keys only when they changed (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: object = None  # what the last rebuild showed (None: nothing yet)
        self._look_pending = False
        self.rebuilds = 0  # how many times the keys were composed again (tests)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._look_pending:
            self._look_pending = True
            self.call_after_refresh(self._rebuild_if_changed)

    def keys_shown(self) -> object:
        """What :meth:`compose` would show now, comparable with ``==``."""
        app = self.app
        active = self.screen.active_bindings
        keys = [
            (binding, enabled, tooltip, app.get_key_display(binding))
            for (_, binding, enabled, tooltip) in active.values()
            if binding.show
        ]
        palette = None
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            entry = active.get(app.COMMAND_PALETTE_BINDING)
            if entry is not None:
                _node, binding, enabled, tooltip = entry
                palette = (binding, enabled, tooltip, app.get_key_display(binding))
        return (keys, palette)

    async def _rebuild_if_changed(self) -> None:
        self._look_pending = False
        if not self.is_attached:
            return
        shown = self.keys_shown()
        if shown == self._shown:
            return
        self._shown = shown
        self.rebuilds += 1
        await self.recompose()
