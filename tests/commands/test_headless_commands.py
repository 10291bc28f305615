"""`imstui image|copy|job` end to end through imstui.cli.main with a scripted IMS: exit codes, stdout, stderr."""

from __future__ import annotations

import argparse
import json
import re
import types
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from ims_fake_server import (
    IMAGE_ID,
    JOB_ID,
    NEW_IMAGE_ID,
    PROJECT_ID,
    REGION,
    SK,
    FakeIms,
    FakeSleep,
    body_json,
    credentials,
    gateway_error,
    image_doc,
    ims_error,
    job_doc,
)

from imstui.cli import build_parser, main
from imstui.core.context import client_overrides

KEY = "bd66288c-9081-460a-8227-4cbd0c814cb4"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_json(stdout: str) -> Any:
    """Parse stdout as exactly one JSON document (json.loads refuses trailing data)."""
    return json.loads(stdout)


# -- image ---------------------------------------------------------------------------------------------------------


def test_image_json_shows_attributes_and_verdict(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "image", IMAGE_ID, "--json")
    assert code == 0 and err == ""
    doc = one_json(out)
    assert doc["image"]["id"] == IMAGE_ID and doc["image"]["name"] == "web01-golden"
    assert doc["eligibility"] == {"ok": True, "blocking": [], "warnings": []}
    assert doc["project_id"] == PROJECT_ID and doc["region"] == REGION


