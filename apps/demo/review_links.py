"""Demo review link (issue 15, item 7): Contoso's content manager sends a client stakeholder, Sam Stakeholder, a
link to review a few of Contoso's assets. A fresh demo has no asset before the worker's first pull, so the link is
sent by a schedule once the assets are there (the assets waiting for a stakeholder step when Contoso's approval
policy has one, else the first assets in review); ``seed_demo`` prints its URL once it exists, and the review links
page (``/review-links/``, as content-manager@contoso.example) shows it."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

CLIENT = "contoso"
SENDER = "content-manager@contoso.example"
HOLDER = ("Sam Stakeholder", "sam.stakeholder@contoso-partner.example")
JOB = "apps.demo.review_links.send_demo_link"
SCHEDULE = "demo.review_link"
ASSETS = 3


def demo_link():
    """Contoso's demo review link, once sent (``None`` before)."""
    from apps.reviews.models import ReviewLink

    return ReviewLink.objects.filter(client__slug=CLIENT, holder_email=HOLDER[1]).order_by("-id").first()


def kept_for_the_link(client) -> set[int] | None:
    """The assets whose stakeholder step the demo leaves to the link's holder: the link's, once it is sent;
    ``None`` while Contoso's link is not sent yet (the walkthrough then waits with every stakeholder step, or the
    link would find nothing left to review); nothing for another client."""
    if client.slug != CLIENT:
        return set()
    link = demo_link()
    return None if link is None else set(link.assets.values_list("pk", flat=True))


def url_of(link) -> str:
    from apps.reviews import links

    return f"{settings.PORTAL_URL}{reverse('reviews:link_page', args=[links.token_for(link)])}"


def queue_demo_link() -> None:
    """Have the worker send the link once Contoso's assets are there (every minute until it is sent)."""
    from django_q.models import Schedule

    if demo_link() is None:
        Schedule.objects.update_or_create(
            name=SCHEDULE, defaults={"func": JOB, "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1}
        )


def send_demo_link() -> str:
    """Schedule (demo only): send the link through ``reviews.links.create_link`` once there is something to send;
    the schedule ends when it is sent. Returns what happened, in words."""
    from django_q.models import Schedule

    from apps.accounts.models import User
    from apps.assets.choices import ApprovalState
    from apps.assets.models import Asset
    from apps.reviews import links

    if (link := demo_link()) is not None:
        Schedule.objects.filter(name=SCHEDULE).delete()
        return f"sent already: {url_of(link)}"
    sender = User.objects.filter(email=SENDER).first()
    if sender is None:
        return "no Contoso content manager"
    from apps.reviews.models import ApprovalPolicy

    waiting = [task.run.subject_id for task in links.awaiting(sender) if task.client.slug == CLIENT]
    asks = ApprovalPolicy.objects.filter(client__slug=CLIENT, stakeholder_step=True).exists()
    if not waiting and asks:
        return "waiting for a cycle to reach its stakeholder step"
    if not waiting:  # a policy without a stakeholder step: the link shows the assets and takes comments
        in_review = Asset.objects.filter(client__slug=CLIENT, approval_state=ApprovalState.IN_REVIEW)
        waiting = list(in_review.order_by("name", "pk").values_list("pk", flat=True))
    if not waiting:
        return "waiting for the first pull"
    link = links.create_link(actor=sender, name=HOLDER[0], email=HOLDER[1], assets=waiting[:ASSETS], days=30)
    Schedule.objects.filter(name=SCHEDULE).delete()
    return f"sent: {url_of(link)}"


def describe() -> str:
    """What ``seed_demo`` prints about the link."""
    link = demo_link()
    if link is None:
        return (
            f"  Contoso's stakeholder review link is sent by the worker once the first pull brought Contoso's assets;\n"
            f"  run seed_demo again to print it, or open /review-links/ as {SENDER}."
        )
    return f"  Contoso's stakeholder review link ({HOLDER[0]}, no account needed):\n  {url_of(link)}"


# -- a delegation (issue 15, item 8) ---------------------------------------------------------------------------------
# Contoso's legal reviewer is away next week; a deputy who holds legal there stands in. It starts in a week, so the
# walkthrough's approvals (decided by legal@contoso.example) are not affected today.
DEPUTY = ("legal-deputy@contoso.example", "Liv Legal-Deputy")
AWAY = "legal@contoso.example"
AWAY_IN_DAYS, AWAY_FOR_DAYS = 7, 5


def seed_delegation() -> None:
    """Idempotent: legal@contoso.example's delegation to the deputy, set through ``accounts.delegation`` once."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.accounts import delegation
    from apps.accounts.models import Membership, User

    away = Membership.objects.filter(user__email=AWAY, client__slug=CLIENT).select_related("user", "client").first()
    deputy = User.objects.filter(email=DEPUTY[0]).first()
    if away is None or deputy is None or away.delegate_id is not None:
        return
    start = timezone.localdate() + timedelta(days=AWAY_IN_DAYS)
    delegation.set_delegation(
        away, actor=away.user, delegate_id=deputy.pk, start=start, end=start + timedelta(days=AWAY_FOR_DAYS - 1)
    )


def describe_delegation() -> str:
    return (
        f"  {AWAY} is away from in {AWAY_IN_DAYS} days for {AWAY_FOR_DAYS} days; {DEPUTY[0]} (legal) stands in\n"
        "  (Profile, Delegation and out of office)."
    )
