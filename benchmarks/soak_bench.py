"""Soak: many copies into a faulty simulator, ``jobs watch`` killed with SIGKILL at random, then the books balanced.

    python benchmarks/soak_bench.py [--copies 200] [--kills 20] [--seed 1] [--parallel 4] [--speed 0.5]

The simulator runs in this process (uvicorn in a thread, ``imstui.sim.server``-style) so that its state (every copy
job it created) can be read at the end, behind a small ASGI wrapper that counts the copy POSTs it *received* and the
``name`` each asked for. Heavy faults on the copy route (5xx, 429, drop after the handler ran, malformed and
truncated answers, latency) and on the job route; a few on the image route. Every client is a real
``python -m imstui`` subprocess in a scratch environment (HOME, XDG_*, IMSTUI_STATE_DIR in a temporary directory).

1. ``--copies`` times ``imstui copy SOURCE --name soak-N --json`` (``--parallel`` at a time, sources from the seeded
   catalogue, one that FAILs among them);
2. from the time half of them are submitted: ``imstui jobs watch`` started ``--kills`` times, each killed with
   SIGKILL at a random moment once it has started (it printed something, or 15 s passed) and while it still runs;
3. a final ``imstui jobs watch --json`` to the end; then ``imstui jobs --all --json`` (the ledger).

Prints POSTs sent (ledger rows: one per copy that reached the POST) vs received (by the simulator), job ids lost
(a job the simulator created that the ledger lacks and that no outcome-unknown row of the same name accounts for),
duplicates (a name POSTed or created more than once), final states matching the simulator's, tracebacks seen on
any stream (clients and the simulator's log). Never fails: exit 0, with ``MISMATCH`` lines for what does not add up.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import logging
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _pty import isolated_env

from imstui.sim import seed
from imstui.sim.app import sim_state
from imstui.sim.config import SimConfig
from imstui.sim.faults import FaultConfig
from imstui.sim.server import bind_socket, make_server

FAULTS = (
    "copy.5xx=0.1,copy.429=0.05,copy.drop=0.15,copy.malformed=0.05,copy.truncated=0.05,copy.latency=0-0.4,"
    "copy.retry_after=1,"
    "job.5xx=0.2,job.429=0.1,job.drop=0.1,job.malformed=0.1,job.truncated=0.05,job.latency=0-0.3,"
    "job.retry_after=1,job.rate=5000,job.window=10,"
    "image.5xx=0.03,image.latency=0-0.1"
)
# Copyable sources from the seeded catalogue; INTERNAL_FAIL_ID's copies end FAIL (error only in entities).
SOURCES = (
    seed.ELIGIBLE_LINUX_ID,
    seed.ELIGIBLE_SMALL_ID,
    seed.SHARED_ACCEPTED_ID,
    seed.ENCRYPTED_ID,
    seed.INTERNAL_FAIL_ID,
)


class CountingApp:
    """ASGI wrapper: counts the copy POSTs that reached the server and the image name each body asked for."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.received = 0
        self.by_name: collections.Counter[str] = collections.Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or scope.get("method") != "POST" or not scope["path"].endswith("/copy"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False) and message["type"] == "http.request"
        body = b"".join(chunks)
        try:
            name = str(json.loads(body).get("name"))
        except (ValueError, AttributeError):
            name = "?"
        with self.lock:
            self.received += 1
            self.by_name[name] += 1
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            message: dict[str, Any] = await receive()
            return message

        await self.app(scope, replay, send)


