"""The demo global campaign (flow 5): Northwind's "Summer peaks" in EMEA, Americas and APAC, on the web and social
media, with three assets in regional review and some cells decided, so the matrix shows every state.

``seed_campaign_people`` (inside ``seed_demo``'s seed, before the emulators learn the people) adds the regional
reviewers the three regions need besides the personas: APAC marketing, EMEA and APAC product. ``seed_campaign``
creates the campaign once, through the service a planner's click uses, and queues ``demo.campaign_review``: once
the worker's first pull has approved assets (the walkthrough's approvals, ``apps.demo.creative``), the job adds
three of them, starts the regional review and, when OpenText has the tasks, decides some cells as the regional
reviewers would (``workflows.services.decide``), then removes itself. The rest is left to the demo's reviewers."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from apps.accounts.models import Membership, Region, Role, User
from apps.assets.models import Asset
from apps.assets.querysets import available_condition
from apps.campaigns import services
from apps.campaigns.models import Campaign
from apps.clients.models import Client
from apps.common.roles import RoleCode
from apps.workflows import services as workflows
from apps.workflows.choices import OPEN_RUN_STATUSES, TaskStatus
from apps.workflows.models import Task, WorkflowRun

CLIENT = "northwind"
NAME = "Summer peaks (global)"
PLANNER = "content-manager@northwind.example"
JOB = "apps.demo.campaigns.advance_demo_campaign"
SCHEDULE = "demo.campaign_review"
REASON = "Demo data: regional review of the global campaign."

# persona -> (roles, region, name): regional reviewers the campaign's regions need besides seed_demo's personas
PEOPLE = {
    "reviewer-apac": ([RoleCode.REVIEWER, RoleCode.MARKETING], "apac", "Aiko Reviewer"),
    "product-emea": ([RoleCode.PRODUCT], "emea", "Pia Product"),
    "product-apac": ([RoleCode.PRODUCT], "apac", "Pavel Product"),
}

# (asset index, region) -> [(reviewer e-mail, role, outcome, reason, restrictions)]: the cells the job decides
DECISIONS = {
    (0, "emea"): [
        ("reviewer@northwind.example", "marketing", "approved", "", None),
        ("compliance@northwind.example", "compliance", "approved", "", None),
        ("product-emea@northwind.example", "product", "approved", "", None),
    ],
    (0, "amer"): [
        ("reviewer-amer@northwind.example", "marketing", "approved", "", None),
        (
            "compliance@northwind.example",
            "compliance",
            "restricted",
            "Outdoor advertising rules differ in Brazil: web only, US and Canada.",
            {"countries": ["US", "CA"], "channels": ["usage_web"], "until": None},
        ),
        ("product@northwind.example", "product", "approved", "", None),
    ],
    (1, "apac"): [
        ("compliance@northwind.example", "compliance", "rejected", "The jacket shown is not sold in APAC.", None),
    ],
}


def seed_campaign_people(password_hash: str) -> None:
    client = Client.objects.filter(slug=CLIENT).first()
    if client is None:
        return
    for persona, (role_codes, region_code, name) in PEOPLE.items():
        user, _ = User.objects.get_or_create(
            email=f"{persona}@{CLIENT}.example", defaults={"full_name": name, "password": password_hash}
        )
        membership, _ = Membership.objects.get_or_create(user=user, client=client)
        membership.roles.set(Role.objects.for_codes(role_codes))
        membership.regions.set(Region.objects.filter(code=region_code))


def seed_campaign(stdout) -> Campaign | None:
    """Northwind's global campaign, once (an existing one is left as it is)."""
    from django_q.models import Schedule

    client = Client.objects.filter(slug=CLIENT).first()
    planner = User.objects.filter(email=PLANNER).first()
    if client is None or planner is None or Campaign.objects.filter(client=client, name=NAME).exists():
        return None
    today = timezone.localdate()
    campaign = services.create(
        services.Plan(
            name=NAME,
            channels=["usage_web", "usage_social_media"],
            run_from=today + timedelta(days=21),
            run_until=today + timedelta(days=90),
            regions=[
                services.RegionPlan(code="emea", countries=["DE", "FR", "GB", "IT", "ES"]),
                services.RegionPlan(code="amer", countries=["US", "CA", "BR"]),
                services.RegionPlan(code="apac", countries=["JP", "AU", "SG"]),
            ],
        ),
        client=client,
        actor=planner,
    )
    Schedule.objects.update_or_create(
        name=SCHEDULE, defaults={"func": JOB, "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1}
    )
    stdout.write(f"Campaign “{NAME}” for Northwind: the worker adds its assets and starts the regional review.")
    return campaign


def advance_demo_campaign() -> str:
    """Schedule (demo only): one step of the demo campaign's review each minute until some cells are decided."""
    from django_q.models import Schedule

    campaign = Campaign.objects.filter(client__slug=CLIENT, name=NAME).select_related("client").first()
    planner = User.objects.filter(email=PLANNER).first()
    if campaign is None or planner is None:
        Schedule.objects.filter(name=SCHEDULE).delete()
        return "no demo campaign"
    if not campaign.assets.exists():
        assets = list(
            Asset.objects.filter(client=campaign.client).filter(available_condition()).order_by("name", "pk")[:3]
        )
        if len(assets) < 3:
            return "waiting for approved assets"
        services.add_assets(campaign, assets, actor=planner)
        services.start_review(campaign, actor=planner)
        return "review started"
    runs = WorkflowRun.objects.filter(subject_type=services.SUBJECT, client=campaign.client)
    if runs.filter(status__in=OPEN_RUN_STATUSES).exclude(tasks__status=TaskStatus.OPEN).exists():
        return "waiting for OpenText's tasks"
    entries = list(campaign.assets.order_by("added_at", "id").prefetch_related("cells__campaign_region__region"))
    decided = 0
    for (index, region), steps in DECISIONS.items():
        cell = next(c for c in entries[index].cells.all() if c.campaign_region.region.code == region)
        for email, role, outcome, reason, restrictions in steps:
            task = Task.objects.filter(
                run__subject_type=services.SUBJECT,
                run__subject_id=cell.pk,
                status=TaskStatus.OPEN,
                roles_key__contains=f",{role},",
            ).first()
            person = User.objects.filter(email=email).first()
            if task is None or person is None:
                continue
            try:
                workflows.decide(
                    task, actor=person, outcome=outcome, reason=reason or REASON, inputs=restrictions or {}
                )
            except workflows.InvalidTransition:  # decided meanwhile by a person of the demo
                continue
            decided += 1
    Schedule.objects.filter(name=SCHEDULE).delete()
    return f"{decided} regional decisions"
