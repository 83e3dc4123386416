"""Connecting a client to its Smint.io tenant, and disconnecting it. Audited; no remote call in a web request
(the code exchange and the revocation run in the worker).

Connecting through the browser is a ``SmintioConnectAttempt``, apart from the client's ``SmintioConnection``:
``begin_connect`` (the consent URL), ``finish_connect`` / ``refuse_connect`` (Smint.io's redirect back), then
``exchange_attempt`` in the worker, which swaps the new tenant and tokens into the connection only when Smint.io
gave them. Until then the connection keeps working as it was; an abandoned or failed attempt leaves it untouched.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.audit import services as audit
from apps.clients.models import AttemptStatus, Client, ConnectionStatus, SmintioConnectAttempt, SmintioConnection
from apps.common.roles import Capability
from apps.outbox import services as outbox
from apps.outbox.choices import Platform

from .http import PlatformError
from .smintio.client import SmintioClient, store_tokens

SESSION_KEY = "greenlight_smintio_oauth"


def _require_admin(actor, client: Client) -> None:
    if not actor.has_capability(client, Capability.MANAGE_CLIENT):
        raise PermissionDenied("Only the client's agency admins may connect or disconnect Smint.io.")


def redirect_uri() -> str:
    return settings.PORTAL_URL + reverse("integrations:smintio_callback")


def _for_tenant(client: Client, tenant: str) -> SmintioConnection:
    """An unsaved connection of ``client`` to ``tenant`` with the client's own settings (bases, OAuth client), to
    talk to that tenant before anything is swapped into the saved connection."""
    saved = SmintioConnection.objects.filter(client=client).first()
    if saved is None:
        return SmintioConnection(client=client, tenant=tenant)
    return SmintioConnection(
        client=client,
        tenant=tenant,
        auth_base=saved.auth_base,
        api_base=saved.api_base,
        oauth_client_id=saved.oauth_client_id,
        oauth_client_secret=saved.oauth_client_secret,
    )


def begin_connect(request, client: Client, *, tenant: str) -> str:
    """Start a connect attempt and return Smint.io's consent URL; the OAuth ``state`` is remembered in this
    browser session. The client's connection is not touched: it keeps its tenant and tokens until the attempt
    succeeds (``complete_attempt``)."""
    _require_admin(request.user, client)
    with transaction.atomic():
        attempt = SmintioConnectAttempt.objects.create(client=client, tenant=tenant, started_by=request.user)
        audit.record(
            "integrations.smintio.connect_start",
            actor=request.user,
            client=client,
            obj=attempt,
            after={"tenant": tenant},
        )
    state = secrets.token_urlsafe(24)
    pending = request.session.get(SESSION_KEY, {})
    pending[state] = {"client": client.pk, "attempt": attempt.pk, "at": int(timezone.now().timestamp())}
    request.session[SESSION_KEY] = dict(list(pending.items())[-5:])  # a few tabs at most
    return SmintioClient(_for_tenant(client, tenant)).authorization_url(redirect_uri=redirect_uri(), state=state)


def _attempt_of(request, state: str) -> SmintioConnectAttempt:
    """The attempt this browser session started with ``state``, still waiting for Smint.io (each state is
    accepted once); ``PermissionDenied`` otherwise."""
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.pop(state, None)
    request.session[SESSION_KEY] = pending
    age = SmintioConnectAttempt.ABANDON_AFTER.total_seconds()
    if entry is None or "attempt" not in entry or timezone.now().timestamp() - entry["at"] > age:
        raise PermissionDenied("This sign-in to Smint.io was not started here, or it is older than 10 minutes.")
    client = Client.objects.visible_to(request.user).filter(pk=entry["client"]).first()
    if client is None:
        raise PermissionDenied("This sign-in to Smint.io was for a client you are no longer a member of.")
    _require_admin(request.user, client)
    attempt = (
        SmintioConnectAttempt.objects.select_for_update()
        .filter(pk=entry["attempt"], client=client, status=AttemptStatus.STARTED)
        .select_related("client")
        .first()
    )
    if attempt is None:
        raise PermissionDenied("This sign-in to Smint.io is already finished.")
    return attempt


def finish_connect(request, *, state: str, code: str) -> SmintioConnectAttempt:
    """Accept Smint.io's redirect with a code: check the state against this session and keep the code on the
    attempt for the worker, which trades it for tokens. The connection is still untouched."""
    with transaction.atomic():
        attempt = _attempt_of(request, state)
        attempt.code, attempt.redirect_uri, attempt.status = code, redirect_uri(), AttemptStatus.EXCHANGING
        attempt.save(update_fields=["code", "redirect_uri", "status"])
        audit.record(
            "integrations.smintio.connect",
            actor=request.user,
            client=attempt.client,
            obj=attempt,
            after={"tenant": attempt.tenant},
        )
        transaction.on_commit(lambda: _queue_exchange(attempt.pk))
    return attempt


def refuse_connect(request, *, state: str, error: str) -> SmintioConnectAttempt:
    """Smint.io sent the browser back without a code (consent refused, or an error): the attempt failed, the
    connection is untouched."""
    with transaction.atomic():
        attempt = _attempt_of(request, state)
        _fail(attempt, f"Smint.io did not connect: {error}"[:1000], actor=request.user)
    return attempt


def _fail(attempt: SmintioConnectAttempt, reason: str, *, actor=None) -> None:
    attempt.status, attempt.reason, attempt.code, attempt.finished_at = AttemptStatus.FAILED, reason, "", timezone.now()
    attempt.save(update_fields=["status", "reason", "code", "finished_at"])
    audit.record(
        "integrations.smintio.connect_fail",
        actor=actor,
        client=attempt.client,
        obj=attempt,
        after={"tenant": attempt.tenant},
        reason=reason,
    )


def _queue_exchange(attempt_id: int) -> None:
    from django_q.tasks import async_task

    async_task("apps.integrations.tasks.exchange_smintio_attempt", attempt_id, task_name="smintio connect")


def exchange_attempt(attempt_id: int) -> SmintioConnection | None:
    """In the worker: trade the attempt's code for tokens at its tenant, then swap tenant and tokens into the
    client's connection in one transaction. If Smint.io refuses, the attempt fails and the connection is left as it
    was. Returns the connection when the attempt succeeded (None otherwise, also when it was not waiting)."""
    attempt = SmintioConnectAttempt.objects.select_related("client").filter(pk=attempt_id).first()
    if attempt is None or attempt.status != AttemptStatus.EXCHANGING or not attempt.code:
        return None
    try:
        tokens = SmintioClient(_for_tenant(attempt.client, attempt.tenant)).redeem_code(
            attempt.code, attempt.redirect_uri
        )  # no transaction is held across the call (SQLite's one write lock; the emulator answers in-process)
    except PlatformError as exc:
        with transaction.atomic():
            locked = SmintioConnectAttempt.objects.select_for_update().get(pk=attempt.pk)
            if locked.status == AttemptStatus.EXCHANGING:
                _fail(locked, f"Smint.io refused the connection: {exc.message}"[:1000])
        return None
    return complete_attempt(attempt.pk, tokens)


def complete_attempt(attempt_id: int, tokens: dict) -> SmintioConnection | None:
    """Swap a succeeded attempt into the client's connection: its tenant, the new tokens, connected. A change of
    tenant starts the sync positions afresh; a refresh token it replaces is revoked at its own tenant (outbox)."""
    with transaction.atomic():
        attempt = SmintioConnectAttempt.objects.select_for_update().select_related("client").get(pk=attempt_id)
        if attempt.status != AttemptStatus.EXCHANGING:
            return None  # finished meanwhile (a second run of the job)
        client = attempt.client
        connection, _ = SmintioConnection.objects.select_for_update().get_or_create(
            client=client, defaults={"tenant": attempt.tenant}
        )
        before = {"tenant": connection.tenant, "status": connection.status}
        old_tenant, old_token = connection.tenant, connection.refresh_token
        if old_tenant != attempt.tenant:
            connection.tenant = attempt.tenant
            connection.lpt_cursor = connection.usage_cursor = ""
            connection.last_change_seen_at = None
        store_tokens(connection, tokens)
        connection.refreshing_until = None
        connection.status, connection.status_reason = ConnectionStatus.CONNECTED, ""
        connection.connected_by, connection.connected_at = attempt.started_by, timezone.now()
        if old_token and old_token != connection.refresh_token:
            connection.token_to_revoke = old_token
        connection.save()
        attempt.status, attempt.code, attempt.finished_at = AttemptStatus.SUCCEEDED, "", timezone.now()
        attempt.save(update_fields=["status", "code", "finished_at"])
        audit.record(
            "integrations.smintio.connected",
            client=client,
            obj=connection,
            before=before,
            after={"tenant": connection.tenant, "status": connection.status},
            reason=f"Smint.io accepted the consent of {attempt.started_by.email}." if attempt.started_by else "",
        )
        if old_token and old_token != connection.refresh_token:
            outbox.enqueue(
                client=client,
                platform=Platform.SMINTIO,
                kind="smintio.revoke",
                ordering_key=f"smintio:connection:{connection.pk}",
                payload={"connection": connection.pk, "tenant": old_tenant},
            )
    return connection


def disconnect(client: Client, *, actor) -> SmintioConnection:
    """Stop using the connection at once; the worker revokes the refresh token at Smint.io."""
    _require_admin(actor, client)
    with transaction.atomic():
        connection = SmintioConnection.objects.select_for_update().get(client=client)
        had_token = bool(connection.refresh_token)
        connection.token_to_revoke = connection.refresh_token or connection.token_to_revoke
        connection.refresh_token = connection.access_token = ""
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
                payload={"connection": connection.pk, "tenant": connection.tenant},
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
