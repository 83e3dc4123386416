import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError

from apps.audit.models import AuditEvent
from apps.clients.choices import TaskKind
from apps.clients.models import Client
from apps.clients.services import update_policies

pytestmark = pytest.mark.django_db


def test_policy_change_is_saved_and_audited_with_only_what_changed(client_a, agency_admin):
    update_policies(
        client_a, actor=agency_admin, changes={"rights_warning_days": 45, "usage_threshold_percent": 80}, reason="Q3"
    )
    client_a.refresh_from_db()
    assert client_a.rights_warning_days == 45
    event = AuditEvent.objects.get(action="clients.client.update_policies")
    assert event.actor == agency_admin and event.client == client_a and event.reason == "Q3"
    assert event.before == {"rights_warning_days": 30}
    assert event.after == {"rights_warning_days": 45}


def test_an_unchanged_save_writes_no_event(client_a, agency_admin):
    update_policies(client_a, actor=agency_admin, changes={"rights_warning_days": client_a.rights_warning_days})
    assert not AuditEvent.objects.exists()


def test_only_agency_admins_change_policies(client_a, legal, outsider):
    for actor in (legal, outsider):
        with pytest.raises(PermissionDenied):
            update_policies(client_a, actor=actor, changes={"rights_warning_days": 5})
    client_a.refresh_from_db()
    assert client_a.rights_warning_days == 30


def test_database_refuses_out_of_range_policies(client_a):
    with pytest.raises(IntegrityError):
        Client.objects.filter(pk=client_a.pk).update(usage_threshold_percent=101)


def test_sla_falls_back_to_the_product_default(client_a):
    client_a.sla_hours = {"approval": 12}
    assert client_a.sla_hours_for(TaskKind.APPROVAL) == 12
    assert client_a.sla_hours_for(TaskKind.RENEWAL) == 72
