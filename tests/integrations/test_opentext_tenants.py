"""Each client's runs go to its own OpenText tenant (issue 15, item 6): a client with an OpenText connection has its
approval cycles started, mirrored, completed and reconciled at its tenant, the others at the environment's; two
clients on two tenants never see each other's runs, over HTTP against the OpenText emulator."""

from __future__ import annotations

import pytest
from django.conf import settings

from apps.assets.choices import ApprovalState
from apps.assets.models import Asset
from apps.clients.models import OpenTextConnection
from apps.common.roles import RoleCode
from apps.integrations.opentext.client import OpenTextClient, for_client
from apps.integrations.opentext.sync import reconcile
from apps.workflows.choices import RunStatus, TaskStatus
from apps.workflows.models import Task, WorkflowRun
from apps.workflows.services import decide
from tests.factories import member
from tests.platform_fixtures import settle

pytestmark = pytest.mark.django_db(transaction=True)

BETA = {"tenant": "beta-tenant", "service_client_id": "beta-client", "service_client_secret": "beta-secret"}


def one_cycle(platforms, client) -> WorkflowRun:
    from apps.integrations.smintio.sync import pull
    from apps.reviews import services

    client.review_usages = []
    client.save()
    pull(platforms.smintio_tenant(client, count=2), full=True)
    asset = Asset.objects.filter(client=client, rights_state="valid").order_by("pk").first()
    Asset.objects.filter(client=client).exclude(pk=asset.pk).update(approval_state=ApprovalState.APPROVED)
    services.start_approval(asset)
    return WorkflowRun.objects.get(client=client, subject_id=asset.pk)


@pytest.fixture
def two_tenants(platforms, client_a, client_b):
    from apps.emulators.opentext import provisioning

    platforms.opentext_tenant()  # the environment's tenant: Acme's runs
    provisioning.setup_tenant(
        BETA["tenant"],
        name="Beta's own",
        client_id=BETA["service_client_id"],
        client_secret=BETA["service_client_secret"],
        users=[{"email": "legal@beta.example", "groups": ["legal"]}],
    )
    OpenTextConnection.objects.create(client=client_b, **BETA)
    return platforms


def test_two_clients_on_two_tenants_never_see_each_others_runs(two_tenants, client_a, client_b):
    from apps.emulators.opentext.models import OtProcessInstance

    run_a, run_b = one_cycle(two_tenants, client_a), one_cycle(two_tenants, client_b)
    settle()
    run_a.refresh_from_db()
    run_b.refresh_from_db()
    assert run_a.status == run_b.status == RunStatus.RUNNING
    tenant_of = dict(OtProcessInstance.objects.values_list("business_key", "tenant__tenant_id"))
    assert tenant_of == {run_a.business_key: settings.OT_TENANT_ID, run_b.business_key: BETA["tenant"]}
    assert Task.objects.filter(run=run_a, status=TaskStatus.OPEN).count() == 3
    assert Task.objects.filter(run=run_b, status=TaskStatus.OPEN).count() == 3

    # each tenant's token sees its own instance and tasks only (the emulator answers as OpenText would: 404)
    acme, beta = OpenTextClient(), for_client(client_b.pk)
    assert beta.identity == (settings.OT_BASE_URL.rstrip("/"), "beta-tenant", "beta-client")
    assert {t["processInstanceId"] for t in acme.tasks()} == {run_a.remote_id}
    assert {t["processInstanceId"] for t in beta.tasks()} == {run_b.remote_id}
    from apps.integrations.http import NotFound

    with pytest.raises(NotFound):
        acme.get_process(run_b.remote_id)
    with pytest.raises(NotFound):
        beta.get_process(run_a.remote_id)

    # a decision on Beta's task is completed at Beta's tenant, and the cycle ends there
    legal = member(client_b, RoleCode.LEGAL, email="legal@beta.example")
    brand = member(client_b, RoleCode.BRAND, email="brand@beta.example")
    marketing = member(client_b, RoleCode.MARKETING, email="marketing@beta.example")
    for person, role in ((legal, "legal"), (brand, "brand"), (marketing, "marketing")):
        task = Task.objects.get(run=run_b, status=TaskStatus.OPEN, candidate_roles=[role])
        decide(task, actor=person, outcome="approved", reason="Cleared")
    settle()
    run_a.refresh_from_db()
    run_b.refresh_from_db()
    assert (run_b.status, run_b.outcome) == (RunStatus.COMPLETED, "approved")
    assert run_a.status == RunStatus.RUNNING  # Acme's cycle untouched
    assert reconcile()["parked_resolved"] == 0
    run_a.refresh_from_db()
    assert run_a.status == RunStatus.RUNNING and Task.objects.filter(run=run_a, status=TaskStatus.OPEN).count() == 3


def test_without_a_connection_a_client_uses_the_environments_tenant(platforms, client_a):
    api = for_client(client_a.pk)
    assert api.identity == (settings.OT_BASE_URL.rstrip("/"), settings.OT_TENANT_ID, settings.OT_CLIENT_ID)
    OpenTextConnection.objects.create(client=client_a, tenant="own", service_client_id="own-client")
    assert for_client(client_a.pk).identity == (settings.OT_BASE_URL.rstrip("/"), "own", "own-client")
