"""Scenes of the copy form's pickers (ui/widgets/key_picker.py, eps_picker.py, tags_field.py), for the snapshot
tests and the README's screenshot of the key picker (registered by the lead next to tests/ui/scenes.py's).

On the demo simulator: the copy form of the encrypted demo image (so the line says which key the copy carries),
a project picked by name and two tags typed, then the KMS key field focused with "demo" typed: the list is open,
filtered by alias, with each key's state in words, the default mark and the source's own key not choosable.
"""

from __future__ import annotations

from typing import Any

from imstui.sim import seed

from .scenes import Scene, _lookup, _settle, demo_console


async def copy_form_key_picker(pilot: Any) -> None:
    from imstui.ui.screens.copy_form import CopyFormScreen
    from imstui.ui.widgets.eps_picker import EpsPicker
    from imstui.ui.widgets.key_picker import KeyPicker
    from imstui.ui.widgets.picker import ChoiceField
    from imstui.ui.widgets.tags_field import TagsField

    app = pilot.app
    await _lookup(pilot, seed.ENCRYPTED_ID)
    await pilot.press("f2")
    await _settle(pilot, lambda: isinstance(app.screen, CopyFormScreen), "the copy form")
    form = app.screen
    await _settle(pilot, lambda: all(p.loaded for p in form.query(ChoiceField)), "the key and project lists")
    eps = form.query_one(EpsPicker)
    eps.input.focus()
    await pilot.press(*"prod-w", "enter")
    await _settle(pilot, lambda: eps.chosen is not None and eps.chosen.fill == "prod-web", "prod-web chosen")
    await pilot.press(*"env=prod, team=web")
    tags = form.query_one(TagsField)
    await _settle(pilot, lambda: len(tags.tags) == 2, "two tags")
    key = form.query_one(KeyPicker)
    key.input.focus()
    await pilot.press(*"demo")
    await _settle(
        pilot,
        lambda: key.options.display and key.input.value == "demo" and key.options.highlighted is not None,
        "the key list open, filtered by 'demo'",
    )


SCENES = [
    Scene(
        "copy_form_key_picker",
        "copy form: the KMS key list open and filtered by alias (states, default key, the source's key)",
        demo_console,
        copy_form_key_picker,
    ),
]
