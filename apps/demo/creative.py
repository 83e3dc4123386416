"""Demo creative requests (issue 13) for Northwind and Contoso: each client's campaign types and formats, and
requests in different states made through the intake service as their requesters would (a draft, submitted ones
waiting for triage, a withdrawn draft), plus one started on OpenText's side, which the OpenText sync discovers.

A submitted request's process starts in OpenText when the worker delivers it (the outbox), so the seeded ones sit
in triage until then; the later states come from clicking through the flow (README, "Creative requests")."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from apps.accounts.models import User
from apps.clients.models import Client
from apps.creative import services
from apps.creative.models import CampaignType, CreativeRequest, Format

from . import review_links
from .comments import seed_opentext_comment

VOCABULARIES = {
    "northwind": (
        ["Product launch", "Seasonal sale", "Brand awareness"],
        [("Web banner", "image", "landscape", 1200, 600), ("Social square", "image", "square", 1080, 1080)],
    ),
    "contoso": (
        ["Product launch", "Patient education"],
        [("Print A4", "image", "portrait", 2480, 3508), ("Web banner", "image", "landscape", 1200, 600)],
    ),
}

# slug -> [(what happens to it, title, brief, countries, regions, usages, campaign type, format, deadline in days)]
REQUESTS = {
    "northwind": [
        (
            "submit",
            "Spring trail launch",
            "Families hiking mountain trails in the morning light; outdoor gear.",
            ["DE", "FR", "GB"],
            [],
            ["usage_web", "usage_social_media"],
            "Product launch",
            "Web banner",
            10,
        ),
        (
            "submit",
            "Autumn sale, North America",
            "People in autumn forests, warm jackets, city parks.",
            ["US", "CA"],
            [],
            ["usage_web"],
            "Seasonal sale",
            "",
            14,
        ),
        (
            "draft",
            "Winter gear teaser",
            "Snow, ski tracks, close-ups of gloves and boots.",
            ["AT", "CH"],
            [],
            ["usage_social_media"],
            "Brand awareness",
            "Social square",
            21,
        ),
        (
            "withdraw",
            "Summer festival stand",
            "Festival crowds with our tents.",
            ["NL"],
            [],
            ["usage_print"],
            "",
            "",
            30,
        ),
    ],
    "contoso": [
        (
            "submit",
            "Patient leaflet refresh",
            "Doctors talking with patients, calm clinic interiors.",
            ["DE", "AT"],
            [],
            ["usage_print", "usage_web"],
            "Patient education",
            "Print A4",
            12,
        ),
        (
            "draft",
            "Launch web banners",
            "Laboratory scenes, researchers at work.",
            ["GB", "IE"],
            [],
            ["usage_web"],
            "Product launch",
            "Web banner",
            25,
        ),
    ],
}


def _dates(days: int) -> dict:
    today = timezone.localdate()
    return {
        "deadline": today + timedelta(days=days),
        "run_from": today + timedelta(days=days + 3),
        "run_until": today + timedelta(days=days + 60),
    }


def seed_requests(stdout) -> int:
    """Seed the demo requests once per client (a client with requests is left as it is); returns how many."""
    made = 0
    for slug, (types, formats) in VOCABULARIES.items():
        client = Client.objects.filter(slug=slug).first()
        requester = User.objects.filter(email=f"requester@{slug}.example").first()
        if client is None or requester is None or CreativeRequest.objects.filter(client=client).exists():
            continue
        for name in types:
            CampaignType.objects.get_or_create(client=client, name=name)
        for name, content_type, orientation, width, height in formats:
            Format.objects.get_or_create(
                client=client,
                name=name,
                defaults={
                    "content_type": content_type,
                    "orientation": orientation,
                    "min_width": width,
                    "min_height": height,
                },
            )
        for action, title, brief, countries, regions, usages, kind, fmt, days in REQUESTS[slug]:
            intake = services.Intake(
                title=title,
                brief=brief,
                countries=countries,
                regions=regions,
                usages=usages,
                campaign_type=CampaignType.objects.filter(client=client, name=kind).first(),
                format=Format.objects.filter(client=client, name=fmt).first(),
                **_dates(days),
            )
            if action == "submit":
                services.submit(actor=requester, client=client, intake=intake)
            else:
                draft = services.save_draft(intake, client=client, requester=requester)
                if action == "withdraw":
                    services.cancel(draft, actor=requester, reason="The festival was called off.")
            made += 1
    if made and settings.EMULATORS:
        deadline = timezone.localdate() + timedelta(days=18)
        # started by Northwind's requester in OpenText itself; the sync mirrors it as a request
        call_command(
            "start_opentext_process",
            "creative_request",
            email="requester@northwind.example",
            name="Trade fair booth visuals",
            var=[
                "client=northwind",
                "title=Trade fair booth visuals",
                "brief=Large-format outdoor scenery for the booth wall; mountains, lakes.",
                "campaignType=Brand awareness",
                "countries=DE",
                "usages=usage_print,usage_advertising",
                f"deadline={deadline.isoformat()}",
                "requester=requester@northwind.example",
            ],
            stdout=stdout,
        )
        queue_demo_approvals()
    stdout.write(f"Creative requests: {made} seeded" + (", one started in OpenText." if made else "."))
    if made and settings.EMULATORS:
        stdout.write(
            "The worker approves the walkthrough's assets once the first pull's review cycles are at OpenText."
        )
    return made


# -- approved assets for the walkthrough ---------------------------------------------------------------------------
# A fresh demo has no approved asset, so a new request would have no match until reviewers approve some by hand.
# Once the worker's first pull has started every approval cycle at OpenText and mirrored its tasks, this job decides
# the review tasks of a sensible set of each client's assets as the client's legal, brand and marketing people
# would (``workflows.services.decide``: the decisions go to OpenText through the outbox, and the worker settles
# the cycles from OpenText's side). The set is chosen for the README walkthrough's request (Germany, web, a run
# starting in about two weeks): assets whose licence covers it through the run (full matches) and some whose
# licence reaches the country but not all of it (partial matches, with what is missing).
APPROVE_JOB = "apps.demo.creative.approve_demo_assets"
APPROVE_SCHEDULE = "demo.approve_assets"
# slug -> (countries, usages, run from / until in days from today, how many full and partial matches to approve)
WALKTHROUGH = {
    "northwind": ({"DE"}, {"usage_web"}, (14, 74), 12, 8),
    "contoso": ({"DE", "AT"}, {"usage_print", "usage_web"}, (15, 72), 6, 4),
}
APPROVAL_REASON = "Demo data: cleared for the seeded campaigns."
SIGNERS = ("legal", "brand", "marketing", "external")  # external: the client stakeholder of a policy that asks one


def queue_demo_approvals() -> None:
    """Have the worker approve the walkthrough's assets once the first pull's cycles are at OpenText (a schedule
    every minute until :func:`approve_demo_assets` says it is done, then it removes itself)."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=APPROVE_SCHEDULE,
        defaults={"func": APPROVE_JOB, "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1},
    )


