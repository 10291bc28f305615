"""The console's image browser against an account of 10,000 images (issue 12): first page and key latency.

One ``imstui sim --images N`` (default 10,000 generated images on top of the seeded ones) serves the account; the
console (``python -m imstui`` with the simulator's printed exports, HOME/XDG/IMSTUI_STATE_DIR in a scratch
directory, the null keyring) runs on a 120x34 pty whose output is parsed by pyte (``_pty.py``). It prints:

- ``first page``: ``l`` pressed (the lookup screen) -> the first image row visible (a ``fleet-`` or seeded name
  with its verdict word); also from spawn;
- ``Down``: --downs presses, each timed from the key sent until the highlighted row holds another image (the row
  whose background differs from the others');
- ``PageDown``: pressed until the cursor is on the last of all N images (pages are read as the cursor nears the end
  of what is loaded, so some presses wait for a page: that is counted, it is what the user feels); each timed the
  same way;
- ``/ typing``: ``/``, then a filter typed and erased character by character over every loaded image, each key
  timed until the status line shows the filter's new text (it is updated after the rows are filtered);
- the console's RSS once everything is loaded.

Then the targets: first page <= 1 s after ``l``, and key p99 <= 50 ms, each met/MISSED. Prints; asserts nothing.
The machine's load moves every figure.

    python benchmarks/browser_bench.py [--images 10000] [--downs 200] [--typing-rounds 3]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _pty import PtyApp, isolated_env, median, percentile  # noqa: E402

from imstui.sim.harness import start_sim_process  # noqa: E402

COLS, ROWS = 120, 34
ROW_RE = re.compile(r"[✓✗] (?:eligible|blocked)\s+(\S+)")
KEYS = {
    "down": b"\x1b[B",
    "pagedown": b"\x1b[6~",
    "slash": b"/",
    "backspace": b"\x7f",
    "l": b"l",
}
TYPED = "fleet-0999"
FIRST_PAGE_TARGET = 1.0
P99_TARGET = 0.050


def image_rows(app: PtyApp) -> list[tuple[int, str]]:
    return [(y, m.group(1)) for y, line in enumerate(app.lines()) if (m := ROW_RE.search(line))]


def cursor_name(app: PtyApp) -> str | None:
    """The image on the highlighted row: the row whose background is unlike the other rows' (no row is marked)."""
    rows = image_rows(app)
    if len(rows) < 3:
        return rows[0][1] if rows else None
    bgs = [app.screen.buffer[y][40].bg for y, _ in rows]
    lonely = [name for (_, name), bg in zip(rows, bgs, strict=True) if bgs.count(bg) == 1]
    return lonely[0] if len(lonely) == 1 else None


def status_line(app: PtyApp) -> str:
    return next((line for line in app.lines() if " images" in line and "sort:" in line), "")


def loaded_all(app: PtyApp, total: int) -> bool:
    return f"{total:,} images (all)" in " ".join(app.text().split())


def timed(app: PtyApp, key: str, effect: Callable[[PtyApp], bool], what: str) -> float:
    sent = time.perf_counter()
    app.send(KEYS.get(key, key.encode()))
    seen = app.wait_until(effect, 60, what)
    return seen - sent


