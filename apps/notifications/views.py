"""The notification centre (list, mark read, preferences), the one-click unsubscribe page (no sign-in: RFC 8058)
and the development mailbox. Every state change is a POST; the centre's list and the top bar's badge are htmx
fragments of the same templates."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from . import mailbox, services
from .choices import DEFAULT_MODES, Kind, Mode
from .mail import read_unsubscribe_token
from .models import MailboxMessage, Notification

LIST_LIMIT = 200


def _list_context(request) -> dict:
    rows = (
        Notification.objects.visible_to(request.user)
        .order_by(F("read_at").asc(nulls_first=True), "-created_at", "-id")
        .select_related("client")[:LIST_LIMIT]
    )
    return {"notifications": rows, "unread": services.unread_count(request.user)}


@login_required
@vary_on_headers("HX-Request")
def notification_list(request):
    template = "notifications/list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, _list_context(request))


def _after_change(request):
    if request.htmx:
        return render(request, "notifications/list.html#changed", _list_context(request))
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read(request, pk: int):
    notification = get_object_or_404(Notification.objects.visible_to(request.user), pk=pk)
    services.mark_read(request.user, [notification.pk])
    if request.POST.get("go") and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts=set(), require_https=request.is_secure()
    ):  # a path of this portal only
        return redirect(notification.url)
    return _after_change(request)


@login_required
@require_POST
def notification_read_all(request):
    services.mark_read(request.user)
    return _after_change(request)


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    current = services.preferences(request.user)
    saved = False
    if request.method == "POST":
        for kind in Kind.values:
            mode = request.POST.get(kind)
            if mode in Mode.values:
                services.set_preference(request.user, kind, mode, actor=request.user)
        current, saved = services.preferences(request.user), True
    rows = [
        {"kind": kind, "label": Kind(kind).label, "mode": current[kind], "default": DEFAULT_MODES[kind]}
        for kind in Kind.values
    ]
    return render(request, "notifications/preferences.html", {"rows": rows, "modes": Mode.choices, "saved": saved})


@csrf_exempt  # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" with no session; the token is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    found = read_unsubscribe_token(token)
    if found is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    user, kind = found
    done = False
    if request.method == "POST":
        services.set_preference(user, kind, Mode.OFF, via="unsubscribe link")
        done = True
    return render(
        request,
        "notifications/unsubscribe.html",
        {"kind_label": Kind(kind).label, "email": user.email, "done": done, "token": token},
    )


# -- the development mailbox ------------------------------------------------------------------------------------
def _mailbox_rows(request):
    if not mailbox.enabled():
        raise Http404("The mailbox exists only with the development mail backend.")
    rows = MailboxMessage.objects.all()
    if not request.user.is_staff:
        rows = rows.filter(to__contains=[request.user.email]) if _json_contains() else _own(rows, request.user.email)
    return rows


def _json_contains() -> bool:
    from django.db import connection

    return connection.features.supports_json_field_contains


def _own(rows, email: str):
    """SQLite has no JSON containment: the recipients list is matched as text (``"a@b"`` with its quotes)."""
    return rows.filter(to__icontains=f'"{email}"')


@login_required
def mailbox_list(request):
    rows = _mailbox_rows(request).only("id", "to", "subject", "sent_at")[:200]
    return render(request, "notifications/mailbox.html", {"messages_": rows})


@login_required
def mailbox_detail(request, pk: int):
    message = get_object_or_404(_mailbox_rows(request), pk=pk)
    return render(request, "notifications/mailbox_detail.html", {"message": message})
