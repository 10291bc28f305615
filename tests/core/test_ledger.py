"""The job ledger: durable rows, lifecycle, filters, change notification, permissions, concurrency."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from imstui.api.models import Job, JobStatus
from imstui.core.ledger import SCHEMA_VERSION, Ledger, LedgerDamagedError, LedgerError
from imstui.core.paths import default_ledger_path

AT = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def _job(job_id: str, status: str, progress: float | None = None, **entities: object) -> Job:
    ent: dict[str, object] = dict(entities)
    if progress is not None:
        ent["process_percent"] = progress
    return Job.from_api({"job_id": job_id, "status": status, "entities": ent})


def _intent(ledger: Ledger, name: str = "copy-1", profile: str = "default", **kw: object) -> int:
    return ledger.record_intent(
        profile=profile,
        region="ap-southeast-1",
        project_id="p1",
        source_image_id="src-1",
        source_image_name="base image",
        name=name,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger(tmp_path / "state" / "jobs.sqlite3")
    yield led
    led.close()


def test_default_location_honours_xdg_state_home_and_is_owner_only(isolated_home: Path) -> None:
    old = os.umask(0)  # even with a permissive umask
    try:
        led = Ledger()
        row = _intent(led)
        led.attach_job_id(row, "job-1")
    finally:
        os.umask(old)
    path = default_ledger_path()
    assert path == isolated_home / ".local/state/imstui/jobs.sqlite3"
    assert led.path == path
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for file in path.parent.iterdir():  # the database and its -wal / -shm companions
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    led.close()


def test_state_dir_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMSTUI_STATE_DIR", str(tmp_path / "custom"))
    with Ledger() as led:
        assert led.path == tmp_path / "custom" / "jobs.sqlite3"
    assert stat.S_IMODE((tmp_path / "custom").stat().st_mode) == 0o700


def test_existing_loose_ledger_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    Ledger(path).close()
    os.chmod(path, 0o644)
    Ledger(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_intent_then_job_id_lifecycle(ledger: Ledger) -> None:
    row = _intent(ledger, description="line one", retry_of=None)
    record = ledger.get_row(row)
    assert record is not None
    assert record.state == "submitting" and record.job_id is None
    assert record.source_image_id == "src-1" and record.source_image_name == "base image" and record.name == "copy-1"
    assert record.submitted_at.tzinfo is not None
    assert not record.is_outstanding
    attached = ledger.attach_job_id(row, "job-1")
    assert attached.state == "submitted" and attached.job_id == "job-1"
    assert [r.job_id for r in ledger.outstanding()] == ["job-1"]


def test_outcome_unknown_and_rejected_rows_are_kept_and_listed_as_failed(ledger: Ledger) -> None:
    unknown = ledger.mark_outcome_unknown(_intent(ledger, "a"), "timeout after the request was sent")
    rejected = ledger.mark_rejected(_intent(ledger, "b"), "IMG.0015", "quota \x1b[31mexceeded")
    assert unknown.state == "outcome_unknown" and "timeout" in (unknown.fail_reason or "")
    assert rejected.state == "rejected" and rejected.error_code == "IMG.0015"
    assert rejected.fail_reason == "quota exceeded"  # escape sequence dropped
    assert {r.name for r in ledger.list(only="failed")} == {"a", "b"}
    assert ledger.outstanding() == []


def test_status_updates_progress_success_and_no_regression(ledger: Ledger) -> None:
    ledger.attach_job_id(_intent(ledger), "job-1")
    running = ledger.update_from_job("job-1", _job("job-1", "RUNNING", 40), AT)
    assert running is not None
    assert running.status is JobStatus.RUNNING and running.progress == pytest.approx(0.4)
    assert running.last_polled_at == AT and running.poll_count == 1
    done = ledger.update_from_job("job-1", _job("job-1", "SUCCESS", image_id="img-new"), AT + timedelta(seconds=9))
    assert done is not None
    assert done.status is JobStatus.SUCCESS and done.new_image_id == "img-new" and done.progress == 1.0
    assert done.terminal_at == AT + timedelta(seconds=9)
    assert not done.is_outstanding
    # A glitchy later answer does not un-finish the job.
    later = ledger.update_from_job("job-1", _job("job-1", "RUNNING", 10), AT + timedelta(seconds=20))
    assert later is not None and later.status is JobStatus.SUCCESS and later.terminal_at == done.terminal_at


def test_failed_job_keeps_code_and_reason(ledger: Ledger) -> None:
    ledger.attach_job_id(_intent(ledger), "job-1")
    failed = ledger.update_from_job(
        "job-1",
        Job.from_api({"job_id": "job-1", "status": "FAIL", "error_code": "IMG.0061", "fail_reason": "boom"}),
        AT,
    )
    assert failed is not None and failed.failed and failed.error_code == "IMG.0061" and failed.fail_reason == "boom"
    assert [r.job_id for r in ledger.list(only="failed")] == ["job-1"]


def test_poll_error_keeps_last_good_status_and_success_clears_it(ledger: Ledger) -> None:
    ledger.attach_job_id(_intent(ledger), "job-1")
    ledger.update_from_job("job-1", _job("job-1", "RUNNING", 0.3), AT)
    errored = ledger.record_poll_error("job-1", "APIGW.0308 HTTP 429: throttled", AT + timedelta(seconds=3))
    assert errored is not None
    assert errored.status is JobStatus.RUNNING and errored.progress == pytest.approx(0.3)
    assert errored.last_poll_error == "APIGW.0308 HTTP 429: throttled" and errored.is_outstanding
    ok = ledger.update_from_job("job-1", _job("job-1", "RUNNING", 0.5), AT + timedelta(seconds=6))
    assert ok is not None and ok.last_poll_error is None


def test_gone_job_keeps_last_state_and_is_not_outstanding(ledger: Ledger) -> None:
    ledger.attach_job_id(_intent(ledger), "job-1")
    ledger.update_from_job("job-1", _job("job-1", "RUNNING", 0.7), AT)
    gone = ledger.mark_gone("job-1", AT + timedelta(seconds=5))
    assert gone is not None
    assert gone.gone and gone.status is JobStatus.RUNNING and gone.progress == pytest.approx(0.7)
    assert "no longer knows" in (gone.last_poll_error or "")
    assert ledger.outstanding() == [] and gone.needs_attention


def test_filters_and_profile_scope(ledger: Ledger) -> None:
    ledger.attach_job_id(_intent(ledger, "run-a", profile="a"), "j-run-a")
    ledger.attach_job_id(_intent(ledger, "ok-b", profile="b"), "j-ok-b")
    ledger.update_from_job("j-ok-b", _job("j-ok-b", "SUCCESS"), AT)
    _intent(ledger, "inflight-a", profile="a")
    ledger.mark_rejected(_intent(ledger, "rej-b", profile="b"), "IMG.0003", "bad name")
    assert [r.name for r in ledger.list()] == ["run-a", "ok-b", "inflight-a", "rej-b"]
    assert [r.name for r in ledger.list("a")] == ["run-a", "inflight-a"]
    assert [r.name for r in ledger.list(only="outstanding")] == ["run-a"]
    assert [r.name for r in ledger.list(only="running")] == ["run-a", "inflight-a"]
    assert [r.name for r in ledger.list("b", only="failed")] == ["rej-b"]
    assert [r.name for r in ledger.outstanding("b")] == []
    assert list(ledger.profiles()) == ["a", "b"]
    with pytest.raises(ValueError):
        ledger.list(only="bogus")  # type: ignore[arg-type]


def test_forget_and_import(ledger: Ledger) -> None:
    imported = ledger.import_job("abc123", "default", "ap-southeast-1", "p1")
    assert imported.imported and imported.is_outstanding and imported.source_image_id is None
    assert ledger.import_job("abc123", "default", "ap-southeast-1", "p1").row_id == imported.row_id  # idempotent
    assert ledger.forget("abc123") is True
    assert ledger.forget("abc123") is False
    assert ledger.get("abc123") is None


def test_another_connection_notices_changes(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    with Ledger(path) as writer, Ledger(path) as reader:
        before = reader.data_version()
        assert reader.changes_since(before).changed == []
        row = _intent(writer)
        writer.attach_job_id(row, "job-1")
        after = reader.data_version()
        assert after > before
        changes = reader.changes_since(before)
        assert [r.job_id for r in changes.changed] == ["job-1"] and changes.version == after
        writer.forget("job-1")
        removed = reader.changes_since(after)
        assert removed.removed_row_ids == [row] and removed.changed == []
        assert reader.data_version() == removed.version


def test_reopen_keeps_rows_and_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    with Ledger(path) as led:
        led.attach_job_id(_intent(led), "job-1")
        assert led.schema_version == SCHEMA_VERSION
    with Ledger(path) as led:
        assert led.get("job-1") is not None
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(LedgerError, match="newer imstui"):
        Ledger(path)


def test_garbage_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LedgerDamagedError, match=r"is damaged \(file is not a database\).*mv .*jobs\.sqlite3"):
        Ledger(path)


def test_thread_pool_writers_lose_nothing(ledger: Ledger) -> None:
    def work(n: int) -> None:
        for i in range(25):
            row = _intent(ledger, f"t{n}-{i}")
            ledger.attach_job_id(row, f"job-{n}-{i}")
            ledger.update_from_job(f"job-{n}-{i}", _job(f"job-{n}-{i}", "RUNNING", 0.1), AT)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(work, range(6)))
    records = ledger.list()
    assert len(records) == 150 and len({r.job_id for r in records}) == 150
    assert all(r.status is JobStatus.RUNNING for r in records)


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from imstui.core.ledger import Ledger
    tag = sys.argv[2]
    led = Ledger(Path(sys.argv[1]))
    for i in range(150):
        row = led.record_intent(profile="default", region="r", project_id="p", source_image_id="s",
                                source_image_name="n", name=f"{tag}-{i}")
        led.attach_job_id(row, f"{tag}-{i}")
    led.close()
    """
)


