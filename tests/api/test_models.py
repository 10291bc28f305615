"""The wire models: every place IMS puts a job's error, tolerant parsing of images and jobs, the copy body."""

from __future__ import annotations

from typing import Any

import pytest

from imstui.api.models import COPY_SIZE_LIMIT_BYTES, CopyRequest, Image, Job, JobStatus, normalise_progress

JOB_ID = "9a175ac892fa13420193001c2e62205a"


def job(status: str = "FAIL", **fields: Any) -> Job:
    return Job.from_api({"job_id": JOB_ID, "status": status, **fields})


# -- jobs: status ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "terminal"),
    [
        ("INIT", JobStatus.INIT, False),
        ("RUNNING", JobStatus.RUNNING, False),
        ("SUCCESS", JobStatus.SUCCESS, True),
        ("FAIL", JobStatus.FAIL, True),
        ("success", JobStatus.SUCCESS, True),  # the copy page's prose spells it in lower case
        (" fail ", JobStatus.FAIL, True),
        ("PENDING", JobStatus.UNKNOWN, False),  # an unknown value is "not finished", never "done"
        ("FAILED", JobStatus.FAIL, True),  # the prose's "failed", in any case
        ("failed", JobStatus.FAIL, True),
        ("Success", JobStatus.SUCCESS, True),
        ("SUCCEEDED", JobStatus.UNKNOWN, False),  # not a documented spelling: shown as it is, polled on
        ("CANCELLED", JobStatus.UNKNOWN, False),
    ],
)
def test_status_values(raw: str, expected: JobStatus, terminal: bool) -> None:
    parsed = job(raw)
    assert parsed.status is expected and parsed.is_terminal is terminal and parsed.raw_status == raw.strip()


@pytest.mark.parametrize("doc", [{}, {"status": None}, {"status": ""}, {"status": "  "}, {"status": 1}])
def test_a_job_without_status_is_refused(doc: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="status"):
        Job.from_api(doc)


# -- jobs: where the error is ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code", "reason"),
    [
        ({"error_code": "IMG.0130", "fail_reason": "full-ECS"}, "IMG.0130", "full-ECS"),
        ({"entities": {"error_code": "IMG.0096", "error": "same key"}}, "IMG.0096", "same key"),
        (
            {"entities": {"addition_error_code": "IMG.0187", "addition_error_msg": "KMS busy"}},
            "IMG.0187",
            "KMS busy",
        ),
        (
            {
                "entities": {
                    "sub_jobs_result": [
                        {"status": "SUCCESS", "job_id": "a"},
                        {"status": "FAIL", "job_id": "b", "error_code": "IMG.0014", "fail_reason": "storage failed"},
                    ]
                }
            },
            "IMG.0014",
            "storage failed",
        ),
        # The top level wins over the entities, which win over the sub-jobs.
        (
            {
                "error_code": "IMG.0061",
                "fail_reason": None,
                "entities": {"error_code": "IMG.0014", "error": "inner reason"},
            },
            "IMG.0061",
            "inner reason",
        ),
        ({"error_code": None, "fail_reason": None, "entities": {}}, None, None),
        ({"error_code": "", "fail_reason": "   ", "entities": None}, None, None),
    ],
    ids=["top-level", "entities", "addition", "sub-jobs", "mixed", "nulls", "empties"],
)
def test_error_code_and_reason_come_from_every_place_ims_puts_them(
    fields: dict[str, Any], code: str | None, reason: str | None
) -> None:
    parsed = job("FAIL", **fields)
    assert parsed.error_code == code
    assert parsed.fail_reason == reason


def test_sub_jobs_are_kept_with_their_own_status() -> None:
    parsed = job(
        "RUNNING",
        entities={
            "sub_jobs_result": [
                {"status": "RUNNING", "job_id": "s1", "job_type": "imsCopyVolumeToImageJob"},
                "not an object",
                {"job_id": "s2"},
            ]
        },
    )
    assert [(s.job_id, s.status) for s in parsed.sub_jobs] == [("s1", JobStatus.RUNNING), ("s2", JobStatus.UNKNOWN)]
    assert parsed.error_code is None and parsed.fail_reason is None


def test_success_gives_the_new_image_id_and_name() -> None:
    parsed = job(
        "SUCCESS",
        job_type="imsCopyImageInRegionJob",
        begin_time="2024-11-06T06:14:27.168Z",
        end_time="2024-11-06T06:16:38.446Z",
        error_code=None,
        fail_reason=None,
        entities={"image_name": "test", "image_id": "30e55148-deb9-4923-adb9-91618de16ba0"},
    )
    assert parsed.new_image_id == "30e55148-deb9-4923-adb9-91618de16ba0" and parsed.image_name == "test"
    assert parsed.job_type == "imsCopyImageInRegionJob" and parsed.end_time == "2024-11-06T06:16:38.446Z"


@pytest.mark.parametrize("end_time", ["absent", None, "", "  "])
def test_a_running_job_without_an_end_time_in_any_spelling(end_time: Any) -> None:
    fields: dict[str, Any] = {"begin_time": "2024-11-06T06:14:27.168Z"}
    if end_time != "absent":
        fields["end_time"] = end_time
    parsed = job("RUNNING", **fields)
    assert parsed.end_time is None and parsed.begin_time == "2024-11-06T06:14:27.168Z"


