"""`imstui image` and `imstui job` say which fields of the server's answer could not be real (read as unknown),
instead of showing "unknown" with no reason."""

from __future__ import annotations

from imstui.api.models import Image, Job
from imstui.commands.image import image_lines
from imstui.commands.job import job_lines

IMAGE_ID = "1db073f0-7c3b-46c1-a336-e3bc3b607d7e"


def test_an_image_with_an_impossible_field_says_so_under_its_attributes() -> None:
    image = Image.from_api({"id": IMAGE_ID, "name": "web", "status": "active", "min_disk": "forty\x1b[2J"})
    lines = image_lines(image)
    assert "Min disk:           unknown" in lines
    at = lines.index("Server data read as unknown:")
    assert lines[at + 1].startswith("  ! min_disk: ") and "is not a number" in lines[at + 1]
    assert "\x1b" not in "".join(lines)


def test_a_clean_image_has_no_such_lines() -> None:
    lines = image_lines(Image.from_api({"id": IMAGE_ID, "name": "web", "status": "active", "min_disk": 40}))
    assert not any("Server data" in line for line in lines)


def test_a_job_with_an_impossible_progress_says_so() -> None:
    job = Job.from_api(
        {"job_id": "ff8080814dbd65d7014dbe0d84db0013", "status": "RUNNING", "entities": {"process_percent": 250}}
    )
    lines = job_lines(job)
    at = lines.index("Server data read as unknown:")
    assert "process_percent: 250 is not a percentage" in lines[at + 1]
