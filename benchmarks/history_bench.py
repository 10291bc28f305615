"""A year of history and jobs in flight: what the console and `imstui jobs` cost as the ledger grows (issue 15).

For each size in --sizes (default 1000,10000,100000 history rows) a ledger is built with the project's own ledger
API (``record_intent`` / ``attach_job_id`` / ``apply_polls`` with ``PollUpdate`` / ``mark_rejected`` /
``mark_outcome_unknown``): 90 % succeeded, 7 % failed, 2 % rejected, 1 % outcome unknown, submitted evenly over the
last 365 days, each finished 20 minutes after it was sent. Outstanding jobs are REAL copy jobs created on one
``imstui sim`` (loopback, speed 0.005: they stay RUNNING for hours) and recorded with ``record_intent`` +
``attach_job_id``, so the console's poller really polls them. Everything runs with HOME, XDG_* and IMSTUI_STATE_DIR
in a scratch directory and the null keyring: the real ledger is never touched.

The console (``python -m imstui`` with the simulator's printed exports, profile ``env``) runs on a 120x34 pty whose
output is parsed by pyte (``_pty.py``). Per size it prints:

- ``first page``: spawn -> the first job row visible (a ``hist-``/``live-`` image name on the screen);
- ``rss``: the console's VmRSS after the idle window, and its VmHWM (peak), from /proc/<pid>/status;
- ``idle cpu`` and ``bytes/min`` over --idle-seconds with 0, 10 and 50 outstanding jobs (no key pressed);
- key latency p50/p99 for Down, ``/`` (and the Esc that closes the filter) and ``f``: the key is sent and the time
  runs until the screen shows its effect (Down: the highlighted row holds another job; ``/``: the filter box
  appears, i.e. a "filter" line shows or the rows move; ``f``: the set of visible jobs changes), 50 outstanding;
- ``imstui jobs`` and ``imstui jobs --all --json``: wall time, peak RSS (wait4 rusage), lines/bytes printed.

Then, once (history of the smallest size + 1,000 outstanding, default poll settings = 10 checks/s): console CPU per
status check against ``imstui jobs watch`` (the headless poller) on the same ledger; checks are counted from the
ledger (the sum of ``poll_count``), CPU from /proc.

Last, the targets of issue 15 (and issue 11's bytes per minute) with met/MISSED. A target stated for 100,000 rows
is judged at the largest size run, and says so. Prints; asserts nothing. The machine's load moves every absolute
figure: compare ratios measured in one run.

    python benchmarks/history_bench.py [--sizes 1000,10000,100000] [--idle-seconds 30] [--key-reps 10] [--quick]

``--quick``: sizes 1000,10000, 10 s idle windows, 5 key presses each, 15 s CPU-per-check windows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import raw_ceiling  # noqa: E402 - its _create makes signed copy jobs on the simulator
from _pty import PtyApp, cpu_seconds, isolated_env, median, percentile  # noqa: E402

from imstui.api.models import Job, JobStatus  # noqa: E402
from imstui.core.ledger import Ledger, PollUpdate  # noqa: E402
from imstui.sim.harness import SimProcess, start_sim_process  # noqa: E402

PROFILE = "env"  # what the console and `imstui jobs` call environment credentials without a stored profile
COLS, ROWS = 120, 34
NAME_RE = re.compile(r"\b(?:hist-\d{6}|live-\d{4})\b")
KEYS = {"down": b"\x1b[B", "slash": b"/", "esc": b"\x1b", "f": b"f"}
DAY = 86400.0


# ---------------------------------------------------------------------------------------------------------- ledgers


def build_history(path: Path, n: int, region: str, project: str, seed: int = 15) -> dict[str, int]:
    """``n`` finished rows over the last year, oldest first, with the issue's mix. Returns the counts."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    counts = {"succeeded": 0, "failed": 0, "rejected": 0, "unknown": 0}
    with Ledger(path) as ledger:
        polls: list[PollUpdate] = []
        for i in range(n):
            at = now - timedelta(days=365) + timedelta(seconds=365 * DAY * i / n)
            row = ledger.record_intent(
                profile=PROFILE,
                region=region,
                project_id=project,
                source_image_id="3f1b1d54-0000-4000-8000-00000000a001",
                source_image_name="ubuntu-22.04-base",
                name=f"hist-{i:06d}",
                submitted_at=at,
            )
            draw = rng.random()
            if draw < 0.97:
                ok = draw < 0.90
                job_id = f"ff8080{i:026x}"
                ledger.attach_job_id(row, job_id)
                job = Job(
                    job_id=job_id,
                    status=JobStatus.SUCCESS if ok else JobStatus.FAIL,
                    raw_status="SUCCESS" if ok else "FAIL",
                    progress=1.0 if ok else 0.4,
                    new_image_id=f"{i:08x}-0000-4000-8000-00000000b002" if ok else None,
                    error_code=None if ok else "IMG.0123",
                    fail_reason=None if ok else "the source image was changed while it was being copied",
                )
                polls.append(PollUpdate(job_id=job_id, at=at + timedelta(minutes=20), job=job))
                counts["succeeded" if ok else "failed"] += 1
            elif draw < 0.99:
                ledger.mark_rejected(row, "IMS.0177", "the image quota of the project is used up")
                counts["rejected"] += 1
            else:
                ledger.mark_outcome_unknown(row, "the connection was reset after the request was sent")
                counts["unknown"] += 1
            if len(polls) >= 500:
                ledger.apply_polls(polls)
                polls = []
        ledger.apply_polls(polls)
    return counts