def test_image_human_output(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.images[IMAGE_ID] = image_doc(__os_type="Windows", __system__cmkid=KEY)
    code, out, _ = run(capsys, "image", f"  {IMAGE_ID.upper()}\n")
    assert code == 0
    assert "web01-golden" in out and "NOT possible" in out and "Windows image" in out and KEY in out
    assert fake.requests[0].url.params["id"] == IMAGE_ID  # the pasted id was normalised


def test_image_not_found(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.images.clear()
    code, out, err = run(capsys, "image", IMAGE_ID)
    assert code == 1 and out == ""
    assert f"image not found: {IMAGE_ID}" in err


def test_image_with_a_malformed_id_exits_2_without_a_request(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "image", "not-an-id", "--json")
    assert code == 2 and fake.requests == []
    assert "image_id.uuid" in err and "nothing was sent" in err
    assert one_json(out)["error"]["violations"][0]["rule"] == "image_id.uuid"


def test_api_errors_print_code_message_request_id_and_advice(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.queue("GET", "/v2/cloudimages", gateway_error(401, "APIGW.0301", "verify aksk signature fail", "rid-401"))
    code, out, err = run(capsys, "image", IMAGE_ID, "--json")
    assert code == 1
    assert "APIGW.0301" in err and "HTTP 401" in err and "verify aksk signature fail" in err
    assert "request id: rid-401" in err and "meaning:" in err and "clock" in err
    doc = one_json(out)
    assert doc["ok"] is False
    assert doc["error"]["code"] == "APIGW.0301" and doc["error"]["request_id"] == "rid-401"
    assert doc["error"]["type"] == "AuthenticationError" and "next_step" in doc["error"]
    assert SK not in out + err


def test_a_server_answering_garbage_gets_a_clear_error(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.queue("GET", "/v2/cloudimages", httpx.Response(200, text="<html>captive portal</html>"))
    code, out, err = run(capsys, "image", IMAGE_ID)
    assert code == 1 and "Traceback" not in err and out == ""
    assert "expected a JSON object" in err and "captive portal" in err


def test_missing_credentials_exit_2_naming_the_variables(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGION", REGION)
    fake = FakeIms()
    with client_overrides(transport=fake.transport()):
        code, out, err = run(capsys, "image", IMAGE_ID)
    assert code == 2 and fake.requests == [] and out == ""
    assert "HUAWEICLOUD_SDK_AK" in err and "HUAWEICLOUD_SDK_SK" in err


def test_missing_region_exit_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "ak")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "sk")
    code, _, err = run(capsys, "image", IMAGE_ID)
    assert code == 2 and "--region" in err and "HUAWEICLOUD_SDK_REGION" in err


def test_secret_key_is_not_accepted_on_the_command_line(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    for option in ("--sk", "--secret-key"):
        with pytest.raises(SystemExit) as info:
            main(["image", IMAGE_ID, option, "s3cret"])
        assert info.value.code == 2
    assert fake.requests == []


def test_command_line_options_override_the_environment(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    other_project = "11111111111111111111111111111111"
    code, _, _ = run(capsys, "image", IMAGE_ID, "--project-id", other_project, "--endpoint", "https://ims.example.test")
    assert code == 0
    assert fake.requests[0].headers["X-Project-Id"] == other_project
    assert fake.requests[0].url.host == "ims.example.test"


def test_plain_http_endpoint_is_refused(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--endpoint", "http://ims.example.test", "image", IMAGE_ID)
    assert code == 2 and "plain http" in err and fake.requests == []


# -- copy ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "rule"),
    [
        (["--name", "bad/name"], "name.charset"),
        (["--name", " lead"], "name.edge_space"),
        (["--name", "x" * 129], "name.length"),
        (["--name", "ok", "--description", "a<b>"], "description.angle_brackets"),
        (["--name", "ok", "--cmk-id", "not-a-key"], "cmk_id.uuid"),
        (["--name", "ok", "--enterprise-project-id", "default"], "enterprise_project_id.format"),
    ],
)
def test_copy_invalid_input_exits_2_before_any_request(
    fake: FakeIms, capsys: pytest.CaptureFixture[str], extra: list[str], rule: str
) -> None:
    code, out, err = run(capsys, "copy", IMAGE_ID, *extra)
    assert code == 2 and fake.requests == []
    assert rule in err and "nothing was sent" in err and out == ""


def test_copy_invalid_image_id_json(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "copy", "123", "--name", "ok", "--json")
    assert code == 2 and fake.requests == []
    assert [v["field"] for v in one_json(out)["error"]["violations"]] == ["image_id"]


def test_copy_submits_once_and_prints_the_job(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "copy", IMAGE_ID, "--name", "copy-of-web01", "--description", "nightly", "--json")
    assert code == 0
    doc = one_json(out)
    assert doc["ok"] is True and doc["job_id"] == JOB_ID and doc["source_image_id"] == IMAGE_ID
    (post,) = fake.seen("POST")
    assert body_json(post) == {"name": "copy-of-web01", "description": "nightly"}
    assert f"imstui job {JOB_ID}" in err  # progress goes to stderr in JSON mode


def test_copy_without_a_name_uses_the_consoles_default_and_says_so(
    fake: FakeIms, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.images[IMAGE_ID] = image_doc(name="web01-golden")
    code, out, err = run(capsys, "copy", IMAGE_ID, "--json")
    assert code == 0
    (post,) = fake.seen("POST")
    assert body_json(post) == {"name": "web01-golden-copy"}
    assert one_json(out)["name"] == "web01-golden-copy"
    assert "no --name given: the copy is named 'web01-golden-copy'" in err


def test_a_default_name_that_breaks_a_rule_is_refused_before_the_post(
    fake: FakeIms, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.images[IMAGE_ID] = image_doc(name="[b]golden[/b]")
    code, out, err = run(capsys, "copy", IMAGE_ID, "--json")
    assert code == 2 and fake.seen("POST") == []
    assert one_json(out)["ok"] is False
    assert "pass --name" in err and "[b]golden[/b]-copy" in err


def test_copy_human_output(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "copy", IMAGE_ID, "--name", "copy-of-web01")
    assert code == 0 and f"job {JOB_ID}" in out


def test_copy_refuses_a_blocked_image_without_submitting(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.images[IMAGE_ID] = image_doc(__whole_image="true")
    code, out, err = run(capsys, "copy", IMAGE_ID, "--name", "copy", "--json")
    assert code == 1 and fake.seen("POST") == []
    assert "Full-ECS image" in err and "nothing was submitted" in err
    assert one_json(out)["error"]["blocking"][0]["key"] == "full_ecs"


def test_copy_warns_but_proceeds_for_an_encrypted_image(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.images[IMAGE_ID] = image_doc(__system__cmkid=KEY)
    code, _, err = run(capsys, "copy", IMAGE_ID, "--name", "copy")
    assert code == 0 and "warning: Encrypted image" in err and len(fake.seen("POST")) == 1


def test_copy_with_the_source_key_is_refused(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.images[IMAGE_ID] = image_doc(__system__cmkid=KEY)
    code, _, err = run(capsys, "copy", IMAGE_ID, "--name", "copy", "--cmk-id", KEY)
    assert code == 2 and "cmk_id.same_as_source" in err and fake.seen("POST") == []


def test_copy_timeout_reports_outcome_unknown(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.queue("POST", "/copy", httpx.ReadTimeout("timed out"))
    code, out, err = run(capsys, "copy", IMAGE_ID, "--name", "copy", "--json")
    assert code == 1 and len(fake.seen("POST")) == 1
    assert "outcome unknown" in err and "jobs list" in err
    assert one_json(out)["error"]["type"] == "OutcomeUnknownError"


def test_copy_rejected_by_ims(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.queue("POST", "/copy", ims_error(400, "IMG.0015", "quota exceeded", "rid-q"))
    code, _, err = run(capsys, "copy", IMAGE_ID, "--name", "copy")
    assert code == 1 and "IMG.0015" in err and "rid-q" in err and "quota" in err.lower()


def test_copy_wait_follows_the_job_to_success(
    fake: FakeIms, sleep: FakeSleep, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.jobs[JOB_ID] = [
        job_doc("INIT"),
        job_doc("RUNNING", entities={"process_percent": 0.4}),
        job_doc("RUNNING", entities={"process_percent": 0.4}),
        job_doc("RUNNING", entities={"process_percent": 0.9}),
        job_doc("SUCCESS"),
    ]
    code, out, _ = run(capsys, "copy", IMAGE_ID, "--name", "copy", "--wait")
    assert code == 0
    assert "RUNNING 40%" in out and "RUNNING 90%" in out and out.count("RUNNING 40%") == 1
    assert f"new image: {NEW_IMAGE_ID}" in out
    # first poll after 2 s, then 5 s growing to 10 s (sooner when the progress trend says the end is near)
    assert sleep.calls[0] == 2.0 and all(1.0 <= s <= 10.0 for s in sleep.calls[1:])
    assert len(fake.seen("POST")) == 1


def test_copy_wait_json_reports_failure_with_code_and_reason(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.jobs[JOB_ID] = [
        job_doc("RUNNING"),
        job_doc("FAIL", error_code="IMG.0130", fail_reason="The full-ECS image cannot be replicated."),
    ]
    code, out, err = run(capsys, "copy", IMAGE_ID, "--name", "copy", "--wait", "--json")
    assert code == 1
    assert "IMG.0130" in err and "cannot be replicated" in err and "next step:" in err
    doc = one_json(out)
    assert doc["ok"] is False and doc["job"]["status"] == "FAIL" and doc["job"]["error_code"] == "IMG.0130"
    assert "system-disk" in doc["job"]["error_next_step"] and doc["job"]["error_meaning"]


def test_failed_job_json_carries_the_meaning_and_next_step(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.jobs[JOB_ID] = [job_doc("FAIL", error_code="IMG.0197", fail_reason="shared image is encrypted")]
    code, out, _ = run(capsys, "job", JOB_ID, "--json")
    job = one_json(out)["job"]
    assert code == 1 and job["error_code"] == "IMG.0197" and "encrypted" in job["error_meaning"]
    assert job["error_next_step"]


def test_copy_wait_rides_out_transient_errors(
    fake: FakeIms, sleep: FakeSleep, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.queue("GET", "/job/", ims_error(404, "IMG.0023", "not yet"))
    fake.queue("GET", "/job/", gateway_error(429, "APIGW.0308", "throttled", **{"Retry-After": "12"}))
    fake.queue("GET", "/job/", httpx.Response(503, text="busy"))
    code, out, _ = run(capsys, "copy", IMAGE_ID, "--name", "copy", "--wait")
    assert code == 0 and f"new image: {NEW_IMAGE_ID}" in out
    assert 12.0 in sleep.calls  # Retry-After honoured
    assert "not visible yet" in out and out.count("status check failed") == 1  # the 503
    assert out.count("throttled by the API gateway (asked to wait 12 s)") == 1  # the 429, said in one line
    assert len(fake.seen("GET", "/job/")) == 4  # one attempt per poll: the poll loop does the backoff


def test_copy_wait_gives_up_on_a_final_error(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.queue("GET", "/job/", gateway_error(403, "APIGW.0302", "not authorized", "rid-403"))
    code, _, err = run(capsys, "copy", IMAGE_ID, "--name", "copy", "--wait")
    assert code == 1
    assert f"submitted as job {JOB_ID}" in err and "APIGW.0302" in err and "rid-403" in err
    assert len(fake.seen("POST")) == 1


# -- job -----------------------------------------------------------------------------------------------------------


def test_job_json(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "job", JOB_ID, "--json")
    assert code == 0 and err == ""
    doc = one_json(out)
    assert doc["job"]["status"] == "SUCCESS" and doc["job"]["new_image_id"] == NEW_IMAGE_ID


def test_job_running_human(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.jobs[JOB_ID] = [job_doc("RUNNING", entities={"process_percent": 55, "current_task": "copying"})]
    code, out, _ = run(capsys, "job", JOB_ID)
    assert code == 0 and "RUNNING 55% — copying" in out


def test_failed_job_exits_1_with_reason(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    fake.jobs[JOB_ID] = [job_doc("FAIL", error_code="IMG.0197", fail_reason="shared image is encrypted")]
    code, out, _ = run(capsys, "job", JOB_ID)
    assert code == 1 and "IMG.0197" in out and "shared image is encrypted" in out and "next step:" in out


def test_unknown_job(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "job", "ff8080814dbd65d7014dbe0d84db0013", "--json")
    assert code == 1 and "job not found" in err and one_json(out)["error"]["type"] == "JobNotFoundError"


def test_malformed_job_id(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "job", "../../etc/passwd")
    assert code == 2 and "job_id.format" in err and fake.requests == []


def test_job_uses_the_legacy_route_when_the_new_one_is_missing(
    fake: FakeIms, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.legacy_jobs_only = True
    code, _, _ = run(capsys, "job", JOB_ID)
    assert code == 0 and fake.requests[-1].url.path == f"/v1/{PROJECT_ID}/jobs/{JOB_ID}"


def test_project_id_is_discovered_when_not_given(
    fake: FakeIms, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HUAWEICLOUD_SDK_PROJECT_ID")
    code, _, _ = run(capsys, "job", JOB_ID)
    assert code == 0 and fake.requests[0].url.path == "/v3/projects"


def test_demo_uses_the_simulator_backend(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeIms()
    backend = types.SimpleNamespace(
        transport=fake.transport(),
        credentials=credentials(),
        region=REGION,
        project_id=PROJECT_ID,
        ims_endpoint="http://127.0.0.1:1",
        iam_endpoint="http://127.0.0.1:1",
        state=None,
    )
    module = types.ModuleType("imstui.sim.demo")
    module.demo_backend = lambda **_: backend  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "imstui.sim.demo", module)
    persist = types.ModuleType("imstui.sim.persist")  # the fake backend has no simulator state to keep
    persist.attach = lambda *_: None  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "imstui.sim.persist", persist)
    code, out, _ = run(capsys, "--demo", "job", JOB_ID, "--json")
    assert code == 0 and one_json(out)["job"]["status"] == "SUCCESS"
    assert str(fake.requests[0].url).startswith("http://127.0.0.1:1/")


# -- the command line as a whole -----------------------------------------------------------------------------------


def _all_parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                yield from _all_parsers(child)


def test_no_option_anywhere_takes_a_secret_value() -> None:
    """SK, token and passwords never come from argv (visible in `ps`): no option that takes a value is named so."""
    secretish = re.compile(r"sk\b|sk[-_]|secret|token|password|passwd", re.IGNORECASE)
    parsers = list(_all_parsers(build_parser()))
    assert len(parsers) > 10  # every command and sub-action was visited
    for parser in parsers:
        for action in parser._actions:
            if any(secretish.search(option) for option in action.option_strings):
                assert action.nargs == 0, f"{parser.prog} {action.option_strings} takes a value"


@pytest.mark.parametrize(
    "argv",
    [
        ["image", "--json"],
        ["job", "--json"],
        ["copy", "--json"],  # IMAGE_ID missing
        ["image", IMAGE_ID, "--json", "--bogus"],
        ["job", JOB_ID, "extra-word", "--json"],
        ["doctor", "--json", "--no-such-option"],
        ["profile", "list", "--json", "--bogus"],
    ],
)
def test_usage_errors_with_json_print_one_json_document(
    fake: FakeIms, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    captured = capsys.readouterr()
    assert info.value.code == 2 and fake.requests == []
    doc = one_json(captured.out)
    assert doc["ok"] is False and doc["error"]["type"] == "UsageError"
    assert "usage:" in captured.err and doc["error"]["message"] in captured.err


def test_usage_errors_without_json_keep_stdout_empty(fake: FakeIms, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["image"])
    captured = capsys.readouterr()
    assert info.value.code == 2 and captured.out == "" and "IMAGE_ID" in captured.err


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["image", IMAGE_ID, "--sk", SK], "--sk"),
        (["image", IMAGE_ID, f"--sk={SK}", "--json"], "--sk"),
        (["copy", IMAGE_ID, "--name", "n", "--secret-key", SK, "--json"], "--secret-key"),
        (["profile", "add", "p1", "--region", REGION, "--sk", SK], "--sk"),
        (["profile", "add", "p1", "--region", REGION, f"--sk={SK}"], "--sk"),
        (["profile", "add", "p1", "--region", REGION, f"--sk-stdin={SK}"], "--sk"),
        # Before the command name, the top-level parser takes the secret for a command: it must not echo it.
        (["--sk", SK, "image", IMAGE_ID], "word not shown"),
        ([SK, "image", IMAGE_ID], "word not shown"),
        (["--sk", SK, "--json", "image", IMAGE_ID], "word not shown"),
    ],
)
def test_a_secret_typed_on_the_command_line_is_refused_and_not_echoed(
    fake: FakeIms, capsys: pytest.CaptureFixture[str], argv: list[str], named: str
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    captured = capsys.readouterr()
    assert info.value.code == 2 and fake.requests == []
    assert SK not in captured.out + captured.err
    assert named in captured.err


def test_a_mistyped_command_name_is_named_back(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["imagee", "--json"])
    captured = capsys.readouterr()
    assert info.value.code == 2
    assert "'imagee'" in captured.err and json.loads(captured.out)["ok"] is False


# -- garbage answers never give a traceback ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="<html><body>Welcome to the hotel wifi</body></html>"),
        httpx.Response(200, text='{"job_id": "9a175ac8'),
        httpx.Response(200, json={"status": "ok"}),
        httpx.Response(200, json={"job_id": None}),
        httpx.Response(502, text="<html>bad gateway</html>"),
    ],
    ids=["html", "truncated", "no-job-id", "null-job-id", "502-html"],
)
def test_copy_with_a_garbage_answer_is_a_clear_error(
    fake: FakeIms, capsys: pytest.CaptureFixture[str], answer: httpx.Response
) -> None:
    fake.queue("POST", "/copy", answer)
    code, out, err = run(capsys, "copy", IMAGE_ID, "--name", "copy", "--json")
    assert code == 1 and "Traceback" not in err and len(fake.seen("POST")) == 1
    assert "jobs list" in err  # the copy may have been accepted: never suggest a blind resubmit
    assert one_json(out)["ok"] is False


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="<!DOCTYPE html><title>login</title>"),
        httpx.Response(200, text='{"status": "RUNN'),
        httpx.Response(200, json={"job_id": JOB_ID}),
        httpx.Response(200, json=[1, 2]),
        httpx.Response(200, content=b"\xff\xfe\x00garbage"),
    ],
    ids=["html", "truncated", "no-status", "array", "binary"],
)
def test_job_with_a_garbage_answer_is_a_clear_error(
    fake: FakeIms, capsys: pytest.CaptureFixture[str], answer: httpx.Response
) -> None:
    fake.queue("GET", "/job/", answer)
    code, out, err = run(capsys, "job", JOB_ID, "--json")
    assert code == 1 and "Traceback" not in err and err.startswith("error: ")
    assert one_json(out)["error"]["type"] == "ProtocolError"


@pytest.mark.parametrize("fault", ["malformed", "truncated"])
@pytest.mark.parametrize(
    ("route", "argv"),
    [("list", ["image", IMAGE_ID]), ("job", ["job", JOB_ID]), ("copy", ["copy", IMAGE_ID, "--name", "c"])],
    ids=["image", "job", "copy"],
)
def test_simulator_faults_through_the_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fault: str, route: str, argv: list[str]
) -> None:
    from imstui.sim import demo, seed

    backend = demo.controlled_backend(instant=True, faults=f"{route}.{fault}=1")
    monkeypatch.setattr(demo, "demo_backend", lambda **_: backend)
    real_argv = [seed.ELIGIBLE_LINUX_ID if a == IMAGE_ID else a for a in argv]
    if route == "job":  # a job that exists, so that the spoiled answer is the only thing wrong
        code, out, _ = run(capsys, "--demo", "copy", seed.ELIGIBLE_LINUX_ID, "--name", "c", "--json")
        assert code == 0
        real_argv[1] = one_json(out)["job_id"]
    code, out, err = run(capsys, "--demo", *real_argv, "--json")
    assert code == 1 and "Traceback" not in err and err.startswith("error: ")
    assert "expected a JSON object" in err
    assert one_json(out)["ok"] is False


# -- settings from the environment ---------------------------------------------------------------------------------


def test_endpoints_and_security_token_come_from_the_environment(
    fake: FakeIms, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HUAWEICLOUD_SDK_PROJECT_ID")
    monkeypatch.setenv("IMSTUI_IMS_ENDPOINT", "https://ims.env.example")
    monkeypatch.setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", "https://iam.env.example:8443")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", "tok-from-env")
    code, _, err = run(capsys, "job", JOB_ID)
    assert code == 0, err
    iam, ims = fake.requests
    assert (iam.url.host, iam.url.port, iam.url.path) == ("iam.env.example", 8443, "/v3/projects")
    assert ims.url.host == "ims.env.example"
    for request in (iam, ims):
        assert request.headers["X-Security-Token"] == "tok-from-env"
        assert "x-security-token" in request.headers["Authorization"]


def test_eu_west_101_uses_the_european_iam_domain(
    fake: FakeIms, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HUAWEICLOUD_SDK_PROJECT_ID")
    fake.projects = [{"id": PROJECT_ID, "name": "eu-west-101"}]
    code, _, err = run(capsys, "--region", "eu-west-101", "job", JOB_ID)
    assert code == 0, err
    iam, ims = fake.requests
    assert iam.url.host == "iam.eu-west-101.myhuaweicloud.eu" and iam.url.params["name"] == "eu-west-101"
    assert ims.url.host == "ims.eu-west-101.myhuaweicloud.com"


@pytest.mark.parametrize(("projects", "words"), [([], "no project"), (["a" * 32, "b" * 32], "2 projects")])
def test_project_discovery_that_finds_zero_or_several_asks_for_an_explicit_id(
    fake: FakeIms,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    projects: list[str],
    words: str,
) -> None:
    monkeypatch.delenv("HUAWEICLOUD_SDK_PROJECT_ID")
    fake.projects = [{"id": p, "name": REGION} for p in projects]
    code, out, err = run(capsys, "image", IMAGE_ID, "--json")
    assert code == 1 and words in err and "--project-id" in err and "HUAWEICLOUD_SDK_PROJECT_ID" in err
    assert one_json(out)["error"]["type"] == "ProjectDiscoveryError"
    assert fake.seen("GET", "cloudimages") == []
