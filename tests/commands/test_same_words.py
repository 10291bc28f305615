"""The console and the headless commands say the same words: every phase reads the same in `imstui jobs` and in
the console's jobs panel, and `imstui jobs --failed` lists what the console's failed-only view (f) lists."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from ims_fake_server import IMAGE_ID, JOB_ID, PROJECT_ID, REGION, FakeIms, job_doc
from textual.app import App, ComposeResult

from imstui.api.models import Job
from imstui.cli import main
from imstui.core.jobs import Phase
from imstui.core.ledger import JobRecord, Ledger
from imstui.ui.widgets.jobs_table import JobsPanel, row_key_for

NOW = datetime.now(timezone.utc)

# Spelled out (not read from the wording module), so a change of words is a visible change of this test.
WORDS: dict[Phase, str] = {
    Phase.SUBMITTING: "↑ SUBMITTING",
    Phase.REJECTED: "✖ REJECTED",
    Phase.OUTCOME_UNKNOWN: "? OUTCOME UNKNOWN",
    Phase.WAITING: "… WAITING",
    Phase.STARTING: "… STARTING",
    Phase.RUNNING: "● RUNNING",
    Phase.UNRECOGNISED: "◌ UNRECOGNISED",
    Phase.SUCCEEDED: "✔ SUCCEEDED",
    Phase.FAILED: "✖ FAILED",
    Phase.GONE: "⌛ GONE",
}
IMS_STATUS: dict[Phase, str] = {
    Phase.STARTING: "INIT",
    Phase.RUNNING: "RUNNING",
    Phase.UNRECOGNISED: "PAUSED",
    Phase.SUCCEEDED: "SUCCESS",
    Phase.FAILED: "FAIL",
    Phase.GONE: "RUNNING",
}


def add_job_in(led: Ledger, phase: Phase, index: int) -> JobRecord:
    """A ledger row that reached ``phase`` the way a real copy does (named after the phase)."""
    row = led.record_intent(
        profile="env",
        region=REGION,
        project_id=PROJECT_ID,
        source_image_id=IMAGE_ID,
        source_image_name=None,
        name=phase.value,
    )
    if phase is Phase.REJECTED:
        return led.mark_rejected(row, "IMG.0015", "quota exceeded")
    if phase is Phase.OUTCOME_UNKNOWN:
        return led.mark_outcome_unknown(row, "read timeout")
    if phase is Phase.SUBMITTING:
        record = led.get_row(row)
        assert record is not None
        return record
    job_id = f"ff8080814dbd65d7014dbe{index:010d}"
    record = led.attach_job_id(row, job_id)
    if phase in IMS_STATUS:
        doc = job_doc(IMS_STATUS[phase], job_id=job_id, error_code="IMG.0015" if phase is Phase.FAILED else None)
        updated = led.update_from_job(job_id, Job.from_api(doc), NOW)
        assert updated is not None
        record = updated
    if phase is Phase.GONE:
        gone = led.mark_gone(job_id, NOW)
        assert gone is not None
        record = gone
    assert record.phase is phase
    return record


class PanelHost(App[None]):
    def __init__(self, records: list[JobRecord]) -> None:
        super().__init__()
        self.records = records

    def compose(self) -> ComposeResult:
        yield JobsPanel(self.records, clock=lambda: NOW)

    def on_mount(self) -> None:
        self.query_one(JobsPanel).table.focus()  # the keys reach the panel, as on the console's main screen


async def console_rows(records: list[JobRecord], *, failed_only: bool = False) -> dict[str, str]:
    """What the console's jobs panel shows: ``{new image name: status cell}`` of the visible rows."""
    app = PanelHost(records)
    async with app.run_test(size=(160, 40)) as pilot:
        panel = app.query_one(JobsPanel)
        if failed_only:
            await pilot.press("f")
            await pilot.pause()
            assert panel.failed_only
        shown = set(panel.table.rows)
        return {
            r.name: panel.table.get_cell(row_key_for(r), "status").plain
            for r in records
            if row_key_for(r) in shown and r.name is not None
        }


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


