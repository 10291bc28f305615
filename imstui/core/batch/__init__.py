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

import importlib
from typing import TYPE_CHECKING, Any

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
    "PLACEHOLDERS": "plan",
    "BatchPlan": "plan",
    "BatchSpec": "plan",
    "ItemVerdict": "plan",
    "PlanItem": "plan",
    "SourceRef": "plan",
    "build_plan": "plan",
    "check_template": "plan",
    "parse_sources": "plan",
    "render_name": "plan",
    # .reads
    "ImageReads": "reads",
    "ListPage": "reads",
    "prepare_plan": "reads",
    "read_images": "reads",
    # .resume
    "Reconciled": "resume",
    "reconcile": "resume",
    # .retry
    "NotRetried": "retry",
    "RetryChoice": "retry",
    "RetryPlan": "retry",
    "retry_failed": "retry",
    "retry_plan": "retry",
    # .store
    "PENDING": "store",
    "REJECTED": "store",
    "SENDING": "store",
    "SENT": "store",
    "SKIPPED": "store",
    "UNKNOWN": "store",
    "BatchBusyError": "store",
    "BatchRecord": "store",
    "BatchStore": "store",
    "IntentRow": "store",
    "ItemRecord": "store",
    "JobRow": "store",
    # .submit
    "DEFAULT_IN_FLIGHT": "submit",
    "MAX_IN_FLIGHT": "submit",
    "BatchSubmitter": "submit",
    "ItemEvent": "submit",
    "SubmitReport": "submit",
    "SubmitSettings": "submit",
    "is_flow_control": "submit",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


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
