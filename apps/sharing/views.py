"""Sharing and revoking from a subject's page (``templates/sharing/partials/share_control.html``). Plain form posts:
success goes back to the page with a message; input that cannot be used is a 400 with the form and its message."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.common.http import next_url

from . import services
from .forms import ShareForm
from .models import Share


@login_required
@require_POST
def share_create(request):
    """Share an asset or a case with an external member of its client (internal members only: 403 otherwise)."""
    subject = None
    raw = ShareForm(request.POST)
    raw.is_valid()  # the subject's fields first: the person picker depends on the subject's client
    if "subject_type" in raw.cleaned_data and "subject" in raw.cleaned_data:
        try:
            subject = services.find_subject(request.user, raw.cleaned_data["subject_type"], raw.cleaned_data["subject"])
        except services.ShareRefused:
            raise Http404("No such item among those you may see.") from None
    form = ShareForm(request.POST, subject=subject)
    if subject is not None and form.is_valid():
        data = form.cleaned_data
        try:
            share = services.share(subject, user=data["user"], actor=request.user, until=data["until"])
        except services.ShareRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Shared “{subject}” with {share.user.email} until {data['until']:%d %b %Y}.")
            return redirect(next_url(request))
    return render(
        request,
        "sharing/share_form.html",
        {"form": form, "subject": subject, "next": request.POST.get("next", "")},
        status=400,
    )


@login_required
@require_POST
def share_revoke(request, pk: int):
    """Revoke a share; the external member stops seeing the subject at once."""
    share = get_object_or_404(Share.objects.visible_to(request.user).select_related("user"), pk=pk)
    try:
        services.unshare(share, actor=request.user)
    except services.ShareRefused as exc:
        messages.info(request, str(exc))
    else:
        messages.success(request, f"{share.user.email} no longer sees “{share.subject_label}”.")
    return redirect(next_url(request))
