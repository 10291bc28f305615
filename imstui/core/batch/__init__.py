"""Many copies at once: one plan, checked first, stored before anything is sent, resumable, never a duplicate.

- :mod:`.plan`: the items (source, target name from a template, key, enterprise project, tags), the pre-flight
  (eligibility, the copy rules, duplicates, quota), pure;
- :mod:`.reads`: reading the plan's images in pages (few requests) and the quota;
- :mod:`.store`: the batch and its items in the ledger's SQLite file;
- :mod:`.submit`: at most N copies in flight, paced; IMG.0060 waits and is sent again; a maybe-sent copy never is;
- :mod:`.resume`: after a crash, what each claimed item became, and the items still to send.
"""

from __future__ import annotations

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
)

__all__ = [
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
    "IntentRow",
    "ItemRecord",
    "ItemVerdict",
    "PlanItem",
    "SourceRef",
    "build_plan",
    "check_template",
    "parse_sources",
    "render_name",
]
