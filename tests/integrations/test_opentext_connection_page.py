"""A client's OpenText connection page and service: agency admins set and remove it (audited, never with the
secret, which is kept encrypted); a tenant change is refused while the client has open runs (they live at the old
tenant); other members read it; external members and other clients' people get a 404."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEvent
from apps.clients.models import OpenTextConnection
from apps.common.roles import RoleCode
from apps.integrations.opentext import connection as ot_connection
from apps.workflows.choices import RunStatus
from apps.workflows.models import WorkflowRun
from tests.factories import member

pytestmark = pytest.mark.django_db
URL = "/integrations/opentext/{}/"
GOOD = {"tenant": "acme-own", "base_url": "", "service_client_id": "acme-svc", "service_client_secret": "s3cret!"}


def test_an_agency_admin_sets_the_connection_audited_without_the_secret(client, client_a, agency_admin):
    client.force_login(agency_admin)
    page = client.get(URL.format(client_a.slug)).content.decode()
    assert "has no OpenText tenant of its own" in page
    assert client.post(URL.format(client_a.slug), GOOD).status_code == 302
    saved = OpenTextConnection.objects.get(client=client_a)
    assert (saved.tenant, saved.service_client_id, saved.service_client_secret) == ("acme-own", "acme-svc", "s3cret!")
    event = AuditEvent.objects.get(action="integrations.opentext_connection.save")
    assert event.after == {
        "tenant": "acme-own",
        "base_url": "",
        "service_client_id": "acme-svc",
        "secret_changed": True,
    }
    assert "s3cret" not in str(event.before) + str(event.after)
    page = client.get(URL.format(client_a.slug)).content.decode()
    assert "its own OpenText tenant" in page and "s3cret" not in page
    # an empty secret keeps the current one
    assert client.post(URL.format(client_a.slug), {**GOOD, "service_client_secret": ""}).status_code == 302
    assert OpenTextConnection.objects.get(client=client_a).service_client_secret == "s3cret!"


def test_refusals_are_shown_at_their_field_and_nothing_is_saved(client, client_a, agency_admin):
    client.force_login(agency_admin)
    answer = client.post(URL.format(client_a.slug), {**GOOD, "tenant": "has space"})
    assert answer.status_code == 400 and 'id="tenant-error"' in answer.content.decode()
    answer = client.post(URL.format(client_a.slug), {**GOOD, "base_url": "ftp://x"})
    assert answer.status_code == 400 and 'id="base_url-error"' in answer.content.decode()
    answer = client.post(URL.format(client_a.slug), {**GOOD, "service_client_secret": ""})
    assert answer.status_code == 400 and 'id="secret-error"' in answer.content.decode()
    assert not OpenTextConnection.objects.exists()


def test_the_tenant_does_not_move_under_open_runs(client_a, agency_admin):
    ot_connection.save(client_a, actor=agency_admin, data=GOOD)
    WorkflowRun.objects.create(
        client=client_a,
        process_key="asset_approval",
        business_key="acme:1",
        subject_type="assets.asset",
        subject_id=1,
        status=RunStatus.RUNNING,
        remote_id="x",
    )
    with pytest.raises(ot_connection.ConnectionRefused, match="open run"):
        ot_connection.save(client_a, actor=agency_admin, data={**GOOD, "tenant": "elsewhere"})
    with pytest.raises(ot_connection.ConnectionRefused):
        ot_connection.remove(client_a, actor=agency_admin)
    ot_connection.save(client_a, actor=agency_admin, data={**GOOD, "service_client_secret": "rotated"})  # allowed
    saved = OpenTextConnection.objects.get(client=client_a)
    assert (saved.tenant, saved.service_client_secret) == ("acme-own", "rotated")
    WorkflowRun.objects.update(status=RunStatus.COMPLETED)
    assert ot_connection.remove(client_a, actor=agency_admin) is True
    assert AuditEvent.objects.filter(action="integrations.opentext_connection.remove").count() == 1


def test_who_may_see_and_change_it(client, client_a, client_b, external):
    legal = member(client_a, RoleCode.LEGAL)
    client.force_login(legal)
    page = client.get(URL.format(client_a.slug))
    assert page.status_code == 200 and "Only the client's agency admins can change it" in page.content.decode()
    assert client.post(URL.format(client_a.slug), GOOD).status_code == 403
    assert client.get(URL.format(client_b.slug)).status_code == 404
    client.force_login(external)
    assert client.get(URL.format(client_a.slug)).status_code == 404
    assert not OpenTextConnection.objects.exists()
