"""``{% share_control subject %}``: who an asset or a case is shared with, and the form to share or revoke it, for
any page that shows one subject (it needs ``request`` in the context)."""

from __future__ import annotations

from django import template

from .. import services
from ..forms import ShareForm
from ..models import Share

register = template.Library()


@register.inclusion_tag("sharing/partials/share_control.html", takes_context=True)
def share_control(context, subject):
    request = context["request"]
    user = request.user
    client = subject.client
    shares = Share.objects.active().filter(subject_type=subject._meta.label_lower, subject_id=subject.pk)
    if user.is_external_in(client):
        return {"subject": subject, "mine": shares.filter(user=user).first(), "external": True}
    if not services.can_share(user, client):
        return {"subject": subject, "hidden": True}
    return {
        "subject": subject,
        "shares": list(shares.filter(client=client).select_related("user", "shared_by").order_by("user__email")),
        "form": ShareForm(subject=subject),
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
