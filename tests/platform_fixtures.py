"""Both platforms over real HTTP: the emulators mounted in pytest-django's live server, the portal's clients
pointed at them. Faults are injected through the emulators' control routes, never by patching ``requests``."""

from __future__ import annotations

import time

import pytest
import requests
from django.conf import settings as django_settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.clients.models import SmintioConnection
from apps.integrations import connections

OT_USERS = [
    {"email": "legal@acme.example", "groups": ["legal"]},
    {"email": "brand@acme.example", "groups": ["brand"]},
    {"email": "marketing@acme.example", "groups": ["marketing"]},
    {"email": "owner@acme.example", "groups": ["content_owner"]},
    {"email": "someone-else@acme.example", "groups": ["legal", "brand", "marketing"]},
]


class Platforms:
    """Control of both emulators for one test."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()

    def control(self, emulator: str, path: str, body: dict | None = None, method: str = "POST") -> dict:
        url = f"{self.base_url}/emulators/{emulator}/_emulator/{path}"
        response = self.http.request(method, url, json=body or {}, timeout=10)
        assert response.status_code < 400, response.text
        return response.json() if response.content else {}

    def fault(self, emulator: str, **fault) -> None:
        self.control(emulator, "faults", fault)

    @staticmethod
    def wait_for_held_calls() -> None:
        """Until every call held by a delay fault has been answered (what it stores is stored)."""
        from apps.emulators.core import faults

        assert faults.wait_for_held_calls(), "a call held by a delay fault is still unanswered after 15 s"

    def clear_faults(self, emulator: str) -> None:
        if emulator == "smintio":
            self.control("smintio", "faults/clear")
        else:
            self.control("opentext", "faults", method="DELETE")

    def requests_to(self, emulator: str, path_contains: str) -> list:
        from apps.emulators.core.models import RequestLog

        return list(RequestLog.objects.filter(emulator=emulator, path__contains=path_contains).order_by("id"))

    # -- Smint.io ------------------------------------------------------------------------------------------------
    def smintio_tenant(self, client, *, count: int = 30) -> SmintioConnection:
        """A seeded Smint.io tenant named like the client, and the client connected to it."""
        from apps.emulators.smintio import demo

        boot = demo.bootstrap(client.slug, name=client.name, count=count)
        return connections.bootstrap(client, tenant=client.slug, refresh_token=boot.refresh_token, verify=False)

    # -- OpenText --------------------------------------------------------------------------------------------------
    def opentext_tenant(self, users: list[dict] | None = None) -> None:
        """The test tenant at OpenText, with ``users`` (e-mail and groups) as its people (default ``OT_USERS``)."""
        from apps.emulators.opentext import provisioning

        provisioning.setup_tenant(
            django_settings.OT_TENANT_ID,
            name="Greenlight tests",
            client_id=django_settings.OT_CLIENT_ID,
            client_secret=django_settings.OT_CLIENT_SECRET,
            users=OT_USERS if users is None else users,
        )

    def approved_library(self, client, count: int):
        """``count`` assets pulled from the client's Smint.io tenant, all approved (what requests and campaigns
        match against)."""
        from apps.assets.choices import ApprovalState
        from apps.assets.models import Asset
        from apps.integrations.smintio.sync import pull

        pull(self.smintio_tenant(client, count=count), full=True)
        Asset.objects.filter(client=client).update(approval_state=ApprovalState.APPROVED)
        return client


@pytest.fixture
def platforms(live_server, settings):
    root = f"{live_server.url}/emulators"
    settings.PORTAL_URL = live_server.url
    settings.SMINTIO_AUTH_BASE = f"{root}/smintio/{{tenant}}/auth"
    settings.SMINTIO_API_BASE = f"{root}/smintio/{{tenant}}/consumer/v1"
    settings.OT_BASE_URL = f"{root}/opentext"
    settings.PLATFORM_TIMEOUT = (2, 2)
    from apps.integrations.opentext import client as ot_client

    ot_client._tokens.clear()  # tokens of an earlier test's (flushed) emulator tenant
    platforms = Platforms(live_server.url)
    yield platforms
    platforms.http.close()
    platforms.wait_for_held_calls()  # answered after the test, it would write into the next test's rows


def settle(rounds: int = 40, pause: float = 0.1) -> None:
    """Let the worker do its rounds now: deliver the outbox (without waiting out backoff) and poll OpenText, until
    nothing is queued and no run waits for OpenText's history to say how it ended (the emulator's history lags, as
    the platform's does). Work a fault keeps failing stays queued: the rounds run out and the test looks at it."""
    from apps.integrations.opentext import sync as opentext_sync
    from apps.outbox import services as outbox
    from apps.outbox.choices import OutboxStatus
    from apps.outbox.models import CircuitBreaker, OutboxMessage
    from apps.workflows.choices import RunStatus, TaskStatus
    from apps.workflows.models import Task, WorkflowRun

    open_tasks = Task.objects.filter(run=OuterRef("pk"), status=TaskStatus.OPEN)
    for _ in range(rounds):
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(next_attempt_at=timezone.now())
        CircuitBreaker.objects.update(open_until=None, probing_until=None, consecutive_failures=0)
        outbox.drain(max_seconds=30)
        waiting = opentext_sync.poll()["waiting"]
        queued = OutboxMessage.objects.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING]).exists()
        ending = WorkflowRun.objects.filter(status=RunStatus.RUNNING).exclude(Exists(open_tasks)).exists()
        if not (queued or waiting or ending):
            return
        time.sleep(pause)


# -- an asset-approval cycle at OpenText, for the flow tests of several apps -------------------------------------
@pytest.fixture
def reviewers(client_a):
    from apps.common.roles import RoleCode
    from tests.factories import member

    return {
        "legal": member(client_a, RoleCode.LEGAL, email="legal@acme.example"),
        "brand": member(client_a, RoleCode.BRAND, email="brand@acme.example"),
        "marketing": member(client_a, RoleCode.MARKETING, email="marketing@acme.example"),
        "owner": member(client_a, RoleCode.CONTENT_OWNER, email="owner@acme.example"),
    }


@pytest.fixture
def cycle(platforms, client_a, reviewers):
    """A synced asset whose approval cycle runs in OpenText with its three review tasks mirrored."""
    from apps.assets.choices import ApprovalState
    from apps.assets.models import Asset
    from apps.integrations.smintio.sync import pull
    from apps.reviews import services
    from apps.workflows.choices import RunStatus
    from apps.workflows.models import WorkflowRun

    platforms.opentext_tenant()
    client_a.review_usages = []  # no intended use: no licence warnings in these flows
    client_a.save()
    pull(platforms.smintio_tenant(client_a, count=3), full=True)
    asset = Asset.objects.filter(client=client_a, rights_state="valid").order_by("pk").first()
    Asset.objects.filter(client=client_a).exclude(pk=asset.pk).update(approval_state=ApprovalState.APPROVED)
    assert services.start_pending_approvals(client_a) == 1
    settle()
    run = WorkflowRun.objects.get(subject_id=asset.pk)
    assert run.status == RunStatus.RUNNING
    return run


def metadata_patches(asset) -> list[dict]:
    """The metadata PATCHes the Smint.io emulator received for ``asset``'s content element, oldest first."""
    from apps.emulators.smintio.models import MetadataUpdate

    return list(
        MetadataUpdate.objects.filter(content_element__uuid=asset.content_element_uuid)
        .order_by("version")
        .values_list("changes", flat=True)
    )
