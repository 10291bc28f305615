"""`imstui jobs ...` and the ledger side of `imstui copy`, through imstui.cli.main with a scripted IMS."""

from __future__ import annotations

import csv
import functools
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from ims_fake_server import IMAGE_ID, JOB_ID, NEW_IMAGE_ID, PROJECT_ID, REGION, FakeIms, ims_error, job_doc

from imstui.api.models import Job, JobStatus
from imstui.cli import main
from imstui.commands.jobs import table_lines
from imstui.core.ledger import Ledger

NOW_UTC = functools.partial(datetime.now, timezone.utc)

OTHER_JOB = "ff8080814dbd65d7014dbe0d84db0013"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _seed(job_id: str, *, name: str = "copy", profile: str = "env") -> None:
    with Ledger() as led:
        row = led.record_intent(
            profile=profile,
            region=REGION,
            project_id=PROJECT_ID,
            source_image_id=IMAGE_ID,
            source_image_name="web01-golden",
            name=name,
        )
        led.attach_job_id(row, job_id)


def test_copy_records_the_job_in_the_ledger(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "copy", IMAGE_ID, "--name", "web-copy")
    assert code == 0
    code, out, _ = run(capsys, "jobs", "--json")
    assert code == 0
    [row] = json.loads(out)["jobs"]
    assert row["job_id"] == JOB_ID and row["state"] == "submitted" and row["name"] == "web-copy"
    assert row["source_image_id"] == IMAGE_ID and row["source_image_name"] == "web01-golden"
    assert row["profile"] == "env" and row["region"] == REGION and row["project_id"] == PROJECT_ID


