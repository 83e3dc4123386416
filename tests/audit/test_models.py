import pytest
from django.db import DatabaseError, IntegrityError, transaction

from apps.audit import services as audit
from apps.audit.models import AuditEvent
from tests.factories import AuditEventFactory

pytestmark = pytest.mark.django_db


def test_record_keeps_actor_client_object_snapshots_and_request_id(client_a, legal):
    event = audit.record(
        "clients.client.update_policies",
        actor=legal,
        client=client_a,
        obj=client_a,
        before={"a": 1},
        after={"a": 2},
        reason="why",
    )
    assert (event.actor, event.actor_label, event.client) == (legal, legal.email, client_a)
    assert (event.object_type, event.object_id, event.object_repr) == (
        "clients.client",
        str(client_a.pk),
        "Acme Outdoor",
    )
    assert event.changes() == [("a", 1, 2)]


def test_system_events_name_the_system(client_a):
    assert audit.record("integrations.sync.finish", client=client_a).actor_label == "system"


@pytest.mark.parametrize("action", ["approve", "reviews.approve", "Reviews.Task.Approve", "reviews..approve"])
def test_actions_must_be_namespaced(action):
    with pytest.raises(ValueError, match=r"app\.noun\.verb"):
        audit.record(action)


def test_saving_an_existing_event_is_refused_by_the_model():
    event = AuditEventFactory()
    event.reason = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_the_database_refuses_an_update_that_bypasses_the_model():
    event = AuditEventFactory(reason="original")
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    event.refresh_from_db()
    assert event.reason == "original"


@pytest.mark.postgres
def test_the_database_refuses_a_delete_on_postgresql():
    event = AuditEventFactory()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_deleting_a_user_keeps_their_events_and_name(legal, client_a):
    event = audit.record("tests.thing.happen", actor=legal, client=client_a)
    legal.delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor_label == "legal@acme.example"