def approve_demo_assets() -> dict:
    """Schedule (demo only): each demo client's walkthrough assets, approved through the reviewers' decisions once
    its cycles are ready; the schedule ends when every client is done."""
    from django_q.models import Schedule

    report = {}
    for slug, spec in WALKTHROUGH.items():
        client = Client.objects.filter(slug=slug).first()
        report[slug] = approve_for_walkthrough(client, *spec) if client is not None else "no client"
        if isinstance(report[slug], int):  # its cycles are at OpenText: someone comments on one there
            seed_opentext_comment(client)
    if all(isinstance(outcome, int) for outcome in report.values()):
        Schedule.objects.filter(name=APPROVE_SCHEDULE).delete()
    return report


def _cycles_ready(client) -> bool:
    """The client has assets and every open approval cycle has its tasks mirrored from OpenText."""
    from apps.assets.models import Asset
    from apps.reviews.services import APPROVAL
    from apps.workflows.choices import OPEN_RUN_STATUSES, TaskStatus
    from apps.workflows.models import WorkflowRun

    if not Asset.objects.filter(client=client).exists():
        return False
    runs = WorkflowRun.objects.filter(client=client, process_key=APPROVAL, status__in=OPEN_RUN_STATUSES)
    return runs.exists() and not runs.exclude(tasks__status=TaskStatus.OPEN).exists()


