"""Every console scene, in one place: the snapshot tests and ``scripts/screenshots.py`` both take them from here.

The scenes live in topic modules that import their helpers from ``scenes.py``; collecting them here (and not in
``scenes.py``) keeps the imports one-way.
"""

from __future__ import annotations

from .scenes import SCENES as CORE_SCENES
from .scenes import Scene
from .scenes_batch import SCENES as BATCH_SCENES
from .scenes_browser import SCENES as BROWSER_SCENES
from .scenes_pickers import SCENES as PICKER_SCENES

ALL_SCENES: tuple[Scene, ...] = (*CORE_SCENES, *BROWSER_SCENES, *PICKER_SCENES, *BATCH_SCENES)

__all__ = ["ALL_SCENES", "Scene"]
