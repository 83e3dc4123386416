from __future__ import annotations

from typing import Self

from django.db import models

from apps.common.roles import Capability


class WebhookEndpointQuerySet(models.QuerySet):
    def visible_to(self, user) -> Self:
        """Endpoints of the clients where ``user`` is an admin (manages the client): webhooks carry the client's data
        to a third party, so only the people who decide about the client see and change them."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(client_id__in=user.client_ids_with(Capability.MANAGE_CLIENT))

    def subscribed(self, client, name: str) -> list:
        """The active endpoints of ``client`` that want events named ``name``. A client has a handful of endpoints;
        filtering the list here works on SQLite too (which has no JSON ``contains``)."""
        return [e for e in self.filter(client=client, is_active=True).order_by("pk") if name in e.event_types]
