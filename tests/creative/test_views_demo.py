"""The demo's creative requests (``make run``): seeded through the intake service in different states for both
clients, once; and the request pages of the seeded people work."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient

from apps.creative.choices import RequestStatus
from apps.creative.models import CreativeRequest
from apps.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_requests_in_different_states_once_and_their_pages_open(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--quiet-logins")
    seeded = {(r.client.slug, r.status) for r in CreativeRequest.objects.select_related("client")}
    assert {
        ("northwind", RequestStatus.DRAFT),
        ("northwind", RequestStatus.TRIAGE),
        ("northwind", RequestStatus.CANCELLED),
        ("contoso", RequestStatus.DRAFT),
        ("contoso", RequestStatus.TRIAGE),
    } <= seeded
    count = CreativeRequest.objects.count()
    assert OutboxMessage.objects.count() >= 3  # each submitted request's process start waits for the worker
    call_command("seed_demo", "--quiet-logins")
    assert CreativeRequest.objects.count() == count

    http = HttpClient()
    http.post("/accounts/login/", {"username": "requester@northwind.example", "password": "greenlight-demo"})
    mine = http.get("/requests/").content.decode()
    assert "Spring trail launch" in mine and "Winter gear teaser" in mine and "Patient leaflet" not in mine
    launch = CreativeRequest.objects.get(title="Spring trail launch")
    page = http.get(launch.get_absolute_url())
    assert page.status_code == 200 and "In triage" in page.content.decode()