def test_two_processes_writing_at_once_lose_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), tag]) for tag in ("p1", "p2", "p3")]
    with Ledger(path) as led:  # and this process reads and writes meanwhile
        for i in range(50):
            led.attach_job_id(_intent(led, f"main-{i}"), f"main-{i}")
            led.list()
        for proc in procs:
            assert proc.wait(timeout=120) == 0
        jobs = {r.job_id for r in led.list()}
    assert len(jobs) == 500
    assert {f"p2-{i}" for i in range(150)} <= jobs


def test_stale_submission_of_a_dead_process_becomes_outcome_unknown(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from imstui.core.ledger import Ledger
        led = Ledger(Path(sys.argv[1]))
        led.record_intent(profile="default", region="r", project_id="p", source_image_id="src-9",
                          source_image_name="web", name="copy-of-web")
        """
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, timeout=60)
    with Ledger(path, sweep=False) as led:
        [row] = led.list()
        assert row.state == "submitting"  # visible even though the process is gone
        own = _intent(led, "mine")  # this process is alive and the row is fresh: left alone
        swept = led.sweep_stale_submissions()
        assert [r.name for r in swept] == ["copy-of-web"]
        after = led.get_row(row.row_id)
        assert after is not None and after.state == "outcome_unknown" and after.source_image_id == "src-9"
        mine = led.get_row(own)
        assert mine is not None and mine.state == "submitting"


def test_opening_the_ledger_sweeps_submissions_of_dead_processes(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from imstui.core.ledger import Ledger
        led = Ledger(Path(sys.argv[1]))
        led.record_intent(profile="default", region="r", project_id="p", source_image_id="src-9",
                          source_image_name="web", name="copy-of-web")
        """
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, timeout=60)
    with Ledger(path) as led:  # any process opening it, headless commands included
        [row] = led.list(only="failed")
        assert (
            row.state == "outcome_unknown"
            and row.name == "copy-of-web"
            and "check the image list" in (row.fail_reason or "")
        )


