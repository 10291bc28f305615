"""A form field that picks one of a list loaded from a service, or takes a pasted id checked with the service.

The field is an Input (its id is the form field's id, so the form's Enter-to-next-field, focus and the IMS error
marking work as for a :class:`~imstui.ui.widgets.fields.ValidatedField`) over an OptionList shown while the field
has the focus. Typing filters the list; Up/Down move the highlight (disabled entries are skipped); Enter chooses the
highlighted entry and moves on to the next field, as in every form field. A pasted id is checked in a worker
(:meth:`ChoiceField.check_id`) and what the service says about it is shown on the line under the field before
submit. When the list cannot be loaded, the line says why in plain words and the field takes a typed id, checked
by the field's local rule (:meth:`ChoiceField.fallback_error`).

Subclasses (:mod:`imstui.ui.widgets.key_picker`, :mod:`imstui.ui.widgets.eps_picker`) say what to load and how to
show it as :class:`Choice` entries. Every service string reaches the screen through :mod:`imstui.ui.text`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from imstui.ui.text import literal, plain
from imstui.ui.widgets.fields import FieldNote

__all__ = ["Checked", "Choice", "ChoiceField"]


@dataclass(frozen=True)
class Choice:
    """One entry: ``value`` is what the request carries (``""``: nothing sent), ``fill`` the text the field shows
    once it is chosen, ``label`` how the confirmation names it, ``search`` what typing filters on (lower case)."""

    value: str
    fill: str
    label: str
    prompt: Content
    search: str = ""
    choosable: bool = True
    reason: str = ""  # why it cannot be chosen, in words
    summary: str = ""  # the line under the field once it is chosen


@dataclass(frozen=True)
class Checked:
    """What the service said about a pasted id: the entry (choosable or not) or the error in words."""

    choice: Choice | None
    error: str | None = None


class ChoiceField(FieldNote, Vertical):
    """Label, Input, the list (while focused) and one line: what is chosen, or why nothing valid is."""

    DEFAULT_CSS = """
    ChoiceField { height: auto; }
    ChoiceField > .field-label { color: $text-muted; }
    ChoiceField > OptionList { display: none; height: auto; max-height: 7; border: none; padding: 0 1; }
    ChoiceField > OptionList.-available.-open { display: block; }
    ChoiceField > .picker-status { color: $text-muted; height: auto; min-height: 1; }
    ChoiceField > .field-error { color: $text-error; height: auto; display: none; }
    ChoiceField > .field-error.-shown { display: block; }
    ChoiceField > .field-note { color: $text-warning; height: auto; display: none; }
    ChoiceField > .field-note.-shown { display: block; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "cursor(1)", "Next choice", show=False),
        Binding("up", "cursor(-1)", "Previous choice", show=False),
    ]

    NOUN = "entry"  # "key", "enterprise project": in the lines under the field
    LOADING_TEXT = "Loading…"

    @dataclass
    class Resolved(Message):
        """The field's choice (or its error) changed: forms refresh their submit button and preview."""

        field: ChoiceField

    def __init__(self, label: str, *, field_id: str, value: str = "", placeholder: str = "") -> None:
        super().__init__(id=f"{field_id}-field")
        self.label_text = label
        self.field_id = field_id
        self.input = Input(value=value, placeholder=placeholder, id=field_id, select_on_focus=False)
        self.options = OptionList(id=f"{field_id}-list")
        self.options.can_focus = False
        self.status = Static("", classes="picker-status", id=f"{field_id}-status", markup=False)
        self.error = Static("", classes="field-error", id=f"{field_id}-error", markup=False)
        self.note = Static("", classes="field-note", id=f"{field_id}-note", markup=False)
        self.choices: list[Choice] = []
        self.loaded = False  # the load ended (with a list, or unavailable)
        self.unavailable: str | None = None  # why the list could not be loaded (the field takes a typed id)
        self.chosen: Choice | None = None
        self.error_text: str | None = None
        self.checking: str | None = None  # the id being checked with the service
        self._checked: dict[str, Checked] = {}
        self._shown: list[Choice] = []  # the list's entries as shown (filtered)

    # ------------------------------------------------------------------ hooks for the subclasses

    async def load(self) -> list[Choice]:
        """Every entry the list offers after :meth:`empty_choice` (the service's list, paged by its client)."""
        raise NotImplementedError

    def empty_choice(self) -> Choice:
        """What an empty field means (it is also the list's first entry when :attr:`EMPTY_LISTED`)."""
        raise NotImplementedError

    def first_choices(self) -> list[Choice]:
        """The entries always offered first."""
        return [self.empty_choice()]

    def unavailable_text(self, error: BaseException | None) -> str:
        """Why the list is not shown (``error`` None: no service in this session), and what to do instead."""
        raise NotImplementedError

    def looks_like_id(self, text: str) -> bool:
        raise NotImplementedError

    async def check_id(self, text: str) -> Checked:
        """What the service says about a pasted id."""
        raise NotImplementedError

    def fallback_error(self, text: str) -> str | None:
        """The local rule for a typed id when the list is unavailable (None: the text passes)."""
        raise NotImplementedError

    def extra_match(self, text: str) -> Choice | None:
        """Another word the field takes for an entry (``default`` for the default project)."""
        return None

    def no_match_text(self, text: str) -> str:
        return f"no {self.NOUN} is called {text!r}: pick one from the list (Up/Down, Enter) or paste an id"

    # ------------------------------------------------------------------ widget

    def compose(self) -> ComposeResult:
        yield Label(literal(self.label_text), classes="field-label")
        yield self.input
        yield self.options
        yield self.status
        yield self.error
        yield self.note

    def on_mount(self) -> None:
        self.status.update(literal(self.LOADING_TEXT, "italic"))
        self.choices = self.first_choices()
        self._resolve()
        self.run_worker(self._load(), group=f"{self.field_id}-load", exclusive=True, exit_on_error=False)

    async def _load(self) -> None:
        try:
            more = await self.load()
        except Exception as error:  # every failure is said in words and the field takes an id
            self.unavailable = self.unavailable_text(error)
        else:
            self.choices = [*self.first_choices(), *more]
            self.options.add_class("-available")
        self.loaded = True
        self._resolve()

    def set_compact(self, compact: bool, list_rows: int = 7) -> None:
        """One-line input when ``compact``; the open list at most ``list_rows`` rows."""
        self.input.compact = compact
        self.options.styles.max_height = list_rows

    def action_cursor(self, step: int) -> None:
        if not self.options.has_class("-available") or not self._shown:
            return
        if step > 0:
            self.options.action_cursor_down()
        else:
            self.options.action_cursor_up()

    def on_descendant_focus(self, _event: events.DescendantFocus) -> None:
        self.options.add_class("-open")  # the list shows while the field has the focus
        self.call_after_refresh(self.scroll_visible, animate=False)

    def on_descendant_blur(self, _event: events.DescendantBlur) -> None:
        self.options.remove_class("-open")

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        if event.input is not self.input:
            return
        self.value_changed(event.value)
        self._resolve()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        """Enter chooses the highlighted entry; the event goes on to the form, which moves to the next field."""
        if event.input is self.input:
            self.choose_highlighted()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.choose_index(event.option_index)

    def choose_highlighted(self) -> bool:
        index = self.options.highlighted
        if index is None or not self.options.has_class("-available"):
            return False
        return self.choose_index(index)

    def choose_index(self, index: int) -> bool:
        if not 0 <= index < len(self._shown):
            return False
        choice = self._shown[index]
        if not choice.choosable:
            self.app.bell()
            return False
        self.choose(choice)
        return True

    def choose(self, choice: Choice) -> None:
        """Put ``choice`` in the field (its ``fill`` text) and resolve it at once."""
        self.input.value = choice.fill
        self.input.cursor_position = len(choice.fill)
        self.value_changed(choice.fill)
        self._resolve()

    # ------------------------------------------------------------------ resolution

    def _match(self, text: str) -> Choice | None:
        wanted = text.lower()
        for choice in self.choices:
            if choice.fill and (choice.fill.lower() == wanted or choice.value.lower() == wanted):
                return choice
        return self.extra_match(text)

    def _resolve(self) -> None:
        text = self.input.value.strip()
        chosen: Choice | None = None
        error: str | None = None
        checking: str | None = None
        match = self._match(text) if text else None
        if not text:
            chosen = self.empty_choice()
        elif match is not None and not self.looks_like_id(text):
            chosen, error = (match, None) if match.choosable else (None, match.reason)
        elif self.looks_like_id(text):
            local = self.fallback_error(text)
            checked = self._checked.get(text.lower())
            if local is not None:
                error = local
            elif checked is not None:
                chosen, error = checked.choice, checked.error
                if chosen is not None and not chosen.choosable:
                    error = error or chosen.reason
                    chosen = None
            else:
                checking = text
                self.run_worker(self._check(text), group=f"{self.field_id}-check", exclusive=True, exit_on_error=False)
        elif not self.loaded:
            checking = text  # the list is still loading: the name is resolved once it is in
        elif self.unavailable is not None:
            error = self.fallback_error(text) or self.no_match_text(text)
        else:
            error = self.no_match_text(text)
        self.chosen, self.error_text, self.checking = chosen, error, checking
        self._show(text, match)
        if error is not None and self.unavailable is None and self.loaded and self._highlighted_choice() is not None:
            self._hint_choice()  # the filter matches: Enter chooses the highlighted entry (not yet an error)
        self.post_message(ChoiceField.Resolved(self))

    async def _check(self, text: str) -> None:
        try:
            result = await self.check_id(text)
        except Exception as error:  # said in words; the id is not taken
            result = Checked(None, f"could not check {text}: {plain(str(error))}")
        self._checked[text.lower()] = result
        if self.input.value.strip().lower() == text.lower():
            self._resolve()

    def _show(self, text: str, match: Choice | None) -> None:
        wanted = text.lower()
        exact = match is not None or not text or (self.chosen is not None and self.chosen.fill.lower() == wanted)
        first = self.first_choices()
        shown = (
            list(self.choices) if exact else [*first, *(c for c in self.choices[len(first) :] if wanted in c.search)]
        )
        self._shown = shown
        self.options.set_options(Option(c.prompt, disabled=not c.choosable) for c in shown)
        target = next((i for i, c in enumerate(shown) if self.chosen is not None and c == self.chosen), None)
        if target is None and text and not exact:
            target = next((i for i, c in enumerate(shown) if i >= len(first) and c.choosable), None)
        if target is None and not text:
            target = 0
        self.options.highlighted = target
        if target is not None:
            self.options.scroll_to_highlight()
        self.input.set_class(self.error_text is not None, "-invalid")
        self.input.set_class(self.error_text is None, "-valid")
        if self.error_text is not None:
            self.error.update(literal("✗ " + self.error_text))
            self.error.add_class("-shown")
            self.status.display = False
        else:
            self.error.update("")
            self.error.remove_class("-shown")
            self.status.display = True
            self.status.update(self._status_text())

    def _highlighted_choice(self) -> Choice | None:
        index = self.options.highlighted
        return self._shown[index] if index is not None and 0 <= index < len(self._shown) else None

    def _hint_choice(self) -> None:
        choice = self._highlighted_choice()
        assert choice is not None
        matches = sum(1 for c in self._shown[len(self.first_choices()) :] if c.choosable)
        self.error.update("")
        self.error.remove_class("-shown")
        self.input.set_class(False, "-invalid")
        self.status.display = True
        self.status.update(
            literal(f"Enter chooses {choice.label} ({matches} match{'es' if matches != 1 else ''})", "$text-warning")
        )

    def _status_text(self) -> Content:
        if self.checking is not None:
            return literal(
                f"checking {self.checking}…" if self.loaded else f"{self.LOADING_TEXT} ({self.checking})", "italic"
            )
        parts: list[Content] = []
        if self.chosen is not None and self.chosen.summary:
            parts.append(literal(self.chosen.summary))
        if self.unavailable is not None:
            parts.append(literal(self.unavailable, "$text-warning"))
        elif not self.loaded:
            parts.append(literal(self.LOADING_TEXT, "italic"))
        return Content("  ").join(parts)

    # ------------------------------------------------------------------ what the form reads

    @property
    def is_valid(self) -> bool:
        return self.chosen is not None and self.error_text is None and self.checking is None

    @property
    def value(self) -> str:
        """What the request carries: the chosen entry's value (``""``: nothing)."""
        return self.chosen.value if self.chosen is not None else self.input.value.strip()

    @property
    def label(self) -> str:
        return self.chosen.label if self.chosen is not None else plain(self.input.value.strip())