@pytest.mark.parametrize("phase", list(Phase))
async def test_the_cli_and_the_console_say_the_same_word_for_every_phase(
    phase: Phase, capsys: pytest.CaptureFixture[str]
) -> None:
    with Ledger() as led:
        record = add_job_in(led, phase, 1)
    code, out = cli(capsys, "jobs", "--all")
    [header, line] = out.splitlines()
    assert code == 0 and header.startswith("STATUS")
    assert line.startswith(WORDS[phase] + " ")
    code, out = cli(capsys, "jobs", "--all", "--json")
    [row] = json.loads(out)["jobs"]
    assert row["phase"] == phase.value
    assert row["status_text"] == WORDS[phase].split(" ", 1)[1].lower()  # the JSON's word, as before: lower-case
    assert await console_rows([record]) == {phase.value: WORDS[phase]}


async def test_jobs_failed_lists_what_the_consoles_failed_only_view_lists(capsys: pytest.CaptureFixture[str]) -> None:
    with Ledger() as led:
        records = [add_job_in(led, phase, index) for index, phase in enumerate(Phase)]
    code, out = cli(capsys, "jobs", "--failed", "--json")
    listed = sorted(j["name"] for j in json.loads(out)["jobs"])
    assert code == 0
    # GONE included: a job the server forgot before it finished needs a look as much as a failed one.
    assert listed == ["failed", "gone", "outcome_unknown", "rejected"]
    shown = await console_rows(records, failed_only=True)
    assert sorted(shown) == listed
    code, out = cli(capsys, "jobs", "--failed")
    assert sorted(line.split("  ")[0] for line in out.splitlines()[1:]) == sorted(shown.values())


@pytest.mark.parametrize("phase", [Phase.STARTING, Phase.RUNNING, Phase.UNRECOGNISED, Phase.SUCCEEDED, Phase.FAILED])
def test_imstui_job_says_the_consoles_word_for_what_ims_answers(
    phase: Phase, fake: FakeIms, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.jobs[JOB_ID] = [job_doc(IMS_STATUS[phase], error_code="IMG.0015" if phase is Phase.FAILED else None)]
    code, out = cli(capsys, "job", JOB_ID)
    assert code == (1 if phase is Phase.FAILED else 0)
    status = [line for line in out.splitlines() if line.startswith("status:")]
    assert status and status[0].split(":", 1)[1].strip().startswith(WORDS[phase])
    if phase is Phase.UNRECOGNISED:
        assert "(PAUSED)" in status[0]  # and what IMS actually said
    code, out = cli(capsys, "job", JOB_ID, "--json")
    assert json.loads(out)["job"]["phase"] == phase.value


def test_imstui_job_report_is_the_text_the_console_copies(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    from imstui.api.catalogue import explain
    from imstui.ui.widgets.jobs_text import incident_summary  # what the console's `y` copies

    with Ledger() as led:
        row = led.record_intent(
            profile="env",
            region=REGION,
            project_id=PROJECT_ID,
            source_image_id=IMAGE_ID,
            source_image_name="web01-golden",
            name="web-copy",
        )
        led.attach_job_id(row, JOB_ID)
    fake.jobs[JOB_ID] = [job_doc("FAIL", error_code="IMG.0015", fail_reason="quota exceeded")]
    code, out = cli(capsys, "job", JOB_ID, "--report")
    assert code == 1
    with Ledger() as led:
        record = led.get(JOB_ID)
    assert record is not None and record.phase is Phase.FAILED  # brought up to date with what IMS said
    assert out == incident_summary(record, explain)
    info = explain("IMG.0015")
    assert info is not None and info.next_step in out and "web01-golden" in out and "✖ FAILED" in out
    code, out = cli(capsys, "job", JOB_ID, "--report", "--json")
    with Ledger() as led:
        again = led.get(JOB_ID)
    assert again is not None and again.poll_count == record.poll_count + 1
    assert json.loads(out)["report"] == incident_summary(again, explain)


def test_imstui_job_report_of_a_job_this_host_did_not_submit(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.jobs[JOB_ID] = [job_doc("SUCCESS")]
    code = main(["job", JOB_ID, "--report"])
    captured = capsys.readouterr()
    assert code == 0 and "not in this host's ledger" in captured.err
    assert "status:" in captured.out and "✔ SUCCEEDED" in captured.out
