"""The copy POST against a hostile server, through the core's submit and a real ledger: nothing the server sends
after the POST loses the operator's lead to the job (the row says 'outcome unknown' with the raw id escaped)."""

from __future__ import annotations

import json
from pathlib import Path

from hostile_server import IMAGE_ID, hostile, json_text

from imstui.api.models import CopyRequest, Image
from imstui.core.jobs import OUTCOME_UNKNOWN
from imstui.core.ledger import Ledger
from imstui.core.submit import submit_copy


async def test_an_odd_job_id_leaves_an_outcome_unknown_row_that_shows_it(tmp_path: Path) -> None:
    raw_id = "9a175ac8\ud80092fa" + "0" * 100
    with Ledger(tmp_path / "jobs.sqlite3") as ledger:
        async with hostile(json_text(json.dumps({"job_id": raw_id}))) as server:
            async with server.client() as client:
                result = await submit_copy(
                    client, ledger, profile="default", image=Image(id=IMAGE_ID), request=CopyRequest(name="c")
                )
        (row,) = ledger.list()
    assert result.outcome_unknown and row.state == OUTCOME_UNKNOWN and row.job_id is None
    assert row.fail_reason is not None
    assert json.dumps(raw_id) in row.fail_reason  # the id exactly as received, escaped
    assert "IMS answered the copy request (HTTP 200)" in row.fail_reason
    row.fail_reason.encode("utf-8")