def test_copy_wait_leaves_the_final_state_in_the_ledger(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.jobs[JOB_ID] = [job_doc("RUNNING", entities={"process_percent": 0.5}), job_doc("SUCCESS")]
    code, _, _ = run(capsys, "copy", IMAGE_ID, "--name", "web-copy", "--wait")
    assert code == 0
    code, out, _ = run(capsys, "jobs")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["STATUS", "PROGRESS", "AGE"]
    assert "✔ SUCCEEDED" in lines[1] and "100%" in lines[1] and JOB_ID in lines[1] and "web-copy" in lines[1]
    with Ledger() as led:
        record = led.get(JOB_ID)
    assert record is not None and record.new_image_id == NEW_IMAGE_ID and record.poll_count == 2


def test_copy_with_a_lost_answer_leaves_an_outcome_unknown_row(
    fake: FakeIms, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.queue("POST", "/copy", httpx.ReadTimeout("timed out"))
    code, _, err = run(capsys, "copy", IMAGE_ID, "--name", "web-copy")
    assert code == 1 and "outcome unknown" in err
    assert len(fake.seen("POST")) == 1  # never retried
    code, out, _ = run(capsys, "jobs", "--failed")
    assert code == 0 and "? OUTCOME UNKNOWN" in out and "web-copy" in out


def test_copy_rejected_is_listed_with_its_code(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.queue("POST", "/copy", ims_error(400, "IMG.0015", "quota exceeded", "rid-q"))
    assert run(capsys, "copy", IMAGE_ID, "--name", "web-copy")[0] == 1
    code, out, _ = run(capsys, "jobs", "--json", "--failed")
    [row] = json.loads(out)["jobs"]
    assert code == 0 and row["state"] == "rejected" and row["error_code"] == "IMG.0015" and row["error_meaning"]


def test_watch_follows_every_outstanding_job_and_exits_1_when_one_failed(
    fake: FakeIms, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(JOB_ID, name="good")
    _seed(OTHER_JOB, name="bad")
    fake.jobs[JOB_ID] = [job_doc("RUNNING", entities={"process_percent": 0.3}), job_doc("SUCCESS")]
    fake.jobs[OTHER_JOB] = [
        job_doc("RUNNING", job_id=OTHER_JOB),
        job_doc("FAIL", job_id=OTHER_JOB, error_code="IMG.0015", fail_reason="quota exceeded", entities={}),
    ]
    fake.queue("GET", f"/job/{OTHER_JOB}", httpx.Response(503, text="busy"))  # ridden out
    code, out, _ = run(capsys, "jobs", "watch")
    assert code == 1
    assert any(JOB_ID in line and "✔ SUCCEEDED" in line for line in out.splitlines())
    failed_lines = [line for line in out.splitlines() if OTHER_JOB in line and "✖ FAILED" in line]
    assert failed_lines and "IMG.0015" in failed_lines[-1] and "quota exceeded" in failed_lines[-1]
    assert "1 succeeded, 1 did not" in out
    with Ledger() as led:
        assert led.outstanding() == []


def test_watch_says_once_until_when_it_backs_off_when_throttled(
    fake: FakeIms, capsys: pytest.CaptureFixture[str]
) -> None:
    from ims_fake_server import gateway_error

    _seed(JOB_ID)
    fake.jobs[JOB_ID] = [job_doc("RUNNING"), job_doc("SUCCESS")]
    for _ in range(2):
        fake.queue("GET", "/job/", gateway_error(429, "APIGW.0308", "throttled", **{"Retry-After": "120"}))
    code, out, _ = run(capsys, "jobs", "watch")
    assert code == 0
    backing = [line for line in out.splitlines() if "throttled by the API gateway (asked to wait 2 min)" in line]
    assert len(backing) == len(set(backing)) >= 1  # said when it starts (and again only if the time moves)
    assert "1 succeeded, 0 did not" in out


def test_watch_on_a_full_disk_stops_with_one_clear_error_instead_of_looping(
    fake: FakeIms, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from imstui.core.ledger import LedgerUnwritableError

    _seed(JOB_ID)
    fake.jobs[JOB_ID] = [job_doc("RUNNING")]

    def disk_full(self: Ledger, updates: object) -> object:
        raise LedgerUnwritableError(self.path, "the disk is full (database or disk is full)")

    monkeypatch.setattr(Ledger, "apply_polls", disk_full)
    code, out, err = run(capsys, "jobs", "watch")
    assert code == 1 and "Traceback" not in out + err
    assert err.count("stopped watching") == 1 and "disk is full" in err and "imstui jobs watch" in err
    assert len(fake.seen("GET", "/job/")) <= 40  # backing off 5 s -> 120 s for the 300 s it kept trying


def test_watch_stops_polling_when_its_reader_goes_away(
    fake: FakeIms, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from imstui.commands.output import Output

    _seed(JOB_ID)
    fake.jobs[JOB_ID] = [job_doc("RUNNING", entities={"process_percent": p / 100}) for p in range(40)]
    fake.jobs[JOB_ID].append(job_doc("SUCCESS"))
    printed: list[str] = []

    def progress(self: Output, text: str) -> None:
        if len(printed) >= 2:  # `imstui jobs watch | head -2`: the pipe closes after two lines
            raise BrokenPipeError
        printed.append(text)

    monkeypatch.setattr(Output, "progress", progress)
    assert main(["jobs", "watch"]) == 141
    assert len(fake.seen("GET")) <= 2  # it stopped at once instead of following the job to its end (41 polls)
    assert "Traceback" not in capsys.readouterr().err


def test_a_damaged_row_is_named_and_every_other_row_still_lists_exports_and_forgets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import sqlite3

    for name, job_id in (("before", JOB_ID), ("odd", OTHER_JOB), ("after", "0" * 31 + "1")):
        _seed(job_id, name=name)
    with Ledger() as led:
        path = led.path
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE jobs SET submitted_at = 'yesterday-ish' WHERE job_id = ?", (OTHER_JOB,))
    code, out, err = run(capsys, "jobs", "--all")
    assert code == 0 and "before" in out and "after" in out and "odd" not in out
    assert f"warning: ledger row #2 (job {OTHER_JOB}) cannot be read" in err and "jobs forget '#2' --yes" in err
    code, out, _ = run(capsys, "jobs", "--all", "--json")
    doc = json.loads(out)
    assert [j["name"] for j in doc["jobs"]] == ["before", "after"]
    assert [(d["row_id"], d["job_id"]) for d in doc["damaged"]] == [(2, OTHER_JOB)]
    code, out, err = run(capsys, "jobs", "export")
    assert code == 0 and len(json.loads(out)) == 2 and "cannot be read" in err
    code, _, err = run(capsys, "jobs", "forget", "#2")
    assert code == 2 and "pass --yes" in err
    code, out, _ = run(capsys, "jobs", "forget", "#2", "--yes")
    assert code == 0 and "forgot damaged ledger row #2" in out
    code, out, err = run(capsys, "jobs", "--all")
    assert code == 0 and err == ""


def test_watch_exits_0_when_all_succeeded_and_when_nothing_is_outstanding(
    fake: FakeIms, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "jobs", "watch")[0] == 0
    _seed(JOB_ID)
    code, out, _ = run(capsys, "jobs", "watch", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["ok"] is True and [j["status"] for j in doc["jobs"]] == ["SUCCESS"]


def test_watch_stops_on_a_refusal_instead_of_spinning(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    from ims_fake_server import gateway_error

    _seed(JOB_ID)
    fake.queue("GET", "/job/", gateway_error(403, "APIGW.0302", "not authorized", "rid-403"))
    code, _, err = run(capsys, "jobs", "watch")
    assert code == 1 and "APIGW.0302" in err


def test_forget_needs_a_terminal_or_yes(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(JOB_ID)
    code, _, err = run(capsys, "jobs", "forget", JOB_ID)  # pytest's stdin is not a terminal
    assert code == 2 and "--yes" in err
    with Ledger() as led:
        assert led.get(JOB_ID) is not None
    code, out, _ = run(capsys, "jobs", "forget", JOB_ID, "--yes")
    assert code == 0 and "forgot" in out
    assert run(capsys, "jobs", "forget", JOB_ID, "--yes")[0] == 1  # no such job any more


def test_forget_a_row_without_job_id(capsys: pytest.CaptureFixture[str]) -> None:
    with Ledger() as led:
        row = led.record_intent(
            profile="env", region=REGION, project_id=None, source_image_id=IMAGE_ID, source_image_name=None, name="x"
        )
        led.mark_outcome_unknown(row, "timeout")
    code, _, _ = run(capsys, "jobs", "forget", f"#{row}", "--yes")
    assert code == 0
    with Ledger() as led:
        assert led.list() == []


def test_profile_scope(capsys: pytest.CaptureFixture[str]) -> None:
    _seed(JOB_ID, profile="alpha")
    _seed(OTHER_JOB, profile="beta")
    code, out, _ = run(capsys, "jobs", "--json", "--profile", "beta")
    assert code == 0 and [j["job_id"] for j in json.loads(out)["jobs"]] == [OTHER_JOB]
    code, out, _ = run(capsys, "jobs")
    assert "PROFILE" in out.splitlines()[0] and "alpha" in out and "beta" in out


def test_export_csv_neutralises_formulas_and_json_round_trips(capsys: pytest.CaptureFixture[str]) -> None:
    with Ledger() as led:
        row = led.record_intent(
            profile="env", region=REGION, project_id=None, source_image_id=IMAGE_ID, source_image_name=None, name="x"
        )
        led.mark_rejected(row, "IMG.0001", '=HYPERLINK("http://evil.example","click")')
    code, out, _ = run(capsys, "jobs", "export", "--format", "csv")
    assert code == 0
    [record] = list(csv.DictReader(io.StringIO(out)))
    assert record["fail_reason"].startswith("'=HYPERLINK") and record["state"] == "rejected"
    assert record["phase"] == "rejected" and record["status_text"] == "rejected"
    code, out, _ = run(capsys, "jobs", "export", "--format", "json")
    [doc] = json.loads(out)
    assert doc["fail_reason"].startswith("=HYPERLINK") and doc["row_id"] == row and doc["phase"] == "rejected"


def test_status_is_readable_without_colour_or_unicode(capsys: pytest.CaptureFixture[str]) -> None:
    _seed(JOB_ID)
    with Ledger() as led:
        record = led.update_from_job(JOB_ID, Job.from_api(job_doc("FAIL")), datetime.now(timezone.utc))
    assert record is not None and record.status is JobStatus.FAIL
    assert table_lines([record], show_profile=False, ascii=False, now=NOW_UTC())[1].startswith("✖ FAILED")
    [_, line] = table_lines([record], show_profile=False, ascii=True, now=NOW_UTC())
    assert line.startswith("x FAILED") and line.isascii()


def test_list_filters_and_the_default_bounded_view(capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(timezone.utc)
    serial = iter(range(10_000))
    with Ledger() as led:

        def row(name: str, age: timedelta, status: str | None = None) -> int:
            row_id = led.record_intent(
                profile="env",
                region=REGION,
                project_id=PROJECT_ID,
                source_image_id=IMAGE_ID,
                source_image_name=None,
                name=name,
                submitted_at=now - age,
            )
            if status is not None:
                job_id = f"{next(serial):032x}"
                led.attach_job_id(row_id, job_id)
                doc = job_doc(status, job_id=job_id, entities={"process_percent": 0.3})
                led.update_from_job(job_id, Job.from_api(doc), now - age)
            return row_id

        for n in range(30):
            row(f"old-ok-{n}", timedelta(days=100 - n), "SUCCESS")
        row("old-failed", timedelta(days=30), "FAIL")  # needs attention, but a month old: hidden by default
        row("old-running", timedelta(days=90), "RUNNING")  # still outstanding: always listed
        row("recent-failed", timedelta(days=2), "FAIL")
        for n in range(19):
            row(f"new-ok-{n}", timedelta(hours=n + 1), "SUCCESS")
        row("in-flight", timedelta(0))  # the copy request is being sent

    def names(*flags: str) -> tuple[list[str], dict[str, object]]:
        code, out, _ = run(capsys, "jobs", "--json", *flags)
        assert code == 0
        doc = json.loads(out)  # one valid document, however many rows were streamed into it
        assert doc["ok"] is True and doc["damaged"] == []
        return sorted(j["name"] for j in doc["jobs"]), doc

    shown, doc = names()
    # in flight + needing attention in the last 7 days + the latest 20 (19 new successes and the one being sent)
    assert shown == sorted(["old-running", "recent-failed", "in-flight", *(f"new-ok-{n}" for n in range(19))])
    since_hint = (now - timedelta(days=30)).date().isoformat()
    assert doc["not_shown"] == {"jobs": 31, "needing_attention": 1, "since_hint": since_hint}
    code, out, _ = run(capsys, "jobs")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 1 + 22 + 1 and "old-failed" not in out
    assert lines[-1] == (
        f"… 31 older jobs not shown (1 of them failed or need a look: --failed): --all, or --since {since_hint}"
    )
    everything, doc = names("--all")
    assert len(everything) == 53 and "not_shown" not in doc
    assert names("--since", "45d")[0] == sorted(
        ["old-failed", "recent-failed", "in-flight", *(f"new-ok-{n}" for n in range(19))]
    )
    assert names("--failed")[0] == ["old-failed", "recent-failed"]
    assert names("--failed", "--since", (now - timedelta(days=7)).date().isoformat())[0] == ["recent-failed"]
    assert names("--running")[0] == ["in-flight", "old-running"]
    with pytest.raises(SystemExit) as info:
        main(["jobs", "--since", "last tuesday"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "30d" in err and "tuesday" not in err


@pytest.mark.parametrize(("answer", "forgotten"), [("y", True), ("n", False), ("", False)])
def test_forget_asks_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], answer: str, forgotten: bool
) -> None:
    _seed(JOB_ID, name="web-copy")
    prompts: list[str] = []
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or answer)
    code, out, _ = run(capsys, "jobs", "forget", JOB_ID)
    assert code == 0
    [prompt] = prompts
    assert JOB_ID in prompt and "web-copy" in prompt and "not touched" in prompt
    with Ledger() as led:
        assert (led.get(JOB_ID) is None) is forgotten
    assert out.startswith("forgot" if forgotten else "nothing forgotten")


def test_watch_with_an_unusable_ledger_is_one_message_and_exit_1(
    fake: FakeIms, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("IMSTUI_STATE_DIR", str(blocker))
    for argv in (["jobs", "watch"], ["jobs", "import", JOB_ID]):
        code, _, err = run(capsys, *argv)
        assert code == 1, argv
        assert "job ledger" in err and "Traceback" not in err
