"""Time to the first visible screen and to "connected" of ``imstui --demo``, against a minimal Textual app.

Both programs run on a real 80x24 pty; what they write is parsed by a terminal emulator (pyte, see ``_pty.py``), so
the times are those of what a user sees, taken when the bytes that showed it were read:

- **first screen**: the minimal app's ``hello`` is on the screen; for imstui, its first frame: the status bar
  (``imstui`` on the top row) is drawn. Also printed: **complete**, when the key footer (bottom row) is drawn too
  (it comes in a later frame);
- **connected** (imstui only): the status bar no longer says ``connecting…`` and shows the session, i.e. the
  profile ``demo`` and a region id (``xx-name-N``). The demo connects to its in-process simulator, so this is the
  console's own cost of connecting (imports, ledger, client, poller start), not network time.

Runs alternate between the two programs (after one warm-up run of each, not counted); each run starts in a fresh
scratch HOME/state directory's ledger and is stopped once its last state is seen. Prints every run, the medians, the
ratios to the minimal app's first screen, and the targets of issue 15 (first screen <= 1.3x, connected <= 2x). Also
timed (no target): a Textual app with the same widget classes as the console's first screen and no imstui code.

    python benchmarks/startup_bench.py [--runs 7] [--cols 80 --rows 24]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _pty import PtyApp, isolated_env, median

MINIMAL_APP = """
from textual.app import App, ComposeResult
from textual.widgets import Static

class Minimal(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("hello")

Minimal().run()
"""

# No target: the same Textual widget classes the console's first screen shows (a status line, a hint, an option list,
# a data table with the jobs columns, a footer with seven keys), with no imstui code. What it costs beyond the
# minimal app is Textual's own price for those widgets (their imports, CSS and first layout).
SAME_WIDGETS_APP = """
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, OptionList, Static

class SameWidgets(App[None]):
    BINDINGS = [Binding(key, "bell", key) for key in ("slash", "f", "r", "p", "s", "h", "q")]

    def compose(self) -> ComposeResult:
        yield Static("hello")
        yield Static("l look up an image to copy")
        yield OptionList()
        table = DataTable()
        table.add_columns("Status", "Progress", "Job", "Image", "Target name", "Age", "Polled")
        yield table
        yield Footer()

SameWidgets().run()
"""

TARGET_FIRST = 1.3
TARGET_CONNECTED = 2.0
REGION_RE = re.compile(r"\b[a-z]{2}-[a-z]+-\d+\b")


def first_frame(app: PtyApp) -> bool:
    return "imstui" in app.lines()[0]


def complete_frame(app: PtyApp) -> bool:
    lines = app.lines()
    return "imstui" in lines[0] and bool(lines[-1].strip())


def connected(app: PtyApp) -> bool:
    top = app.lines()[0]
    return "connecting" not in top and re.search(r"\bdemo\b", top) is not None and REGION_RE.search(top) is not None


def hello(app: PtyApp) -> bool:
    return any("hello" in line for line in app.lines())


def run_minimal(argv: list[str], env: dict[str, str], size: tuple[int, int]) -> dict[str, float]:
    with PtyApp(argv, env, cols=size[0], rows=size[1]) as app:
        return {"first": app.wait_until(hello, 60, "minimal app's hello") - app.started}


def run_imstui(argv: list[str], env: dict[str, str], size: tuple[int, int]) -> dict[str, float]:
    with PtyApp(argv, env, cols=size[0], rows=size[1]) as app:
        first = app.wait_until(first_frame, 60, "imstui's first frame") - app.started
        complete = app.wait_until(complete_frame, 60, "imstui's footer") - app.started
        return {
            "first": first,
            "complete": complete,
            "connected": app.wait_until(connected, 60, "connected") - app.started,
        }


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cols", type=int, default=80)
    parser.add_argument("--rows", type=int, default=24)
    options = parser.parse_args()
    size = (options.cols, options.rows)
    with tempfile.TemporaryDirectory(prefix="imstui-bench-") as tmp:
        work = Path(tmp)
        minimal = work / "minimal_app.py"
        minimal.write_text(MINIMAL_APP)
        minimal_argv = [sys.executable, str(minimal)]
        widgets = work / "same_widgets_app.py"
        widgets.write_text(SAME_WIDGETS_APP)
        widgets_argv = [sys.executable, str(widgets)]
        imstui_argv = [sys.executable, "-m", "imstui", "--demo"]
        runs: dict[str, list[dict[str, float]]] = {"minimal": [], "imstui": [], "widgets": []}
        for index in range(options.runs + 1):  # run 0 warms the bytecode and file caches
            env = isolated_env(work / f"run{index}")
            mini = run_minimal(minimal_argv, env, size)
            ims = run_imstui(imstui_argv, env, size)
            same = run_minimal(widgets_argv, env, size)
            if index:
                runs["minimal"].append(mini)
                runs["imstui"].append(ims)
                runs["widgets"].append(same)
    ms = lambda values: " ".join(f"{v * 1000:.0f}" for v in values)  # noqa: E731
    mini_first = [r["first"] for r in runs["minimal"]]
    ims_first = [r["first"] for r in runs["imstui"]]
    ims_conn = [r["connected"] for r in runs["imstui"]]
    ims_complete = [r["complete"] for r in runs["imstui"]]
    same_first = [r["first"] for r in runs["widgets"]]
    print(f"== start-up on a {size[0]}x{size[1]} pty, {options.runs} runs each (ms) ==")
    print(f"minimal textual app, first screen : {ms(mini_first)}   median {median(mini_first) * 1000:.0f}")
    print(f"imstui --demo, first screen       : {ms(ims_first)}   median {median(ims_first) * 1000:.0f}")
    print(f"imstui --demo, footer drawn       : {ms(ims_complete)}   median {median(ims_complete) * 1000:.0f}")
    print(f"imstui --demo, connected          : {ms(ims_conn)}   median {median(ims_conn) * 1000:.0f}")
    first_ratio = median(ims_first) / median(mini_first)
    conn_ratio = median(ims_conn) / median(mini_first)
    print(f"textual, same widgets, first screen: {ms(same_first)}   median {median(same_first) * 1000:.0f}")
    print(f"(footer drawn: {median(ims_complete) / median(mini_first):.2f}x the minimal app's first screen; no target)")
    print(
        f"(the same widget classes with no imstui code: {median(same_first) / median(mini_first):.2f}x the minimal "
        "app's first screen; no target: Textual's own price for what the console's first screen shows)"
    )
    print("== targets (issue 15) ==")
    print(
        f"first visible screen <= {TARGET_FIRST:g}x the minimal app's: {verdict(first_ratio <= TARGET_FIRST)} "
        f"({first_ratio:.2f}x)"
    )
    print(
        f"connected <= {TARGET_CONNECTED:g}x the minimal app's first screen: "
        f"{verdict(conn_ratio <= TARGET_CONNECTED)} ({conn_ratio:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