def scenario_ledger(template: Path, state: Path, live_ids: list[str], region: str, project: str) -> Path:
    """A copy of ``template`` in ``state`` plus one submitted (outstanding) row per sim job id."""
    state.mkdir(parents=True, exist_ok=True)
    path = state / "jobs.sqlite3"
    src, dst = sqlite3.connect(template), sqlite3.connect(path)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    os.chmod(path, 0o600)
    with Ledger(path) as ledger:
        for i, job_id in enumerate(live_ids):
            row = ledger.record_intent(
                profile=PROFILE,
                region=region,
                project_id=project,
                source_image_id="3f1b1d54-0000-4000-8000-00000000a001",
                source_image_name="ubuntu-22.04-base",
                name=f"live-{i:04d}",
            )
            ledger.attach_job_id(row, job_id)
    return path


def total_polls(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return int(conn.execute("SELECT COALESCE(SUM(poll_count), 0) FROM jobs").fetchone()[0])
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------------------- screen


def names(app: PtyApp) -> tuple[str, ...]:
    return tuple(m.group(0) for line in app.lines()[1:] for m in NAME_RE.finditer(line))


def first_name_row(app: PtyApp) -> int:
    return next((y for y, line in enumerate(app.lines()) if NAME_RE.search(line)), -1)


def cursor_name(app: PtyApp) -> str | None:
    """The job on the highlighted row: among the rows showing a job, the one whose background is unlike the
    others' (the table stripes alternate two backgrounds; the cursor has its own)."""
    rows = [(y, m.group(0)) for y, line in enumerate(app.lines()) if (m := NAME_RE.search(line))]
    if len(rows) < 3:
        return rows[0][1] if rows else None
    bgs = [app.screen.buffer[y][3].bg for y, _ in rows]
    lonely = [name for (_, name), bg in zip(rows, bgs, strict=True) if bgs.count(bg) == 1]
    return lonely[0] if len(lonely) == 1 else None


def filter_lines(app: PtyApp) -> int:
    return sum(1 for line in app.lines()[1:-1] if "filter" in line.lower())


def effect(key: str, app: PtyApp) -> Callable[[PtyApp], bool]:
    """The visible effect of ``key`` on the screen as it is now."""
    if key == "down":
        before = cursor_name(app)
        return lambda a: (now := cursor_name(a)) is not None and now != before
    if key in ("slash", "esc"):
        lines, top = filter_lines(app), first_name_row(app)
        return lambda a: filter_lines(a) != lines or first_name_row(a) != top
    before_names = names(app)
    return lambda a: names(a) != before_names


def key_latencies(app: PtyApp, reps: int, budget: float) -> dict[str, list[float]]:
    """Down x reps, then (/ then Esc) x reps, then f x reps (rounded up to even, so it ends where it began)."""
    plan = ["down"] * reps + ["slash", "esc"] * reps + ["f"] * (reps + reps % 2)
    out: dict[str, list[float]] = {k: [] for k in ("down", "slash", "esc", "f")}
    spent: dict[str, float] = {}
    for key in plan:
        group = "slash" if key == "esc" else key
        if spent.get(group, 0.0) > budget and key != "esc":
            continue  # this key's series has used its time budget: keep the samples taken
        app.settle(0.15, 2.0)
        check = effect(key, app)
        sent = time.perf_counter()
        app.send(KEYS[key])
        seen = app.wait_until(check, 120, f"the effect of {key}")
        out[key].append(seen - sent)
        spent[group] = spent.get(group, 0.0) + (time.perf_counter() - sent)
    return out


# ---------------------------------------------------------------------------------------------------------- runs


def console_run(
    env: dict[str, str], idle_seconds: float, *, keys: int = 0, budget: float = 120, ledger: Path | None = None
) -> dict[str, Any]:
    argv = [sys.executable, "-m", "imstui"]
    with PtyApp(argv, env, cols=COLS, rows=ROWS) as app:
        first = app.wait_until(lambda a: bool(names(a)), 600, "the first job row") - app.started
        app.wait_until(lambda a: "connecting" not in a.lines()[0] and PROFILE in a.lines()[0], 120, "connected")
        top = app.lines()[0]
        if f"profile {PROFILE}" not in top and f" {PROFILE} " not in top:
            raise RuntimeError(f"the console is not on profile {PROFILE!r}: {top.strip()!r}")
        app.drain(3.0)  # the first polls, the first repaints
        polls0 = total_polls(ledger) if ledger is not None else 0
        cpu0, bytes0, t0 = app.cpu(), app.bytes_read, time.perf_counter()
        app.drain(idle_seconds)
        elapsed = time.perf_counter() - t0
        result: dict[str, Any] = {
            "first": first,
            "idle_cpu": 100 * (app.cpu() - cpu0) / elapsed,
            "cpu_s": app.cpu() - cpu0,
            "bytes_min": (app.bytes_read - bytes0) * 60 / elapsed,
            **{k.lower(): v / 1024 for k, v in app.rss_kib().items()},
        }
        if ledger is not None:
            result["checks"] = total_polls(ledger) - polls0
        if keys:
            result["keys"] = key_latencies(app, keys, budget)
    return result


def headless_list(env: dict[str, str], args: list[str]) -> dict[str, float]:
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "imstui", "jobs", *args], env=env, stdout=out)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - t0
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        data = out.read()
    return {"wall": wall, "rss": usage.ru_maxrss / 1024, "lines": data.count(b"\n"), "bytes": len(data)}


