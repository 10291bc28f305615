"""Many copies at once: one plan, checked first, stored before anything is sent, resumable, never a duplicate.

- :mod:`.plan`: the items (source, target name from a template, key, enterprise project, tags), the pre-flight
  (eligibility, the copy rules, duplicates, quota), pure;
- :mod:`.reads`: reading the plan's images in pages (few requests) and the quota;
- :mod:`.store`: the batch and its items in the ledger's SQLite file;
- :mod:`.submit`: at most N copies in flight, paced; IMG.0060 waits and is sent again; a maybe-sent copy never is;
- :mod:`.resume`: after a crash, what each claimed item became, and the items still to send;
- :mod:`.retry`: the items that definitely failed (refused, job FAIL) back to pending as new attempts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imstui.api.lazy import lazy_attributes

if TYPE_CHECKING:
    from imstui.core.batch.plan import (
        PLACEHOLDERS,
        BatchPlan,
        BatchSpec,
        ItemVerdict,
        PlanItem,
        SourceRef,
        build_plan,
        check_template,
        parse_sources,
        render_name,
    )
    from imstui.core.batch.reads import ImageReads, ListPage, prepare_plan, read_images
    from imstui.core.batch.resume import Reconciled, reconcile
    from imstui.core.batch.retry import NotRetried, RetryChoice, RetryPlan, retry_failed, retry_plan
    from imstui.core.batch.store import (
        PENDING,
        REJECTED,
        SENDING,
        SENT,
        SKIPPED,
        UNKNOWN,
        BatchBusyError,
        BatchRecord,
        BatchStore,
        IntentRow,
        ItemRecord,
        JobRow,
    )
    from imstui.core.batch.submit import (
        DEFAULT_IN_FLIGHT,
        MAX_IN_FLIGHT,
        BatchSubmitter,
        ItemEvent,
        SubmitReport,
        SubmitSettings,
        is_flow_control,
    )

# Each name is loaded from its module on first use (PEP 562), so that reading the account's batches (the console's
# batch rows, as soon as it connects: .store and .outcome) does not load the planner, the submitter, resume and
# retry with them (~10 ms of imports before "connected", measured with benchmarks/startup_bench.py).
_HOME = {
    # .plan
    "PLACEHOLDERS": "imstui.core.batch.plan",
    "BatchPlan": "imstui.core.batch.plan",
    "BatchSpec": "imstui.core.batch.plan",
    "ItemVerdict": "imstui.core.batch.plan",
    "PlanItem": "imstui.core.batch.plan",
    "SourceRef": "imstui.core.batch.plan",
    "build_plan": "imstui.core.batch.plan",
    "check_template": "imstui.core.batch.plan",
    "parse_sources": "imstui.core.batch.plan",
    "render_name": "imstui.core.batch.plan",
    # .reads
    "ImageReads": "imstui.core.batch.reads",
    "ListPage": "imstui.core.batch.reads",
    "prepare_plan": "imstui.core.batch.reads",
    "read_images": "imstui.core.batch.reads",
    # .resume
    "Reconciled": "imstui.core.batch.resume",
    "reconcile": "imstui.core.batch.resume",
    # .retry
    "NotRetried": "imstui.core.batch.retry",
    "RetryChoice": "imstui.core.batch.retry",
    "RetryPlan": "imstui.core.batch.retry",
    "retry_failed": "imstui.core.batch.retry",
    "retry_plan": "imstui.core.batch.retry",
    # .store
    "PENDING": "imstui.core.batch.store",
    "REJECTED": "imstui.core.batch.store",
    "SENDING": "imstui.core.batch.store",
    "SENT": "imstui.core.batch.store",
    "SKIPPED": "imstui.core.batch.store",
    "UNKNOWN": "imstui.core.batch.store",
    "BatchBusyError": "imstui.core.batch.store",
    "BatchRecord": "imstui.core.batch.store",
    "BatchStore": "imstui.core.batch.store",
    "IntentRow": "imstui.core.batch.store",
    "ItemRecord": "imstui.core.batch.store",
    "JobRow": "imstui.core.batch.store",
    # .submit
    "DEFAULT_IN_FLIGHT": "imstui.core.batch.submit",
    "MAX_IN_FLIGHT": "imstui.core.batch.submit",
    "BatchSubmitter": "imstui.core.batch.submit",
    "ItemEvent": "imstui.core.batch.submit",
    "SubmitReport": "imstui.core.batch.submit",
    "SubmitSettings": "imstui.core.batch.submit",
    "is_flow_control": "imstui.core.batch.submit",
}


__getattr__ = lazy_attributes(globals(), _HOME)


__all__ = [
    "DEFAULT_IN_FLIGHT",
    "MAX_IN_FLIGHT",
    "PENDING",
    "PLACEHOLDERS",
    "REJECTED",
    "SENDING",
    "SENT",
    "SKIPPED",
    "UNKNOWN",
    "BatchBusyError",
    "BatchPlan",
    "BatchRecord",
    "BatchSpec",
    "BatchStore",
    "BatchSubmitter",
    "ImageReads",
    "IntentRow",
    "ItemEvent",
    "ItemRecord",
    "ItemVerdict",
    "JobRow",
    "ListPage",
    "NotRetried",
    "PlanItem",
    "Reconciled",
    "RetryChoice",
    "RetryPlan",
    "SourceRef",
    "SubmitReport",
    "SubmitSettings",
    "build_plan",
    "check_template",
    "is_flow_control",
    "parse_sources",
    "prepare_plan",
    "read_images",
    "reconcile",
    "render_name",
    "retry_failed",
    "retry_plan",
]