def test_the_job_asked_for_keeps_its_id_whatever_the_answer_says() -> None:
    assert Job.from_api({"status": "RUNNING"}, job_id="asked").job_id == "asked"
    assert Job.from_api({"status": "RUNNING", "job_id": "sent"}, job_id="asked").job_id == "asked"
    assert Job.from_api({"status": "RUNNING", "job_id": "x" * 5000}, job_id="asked").job_id == "asked"
    assert Job.from_api({"status": "RUNNING", "job_id": "sent"}).job_id == "sent"


def test_extra_and_odd_fields_are_ignored() -> None:
    parsed = job(
        "RUNNING",
        entities={"subJobId": "x", "sub_jobs_list": ["x"], "results": [{}], "process_percent": {"v": 1}},
        something_new={"nested": True},
        error_code=["not", "a", "string"],
    )
    assert parsed.status is JobStatus.RUNNING and parsed.progress is None and parsed.error_code is None


def test_server_text_in_a_job_is_sanitised() -> None:
    parsed = job("FAIL", error_code="IMG.0061\x1b[31m", fail_reason="line one\nline two\x1b]0;title\x07\u202e")
    assert parsed.error_code == "IMG.0061"
    assert parsed.fail_reason == "line one\nline two"


# -- progress -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.4, 0.4),  # 0-1 scale
        (40, 0.4),  # 0-100 scale
        (40.0, 0.4),
        ("40", 0.4),
        ("0.4", 0.4),
        ("40%", 0.4),
        (100, 1.0),
        (0, 0.0),
        (250, None),  # more than done cannot be real
        (10**400, None),
        (float("inf"), None),
        ("1e400", None),
        (None, None),
        (-1, None),
        ("soon", None),
        (float("nan"), None),
        (True, None),
    ],
)
def test_progress_on_either_scale(value: Any, expected: float | None) -> None:
    result = normalise_progress(value)
    assert result == pytest.approx(expected) if expected is not None else result is None


def test_progress_comes_from_the_entities() -> None:
    assert job("RUNNING", entities={"process_percent": 55}).progress == pytest.approx(0.55)
    assert job("RUNNING").progress is None


# -- images ---------------------------------------------------------------------------------------------------------


def test_image_type_quirks_are_normalised() -> None:
    image = Image.from_api(
        {
            "id": "465076de-dc36-4aec-80f5-ef9d8009428f",
            "min_disk": 40,
            "min_ram": "2048",
            "max_ram": "65536",
            "__image_size": "4294967296",
            "__whole_image": "true",
            "__isregistered": "True",
            "protected": False,
            "__lazyloading": "False",
        }
    )
    assert (image.min_disk_gb, image.min_ram_mb, image.max_ram_mb, image.size_bytes) == (40, 2048, 65536, 4294967296)
    assert image.whole_image is True and image.is_full_ecs and image.is_registered is True and image.protected is False


def test_image_numbers_as_the_other_type() -> None:
    image = Image.from_api({"id": "x", "min_disk": "40", "max_ram": 1024, "__image_size": 137438953473.0})
    assert image.min_disk_gb == 40 and image.max_ram_mb == 1024
    assert image.size_bytes is not None and image.size_bytes > COPY_SIZE_LIMIT_BYTES


def test_image_with_nothing_but_an_id() -> None:
    image = Image.from_api({"id": "x", "tags": None, "min_disk": None, "__whole_image": None, "unknown": [1, 2]})
    assert image.id == "x" and image.name == "" and image.status is None and image.tags == ()
    assert image.min_disk_gb is None and image.whole_image is None
    assert not (image.is_full_ecs or image.is_iso or image.is_windows or image.is_encrypted)


@pytest.mark.parametrize(
    ("fields", "flag"),
    [
        ({"__whole_image": True}, "is_full_ecs"),
        ({"__data_origin": "server_backup,1234"}, "is_full_ecs"),
        ({"virtual_env_type": "IsoImage"}, "is_iso"),
        ({"disk_format": "ISO"}, "is_iso"),
        ({"__os_type": "Windows"}, "is_windows"),
        ({"__platform": "windows"}, "is_windows"),
        ({"__system__cmkid": "bd66288c-9081-460a-8227-4cbd0c814cb4"}, "is_encrypted"),
    ],
)
def test_eligibility_flags(fields: dict[str, Any], flag: str) -> None:
    assert getattr(Image.from_api({"id": "x", **fields}), flag) is True
    assert getattr(Image.from_api({"id": "x"}), flag) is False


def test_image_description_keeps_lines_but_loses_escapes() -> None:
    image = Image.from_api({"id": "x", "__description": "first\nsecond\x1b[2J", "tags": ["a\x07", 3]})
    assert image.description == "first\nsecond" and image.tags == ("a", "3")


# -- copy body ------------------------------------------------------------------------------------------------------


def test_copy_body_drops_empty_optional_fields() -> None:
    assert CopyRequest(name="n").to_body() == {"name": "n"}
    assert CopyRequest(name="n", description="", cmk_id=None, enterprise_project_id="0").to_body() == {
        "name": "n",
        "enterprise_project_id": "0",
    }
    full = CopyRequest(name="n", description="d", cmk_id="k", enterprise_project_id="e").to_body()
    assert full == {"name": "n", "description": "d", "cmk_id": "k", "enterprise_project_id": "e"}
