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
    stdout.write(f"Creative requests: {made} seeded" + (", one started in OpenText." if made else "."))
    return made
