"""Connecting a client to its Smint.io tenant, and disconnecting it. Audited; no remote call in a web request
(the code exchange and the revocation run in the worker)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.audit import services as audit
from apps.clients.models import Client, ConnectionStatus, SmintioConnection
from apps.common.roles import Capability
from apps.outbox import services as outbox
from apps.outbox.choices import Platform

from .smintio.client import SmintioClient

SESSION_KEY = "greenlight_smintio_oauth"


def _require_admin(actor, client: Client) -> None:
    if not actor.has_capability(client, Capability.MANAGE_CLIENT):
        raise PermissionDenied("Only the client's agency admins may connect or disconnect Smint.io.")


def redirect_uri() -> str:
    return settings.PORTAL_URL + reverse("integrations:smintio_callback")


def begin_connect(request, client: Client, *, tenant: str) -> str:
    """Remember an OAuth ``state`` for this browser session and return Smint.io's consent URL."""
    _require_admin(request.user, client)
    connection, _ = SmintioConnection.objects.get_or_create(client=client, defaults={"tenant": tenant})
    if connection.tenant != tenant:
        connection.tenant = tenant
        connection.save(update_fields=["tenant", "updated_at"])
    state = secrets.token_urlsafe(24)
    pending = request.session.get(SESSION_KEY, {})
    pending[state] = {"client": client.pk, "at": int(timezone.now().timestamp())}
    request.session[SESSION_KEY] = dict(list(pending.items())[-5:])  # a few tabs at most
    return SmintioClient(connection).authorization_url(redirect_uri=redirect_uri(), state=state)


def finish_connect(request, *, state: str, code: str) -> SmintioConnection:
    """Accept Smint.io's redirect: check the state against this session, keep the code for the worker."""
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.pop(state, None)
    request.session[SESSION_KEY] = pending
    if entry is None or timezone.now().timestamp() - entry["at"] > 600:
        raise PermissionDenied("This sign-in to Smint.io was not started here, or it is older than 10 minutes.")
    client = Client.objects.visible_to(request.user).get(pk=entry["client"])
    _require_admin(request.user, client)
    with transaction.atomic():
        connection = SmintioConnection.objects.select_for_update().get(client=client)
        connection.pending_code = code
        connection.pending_redirect_uri = redirect_uri()
        connection.status = ConnectionStatus.CONNECTING
        connection.status_reason = ""
        connection.connected_by = request.user
        connection.save()
        audit.record(
            "integrations.smintio.connect",
            actor=request.user,
            client=client,
            obj=connection,
            after={"tenant": connection.tenant},
        )
        transaction.on_commit(lambda: _queue_exchange(connection.pk))
    return connection


def _queue_exchange(connection_id: int) -> None:
    from django_q.tasks import async_task

    async_task("apps.integrations.tasks.exchange_smintio_code", connection_id, task_name="smintio connect")


def disconnect(client: Client, *, actor) -> SmintioConnection:
    """Stop using the connection at once; the worker revokes the refresh token at Smint.io."""
    _require_admin(actor, client)
    with transaction.atomic():
        connection = SmintioConnection.objects.select_for_update().get(client=client)
        had_token = bool(connection.refresh_token)
        connection.token_to_revoke = connection.refresh_token or connection.token_to_revoke
        connection.refresh_token = connection.access_token = connection.pending_code = ""
        connection.access_expires_at = None
        connection.status = ConnectionStatus.NOT_CONNECTED
        connection.status_reason = f"Disconnected by {actor.email}."
        connection.save()
        audit.record("integrations.smintio.disconnect", actor=actor, client=client, obj=connection)
        if had_token:
            outbox.enqueue(
                client=client,
                platform=Platform.SMINTIO,
                kind="smintio.revoke",
                ordering_key=f"smintio:connection:{connection.pk}",
                payload={"connection": connection.pk},
            )
    return connection


def bootstrap(client: Client, *, tenant: str, refresh_token: str, actor=None, verify: bool = True) -> SmintioConnection:
    """Connect without a browser from a pre-issued refresh token (``SMINTIO_REFRESH_TOKEN``); ``verify`` spends
    it once at once (commands may call the platform), so a wrong token is reported now rather than at the first
    pull."""
    with transaction.atomic():
        connection, _ = SmintioConnection.objects.select_for_update().get_or_create(
            client=client, defaults={"tenant": tenant}
        )
        connection.tenant = tenant
        connection.refresh_token = refresh_token
        connection.access_token = ""
        connection.access_expires_at = None
        connection.status = ConnectionStatus.CONNECTED
        connection.status_reason = ""
        connection.connected_at = timezone.now()
        connection.save()
        audit.record(
            "integrations.smintio.bootstrap", actor=actor, client=client, obj=connection, after={"tenant": tenant}
        )
    if verify:
        SmintioClient(connection).refresh()
        connection.refresh_from_db()
    return connection
