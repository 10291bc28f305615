"""A code imstui's table does not know is said to be unknown, next to the server's own message, on every front."""

from __future__ import annotations

from imstui.api.catalogue import explain
from imstui.api.errors import ApiError
from imstui.commands.output import describe_error, error_to_dict
from imstui.core.report import failure_rows


def test_the_cli_says_an_unknown_code_is_not_in_the_table_with_the_servers_message() -> None:
    error = ApiError(400, "IMG.9999", "The frobnicator is out of order.", request_id="req-1")
    text = "\n".join(describe_error(error))
    assert "error: IMG.9999 (HTTP 400): The frobnicator is out of order." in text
    assert "meaning: IMG.9999 is not in imstui's table" in text
    assert "the server said: The frobnicator is out of order." in text
    assert "next step:" in text


def test_the_json_error_carries_the_unknown_code_meaning() -> None:
    data = error_to_dict(ApiError(400, "IMG.9999", "Odd."))
    assert data["code"] == "IMG.9999"
    assert "not in imstui's table" in data["meaning"] and "Odd." in data["meaning"]
    assert data["next_step"]


def test_a_known_code_keeps_the_tables_words() -> None:
    text = "\n".join(describe_error(ApiError(400, "IMG.0024", "whatever the server said")))
    info = explain("IMG.0024")
    assert info is not None
    assert f"meaning: {info.meaning}" in text
    assert "not in imstui's table" not in text


def test_a_failed_job_with_an_unknown_code_says_so_and_what_to_do() -> None:
    rows = dict(failure_rows("IMG.9999", "disk on fire", explain))
    assert rows["error"] == "IMG.9999"
    assert rows["reason"] == "disk on fire"
    assert "not in imstui's table" in rows["meaning"]
    assert rows["next step"]