class TracebackCounter(logging.Handler):
    """Counts log records of the in-process simulator that carry a traceback."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or "Traceback" in record.getMessage():
            self.count += 1
            self.first = self.first or self.format(record)


@dataclass
class Sim:
    config: SimConfig
    url: str
    counter: CountingApp
    app: Any
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_sim(config: SimConfig) -> Sim:
    sock = bind_socket("127.0.0.1", 0)
    server, app = make_server(config, sock)  # with the simulator's log filter (deliberate drops are not logged)
    counter = CountingApp(app)
    server.config.app = counter  # uvicorn loads config.app when it starts serving
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="soak-sim", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the simulator did not start")
        time.sleep(0.01)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    return Sim(config, url, counter, app, server, thread)


@dataclass
class Tally:
    exits: collections.Counter[int] = field(default_factory=collections.Counter)
    outcome_unknown_said: int = 0
    unknown_other_words: int = 0  # "may have been accepted" without the words "outcome unknown"
    stderr_by_name: dict[str, str] = field(default_factory=dict)
    tracebacks: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def scan(self, what: str, *streams: str) -> None:
        for text in streams:
            if "Traceback" in text:
                tail = text[text.index("Traceback") :].rstrip().splitlines()
                with self.lock:  # where it was raised and what: the last frame and the exception line
                    self.tracebacks.append(f"{what}: {' | '.join(line.strip() for line in tail[-3:])!r}")


def run_copy(env: dict[str, str], index: int, source: str, tally: Tally) -> None:
    argv = [sys.executable, "-m", "imstui", "copy", source, "--name", f"soak-{index}", "--json"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    tally.scan(f"copy soak-{index} (exit {done.returncode})", done.stdout, done.stderr)
    with tally.lock:
        tally.exits[done.returncode] += 1
        tally.stderr_by_name[f"soak-{index}"] = done.stderr
        said = done.stderr.lower()
        if "outcome unknown" in said or "may have been accepted" in said:
            tally.outcome_unknown_said += 1
        if "may have been accepted" in said and "outcome unknown" not in said:
            tally.unknown_other_words += 1


@dataclass
class KillLog:
    landed: int = 0
    ended_first: int = 0
    waited: list[float] = field(default_factory=list)
    exits: collections.Counter[str] = field(default_factory=collections.Counter)


def read_all(process: subprocess.Popen[bytes]) -> tuple[str, str]:
    out, err = process.communicate()
    return out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def kill_watchers(env: dict[str, str], kills: int, rng: random.Random, tally: Tally, log: KillLog) -> None:
    """Start ``jobs watch`` ``kills`` times; kill each with SIGKILL at a random moment after it printed something."""
    argv = [sys.executable, "-m", "imstui", "jobs", "watch"]
    while log.landed < kills and log.ended_first < 3 * kills:
        process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        started = time.monotonic()
        first_output = threading.Event()
        out_chunks: list[bytes] = []

        def pump(stream: Any, chunks: list[bytes] = out_chunks, event: threading.Event = first_output) -> None:
            for line in iter(stream.readline, b""):
                chunks.append(line)
                event.set()

        readers = [threading.Thread(target=pump, args=(s,), daemon=True) for s in (process.stdout, process.stderr)]
        for reader in readers:
            reader.start()
        first_output.wait(timeout=15)
        time.sleep(rng.uniform(0.1, 4.0))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            log.landed += 1
            log.waited.append(time.monotonic() - started)
        else:
            log.ended_first += 1
            log.exits[str(process.returncode)] += 1
        process.wait()
        for reader in readers:
            reader.join(timeout=5)
        tally.scan(f"killed watch #{log.landed}", b"".join(out_chunks).decode("utf-8", "replace"))


def ledger_rows(env: dict[str, str], tally: Tally) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "imstui", "jobs", "--all", "--json"], env=env, capture_output=True, text=True
    )
    tally.scan("jobs --all --json", done.stdout, done.stderr)
    if done.returncode != 0:
        print(f"MISMATCH: imstui jobs --all --json exited {done.returncode}: {done.stderr[:400]}")
    try:
        rows: list[dict[str, Any]] = json.loads(done.stdout)["jobs"]
    except (ValueError, KeyError):
        print(f"MISMATCH: imstui jobs --all --json printed no document: {done.stdout[:400]!r}")
        return []
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=200)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--parallel", type=int, default=4, help="copy subprocesses at a time")
    parser.add_argument("--speed", type=float, default=0.5, help="simulator job speed (0.5: jobs take 30-80 s)")
    parser.add_argument("--faults", default=FAULTS, help="the simulator's --faults spec")
    parser.add_argument("--final-timeout", type=float, default=900.0, help="seconds for the last jobs watch")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    sim_tracebacks = TracebackCounter()
    for name in ("uvicorn.error", "imstui.sim", "uvicorn"):
        logging.getLogger(name).addHandler(sim_tracebacks)
    config = SimConfig.from_env(
        speed=args.speed,
        faults=FaultConfig.parse(args.faults),
        seed=args.seed,
        private_image_quota=args.copies * 2 + 100,
        max_running_jobs=args.copies * 2 + 100,
        purge_after=1e9,
    )
    sim = start_sim(config)
    state = sim_state(sim.app)
    tally = Tally()
    kill_log = KillLog()
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="imstui-soak-") as scratch:
        env = isolated_env(
            Path(scratch),
            HUAWEICLOUD_SDK_AK=config.ak,
            HUAWEICLOUD_SDK_SK=config.sk.reveal(),
            HUAWEICLOUD_SDK_REGION=config.region,
            HUAWEICLOUD_SDK_PROJECT_ID=config.project_id,
            IMSTUI_IMS_ENDPOINT=sim.url,
            HUAWEICLOUD_SDK_IAM_ENDPOINT=sim.url,
        )
        print(f"soak: {args.copies} copies, {args.kills} kills, seed {args.seed}, speed {args.speed}, {sim.url}")
        print(f"faults: {config.faults.describe()}")
        sources = [SOURCES[rng.randrange(len(SOURCES))] for _ in range(args.copies)]
        killer = threading.Thread(
            target=kill_watchers, args=(env, args.kills, random.Random(args.seed + 1), tally, kill_log), daemon=True
        )
        with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
            futures = [pool.submit(run_copy, env, i, sources[i], tally) for i in range(args.copies)]
            for count, future in enumerate(concurrent.futures.as_completed(futures), 1):
                future.result()
                if count == max(1, args.copies // 2) and args.kills:
                    killer.start()
        t_copies = time.monotonic() - t0
        if args.kills:
            killer.join()
        t_kills = time.monotonic() - t0
        final = subprocess.Popen(
            [sys.executable, "-m", "imstui", "jobs", "watch", "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            out, err = final.communicate(timeout=args.final_timeout)
            final_code: int | str = final.returncode
        except subprocess.TimeoutExpired:
            final.kill()
            out, err = final.communicate()
            final_code = "timeout"
        final_out, final_err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        tally.scan("final jobs watch --json", final_out, final_err)
        try:
            final_doc: Any = json.loads(final_out)
        except ValueError:
            final_doc = None
        t_end = time.monotonic() - t0
        rows = ledger_rows(env, tally)
    sim_now = state.now()
    sim_jobs = dict(state.jobs)
    sim.stop()
    report(args, rows, sim_jobs, sim_now, sim.counter, tally, kill_log, sim_tracebacks)
    print(
        f"\nwall: copies {t_copies:.0f} s, kills done at {t_kills:.0f} s, final watch exit {final_code}"
        f" ({'a JSON document' if final_doc is not None else 'NO JSON document'}), total {t_end:.0f} s"
    )
    if final_code != 0 and final_code != 1:
        print(f"MISMATCH: the final jobs watch ended {final_code}: {final_err[-600:]!r}")
    return 0


def report(
    args: argparse.Namespace,
    rows: list[dict[str, Any]],
    sim_jobs: dict[str, Any],
    sim_now: float,
    counter: CountingApp,
    tally: Tally,
    kill_log: KillLog,
    sim_tracebacks: TracebackCounter,
) -> None:
    mismatches: list[str] = []
    states = collections.Counter(str(row.get("state")) for row in rows)
    by_id = {row["job_id"]: row for row in rows if row.get("job_id")}
    unknown_names = collections.Counter(str(row.get("name")) for row in rows if row.get("state") == "outcome_unknown")
    rows_by_name = collections.Counter(str(row.get("name")) for row in rows)
    sim_by_name = collections.Counter(job.name for job in sim_jobs.values())
    lost = [job for job_id, job in sim_jobs.items() if job_id not in by_id and unknown_names[job.name] == 0]
    unknown_with_job = sum(1 for job_id, job in sim_jobs.items() if job_id not in by_id and unknown_names[job.name] > 0)
    phantom = [job_id for job_id in by_id if job_id not in sim_jobs]
    dup_posts = {name: n for name, n in counter.by_name.items() if n > 1}
    dup_jobs = {name: n for name, n in sim_by_name.items() if n > 1}
    dup_rows = {name: n for name, n in rows_by_name.items() if n > 1}
    match = differ = unfinished = 0
    for job_id, row in by_id.items():
        job = sim_jobs.get(job_id)
        if job is None:
            continue
        want = job.document(sim_now)["status"]
        got = str(row.get("status") or "").upper()
        if want not in ("SUCCESS", "FAIL"):
            unfinished += 1
        if got == want and row.get("phase") in ("succeeded", "failed"):
            match += 1
        else:
            differ += 1
            if len(mismatches) < 12:
                mismatches.append(
                    f"final state of {job_id} ({row.get('name')}): ledger {row.get('state')}/{row.get('status')}/"
                    f"{row.get('phase')}, simulator {want}"
                )
    table = [
        ("copy processes run", args.copies),
        ("copy exits by code", ", ".join(f"{code}: {n}" for code, n in sorted(tally.exits.items()))),
        ("copies that said 'outcome unknown'", tally.outcome_unknown_said),
        ("  of them only as 'may have been accepted'", tally.unknown_other_words),
        ("POSTs sent (ledger rows)", len(rows)),
        ("POSTs received by the simulator", counter.received),
        ("copy jobs the simulator created", len(sim_jobs)),
        ("ledger rows by state", ", ".join(f"{s}: {n}" for s, n in sorted(states.items()))),
        ("job ids in the ledger", len(by_id)),
        ("outcome unknown with a job on the simulator", unknown_with_job),
        ("outcome unknown with no job (nothing created)", sum(unknown_names.values()) - unknown_with_job),
        ("ids lost", len(lost)),
        ("ledger ids the simulator never made", len(phantom)),
        ("duplicate POSTs (a name POSTed twice)", len(dup_posts)),
        ("duplicate jobs (a name created twice)", len(dup_jobs)),
        ("duplicate ledger rows (a name twice)", len(dup_rows)),
        ("final states matching the simulator", f"{match} of {len(by_id)}"),
        ("final states differing", differ),
        ("simulator jobs unfinished at the end", unfinished),
        ("jobs watch SIGKILLed while running", f"{kill_log.landed} of {args.kills}"),
        ("jobs watch ended before its kill", kill_log.ended_first),
        ("seconds from start to each kill (min/max)", _span(kill_log.waited)),
        ("tracebacks seen (clients)", len(tally.tracebacks)),
        ("tracebacks seen (simulator log)", sim_tracebacks.count),
    ]
    width = max(len(label) for label, _ in table)
    print()
    for label, value in table:
        print(f"{label:<{width}}  {value}")
    print()
    if len(rows) != counter.received:
        mismatches.append(f"POSTs sent {len(rows)} != received {counter.received}")
    if tally.outcome_unknown_said != states.get("outcome_unknown", 0):
        mismatches.append(
            f"{tally.outcome_unknown_said} copies said outcome unknown, the ledger has "
            f"{states.get('outcome_unknown', 0)} outcome_unknown rows"
        )
    for row in rows:
        said = tally.stderr_by_name.get(str(row.get("name")), "")
        lower = said.lower()
        if row.get("state") == "outcome_unknown" and "outcome unknown" not in lower and "may have been" not in lower:
            mismatches.append(f"{row.get('name')} is outcome_unknown in the ledger; its copy said: {said[:300]!r}")
    for job in lost[:10]:
        mismatches.append(f"id lost: {job.job_id} ({job.name}) is on the simulator, not in the ledger")
    for job_id in phantom[:10]:
        mismatches.append(f"ledger id {job_id} is unknown to the simulator")
    for label, found in (("POSTed", dup_posts), ("created", dup_jobs), ("in the ledger", dup_rows)):
        for name, n in list(found.items())[:10]:
            mismatches.append(f"duplicate: {name} {label} {n} times")
    if states.get("submitting"):
        mismatches.append(f"{states['submitting']} rows still 'submitting'")
    if kill_log.landed < args.kills:
        mismatches.append(f"only {kill_log.landed} of {args.kills} kills landed on a running jobs watch")
    mismatches.extend(tally.tracebacks[:10])
    if sim_tracebacks.first:
        mismatches.append(f"simulator: {sim_tracebacks.first[:600]!r}")
    for line in mismatches:
        print(f"MISMATCH: {line}")
    if not mismatches:
        print("all figures add up")


def _span(values: list[float]) -> str:
    return f"{min(values):.1f} / {max(values):.1f}" if values else "-"


if __name__ == "__main__":
    sys.exit(main())
