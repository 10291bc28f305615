"""Answers that cannot be real: huge or impossible numbers, odd ids, unencodable text, times in either format.

Each field that cannot be real becomes unknown (``None``) with the problem recorded on the model; the rest of the
answer is still read and nothing raises ``OverflowError`` or ``UnicodeEncodeError`` later.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imstui.api.fields import ID_RE, MAX_SIZE_BYTES, Problems, api_id, bounded_int, parse_time, percent
from imstui.api.models import Image, Job, JobStatus
from imstui.core.eligibility import assess

IMAGE_ID = "465076de-dc36-4aec-80f5-ef9d8009428f"
JOB_ID = "9a175ac892fa13420193001c2e62205a"


def image_from_wire(fields: str) -> Image:
    """An image parsed from JSON text exactly as it came off the wire (json.loads accepts 1e400, NaN, 400 digits)."""
    return Image.from_api(json.loads(f'{{"id": "{IMAGE_ID}", "name": "web01", {fields}}}'))


def job_from_wire(entities: str = "{}", **extra: Any) -> Job:
    doc = json.loads(f'{{"status": "RUNNING", "entities": {entities}}}')
    doc.update(extra)
    return Job.from_api(doc, job_id=JOB_ID)


@pytest.mark.parametrize(
    "size",
    ["1e400", "9" * 400, "-1", "-4294967296", "NaN", "Infinity", "-Infinity", '"1e400"', '"' + "9" * 400 + '"'],
)
def test_an_impossible_image_size_is_unknown_and_recorded(size: str) -> None:
    image = image_from_wire(f'"__image_size": {size}, "min_disk": 40')
    assert image.size_bytes is None
    assert image.min_disk_gb == 40 and image.name == "web01"
    (problem,) = image.problems
    assert problem.startswith("__image_size: ")
    assert len(problem) < 200 and problem.isprintable()


def test_the_eligibility_verdict_is_reached_with_an_unknown_size() -> None:
    image = image_from_wire('"__image_size": ' + "9" * 400 + ', "status": "active", "__imagetype": "private"')
    verdict = assess(image)
    assert all(c.key != "too_large" for c in verdict.warnings)


def test_a_real_size_above_the_copy_limit_still_blocks() -> None:
    image = image_from_wire('"__image_size": "200000000000", "status": "active", "__imagetype": "private"')
    assert image.size_bytes == 200_000_000_000 and image.problems == ()
    assert [c.key for c in assess(image).blocking if c.key == "too_large"] == ["too_large"]


@pytest.mark.parametrize("field", ["min_disk", "min_ram", "max_ram"])
@pytest.mark.parametrize("value", ["1e400", "9" * 400, "-5", "NaN"])
def test_impossible_disk_and_ram_figures_are_unknown(field: str, value: str) -> None:
    image = image_from_wire(f'"{field}": {value}')
    assert (image.min_disk_gb, image.min_ram_mb, image.max_ram_mb) == (None, None, None)
    assert image.problems[0].startswith(f"{field}: ")


@pytest.mark.parametrize("value", ["1e400", "1" + "0" * 400, "NaN", "-Infinity", "-3", "101", '"250%"'])
def test_an_impossible_progress_is_unknown_and_recorded(value: str) -> None:
    job = job_from_wire(f'{{"process_percent": {value}, "image_name": "copy"}}')
    assert job.progress is None and job.image_name == "copy"
    assert job.problems[0].startswith("process_percent: ")


def test_a_new_image_id_that_is_not_an_id_is_refused_but_shown_escaped() -> None:
    job = job_from_wire(json.dumps({"image_id": "30e55148\ud800" + "x" * 3000}))
    assert job.new_image_id is None
    (problem,) = job.problems
    assert "\\ud800" in problem and "characters in all" in problem
    problem.encode("utf-8")


def test_lone_surrogates_anywhere_in_a_job_come_out_encodable() -> None:
    doc = json.loads(
        '{"status": "FA\\ud800IL", "job_type": "\\udfff", "fail_reason": "disk \\ud800 full",'
        ' "error_code": "IMG.\\udc00", "entities": {"image_name": "n\\ud800", "current_task": "\\ud800"}}'
    )
    job = Job.from_api(doc, job_id=JOB_ID)
    for text in (job.raw_status, job.job_type, job.fail_reason, job.error_code, job.image_name, job.current_task):
        assert text is not None
        text.encode("utf-8")
    assert job.fail_reason == "disk \ufffd full"
    assert job.status is JobStatus.UNKNOWN  # "FA\ufffdIL" is not a status: polled on, shown as it came


def test_lone_surrogates_in_an_image_come_out_encodable() -> None:
    image = Image.from_api(
        json.loads('{"id": "abc", "name": "web\\ud800", "tags": ["\\udfff"], "__os_type": "\\ud800"}')
    )
    assert image.name == "web\ufffd" and image.tags == ("\ufffd",) and image.os_type == "\ufffd"


# -- times ----------------------------------------------------------------------------------------------------------

UTC = timezone.utc


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-11-06T06:14:27.168Z", datetime(2024, 11, 6, 6, 14, 27, 168000, UTC)),
        ("2024-11-06T06:14:27Z", datetime(2024, 11, 6, 6, 14, 27, tzinfo=UTC)),
        ("2024-11-06T14:14:27.168+08:00", datetime(2024, 11, 6, 6, 14, 27, 168000, UTC)),
        ("2024-11-06T06:14:27", datetime(2024, 11, 6, 6, 14, 27, tzinfo=UTC)),  # "UTC" per the reference
        ("06-Nov-2024 06:14:27:168", datetime(2024, 11, 6, 6, 14, 27, 168000, UTC)),  # the old form
        ("6-nov-2024 06:14:27", datetime(2024, 11, 6, 6, 14, 27, tzinfo=UTC)),
        ("31-Dec-2024 23:59:59:999", datetime(2024, 12, 31, 23, 59, 59, 999000, UTC)),
    ],
)
def test_job_times_in_both_formats(raw: str, expected: datetime) -> None:
    job = job_from_wire(begin_time=raw, end_time=raw)
    assert job.started_at == expected and job.ended_at == expected
    assert job.begin_time == raw and job.problems == ()


@pytest.mark.parametrize("absent", [None, "", "   "])
def test_an_empty_end_time_is_absent_not_a_problem(absent: Any) -> None:
    job = job_from_wire(begin_time="06-Nov-2024 06:14:27:168", end_time=absent)
    assert job.end_time is None and job.ended_at is None and job.problems == ()


@pytest.mark.parametrize(
    "raw",
    [
        "yesterday",
        "31-Feb-2024 06:14:27:168",
        "06-Xyz-2024 06:14:27",
        "2024-13-01T00:00",
        "0001-01-01T00:00:00+05:00",  # out of datetime's range once in UTC
        "9999-12-31T23:59:59-05:00",
        "x" * 5000,
    ],
)
def test_an_unreadable_time_keeps_its_text_and_is_recorded(raw: str) -> None:
    job = job_from_wire(end_time=raw)
    assert job.end_time == raw and job.ended_at is None
    assert job.problems[0].startswith("end_time: ")


@settings(max_examples=300)
@given(moment=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)))
def test_old_and_iso_forms_read_back_the_same_moment(moment: datetime) -> None:
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    old = moment.strftime("%d-") + moment.strftime("%b").title() + moment.strftime("-%Y %H:%M:%S:")
    old += f"{moment.microsecond // 1000:03d}"
    iso = moment.isoformat(timespec="milliseconds") + "Z"
    assert parse_time(old) == parse_time(iso) == moment.replace(tzinfo=UTC)


@settings(max_examples=300)
@given(
    text=st.one_of(
        st.text(max_size=80),
        st.builds(
            lambda d, tz: d.isoformat() + tz,
            st.one_of(st.datetimes(), st.sampled_from([datetime.min, datetime.max])),
            st.sampled_from(["", "Z", "+05:00", "-05:00", "+23:59", "-23:59"]),
        ),
    )
)
def test_time_parsing_never_raises(text: str) -> None:
    moment = parse_time(text)
    assert moment is None or moment.tzinfo is not None


# -- statuses -------------------------------------------------------------------------------------------------------


def _case_variants(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda flips: "".join(c.upper() if f else c.lower() for c, f in zip(word, flips, strict=True))
    )


@settings(max_examples=200)
@given(
    spelled=st.one_of(
        st.tuples(_case_variants("success"), st.just(JobStatus.SUCCESS)),
        st.tuples(_case_variants("fail"), st.just(JobStatus.FAIL)),
        st.tuples(_case_variants("failed"), st.just(JobStatus.FAIL)),
        st.tuples(_case_variants("running"), st.just(JobStatus.RUNNING)),
        st.tuples(_case_variants("init"), st.just(JobStatus.INIT)),
    ),
    pad=st.sampled_from(["", " ", "\t"]),
)
def test_documented_statuses_in_any_case(spelled: tuple[str, JobStatus], pad: str) -> None:
    word, expected = spelled
    job = Job.from_api({"status": pad + word + pad}, job_id=JOB_ID)
    assert job.status is expected and job.is_terminal is expected.is_terminal


@settings(max_examples=300)
@given(word=st.text(min_size=1, max_size=20).filter(lambda w: w.strip()))
def test_any_other_status_is_unknown_kept_for_display_and_not_final(word: str) -> None:
    job = Job.from_api({"status": word}, job_id=JOB_ID)
    if word.strip().upper() not in {"SUCCESS", "FAIL", "FAILED", "RUNNING", "INIT", "UNKNOWN"}:
        assert job.status is JobStatus.UNKNOWN and not job.is_terminal
    job.raw_status.encode("utf-8")
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in job.raw_status)


# -- ids ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("good", [JOB_ID, IMAGE_ID, "ff8080814dbd65d7014dbe0d84db0013", "a", "A_b-9" * 12 + "abcd"])
def test_documented_ids_fit_the_rule(good: str) -> None:
    assert ID_RE.fullmatch(good)


@pytest.mark.parametrize("bad", ["", "x" * 65, "a b", "a/b", "a\ud800", "é", "a\n", "../etc"])
def test_other_ids_do_not(bad: str) -> None:
    assert not ID_RE.fullmatch(bad)


@pytest.mark.parametrize("bad", ["x" * 129, "job\ud800", "job id with spaces", "a\x1b[2Jb"])
def test_a_job_document_read_without_an_asked_id_refuses_an_odd_one(bad: str) -> None:
    with pytest.raises(ValueError, match="job_id"):
        Job.from_api({"status": "RUNNING", "job_id": bad})


def test_a_status_word_of_a_megabyte_is_unknown_and_shown_cut() -> None:
    job = Job.from_api({"status": "RUN" * 400_000}, job_id=JOB_ID)
    assert job.status is JobStatus.UNKNOWN and not job.is_terminal
    assert len(job.raw_status) == 64 and job.raw_status.endswith("…")


# -- properties of the field readers --------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=80),
    st.from_regex(r"-?[0-9]{1,420}(\.[0-9]+)?(e[+-]?[0-9]{1,4})?%?", fullmatch=True),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=400)
@given(value=json_scalars)
def test_a_bounded_number_is_in_range_or_unknown_with_a_printable_problem(value: Any) -> None:
    problems = Problems()
    number = bounded_int({"n": value}, "n", problems, maximum=MAX_SIZE_BYTES)
    assert number is None or (isinstance(number, int) and 0 <= number <= MAX_SIZE_BYTES)
    assert len(problems) <= 1
    for problem in problems:
        problem.encode("utf-8")
    if number is None and value not in (None, "") and not (isinstance(value, str) and not value.strip()):
        assert len(problems) == 1 and len(problems[0]) < 300


@settings(max_examples=400)
@given(value=json_scalars)
def test_a_percent_is_a_fraction_or_unknown(value: Any) -> None:
    fraction = percent(value, Problems())
    assert fraction is None or 0.0 <= fraction <= 1.0


@settings(max_examples=400)
@given(value=st.one_of(st.text(max_size=100), st.from_regex(r"[A-Za-z0-9_-]{1,70}", fullmatch=True), st.integers()))
def test_an_id_is_taken_whole_or_refused_never_shortened(value: Any) -> None:
    problems = Problems()
    got = api_id({"id": value}, "id", problems)
    if got is not None:
        assert got == str(value).strip() and ID_RE.fullmatch(got) and problems == []
    elif str(value).strip():
        (problem,) = problems
        problem.encode("utf-8")
