"""Regenerate ``screenshots/*.svg``: every console screen, deterministic (frozen clock, no cursor blink).

    python scripts/screenshots.py            # all scenes at 120x34 and 80x24
    python scripts/screenshots.py --size 160x48

The scenes are the ones the snapshot tests use (``tests/ui/scene_registry.py``): in-process data only (the
simulator or an in-memory IMS), a throwaway HOME/config/state directory, and a keyring backend that stores
nothing, so the output does not depend on the machine it runs on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def isolate() -> None:
    """A private HOME, config and state dir; no credentials from the environment; a keyring that stores nothing."""
    root = Path(tempfile.mkdtemp(prefix="imstui-screenshots-"))
    os.environ["HOME"] = str(root)
    for name, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state")):
        os.environ[name] = str(root / sub)
    os.environ["IMSTUI_STATE_DIR"] = str(root / "imstui-state")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    os.environ["TEXTUAL_ANIMATIONS"] = "none"
    for name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN", "IMSTUI_PROFILE"):
        os.environ.pop(name, None)


async def capture(sizes: list[tuple[int, int]], out: Path) -> list[Path]:
    from textual.widgets import Input

    from tests.ui.scene_registry import ALL_SCENES

    Input._toggle_cursor = lambda self: None  # type: ignore[method-assign]  # no blinking cursor in screenshots
    written: list[Path] = []
    for scene in ALL_SCENES:
        for width, height in sizes:
            app = scene.build()
            async with app.run_test(size=(width, height)) as pilot:
                await scene.run_before(pilot)
                name = f"{scene.name}-{width}x{height}.svg"
                app.save_screenshot(name, str(out))
                written.append(out / name)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description="Regenerate the console screenshots (SVG).")
    parser.add_argument("--size", action="append", help="WIDTHxHEIGHT (repeatable); default 120x34 and 80x24")
    parser.add_argument("--out", default=str(REPO / "screenshots"))
    options = parser.parse_args()
    sizes = [tuple(int(v) for v in s.lower().split("x")) for s in (options.size or ["120x34", "80x24"])]
    isolate()
    sys.path.insert(0, str(REPO))
    Path(options.out).mkdir(parents=True, exist_ok=True)
    written = asyncio.run(capture(sizes, Path(options.out)))  # type: ignore[arg-type]
    for path in written:
        print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