def approve_for_walkthrough(client, countries, usages, run_days, full: int, partial: int) -> int | str:
    """Decide the review tasks of up to ``full`` assets whose licence covers ``countries`` and ``usages`` through
    the run and ``partial`` that reach some of it; returns how many assets were approved, or why it waits (a
    string). A client with an approved asset already is done (0)."""
    from apps.accounts.models import User
    from apps.assets.choices import ApprovalState
    from apps.assets.models import Asset
    from apps.reviews.services import APPROVAL
    from apps.workflows import services as workflows
    from apps.workflows.choices import TaskStatus
    from apps.workflows.models import Task

    if Asset.objects.filter(client=client, approval_state=ApprovalState.APPROVED).exists():
        return 0
    if not _cycles_ready(client):
        return "waiting for the first pull and its approval cycles"
    from apps.creative import matching

    today = timezone.localdate()
    start, end = (today + timedelta(days=days) for days in run_days)
    want = matching.Want(countries=frozenset(countries), usages=frozenset(usages), run_from=start, run_until=end)
    open_tasks = Task.objects.filter(status=TaskStatus.OPEN, run__process_key=APPROVAL, run__client=client)
    waiting = sorted(set(open_tasks.values_list("run__subject_id", flat=True)))
    # as a request for this would see them once approved; not those an exception case holds, nor those without a
    # release on record, which the client's policy would hold once approved for advertising (flow 4)
    found = matching.coverage_of(client, want, waiting).values()
    offered = [m for m in found if not m.asset.on_hold and matching.released(m.asset)]
    chosen = [m.asset.pk for m in offered if m.coverage == matching.FULL][:full]
    chosen += [m.asset.pk for m in offered if m.coverage == matching.PARTIAL][:partial]
    people: dict[str, list] = {}
    approved = decided_any = 0
    # the client stakeholder's step: left to the demo's review link for its assets, and waits until it is sent
    kept = review_links.kept_for_the_link(client)
    waits_for_link = False
    for asset_id in chosen:
        tasks = list(open_tasks.filter(run__subject_id=asset_id).select_related("run").order_by("pk"))
        decided = 0
        for task in tasks:
            role = next((r for r in task.candidate_roles if r in SIGNERS), None)
            if role == "external" and kept is None:
                waits_for_link = True
            if role is None or (role == "external" and (kept is None or asset_id in kept)):
                continue
            if role not in people:  # the persona first (legal@<slug>.example), then the role's other members
                members = User.objects.filter(memberships__client=client, memberships__roles__code=role)
                people[role] = sorted(members.distinct(), key=lambda u: u.email != f"{role}@{client.slug}.example")
            for person in people[role]:  # a quorum's second signature is someone else's
                try:
                    workflows.decide(task, actor=person, outcome="approved", reason=APPROVAL_REASON)
                except workflows.InvalidTransition:  # not theirs (or signed by them already), or decided meanwhile
                    continue
                decided += 1
                break
        decided_any += decided
        # a cycle whose policy asks a client stakeholder last is not done until that task is decided too
        later = (
            tasks
            and tasks[0].run.variables.get("stakeholderStep")
            and not any(t.task_key == "stakeholder_review" for t in tasks)
        )
        approved += decided == len(tasks) and decided > 0 and not later
    if not approved and (decided_any or waits_for_link):
        return "waiting for the next step of the approval cycles"
    return approved