def headless_poller(env: dict[str, str], ledger: Path, seconds: float) -> dict[str, float]:
    process = subprocess.Popen(
        [sys.executable, "-m", "imstui", "jobs", "watch"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(6.0)  # start-up and the first round (not counted)
        polls0, cpu0, t0 = total_polls(ledger), cpu_seconds(process.pid), time.perf_counter()
        time.sleep(seconds)
        checks, cpu = total_polls(ledger) - polls0, cpu_seconds(process.pid) - cpu0
        elapsed = time.perf_counter() - t0
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {"checks": checks, "cpu_s": cpu, "per_s": checks / elapsed}


# ---------------------------------------------------------------------------------------------------------- main


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def ms(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"


def run(args: argparse.Namespace, work: Path) -> None:
    sizes = [int(s) for s in args.sizes.split(",") if s]
    need = max(50, args.cpu_jobs)
    sim_args = ["--seed", "1", "--speed", "0.005", "--max-jobs", str(need + 10), "--quota", str(need + 100)]
    with start_sim_process(*sim_args, cwd=HERE.parent) as sim:
        started = time.perf_counter()
        live = asyncio.run(raw_ceiling._create(sim.exports, need))
        print(f"({need} copy jobs created on imstui sim in {time.perf_counter() - started:.0f} s)", flush=True)
        rows: dict[int, dict[str, Any]] = {}
        for n in sizes:
            rows[n] = measure_size(args, work, sim, n, live)
        cpu = cpu_per_check(args, work, sim, min(sizes), live[: args.cpu_jobs])
    report(args, sizes, rows, cpu)


def template_for(work: Path, sim: SimProcess, n: int) -> Path:
    template = work / "templates" / f"history-{n}.sqlite3"
    if not template.exists():
        template.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        counts = build_history(template, n, sim.region, sim.project_id)
        print(f"(ledger of {n:,} rows built in {time.perf_counter() - t0:.0f} s: {counts})", flush=True)
    return template


def measure_size(args: argparse.Namespace, work: Path, sim: SimProcess, n: int, live: list[str]) -> dict[str, Any]:
    template = template_for(work, sim, n)
    row: dict[str, Any] = {}
    for outstanding in (0, 10, 50):
        home = work / f"n{n}-o{outstanding}"
        ledger = scenario_ledger(template, home / "state", live[:outstanding], sim.region, sim.project_id)
        env = isolated_env(home, **sim.exports)
        keys = args.key_reps if outstanding == 50 else 0
        row[outstanding] = console_run(env, args.idle_seconds, keys=keys, budget=args.key_budget, ledger=ledger)
        print(
            f"  [{n:,} rows, {outstanding} outstanding] first page {ms(row[outstanding]['first'])}, "
            f"idle CPU {row[outstanding]['idle_cpu']:.1f} %, {row[outstanding]['bytes_min']:.0f} B/min",
            flush=True,
        )
        if outstanding == 50:
            row["jobs"] = headless_list(env, [])
            row["jobs_all_json"] = headless_list(env, ["--all", "--json"])
        shutil.rmtree(home, ignore_errors=True)
    return row


def cpu_per_check(args: argparse.Namespace, work: Path, sim: SimProcess, n: int, live: list[str]) -> dict[str, Any]:
    template = template_for(work, sim, n)
    home = work / "cpu"
    ledger = scenario_ledger(template, home / "state", live, sim.region, sim.project_id)
    env = isolated_env(home, **sim.exports)
    headless = headless_poller(env, ledger, args.cpu_seconds)
    console = console_run(env, args.cpu_seconds, ledger=ledger)
    shutil.rmtree(home, ignore_errors=True)
    return {"n": n, "jobs": len(live), "headless": headless, "console": console}


def report(args: argparse.Namespace, sizes: list[int], rows: dict[int, dict[str, Any]], cpu: dict[str, Any]) -> None:
    print(f"== console on a {COLS}x{ROWS} pty; history rows + 50 outstanding jobs polled against imstui sim ==")
    print(
        f"{'rows':>8} {'first page':>10} {'rss':>7} {'peak rss':>8} {'idle cpu':>8} {'B/min':>7}  "
        f"{'Down p50/p99':>15} {'/ p50/p99':>15} {'Esc p50/p99':>15} {'f p50/p99':>15}"
    )
    for n in sizes:
        r = rows[n][50]
        lat = "  ".join(
            f"{ms(median(v)):>7}/{ms(percentile(v, 99)):>7}" if v else f"{'-':>15}"
            for v in (r["keys"][k] for k in ("down", "slash", "esc", "f"))
        )
        print(
            f"{n:>8,} {ms(r['first']):>10} {r.get('vmrss', 0):>4.0f} MB {r.get('vmhwm', 0):>5.0f} MB "
            f"{r['idle_cpu']:>7.1f}% {r['bytes_min']:>7.0f}  {lat}"
        )
    samples = {k: len(rows[sizes[-1]][50]["keys"][k]) for k in ("down", "slash", "esc", "f")}
    print(f"(key samples at {sizes[-1]:,} rows: {samples}; idle windows {args.idle_seconds:g} s)")
    print(f"== idle (no key pressed) over {args.idle_seconds:g} s, by outstanding jobs ==")
    print(f"{'rows':>8} {'cpu 0':>7} {'cpu 10':>7} {'cpu 50':>7} {'B/min 0':>9} {'B/min 10':>9} {'B/min 50':>9}")
    for n in sizes:
        r = rows[n]
        print(
            f"{n:>8,} {r[0]['idle_cpu']:>6.1f}% {r[10]['idle_cpu']:>6.1f}% {r[50]['idle_cpu']:>6.1f}% "
            f"{r[0]['bytes_min']:>9.0f} {r[10]['bytes_min']:>9.0f} {r[50]['bytes_min']:>9.0f}"
        )
    print("== headless listing (50 outstanding + the history) ==")
    print(f"{'rows':>8} {'jobs wall':>10} {'jobs rss':>9} {'jobs lines':>10} {'--all --json wall':>18} {'rss':>7}")
    for n in sizes:
        a, b = rows[n]["jobs"], rows[n]["jobs_all_json"]
        print(
            f"{n:>8,} {a['wall']:>9.2f}s {a['rss']:>6.0f} MB {a['lines']:>10,} {b['wall']:>17.2f}s {b['rss']:>4.0f} MB"
            f"  ({b['bytes'] / 1e6:.1f} MB of JSON)"
        )
    h, c = cpu["headless"], cpu["console"]
    h_ms = 1000 * h["cpu_s"] / max(h["checks"], 1)
    c_ms = 1000 * c["cpu_s"] / max(c["checks"], 1)
    print(f"== {cpu['jobs']:,} outstanding jobs ({cpu['n']:,} history rows), default poll settings ==")
    print(f"headless `imstui jobs watch`: {h['checks']} checks ({h['per_s']:.1f}/s), {h_ms:.2f} ms CPU per check")
    print(
        f"console: {c['checks']} checks ({c['checks'] / args.cpu_seconds:.1f}/s), {c_ms:.2f} ms CPU per check, "
        f"{c['idle_cpu']:.0f} % of a core, {c['bytes_min'] / 60:.0f} B/s to the terminal"
    )
    small, big = sizes[0], sizes[-1]
    at = f"at {big:,} rows" + ("" if big >= 100_000 else " (the target is stated for 100,000)")
    s, b = rows[small][50], rows[big][50]
    p99 = {k: percentile(v, 99) for k, v in b["keys"].items() if v}
    lines = [
        f"first page {at} <= 1.2x the time at {small:,}: {verdict(b['first'] <= 1.2 * s['first'])} "
        f"({b['first'] / s['first']:.2f}x)",
        f"console RSS {at} <= 1.3x the {small:,}-row RSS: {verdict(b['vmhwm'] <= 1.3 * s['vmhwm'])} "
        f"(peak {b['vmhwm']:.0f} vs {s['vmhwm']:.0f} MB, {b['vmhwm'] / s['vmhwm']:.2f}x)",
        *(
            f"key {label} p99 {at} <= 50 ms: {verdict(p99[k] <= 0.05)} ({ms(p99[k])})"
            for k, label in (("slash", "/"), ("down", "Down"), ("f", "f"))
            if k in p99
        ),
        f"idle CPU {at}, 0 outstanding <= 1 %: {verdict(rows[big][0]['idle_cpu'] <= 1)} "
        f"({rows[big][0]['idle_cpu']:.1f} %)",
        f"idle CPU {at}, 10 outstanding <= 3 %: {verdict(rows[big][10]['idle_cpu'] <= 3)} "
        f"({rows[big][10]['idle_cpu']:.1f} %)",
        f"`imstui jobs --all --json` peak RSS {at} <= 1.2x that at {small:,}: "
        f"{verdict(rows[big]['jobs_all_json']['rss'] <= 1.2 * rows[small]['jobs_all_json']['rss'])} "
        f"({rows[big]['jobs_all_json']['rss'] / rows[small]['jobs_all_json']['rss']:.2f}x)",
        f"{cpu['jobs']:,} outstanding: console CPU per check <= 2x the headless poller's: "
        f"{verdict(c_ms <= 2 * h_ms)} ({c_ms / h_ms:.1f}x)",
        f"(issue 11) bytes to the terminal when idle, 0 outstanding, {COLS}x{ROWS}, < 200/min at every size: "
        f"{verdict(all(rows[n][0]['bytes_min'] < 200 for n in sizes))} "
        f"({', '.join(str(round(rows[n][0]['bytes_min'])) for n in sizes)} B/min)",
    ]
    print("== targets (issue 15) ==")
    for line in lines:
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=None, help="history rows, comma-separated (default 1000,10000,100000)")
    parser.add_argument("--idle-seconds", type=float, default=None, help="idle window per console run (default 30)")
    parser.add_argument("--key-reps", type=int, default=None, help="presses of each key (default 10)")
    parser.add_argument("--key-budget", type=float, default=180.0, help="seconds per key series before it stops")
    parser.add_argument("--cpu-jobs", type=int, default=1000, help="outstanding jobs for the CPU-per-check run")
    parser.add_argument("--cpu-seconds", type=float, default=None, help="CPU-per-check window (default 30)")
    parser.add_argument("--quick", action="store_true", help="1000,10000 rows, 10 s windows, 5 presses, 15 s CPU")
    args = parser.parse_args()
    quick = args.quick
    args.sizes = args.sizes or ("1000,10000" if quick else "1000,10000,100000")
    args.idle_seconds = args.idle_seconds if args.idle_seconds is not None else (10.0 if quick else 30.0)
    args.key_reps = args.key_reps if args.key_reps is not None else (5 if quick else 10)
    args.cpu_seconds = args.cpu_seconds if args.cpu_seconds is not None else (15.0 if quick else 30.0)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="imstui-history-") as tmp:
        run(args, Path(tmp))
    print(f"(benchmark ran {time.perf_counter() - started:.0f} s on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
