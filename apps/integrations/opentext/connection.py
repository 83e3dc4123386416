"""A client's own OpenText tenant (``clients.OpenTextConnection``), set and removed by its agency admins on
``/integrations/opentext/<slug>/``: audited without the secret. Its runs move with it only when it has none open: a
running instance lives at the tenant it started on, and every later call for it would go to the new one, so the
tenant, base URL and service client are refused while the client has open runs (the secret may be rotated any time).
No call to OpenText is made here (no remote call in a web request); the next poll uses the connection."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied
from django.core.validators import URLValidator
from django.db import transaction

from apps.audit import services as audit
from apps.clients.models import Client, OpenTextConnection
from apps.common.roles import Capability
from apps.workflows.choices import OPEN_RUN_STATUSES
from apps.workflows.models import WorkflowRun

TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
CLIENT_ID = re.compile(r"^[^\s]{1,200}$")
IDENTITY_FIELDS = ("tenant", "base_url", "service_client_id")


class ConnectionRefused(ValueError):
    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


def may_edit(user, client: Client) -> bool:
    return user.has_capability(client, Capability.MANAGE_CLIENT)


def open_runs(client: Client) -> int:
    return WorkflowRun.objects.filter(client=client, status__in=OPEN_RUN_STATUSES).count()


def clean(data: dict) -> dict:
    tenant = str(data.get("tenant") or "").strip()
    if not TENANT.match(tenant):
        raise ConnectionRefused("The tenant id: letters, digits and _ . - (up to 100).", field="tenant")
    base_url = str(data.get("base_url") or "").strip().rstrip("/")
    if base_url:
        try:
            URLValidator(schemes=["https", "http"])(base_url)
        except Exception:
            raise ConnectionRefused("An https:// address, or empty for the environment's.", field="base_url") from None
    client_id = str(data.get("service_client_id") or "").strip()
    if not CLIENT_ID.match(client_id):
        raise ConnectionRefused("The service client's id (no spaces, up to 200).", field="service_client_id")
    secret = str(data.get("service_client_secret") or "")
    if len(secret) > 1000:
        raise ConnectionRefused("At most 1,000 characters.", field="service_client_secret")
    return {"tenant": tenant, "base_url": base_url, "service_client_id": client_id, "secret": secret}


def save(client: Client, *, actor, data: dict) -> OpenTextConnection:
    """Create or change the client's OpenText connection (an empty secret keeps the current one)."""
    if not may_edit(actor, client):
        raise PermissionDenied("Only the client's agency admins may change its OpenText connection.")
    cleaned = clean(data)
    with transaction.atomic():
        Client.objects.select_for_update().get(pk=client.pk)  # one change at a time per client
        current = OpenTextConnection.objects.filter(client=client).first()
        before = {name: getattr(current, name) for name in IDENTITY_FIELDS} if current else {}
        after = {name: cleaned[name] for name in IDENTITY_FIELDS}
        moves = before != after
        if current is None and not cleaned["secret"]:
            raise ConnectionRefused("The service client's secret is needed.", field="service_client_secret")
        if moves and open_runs(client):
            raise ConnectionRefused(
                f"{client.name} has {open_runs(client)} open run(s) at its current tenant; they would be lost to the "
                "portal. Change the tenant once they have ended (the secret can be changed now).",
                field="tenant",
            )
        connection = current or OpenTextConnection(client=client)
        for name, value in after.items():
            setattr(connection, name, value)
        if cleaned["secret"]:
            connection.service_client_secret = cleaned["secret"]
        connection.updated_by = actor
        connection.save()
        audit.record(
            "integrations.opentext_connection.save",
            actor=actor,
            client=client,
            obj=client,
            before=before,
            after={**after, "secret_changed": bool(cleaned["secret"])},
        )
    return connection


def remove(client: Client, *, actor) -> bool:
    """Go back to the environment's tenant (refused while the client has open runs at its own)."""
    if not may_edit(actor, client):
        raise PermissionDenied("Only the client's agency admins may change its OpenText connection.")
    with transaction.atomic():
        Client.objects.select_for_update().get(pk=client.pk)
        current = OpenTextConnection.objects.filter(client=client).first()
        if current is None:
            return False
        if open_runs(client):
            raise ConnectionRefused(
                f"{client.name} has open runs at its tenant; remove the connection once they have ended.",
                field="tenant",
            )
        before = {name: getattr(current, name) for name in IDENTITY_FIELDS}
        current.delete()
        audit.record("integrations.opentext_connection.remove", actor=actor, client=client, obj=client, before=before)
    return True
