"""The ``--demo`` simulator's state across restarts: its copy jobs and the images they published, in one file.

``imstui.connect`` passes the path (``<state dir>/demo-sim.json``; the simulator imports nothing of imstui's
core). :func:`attach` restores what an earlier run saved and saves again after every copy the simulator accepts.
Times are absolute (epoch seconds, as :class:`~imstui.sim.jobs.CopyJob` keeps them), so a restored job's progress
goes on with the clock: a copy that ran while no imstui did is finished when the next one starts, and purged
``purge_after`` seconds after it finished, as IMS would. The file is written atomically (a private temporary file
in the same directory, flushed, then renamed over the old one) and is owner-only (0600). A file that cannot be
read is left aside: the simulator starts fresh and says so in the log.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from imstui.sim.jobs import CopyJob
from imstui.sim.state import SimState

__all__ = ["FORMAT", "attach", "load", "save", "snapshot", "write_private"]

log = logging.getLogger(__name__)

FORMAT = 1
_JOB_FIELDS = {f.name for f in fields(CopyJob)}


def snapshot(state: SimState) -> dict[str, Any]:
    """What survives a restart: the jobs IMS still knows and the images copies published."""
    with state._lock:
        return {
            "format": FORMAT,
            "project_id": state.config.project_id,
            "copies_created": state.copies_created,
            "jobs": [asdict(job) for job in state.jobs.values()],
            "images": [state.images[i] for i in sorted(state.created) if i in state.images],
        }


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, owner-only: a reader sees the old file or the new one, never half."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def save(state: SimState, path: Path) -> None:
    write_private(path, json.dumps(snapshot(state), sort_keys=True))


def _job(item: Any) -> CopyJob:
    if not isinstance(item, dict) or not _JOB_FIELDS.issuperset(item):
        raise ValueError("a job entry has unknown fields")
    values = dict(item)
    if values.get("error") is not None:
        code, reason = values["error"]
        values["error"] = (str(code), str(reason))
    return CopyJob(**values)


def load(state: SimState, path: Path) -> int:
    """Restore the jobs and images saved in ``path`` into ``state``; returns how many jobs (0: no file). Raises
    ``ValueError`` / ``OSError`` for a file that cannot be read as a snapshot (nothing is restored then)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return 0
    data = json.loads(raw)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a format {FORMAT} snapshot")
    if data.get("project_id") != state.config.project_id:
        return 0  # another simulated project (IMSTUI_SIM_PROJECT_ID changed): its jobs are not this one's
    jobs = [_job(item) for item in data.get("jobs") or []]
    images = [
        image for image in data.get("images") or [] if isinstance(image, dict) and isinstance(image.get("id"), str)
    ]
    with state._lock:  # idempotent: a state that already holds a saved job (attached twice) is not doubled
        fresh = [job for job in jobs if job.job_id not in state.jobs]
        for image in images:
            state.add_image(image)
            state.created.add(image["id"])
        for job in fresh:
            state.restore_job(job)
        copies = data.get("copies_created")
        state.copies_created = max(state.copies_created, copies if isinstance(copies, int) else len(jobs))
    state.settle()
    return len(fresh)


def attach(state: SimState, path: Path) -> int:
    """Restore ``path`` into ``state`` and save it there after every accepted copy; returns the jobs restored."""
    try:
        restored = load(state, path)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        log.warning("the demo simulator's saved state %s cannot be read (%s): starting fresh", path, exc)
        restored = 0

    def saved() -> None:
        try:
            save(state, path)
        except OSError as exc:  # a full disk must not fail the copy the simulator just accepted
            log.warning("cannot save the demo simulator's state to %s: %s", path, exc)

    state.on_change = saved
    return restored
