"""Form fields: an Input validated by an ``imstui.core.validation`` rule, with the failing rule shown under it,
and a masked Input for secrets whose copy/cut actions do nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Label, Static

from imstui.ui.text import literal

Rule = Callable[[str], Any]
"""``check_x(value) -> Violation(rule, message) | None`` from ``imstui.core.validation``."""


def violation_text(violation: Any) -> str:
    """``"<message> [<rule>]"`` for a Violation-like object (``rule`` and ``message`` attributes)."""
    message = str(getattr(violation, "message", violation))
    rule = getattr(violation, "rule", "")
    return f"{message} [{rule}]" if rule else message


class RuleValidator(Validator):
    """A Textual Validator running one ``imstui.core.validation`` check (the same rules the headless CLI uses)."""

    def __init__(self, check: Rule, *, optional: bool = False) -> None:
        super().__init__()
        self.check = check
        self.optional = optional

    def validate(self, value: str) -> ValidationResult:
        if self.optional and value == "":
            return self.success()
        violation = self.check(value)
        if violation is None:
            return self.success()
        return self.failure(violation_text(violation), value)


class SecretInput(Input):
    """``Input(password=True)`` whose copy and cut do nothing: a secret never reaches the clipboard (OSC 52)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["password"] = True
        super().__init__(**kwargs)

    def action_copy(self) -> None:
        """Refused: secrets are never copied."""

    def action_cut(self) -> None:
        """Refused: secrets are never copied (and the field is left as it is)."""


class PasteAsIsInput(Input):
    """An Input whose paste keeps line breaks, so the field's rule shows "no line breaks" instead of Textual
    silently keeping only the first line (an operator would never learn the rest was dropped)."""

    def _on_paste(self, event: events.Paste) -> None:
        if event.text:
            selection = self.selection
            if selection.is_empty:
                self.insert_text_at_cursor(event.text)
            else:
                self.replace(event.text, *selection)
        event.stop()


class FieldNote:
    """The note under a field saying why its value failed before (a refused submit): shown by :meth:`mark`, gone
    once the value is changed (:meth:`value_changed`). The host provides ``input`` and ``note``."""

    input: Input
    note: Static
    _note_value: str | None = None  # the value the note was about

    def mark(self, reason: Content) -> None:
        """Show ``reason`` under the field (why this value failed before) until the value is changed."""
        self._note_value = self.input.value
        self.note.update(reason)
        self.note.add_class("-shown")

    @property
    def marked(self) -> bool:
        return self.note.has_class("-shown")

    def value_changed(self, value: str) -> None:
        """The field now holds ``value``: the note goes when it was about another value."""
        if self._note_value is not None and value != self._note_value:
            self._note_value = None
            self.note.remove_class("-shown")


class ValidatedField(FieldNote, Vertical):
    """Label, Input (validated on every change) and the failing rule under it."""

    DEFAULT_CSS = """
    ValidatedField { height: auto; margin: 0 0 0 0; }
    ValidatedField > .field-label { color: $text-muted; }
    ValidatedField > .field-error { color: $text-error; height: auto; min-height: 1; }
    ValidatedField > .field-note { color: $text-warning; height: auto; display: none; }
    ValidatedField > .field-note.-shown { display: block; }
    """

    def __init__(
        self,
        label: str,
        *,
        check: Rule,
        value: str = "",
        optional: bool = False,
        placeholder: str = "",
        field_id: str,
        max_length: int = 0,
        select_on_focus: bool = True,
        paste_as_is: bool = False,
    ) -> None:
        super().__init__(id=f"{field_id}-field")
        self.label_text = label
        self.field_id = field_id
        self.input = (PasteAsIsInput if paste_as_is else Input)(
            value=value,
            placeholder=placeholder,
            id=field_id,
            validators=[RuleValidator(check, optional=optional)],
            validate_on=["changed", "submitted", "blur"],
            valid_empty=optional,
            max_length=max_length,
            select_on_focus=select_on_focus,
        )
        self.error = Static("", classes="field-error", id=f"{field_id}-error", markup=False)
        self.note = Static("", classes="field-note", id=f"{field_id}-note", markup=False)

    def compose(self) -> ComposeResult:
        yield Label(literal(self.label_text), classes="field-label")
        yield self.input
        yield self.error
        yield self.note

    def on_mount(self) -> None:
        self.refresh_error(self.input.validate(self.input.value))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is self.input:
            self.refresh_error(event.validation_result)
            self.value_changed(event.value)

    def refresh_error(self, result: ValidationResult | None) -> None:
        if result is None or result.is_valid:
            self.error.update("")
        else:
            self.error.update(literal("✗ " + "; ".join(result.failure_descriptions)))

    @property
    def is_valid(self) -> bool:
        result = self.input.validate(self.input.value)
        return result is None or result.is_valid

    @property
    def value(self) -> str:
        return self.input.value