def cursor_moves(app: PtyApp) -> Callable[[PtyApp], bool]:
    before = cursor_name(app)
    return lambda a: (now := cursor_name(a)) is not None and now != before


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    total_images = args.images
    with start_sim_process("--images", str(total_images), "--seed", "1", cwd=HERE.parent) as sim:
        env = isolated_env(work, **sim.exports)
        with PtyApp([sys.executable, "-m", "imstui"], env, cols=COLS, rows=ROWS) as app:
            app.wait_until(lambda a: "connecting" not in a.lines()[0] and "profile" in a.lines()[0], 120, "connected")
            app.settle(0.3, 10)
            spawn_to_connected = time.perf_counter() - app.started
            sent = time.perf_counter()
            app.send(KEYS["l"])
            shown = app.wait_until(lambda a: len(image_rows(a)) >= 10, 120, "the first page of images")
            first_page = shown - sent
            first_from_spawn = shown - app.started
            app.settle(0.3, 10)
            status = " ".join(status_line(app).split())
            total = int(re.sub(r"\D", "", status.split(" images")[0]) or 0)  # loaded so far
            app.send(KEYS["down"])  # into the list
            app.wait_until(lambda a: cursor_name(a) is not None, 30, "the cursor on the first row")
            app.settle(0.2, 5)
            downs: list[float] = []
            for _ in range(args.downs):
                downs.append(timed(app, "down", cursor_moves(app), "Down moved the cursor"))
            pagedowns: list[float] = []
            last = f"fleet-{total_images - 1:05d}"  # the oldest image: the last row, newest first
            while not (cursor_name(app) or "").startswith(last):
                pagedowns.append(timed(app, "pagedown", cursor_moves(app), "PageDown moved the cursor"))
                if len(pagedowns) > total_images:
                    raise RuntimeError("PageDown never reached the last image")
            app.settle(0.3, 10)
            listed_text = " ".join(app.text().split())
            match = re.search(r"([\d,]+) images \(all\)", listed_text)
            listed = int(match.group(1).replace(",", "")) if match else None
            rss = app.rss_kib()
            typing: list[float] = []
            app.send(KEYS["slash"])
            app.settle(0.3, 5)
            for _ in range(args.typing_rounds):
                for i in range(1, len(TYPED) + 1):
                    text = TYPED[:i]
                    want = f'contains "{text}"'
                    typing.append(timed(app, TYPED[i - 1], lambda a, w=want: w in status_line(a), f"typed {text}"))
                for i in range(len(TYPED) - 1, -1, -1):
                    text = TYPED[:i]
                    if text:
                        want = f'contains "{text}"'
                        effect: Callable[[PtyApp], bool] = lambda a, w=want: w in status_line(a)  # noqa: E731
                    else:
                        effect = lambda a: "contains" not in status_line(a)  # noqa: E731
                    typing.append(timed(app, "backspace", effect, f"erased to {text!r}"))
    return {
        "connected": spawn_to_connected,
        "first_page": first_page,
        "first_from_spawn": first_from_spawn,
        "first_loaded": total,
        "downs": downs,
        "pagedowns": pagedowns,
        "typing": typing,
        "listed": listed,
        "rss": rss,
    }


def ms(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(args: argparse.Namespace, r: dict[str, Any]) -> None:
    downs, pagedowns, typing = r["downs"], r["pagedowns"], r["typing"]
    print(f"== image browser, console on a {COLS}x{ROWS} pty, imstui sim --images {args.images:,} ==")
    print(f"connected {ms(r['connected'])} after spawn")
    print(
        f"first page: {ms(r['first_page'])} after 'l' ({ms(r['first_from_spawn'])} after spawn), "
        f"{r['first_loaded']} images loaded then"
    )
    print(f"listed in all: {r['listed']} images; console RSS then {r['rss']}")
    for label, values in (("Down", downs), ("PageDown", pagedowns), ("/ typing", typing)):
        if values:
            p50, p99 = ms(median(values)), ms(percentile(values, 99))
            print(f"{label:>9}: {len(values):>4} presses  p50 {p50:>6}  p99 {p99:>6}  max {ms(max(values)):>6}")
    print("== targets (issue 12) ==")
    print(f"first page <= {FIRST_PAGE_TARGET:g} s after 'l': {verdict(r['first_page'] <= FIRST_PAGE_TARGET)}")
    for label, values in (("Down", downs), ("PageDown", pagedowns), ("/ typing", typing)):
        if values:
            p99 = percentile(values, 99)
            print(f"{label} p99 <= {P99_TARGET * 1000:.0f} ms: {verdict(p99 <= P99_TARGET)} ({ms(p99)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=10_000, help="generated images in the account")
    parser.add_argument("--downs", type=int, default=200, help="Down presses")
    parser.add_argument("--typing-rounds", type=int, default=3, help="times the filter is typed and erased")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="imstui-browser-") as tmp:
        result = run(args, Path(tmp))
    report(args, result)
    print(f"(benchmark ran {time.perf_counter() - started:.0f} s on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
