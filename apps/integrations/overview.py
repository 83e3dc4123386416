"""What the sync log shows, for its page and for ``GET /api/v1/sync/``."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from apps.clients.models import Client, SmintioConnection
from apps.common.roles import Capability
from apps.outbox.choices import OutboxStatus
from apps.outbox.models import OutboxMessage

from .filtersets import asset_names
from .models import InboundEvent


def may_read_sync(user) -> bool:
    """Whether ``user`` may open the sync log: staff operators and the agency admins of some client."""
    return (
        user.is_authenticated
        and user.is_active
        and (user.is_staff or user.client_ids_with(Capability.MANAGE_CLIENT).exists())
    )


def operable_clients(user):
    """The clients whose sync state ``user`` may read: every client for a staff operator (they run the platform and
    already see every hint), else those where they are an agency admin."""
    if user.is_authenticated and user.is_active and user.is_staff:
        return Client.objects.all()
    return Client.objects.with_capability(user, Capability.MANAGE_CLIENT)


def sync_overview(user, client=None) -> dict:
    """What the sync log shows (also the API's ``/sync/`` body): per connection its position and health, the
    outbox by state, the calls that need a person, and the latest hints about them."""
    clients = operable_clients(user)
    if client is not None:
        clients = clients.filter(pk=client.pk)
    connections_qs = SmintioConnection.objects.filter(client__in=clients).select_related("client")
    messages_qs = OutboxMessage.objects.filter(client__in=clients)
    counts = messages_qs.aggregate(
        queued=Count("id", filter=Q(status=OutboxStatus.PENDING, attempts=0)),
        retrying=Count("id", filter=Q(status=OutboxStatus.PENDING, attempts__gt=0)),
        sending=Count("id", filter=Q(status=OutboxStatus.SENDING)),
        failed=Count("id", filter=Q(status=OutboxStatus.FAILED)),
        delivered=Count("id", filter=Q(status=OutboxStatus.DONE)),
    )
    attention = list(
        messages_qs.filter(Q(status=OutboxStatus.FAILED) | Q(status=OutboxStatus.PENDING, attempts__gt=0))
        .select_related("client")
        .order_by("-id")[:50]
    )
    delivered = list(
        messages_qs.filter(status=OutboxStatus.DONE).select_related("client").order_by("-sent_at", "-id")[:10]
    )
    hints = InboundEvent.objects.visible_to(user)  # the hints about these clients; staff operators see all
    if client is not None:
        hints = hints.filter(client=client)
    names = asset_names([*attention, *delivered], clients)
    for message in [*attention, *delivered]:
        message.asset_name = names.get((message.payload or {}).get("content_element_uuid"), "")
    return {
        "connections": list(connections_qs),
        "outbox_counts": counts,
        "attention": attention,
        "delivered": delivered,
        "hints": list(hints[:10]),
        "now": timezone.now(),
        "can_operate": clients.filter(pk__in=user.client_ids_with(Capability.MANAGE_CLIENT)).exists(),
    }
