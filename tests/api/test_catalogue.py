"""Every code of the documented IMS and API-gateway error tables has a plain-words meaning and a next step.

``tests/data/ims_error_codes.tsv`` and ``tests/data/apigw_error_codes.tsv`` are checked-in copies of the tables'
codes, statuses and messages (data, not prose); the catalogue is checked against them, not against itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from imstui.api import catalogue
from imstui.api.catalogue import _parse, describe, explain

DATA = Path(__file__).resolve().parent.parent / "data"


def _table(name: str) -> list[tuple[str, int, str]]:
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or line.startswith("code\t") or not line.strip():
            continue
        code, status, message = line.split("\t")
        rows.append((code, int(status), message))
    return rows


IMS_TABLE = _table("ims_error_codes.tsv")
GATEWAY_TABLE = _table("apigw_error_codes.tsv")
IMS_CODES = sorted({code for code, _, _ in IMS_TABLE})
GATEWAY_CODES = sorted({code for code, _, _ in GATEWAY_TABLE})


def test_the_checked_in_tables_are_the_documented_ones() -> None:
    """177 IMS codes (the reference counts them), the documented example among them; the gateway codes the
    issue names."""
    assert len(IMS_TABLE) == len(IMS_CODES) == 177
    assert ("IMG.0024", 400, "The image type in the request is incorrect.") in IMS_TABLE
    assert ("IMG.0026", 403) in {(code, status) for code, status, _ in IMS_TABLE}
    assert {"APIGW.0101", "APIGW.0301", "APIGW.0303", "APIGW.0304", "APIGW.0308", "APIGW.0311", "APIGW.0705"} <= set(
        GATEWAY_CODES
    )
    families = {code[: len("APIGW.01")] for code in GATEWAY_CODES}  # 01xx routing ... 08xx region
    assert families == {f"APIGW.0{n}" for n in range(1, 9)}


@pytest.mark.parametrize("code", IMS_CODES + GATEWAY_CODES)
def test_every_documented_code_is_explained(code: str) -> None:
    info = explain(code)
    assert info is not None and info.code == code and info.known
    for text in (info.meaning, info.next_step):
        assert text and "\n" not in text and "{" not in text and len(text) < 200 and text[-1] in ".)", text


@pytest.mark.parametrize(("code", "status", "message"), IMS_TABLE)
def test_the_documented_status_and_message_are_carried(code: str, status: int, message: str) -> None:
    info = explain(code)
    assert info is not None and (info.status, info.message) == (status, message)


def test_gateway_codes_carry_their_first_documented_status() -> None:
    for code in GATEWAY_CODES:
        first = next((status, message) for c, status, message in GATEWAY_TABLE if c == code)
        info = explain(code)
        assert info is not None and (info.status, info.message) == first, code


def test_img_0023_is_a_failed_job_query_not_a_purged_job() -> None:
    info = explain("IMG.0023")
    assert info is not None and info.message == "An exception occurred during task query."
    assert "purged" not in info.meaning and "query" in info.meaning


def test_flow_control_and_quota_are_definite_rejections_the_operator_may_resubmit() -> None:
    flow = explain("IMG.0060")
    quota = explain("IMG.0015")
    assert flow is not None and quota is not None
    assert "created nothing" in flow.meaning and "submit again yourself" in flow.next_step
    assert "created nothing" in quota.meaning


def test_throttling_advice_speaks_of_the_window_not_seconds() -> None:
    info = explain("APIGW.0308")
    assert info is not None and info.status == 429 and "window" in info.next_step


@pytest.mark.parametrize("code", GATEWAY_CODES)
def test_dedicated_gateway_spelling_is_an_alias(code: str) -> None:
    alias = code.replace("APIGW.", "APIG.")
    info = explain(alias)
    original = explain(code)
    assert info is not None and original is not None
    assert info.code == alias and info.meaning == original.meaning and info.next_step == original.next_step


def test_lookup_is_forgiving_about_case_and_spaces() -> None:
    info = explain(" img.0197 ")
    assert info is not None and "shared" in info.meaning.lower()


def test_unknown_or_missing_codes() -> None:
    assert explain(None) is None
    assert explain("") is None
    assert explain("IMG.9999") is None
    assert describe(None) is None and describe("  ") is None


def test_an_unknown_code_says_so_and_quotes_the_server() -> None:
    info = describe("IMG.9999", "Something new went wrong")
    assert info is not None and not info.known
    assert "not in imstui's table" in info.meaning and "Something new went wrong" in info.meaning
    silent = describe("APIGW.0999")
    assert silent is not None and "no message" in silent.meaning
    known = describe("IMG.0015", "whatever the server said")
    assert known is not None and known.known and known == explain("IMG.0015")


def test_specific_advice_for_the_common_failures() -> None:
    assert "clock" in explain("APIGW.0301").next_step  # type: ignore[union-attr]
    assert "accept" in explain("IMG.0196").next_step.lower()  # type: ignore[union-attr]
    assert "system-disk" in explain("IMG.0130").next_step  # type: ignore[union-attr]


def test_a_code_listed_twice_is_refused() -> None:
    """A code listed twice would silently keep only one text."""
    line = "IMG.0001\t400\tmsg\tmeaning.\tnext."
    with pytest.raises(ValueError, match="listed twice"):
        _parse(f"{line}\n{line}\n")
    with pytest.raises(ValueError, match="columns"):
        _parse("IMG.0001\t400\tmsg\n")


def test_advice_to_report_a_failure_fits_both_an_answer_and_a_failed_job() -> None:
    """Job failures carry a job id and no request id; HTTP errors the other way round: the advice names both."""
    reporting = [
        info for info in catalogue._table().values() if "ticket" in info.next_step or "report" in info.next_step
    ]
    assert {"IMG.0061", "IMG.0014", "IMG.0018", "500"} <= {info.code for info in reporting}
    for info in reporting:
        assert "request id" in info.next_step and "job id" in info.next_step, info.code
