"""Every IMS and gateway code of the reference tables has a plain-words meaning and a next step."""

from __future__ import annotations

import pytest

from imstui.api.catalogue import _ENTRIES, CATALOGUE, explain

IMS_CODES = """
IMG.0001 IMG.0002 IMG.0003 IMG.0013 IMG.0062 IMG.0004 IMG.0054 IMG.0007 IMG.0009 IMG.0014 IMG.0015 IMG.0017
IMG.0018 IMG.0023 IMG.0026 IMG.0027 IMG.0066 IMG.0086 IMG.0144 IMG.0030 IMG.0067 IMG.0108 IMG.0046 IMG.0047
IMG.0106 IMG.0060 IMG.0061 IMG.0095 IMG.0097 IMG.0099 IMG.0100 IMG.0096 IMG.0101 IMG.0102 IMG.0103 IMG.0105
IMG.0130 IMG.0154 IMG.0155 IMG.0156 IMG.0167 IMG.0187 IMG.0196 IMG.0197 IMG.0238 IMG.0239 IMG.0241 IMG.0242
""".split()
GATEWAY_CODES = """
APIGW.0101 APIGW.0103 APIGW.0104 APIGW.0105 APIGW.0106 APIGW.0201 APIGW.0301 APIGW.0302 APIGW.0306 APIGW.0303
APIGW.0305 APIGW.0307 APIGW.0308 APIGW.0310
""".split()


@pytest.mark.parametrize("code", IMS_CODES + GATEWAY_CODES)
def test_every_reference_code_is_explained(code: str) -> None:
    info = explain(code)
    assert info is not None and info.code == code
    for text in (info.meaning, info.next_step):
        assert text and "\n" not in text and len(text) < 200 and text[-1] in ".)"


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


def test_specific_advice_for_the_common_failures() -> None:
    assert "clock" in explain("APIGW.0301").next_step  # type: ignore[union-attr]
    assert "accept" in explain("IMG.0196").next_step.lower()  # type: ignore[union-attr]
    assert "system-disk" in explain("IMG.0130").next_step  # type: ignore[union-attr]


def test_catalogue_has_no_duplicate_entries_with_different_texts() -> None:
    """A code listed in two entries would silently keep only the later text."""
    listed = [code for codes, _, _ in _ENTRIES for code in codes]
    assert len(listed) == len(set(listed)) == len(CATALOGUE)


def test_advice_to_report_a_failure_fits_both_an_answer_and_a_failed_job() -> None:
    """Job failures carry a job id and no request id; HTTP errors the other way round: the advice names both."""
    reporting = [info for info in CATALOGUE.values() if "ticket" in info.next_step or "report" in info.next_step]
    assert {"IMG.0061", "IMG.0014", "IMG.0018", "500"} <= {info.code for info in reporting}
    for info in reporting:
        assert "request id" in info.next_step and "job id" in info.next_step, info.code
