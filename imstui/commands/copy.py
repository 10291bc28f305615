"""``imstui copy IMAGE_ID [--name NAME] [...] [--wait] [--json]``: replicate an image within its region.

Order of events: local validation (exit 2, nothing sent) -> image lookup and eligibility (exit 1 when blocked,
nothing submitted) -> the ledger row (a ledger that cannot be written refuses the copy, nothing sent) -> one copy
POST (never retried: a lost answer is reported as "outcome unknown") -> the job id into the ledger (retried; if it
still cannot be written, the id and the ``imstui jobs import`` command that records it are printed, exit 3) -> with
``--wait``, poll the job until it ends, then apply the ``--tag`` tags to the new image (the session's tagger:
"copied, tags not applied: CODE message" and exit 1 when that fails; the copy is never repeated for it).

One image is one copy, whatever options it has: ``--key`` (an alias or id, checked with KMS; ``--cmk-id`` is
the id as typed), ``--enterprise-project`` (a name or id, checked with EPS; ``--enterprise-project-id`` as typed)
and ``--tag k=v`` go with this single-copy path; several images, ``--from-file`` or ``--name-template`` make a batch
(:mod:`imstui.commands.copy_many`).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from imstui.api.catalogue import describe
from imstui.api.errors import ConfigurationError, ImstuiError, JobNotFoundError, LocalValidationError
from imstui.api.models import CopyRequest, Job, JobStatus
from imstui.api.protocol import ImsApi
from imstui.api.tag_models import ImageTag
from imstui.commands import copy_many
from imstui.commands.deadline import Deadline, add_timeout_argument, timed_out_line, timeout_refused
from imstui.commands.jobs import ENV_PROFILE_FALLBACK, ledger_profile, poller_timing
from imstui.commands.output import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_TIMEOUT,
    Output,
    add_command,
    condition_to_dict,
    conditions_lines,
    error_to_dict,
    format_progress,
    job_to_dict,
    run_command,
)
from imstui.commands.service_options import domain_id_for, service_violations
from imstui.connect import session_for_args
from imstui.core.context import current_overrides
from imstui.core.eligibility import assess
from imstui.core.ledger import Ledger, LedgerError
from imstui.core.poller import JobChanged, Poller, PollerEvent, PollerStatus, PollFailed, PollSettings, is_fatal
from imstui.core.submit import SubmitResult, import_command, submit_copy
from imstui.core.tagging import Tagger
from imstui.core.tags import validate_tags
from imstui.core.validation import (
    Violation,
    check_image_id,
    check_name,
    default_copy_name,
    normalise_image_id,
    validate_copy,
)
from imstui.core.wording import TAGS_RETRY_HINT, tags_sentence, throttle_sentence

FIRST_POLL_DELAY = 2.0
POLL_INTERVAL = 5.0
MAX_POLL_INTERVAL = 10.0
MAX_CONSECUTIVE_ERRORS = 5
MAX_NOT_FOUND_BEFORE_SEEN = 3
EXIT_NOT_RECORDED = 3  # IMS accepted the copy, the ledger could not store its job id (printed, with the fix)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = add_command(
        subparsers,
        common,
        "copy",
        help="replicate an image within its region",
        description="Validate the input, check the image can be copied, submit the copy once and print the job "
        "ID; with --wait, follow the job to its end. Exit 0 on success, 1 when the image cannot be copied, the "
        "service refuses or the job fails, 2 on bad input or settings or a ledger that cannot be written (nothing "
        "sent), 3 when the copy was submitted but its job id could not be written to the ledger (the id and the "
        "command that records it are printed).",
        handler=run,
    )
    parser.add_argument(
        "image_id", metavar="IMAGE_ID", nargs="*", help="the source image ID (a UUID); several: one batch"
    )
    parser.add_argument(
        "--name", default=None, help="name of the new image (1-128 characters; default: <source name>-copy)"
    )
    parser.add_argument("--description", default=None, help="description of the new image (max 1024 characters)")
    parser.add_argument("--cmk-id", default=None, help="KMS key ID to encrypt the copy with")
    parser.add_argument("--enterprise-project-id", default=None, help='enterprise project: "0" (default) or a UUID')
    parser.add_argument("--wait", action="store_true", help="poll the job until it succeeds or fails")
    add_timeout_argument(parser, prefix="with --wait: ")
    copy_many.add_arguments(parser)  # several images, --from-file, --name-template...: imstui.commands.copy_many
    parser.set_defaults(usage_error=parser.error)


def _wait_settings() -> PollSettings:
    return PollSettings(
        first_delay=FIRST_POLL_DELAY,
        initial_interval=POLL_INTERVAL,
        backoff_factor=1.5,
        max_interval=MAX_POLL_INTERVAL,
        jitter=0.0,  # one job: nothing to spread
        error_initial=POLL_INTERVAL,
        error_max=60.0,
        not_found_grace=MAX_NOT_FOUND_BEFORE_SEEN,
        ledger_check_interval=3600.0,  # follows its own job only
        stale_sweep_interval=3600.0,
    )


class _LastJob:
    """The ``ImsApi`` seen by the poller: the real client, remembering the last job document (for printing)."""

    def __init__(self, client: ImsApi) -> None:
        self._client = client
        self.last: Job | None = None

    @property
    def region(self) -> str:
        return self._client.region

    @property
    def project_id(self) -> str | None:
        return self._client.project_id

    async def get_job(self, job_id: str, *, retry: bool = True) -> Job:
        job = await self._client.get_job(job_id, retry=retry)
        self.last = job
        return job


async def wait_for_job(
    client: ImsApi,
    job_id: str,
    out: Output,
    *,
    ledger: Ledger,
    profile: str,
    timeout: float | None = None,
    tagger: Tagger | None = None,
) -> Job | None:
    """Follow ``job_id`` with the ledger's poller until it is SUCCESS or FAIL, printing a line whenever the
    status or progress changes (the ledger row is updated on every answer).

    First poll after ~2 s, then every 5 s growing to 10 s. Transient errors (connection, timeout, 5xx, 429) are
    ridden out up to a few in a row, honouring Retry-After; a job not visible yet right after submission is
    tolerated a few times; errors asking again cannot fix (401/403, other 4xx) are raised at once. None when
    ``timeout`` seconds (on the poller's clock) ran out first: the job goes on, its row stays outstanding.
    """
    record = ledger.get(job_id)
    deadline = Deadline(timeout, poller_timing(record.submitted_at if record else None))
    api = _LastJob(client)
    poller = Poller(api, ledger, profile=profile, settings=_wait_settings(), **deadline.timing)  # type: ignore[arg-type]
    last_line = ""

    throttled: list[datetime | None] = [None]

    def on_event(event: PollerEvent) -> None:
        nonlocal last_line
        if isinstance(event, PollFailed):
            if event.not_visible_yet:
                out.progress(f"job {job_id} is not visible yet; checking again")
            elif event.retry_in is not None and not is_fatal(event.error) and poller.status().throttle is None:
                out.progress(f"status check failed ({event.error}); trying again in {event.retry_in:.0f} s")
        elif isinstance(event, PollerStatus) and event.throttle is not None and event.throttle.until != throttled[0]:
            throttled[0] = event.throttle.until  # one line per throttle: waits it out, within the wait's limits
            out.progress(f"job {job_id}: {throttle_sentence(event.throttle)}")
        elif isinstance(event, JobChanged) and api.last is not None and api.last.job_id in ("", job_id):
            line = format_progress(api.last)
            if line != last_line:
                out.progress(f"job {job_id}: {line}")
                last_line = line

    poller.subscribe(on_event)
    if tagger is not None:
        tagger.attach(poller)  # the tags go on as soon as the job succeeds
    poller.track(job_id)
    done = poller.run_until_done([job_id], give_up_after=MAX_CONSECUTIVE_ERRORS + 1, give_up_on_fatal=True)
    finals = await deadline.race(done, poller.stop)
    if finals is None:
        return None
    [final] = finals
    if final.gone and not final.is_terminal:
        raise JobNotFoundError(job_id)
    if api.last is None or not api.last.is_terminal:  # finished as seen by another process sharing the ledger
        return Job(
            job_id=job_id,
            status=final.status or JobStatus.UNKNOWN,
            raw_status=(final.status or JobStatus.UNKNOWN).value,
            progress=final.progress,
            new_image_id=final.new_image_id,
            error_code=final.error_code,
            fail_reason=final.fail_reason,
        )
    return api.last


def _retry_sleep() -> dict[str, Any]:
    """The ledger-retry pause: the commands' test sleep when one is installed (no real waiting in tests)."""
    sleep = current_overrides().sleep
    return {} if sleep is None else {"sleep": sleep}


def _violations(image_id: str, request: CopyRequest, *, named: bool = True) -> dict[str, Violation]:
    found: dict[str, Violation] = {}
    bad_id = check_image_id(image_id)
    if bad_id is not None:
        found["image_id"] = bad_id
    found.update(validate_copy(request))
    if not named:  # the default name is checked once the source image (and so its name) is known
        found.pop("name", None)
    return found


def run(args: argparse.Namespace) -> int:
    refused = timeout_refused(bool(args.wait), getattr(args, "timeout", None))
    if refused is not None:
        args.usage_error(refused)
    if _wants_batch(args):
        return copy_many.run(args)
    out = Output(bool(getattr(args, "json", False)))
    if not args.image_id:  # as argparse says it when the single form was all there was
        args.usage_error("the following arguments are required: IMAGE_ID")
    image_id = normalise_image_id(args.image_id[0])
    # Without --name the copy is named as the console proposes, <source name>-copy, once the source is read.
    named = args.name is not None
    request = CopyRequest(
        name=args.name if named else "",
        description=args.description or None,
        cmk_id=(args.cmk_id or "").strip() or None,
        enterprise_project_id=(args.enterprise_project_id or "").strip() or None,
    )
    violations = _violations(image_id, request, named=named)
    tags: list[ImageTag] = []
    try:
        tags = validate_tags(getattr(args, "tag", None) or [])
    except LocalValidationError as exc:
        violations["tag"] = Violation(exc.rule, exc.message)
    violations.update(service_violations(args))
    if violations:
        return out.violations(violations)

    sent = _Sent(profile=ledger_profile(args), demo=bool(getattr(args, "demo", False)))

    async def main() -> int:
        try:  # the factory the console and `jobs watch` use too
            session = session_for_args(args, profile=sent.profile)
        except LedgerError as exc:
            raise ConfigurationError(f"{exc}; nothing was submitted") from None
        async with session:
            wait, timeout = bool(args.wait), getattr(args, "timeout", None)
            try:
                chosen = await _resolve_choices(session.api, args, request)
            except LocalValidationError as exc:
                return out.violations({exc.field: Violation(exc.rule, exc.message)})
            return await _copy(
                session.api,
                image_id,
                chosen,
                wait,
                out,
                sent,
                session.ledger,
                timeout=timeout,
                named=named,
                tags=tags,
                tagger=session.tagger,
            )

    try:
        return run_command(out, main)
    except KeyboardInterrupt:
        if sent.job_id is not None and not sent.recorded:
            print(
                f"interrupted: IMS accepted the copy as job {sent.job_id}, but it may not be in the ledger yet; "
                f"record it with: {sent.import_command()}",
                file=out.stderr,
            )
        elif sent.job_id is not None:
            print(
                f"stopped waiting; job {sent.job_id} goes on in IMS (check it with: imstui job {sent.job_id})",
                file=out.stderr,
            )
        elif sent.sending:
            print(
                "interrupted while the copy request was being sent: its outcome is unknown — check the jobs list "
                "before submitting again",
                file=out.stderr,
            )
        else:
            print("interrupted before the copy was submitted (nothing was sent)", file=out.stderr)
        return 130


def _wants_batch(args: argparse.Namespace) -> bool:
    """Several images, ``--from-file``, ``--name-template`` or ``--max-in-flight``: a batch. One image with
    ``--key``, ``--enterprise-project`` or ``--tag`` is still one copy (this module)."""
    from imstui.core.batch import DEFAULT_IN_FLIGHT

    ids = getattr(args, "image_id", None) or []
    in_flight = getattr(args, "max_in_flight", DEFAULT_IN_FLIGHT) != DEFAULT_IN_FLIGHT
    many = getattr(args, "from_file", None) or getattr(args, "name_template", None)
    return len(ids) > 1 or in_flight or bool(many)


async def _resolve_choices(client: ImsApi, args: argparse.Namespace, request: CopyRequest) -> CopyRequest:
    """``--key`` (alias or id) and ``--enterprise-project`` (name or id) as the ids the copy body carries,
    checked with KMS and EPS (an unknown alias or a key that is not enabled: exit 2, nothing sent)."""
    from typing import cast

    from imstui.api.client import ImsClient

    ims = cast(ImsClient, client)
    if getattr(args, "key", None):
        from imstui.core.keys import kms_client, resolve_key

        key = await resolve_key(kms_client(ims, getattr(args, "kms_endpoint", None)), args.key)
        request = replace(request, cmk_id=key.key_id)
    if getattr(args, "enterprise_project", None):
        from imstui.core.enterprise_projects import eps_client, resolve_enterprise_project

        eps = eps_client(ims, getattr(args, "eps_endpoint", None), domain_id_for(args))
        project, _checked = await resolve_enterprise_project(eps, args.enterprise_project)
        request = replace(request, enterprise_project_id=project.id)
    return request


@dataclass
class _Sent:
    """How far the submission got (for what an interruption prints) and what recording the job id later takes."""

    profile: str
    demo: bool
    region: str = ""
    project_id: str | None = None
    sending: bool = False
    job_id: str | None = None
    recorded: bool = False

    def import_command(self) -> str:
        """The exact command that records ``job_id`` in the ledger under the same profile, region and project."""
        assert self.job_id is not None
        profile = None if self.profile == ENV_PROFILE_FALLBACK else self.profile
        return import_command(
            self.job_id, region=self.region, project_id=self.project_id, profile=profile, demo=self.demo
        )


def _not_recorded(out: Output, result: SubmitResult, sent: _Sent, base: dict[str, Any]) -> int:
    """IMS accepted the copy but the ledger would not take its job id: print the id and how to record it."""
    assert result.job_id is not None and result.not_recorded is not None
    command = sent.import_command()
    print(
        f"error: IMS accepted the copy as job {result.job_id}, but the job ledger could not record it: "
        f"{result.not_recorded}",
        file=out.stderr,
    )
    print(f"  record it once the ledger can be written again: {command}", file=out.stderr)
    out.document(
        {
            "ok": False,
            **base,
            "job_id": result.job_id,
            "recorded": False,
            "record_command": command,
            "error": error_to_dict(result.not_recorded),
        }
    )
    return EXIT_NOT_RECORDED


async def _copy(
    client: ImsApi,
    image_id: str,
    request: CopyRequest,
    wait: bool,
    out: Output,
    sent: _Sent,
    ledger: Ledger,
    *,
    timeout: float | None = None,
    named: bool = True,
    tags: list[ImageTag] | None = None,
    tagger: Tagger | None = None,
) -> int:
    image = await client.get_image(image_id)
    if not named:
        request = replace(request, name=default_copy_name(image.name))
        bad_name = check_name(request.name)
        if bad_name is not None:
            hint = Violation(bad_name.rule, f"{bad_name.message} (the default name {request.name!r}; pass --name)")
            return out.violations({"name": hint})
        out.progress(f"no --name given: the copy is named {request.name!r} (<source name>-copy, as the console does)")
    verdict = assess(image, client.project_id)
    base: dict[str, Any] = {
        "source_image_id": image.id,
        "name": request.name,
        "warnings": [condition_to_dict(c) for c in verdict.warnings],
    }
    if tags:
        base["tags"] = [[t.key, t.value] for t in tags]
    if not verdict.ok:
        print(f"error: image {image.id} ({image.name}) cannot be copied within the region:", file=out.stderr)
        for text in conditions_lines(verdict.blocking, "x"):
            print(text, file=out.stderr)
        print("nothing was submitted", file=out.stderr)
        out.document(
            {
                "ok": False,
                **base,
                "error": {
                    "type": "ImageNotEligible",
                    "message": "the image cannot be copied within the region",
                    "blocking": [condition_to_dict(c) for c in verdict.blocking],
                },
            }
        )
        return EXIT_FAILURE
    if request.cmk_id and image.cmk_id and request.cmk_id.lower() == image.cmk_id.lower():
        return out.violations(
            {
                "cmk_id": Violation(
                    "cmk_id.same_as_source",
                    "The KMS key for the copy must differ from the key that encrypts the source image (IMG.0096).",
                )
            },
            extra=base,
        )
    for condition in verdict.warnings:
        out.warn(f"{condition.title}: {condition.detail}")

    sent.sending, sent.region, sent.project_id = True, client.region, client.project_id
    # The ledger row (source image, requested name) is written before the POST and gets the job id after it:
    # a crash or a lost answer leaves a visible "outcome unknown" row (imstui jobs --failed).

    def answered(job_id: str) -> None:
        sent.job_id = job_id

    result = await submit_copy(
        client,
        ledger,
        profile=sent.profile,
        image=image,
        request=request,
        on_job_id=answered,
        tags=tags or (),
        **_retry_sleep(),
    )
    sent.project_id = result.record.project_id or sent.project_id
    if result.job_id is None:
        assert result.outcome_error is not None
        raise result.outcome_error
    if result.not_recorded is not None:
        return _not_recorded(out, result, sent, base)
    sent.recorded = True
    job_id = result.job_id
    out.progress(f"copy submitted: job {job_id} (follow it with: imstui job {job_id})")
    if not wait:
        if tags:
            base["tags_state"] = "pending"
            out.progress(
                f"tags pending: applied to the new image once the job succeeds, by the imstui that follows it "
                f"(imstui jobs watch, the console, or imstui job {job_id} --retry-tags)"
            )
        out.document({"ok": True, **base, "job_id": job_id})
        return EXIT_OK

    try:
        job = await wait_for_job(
            client, job_id, out, ledger=ledger, profile=sent.profile, timeout=timeout, tagger=tagger
        )
    except ImstuiError as error:
        print(f"the copy was submitted as job {job_id}, but following it stopped:", file=out.stderr)
        return out.error(error, extra={**base, "job_id": job_id})
    if job is None:
        assert timeout is not None
        out.document({"ok": False, "timed_out": True, **base, "job_id": job_id})
        out.progress(timed_out_line(timeout, 1))
        return EXIT_TIMEOUT
    doc: dict[str, Any] = {
        "ok": job.status is JobStatus.SUCCESS,
        **base,
        "job_id": job_id,
        "new_image_id": job.new_image_id,
        "job": job_to_dict(job),
    }
    if job.status is JobStatus.SUCCESS:
        tagged = await tagger.tag_row(result.record.row_id) if tagger is not None and tags else None
        if tagged is not None:
            doc.update(tags_state=tagged.tags_state, tags_error=tagged.tags_error)
            doc["ok"] = tagged.tags_state == "applied"
        out.document(doc)
        out.line(f"new image: {job.new_image_id or '(IMS did not report the new image id)'}")
        if tagged is None:
            return EXIT_OK
        said = tags_sentence(tagged.tags_state, len(tagged.tags), tagged.tags_error) or ""
        if tagged.tags_state == "applied":
            out.line(f"{said}: {', '.join(str(t) for t in tagged.tags)}")
            return EXIT_OK
        print(f"error: job {job_id}: {said}", file=out.stderr)
        print(f"  {TAGS_RETRY_HINT.replace('JOB', job_id)}", file=out.stderr)
        return EXIT_FAILURE
    info = describe(job.error_code, job.fail_reason)
    reason = (job.fail_reason or "no reason given").replace("\n", " ")
    print(f"error: job {job_id} failed: {job.error_code or 'no error code'}: {reason}", file=out.stderr)
    if info is not None:
        print(f"  meaning: {info.meaning}", file=out.stderr)
        print(f"  next step: {info.next_step}", file=out.stderr)
    out.document(doc)
    return EXIT_FAILURE
