"""What happened to a subject (an asset, a case) and to the runs and tasks of its flows, for the subject's page.

Every state change is audited on the object that changed (docs/architecture.md, "State changes"): the subject's own
moves on the subject, a run's on the run, a task's on the task. A subject's page reads them together, so its
timeline tells the whole story, without repeating what the page shows already (the runs themselves, and each
decision with its reason).
"""

from __future__ import annotations

from django.db.models import Q

from apps.audit.models import AuditEvent


def subject_events(user, subject, runs, *, limit: int) -> list[AuditEvent]:
    """The newest ``limit`` events ``user`` may read about ``subject`` and its ``runs`` (with their ``tasks`` and
    ``decisions`` prefetched): one query."""
    tasks = [task for run in runs for task in run.tasks.all()]
    told = Q(action="workflows.run.start")  # the page lists the run itself
    for run in runs:
        for decision in run.decisions.all():  # shown as the decision, with its reason and licence warnings
            told |= Q(
                object_type="workflows.task",
                object_id=str(decision.task_id),
                action=f"workflows.task.{decision.outcome}",
            )
    return list(AuditEvent.objects.visible_to(user).about(subject, *runs, *tasks).exclude(told).order_by("-id")[:limit])