# The schema imstui 0.1 shipped (schema version 1), frozen here as it was written to users' disks.
_SCHEMA_V1 = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version(version) VALUES (1);
CREATE TABLE jobs (
    row_id INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT UNIQUE, profile TEXT NOT NULL, region TEXT NOT NULL,
    project_id TEXT, source_image_id TEXT, source_image_name TEXT, name TEXT, description TEXT, cmk_id TEXT,
    enterprise_project_id TEXT, submitted_at TEXT NOT NULL, state TEXT NOT NULL, status TEXT, progress REAL,
    new_image_id TEXT, error_code TEXT, fail_reason TEXT, last_polled_at TEXT, last_poll_error TEXT,
    poll_count INTEGER NOT NULL DEFAULT 0, terminal_at TEXT, gone INTEGER NOT NULL DEFAULT 0, retry_of INTEGER,
    imported INTEGER NOT NULL DEFAULT 0, current_task TEXT, submitter_pid INTEGER, version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_profile ON jobs(profile);
CREATE INDEX jobs_version ON jobs(version);
CREATE INDEX jobs_open ON jobs(terminal_at, gone);
CREATE TABLE removed (row_id INTEGER PRIMARY KEY, version INTEGER NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta(key, value) VALUES ('version', 3);
INSERT INTO jobs (job_id, profile, region, project_id, source_image_id, source_image_name, name, submitted_at,
    state, status, progress, poll_count, version)
VALUES ('job-old', 'default', 'ap-southeast-1', 'p1', 'src-1', 'base image', 'copy-old',
    '2026-02-01T10:00:00.000000+00:00', 'submitted', 'RUNNING', 0.4, 7, 3);
"""


def test_a_ledger_from_an_older_schema_is_migrated_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(_SCHEMA_V1)
    conn.close()
    with Ledger(path) as led:
        assert led.schema_version == SCHEMA_VERSION > 1
        old = led.get("job-old")
        assert old is not None and old.is_outstanding
        assert (old.name, old.status, old.progress, old.poll_count) == ("copy-old", JobStatus.RUNNING, 0.4, 7)
        assert [r.job_id for r in led.outstanding()] == ["job-old"]
        version = led.data_version()
        led.attach_job_id(_intent(led, name="copy-new"), "job-new")  # the migrated file takes new rows
        assert led.data_version() > version
    conn = sqlite3.connect(path)
    try:
        indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    finally:
        conn.close()
    assert "jobs_state" in indexes
    with Ledger(path) as led:  # reopening a migrated file is a no-op
        assert led.schema_version == SCHEMA_VERSION and len(led.list()) == 2
