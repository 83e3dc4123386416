from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from apps.audit.models import AuditEvent
from apps.clients.active import get_active_client


@login_required
def dashboard(request):
    """The home page. Issue 4 turns it into the reviewer's task inbox; today it shows where the user works and
    the latest activity they may see."""
    recent = (
        AuditEvent.objects.visible_to(request.user).for_client(get_active_client(request)).select_related("client")[:8]
    )
    return render(request, "reviews/dashboard.html", {"recent_events": recent})
