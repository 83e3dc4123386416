"""What every subject's page shows of its runs, built once (an asset's page, a case's page, the pages to come).

A subject is what runs are about (``WorkflowRun.subject_type`` and ``subject_id``: an asset, a case). Its page shows
the runs with their tasks and decisions, the current run, which of the tasks the viewer may act on, the
conversation (the comments on all its runs, top-level ones with their replies) and the timeline (decisions,
comments, audit events of the subject, runs started). ``subject_context`` builds that in a fixed number of queries,
whatever the number of runs and comments; the case page calls it, the asset page gets it through the provider this
app registers on ``apps.assets.pages`` (``asset_page``).

The conversation is polled by the page for news: ``Thread.version`` names what the page shows, and the list view
(``workflows.views.comment_list``) answers 204 while it is still the current one, so nothing is sent or swapped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from django.db import models
from django.db.models import Count, Exists, Max, OuterRef, Prefetch
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from .models import Comment, Decision, Task, WorkflowRun
from .services import TEXT_LIMIT
from .timeline import attach_stage_times, subject_events

# The subject's latest audit events shown in its timeline.
TIMELINE_EVENTS = 30


def _label(subject: models.Model) -> str:
    return subject._meta.label_lower


def runs_of(subject: models.Model, viewer=None) -> list[WorkflowRun]:
    """The subject's runs, newest first, with their tasks (and holders) and decisions (with who and which task).
    With ``viewer``, each task says whether they may see it, hence act on it (``viewer_sees``: the condition of
    ``Task.objects.visible_to``, asked in the same statement)."""
    tasks = Task.objects.select_related("assignee").order_by("id")
    if viewer is not None:
        tasks = tasks.annotate(viewer_sees=Exists(Task.objects.visible_to(viewer).filter(pk=OuterRef("pk"))))
    return list(
        WorkflowRun.objects.filter(subject_type=_label(subject), subject_id=subject.pk)
        .order_by("-id")
        .prefetch_related(
            Prefetch("tasks", queryset=tasks),
            Prefetch("decisions", queryset=Decision.objects.select_related("actor", "task")),
        )
    )


def _comments_of(subject_type: str, subject_id: int):
    return Comment.objects.filter(run__subject_type=subject_type, run__subject_id=subject_id)


def thread_version(subject: models.Model) -> str:
    """What a page showing the subject's conversation shows, in one cheap query: the number of comments and the
    newest one (comments are never edited)."""
    found = _comments_of(_label(subject), subject.pk).aggregate(count=Count("id"), last=Max("id"))
    return f"{found['count']}.{found['last'] or 0}"


class Thread:
    """A subject's conversation: the comments on all its runs, oldest first (``comments``: the top-level ones,
    each with its ``thread_replies``), and where it is served. ``route`` is the namespaced prefix of its two URL
    names (``<route>_comments``: the list, polled; ``<route>_comment``: posting), e.g. ``workflows:asset``."""

    limit = TEXT_LIMIT
    limit_words = f"{TEXT_LIMIT:,}"

    def __init__(self, subject: models.Model, *, route: str, can_post: bool, notes: list[Comment] | None = None):
        self.subject = subject
        self.route = route
        self.can_post = can_post  # there is a run to comment on
        if notes is not None:
            self.notes = notes

    @cached_property
    def notes(self) -> list[Comment]:
        """Every comment, replies included, oldest first (by when it was written: a comment pulled from OpenText
        takes its place in time, not where the pull put it)."""
        return list(
            _comments_of(_label(self.subject), self.subject.pk).select_related("task").order_by("created_at", "id")
        )

    @cached_property
    def comments(self) -> list[Comment]:
        replies: dict[int | None, list[Comment]] = defaultdict(list)
        for note in self.notes:
            replies[note.parent_id].append(note)
        for note in self.notes:
            note.thread_replies = replies.get(note.pk, [])
        return replies[None]

    @property
    def version(self) -> str:
        return f"{len(self.notes)}.{max((note.pk for note in self.notes), default=0)}"

    @property
    def list_url(self) -> str:
        return reverse(f"{self.route}_comments", args=[self.subject.pk])

    @property
    def post_url(self) -> str:
        return reverse(f"{self.route}_comment", args=[self.subject.pk])


def subject_context(request: HttpRequest, subject: models.Model, *, route: str) -> dict[str, Any]:
    """The part of a subject's page its runs make: ``runs`` (newest first), ``current`` (the newest run or None),
    ``visible_tasks`` (ids of the tasks the viewer may see, hence act on), ``thread`` (a ``Thread``; ``route`` names
    its URLs), ``timeline`` (``(kind, when, item)`` newest first: ``decision``, ``comment``, ``event``, ``run``) and
    ``now``. Tenancy is the caller's: ``subject`` is one the viewer may see."""
    runs = runs_of(subject, viewer=request.user)
    visible_tasks = {task.pk for run in runs for task in run.tasks.all() if task.viewer_sees}
    thread = Thread(subject, route=route, can_post=bool(runs), notes=None if runs else [])
    events = subject_events(request.user, subject, runs, limit=TIMELINE_EVENTS)
    timeline = sorted(
        [("decision", d.decided_at, d) for run in runs for d in run.decisions.all()]
        + [("comment", note.created_at, note) for note in thread.notes]
        + [("event", event.created_at, event) for event in events]
        + [("run", run.created_at, run) for run in runs],
        key=lambda item: item[1],
        reverse=True,
    )
    now = timezone.now()
    attach_stage_times(runs, now)
    return {
        "runs": runs,
        "current": runs[0] if runs else None,
        "visible_tasks": visible_tasks,
        "thread": thread,
        "timeline": timeline,
        "now": now,
    }


def asset_page(request: HttpRequest, asset: models.Model, context: Mapping[str, Any]) -> dict[str, Any]:
    """The provider of the asset page (registered by ``WorkflowsConfig.ready`` on ``apps.assets.pages``)."""
    return subject_context(request, asset, route="workflows:asset")
