"""A subject's conversation in HTML: the list of its comments (which its page polls) and posting one.

Comments belong to runs, and runs to a subject of any flow; so the two views serve every subject, named by its
model (``app_label.model``) and the prefix of its URL names (``route``) in the URL pattern's keyword arguments.
``comment_urls`` makes the pair: this app declares the assets' (``assets`` sits below ``workflows`` and may not
import these views), an app above declares its own subjects' (``exceptions/urls.py``: cases).

The list is only the list: no form, nothing else of the page, and 204 while the version the page shows is still
the current one, so a poll every ten seconds sends nothing and htmx leaves the page (and what is being typed)
alone. Posting answers with a fresh form (htmx puts the focus back on the button, which keeps its id) and the new
list out of band; a refusal answers 400 with the form as typed, the message at the field and the focus on it.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_POST

from apps.common.http import whole_number

from . import flows, services
from .choices import TaskStatus
from .models import Comment, Task, WorkflowRun
from .subject_pages import Thread, thread_version

THREAD = "workflows/partials/thread.html"


def comment_urls(prefix: str, subject: str, *, route: str) -> list[URLPattern]:
    """The two routes of a subject's conversation: ``GET <prefix>/<pk>/comments/`` (the list) and
    ``POST <prefix>/<pk>/comment/`` (a new comment), named ``<name>_comments`` and ``<name>_comment`` where
    ``route`` is ``<namespace>:<name>``."""
    name = route.split(":")[-1]
    kwargs = {"subject": subject, "route": route}
    return [
        path(f"{prefix}/<int:pk>/comments/", comment_list, kwargs, name=f"{name}_comments"),
        path(f"{prefix}/<int:pk>/comment/", comment_create, kwargs, name=f"{name}_comment"),
    ]


def _subject(request, subject: str, pk: int):
    """The subject, if the person may see it (another client's is a 404)."""
    return get_object_or_404(apps.get_model(subject).objects.visible_to(request.user), pk=pk)


def _page(subject: str, pk: int) -> str:
    page = flows.subject_page(subject)
    return (reverse(page, args=[pk]) if page else "/") + "#thread"


@login_required
@require_GET
def comment_list(request, pk: int, *, subject: str, route: str):
    """The subject's comments (for its page's poll); ``since``: the version the page shows, answered 204 when
    nothing changed since."""
    found = _subject(request, subject, pk)
    since = request.GET.get("since")
    if since is not None and since == thread_version(found):
        return HttpResponse(status=204)
    thread = Thread(found, route=route, can_post=True)
    return render(request, f"{THREAD}#comments", {"thread": thread})


@login_required
@require_POST
def comment_create(request, pk: int, *, subject: str, route: str):
    """A comment on the subject's current run, on the run's open task the person may see (so OpenText sees it
    too), optionally in reply to ``parent``."""
    found = _subject(request, subject, pk)
    run = WorkflowRun.objects.filter(subject_type=subject, subject_id=found.pk).order_by("-id").first()
    try:
        if run is None:
            raise services.DecisionRefused("There is nothing to comment on yet: no run has started.", field="body")
        parent = _parent(request, run)
        task = Task.objects.visible_to(request.user).filter(run=run, status=TaskStatus.OPEN).first()
        services.comment(run, actor=request.user, body=request.POST.get("body", ""), task=task, parent=parent)
    except services.DecisionRefused as exc:
        if not request.htmx:
            messages.error(request, str(exc))
            return redirect(_page(subject, found.pk))
        thread = Thread(found, route=route, can_post=run is not None, notes=[])
        context = {"thread": thread, "comment_error": str(exc), "comment_body": request.POST.get("body", "")}
        return render(request, f"{THREAD}#form", context, status=400)
    if not request.htmx:
        return redirect(_page(subject, found.pk))
    return render(request, f"{THREAD}#posted", {"thread": Thread(found, route=route, can_post=True)})


def _parent(request, run: WorkflowRun) -> Comment | None:
    raw = request.POST.get("parent", "")
    if not raw:
        return None
    parent = Comment.objects.filter(run__subject_type=run.subject_type, run__subject_id=run.subject_id)
    pk = whole_number(raw)
    found = parent.filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise services.DecisionRefused("The comment you reply to is not in this conversation.", field="parent")
    return found
