"""The Smint.io client: OAuth (authorization code, refresh with rotation, revocation), the cursor syncs and the
write-back. One instance per connection; tokens live (encrypted) on the connection row."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.clients.models import ConnectionStatus, SmintioConnection
from apps.common import events

from ..http import ONE_ATTEMPT, AuthError, PlatformError, PlatformHttp, RetryPolicy, TransientError
from . import contract

logger = logging.getLogger(__name__)

# Refresh this long before the access token expires, so a call never starts with a token about to lapse.
REFRESH_AHEAD = timedelta(seconds=60)
TOKEN_FIELDS = ["access_token", "access_expires_at", "refresh_token", "token_generation"]
# A token call is sent once and waited for this long (read timeout, seconds): the refresh token (and an
# authorization code) is single-use, so a call abandoned after it reached Smint.io may have spent it, and sending it
# again is answered "already used" and breaks the connection. The platform's usual read timeout is far shorter.
TOKEN_READ_TIMEOUT = 30.0
# How long one process may hold the right to spend the refresh token: longer than one token call can take, so a
# lease never lapses while its holder is still waiting for the answer.
REFRESH_LEASE = timedelta(seconds=TOKEN_READ_TIMEOUT + 30)


def _is_refusal(exc: PlatformError) -> bool:
    """Smint.io refused the refresh token or our client (not a passing failure): the connection is broken."""
    return isinstance(exc, AuthError) or (exc.status == 400 and exc.code in {"invalid_grant", "invalid_client"})


def error_fields(body: dict) -> tuple[str, str]:
    """(code, text) from Smint.io's ``{error, message}`` or OAuth's ``{error, error_description}``."""
    return str(body.get("error", "")), str(body.get("message") or body.get("error_description") or "")


def store_tokens(connection: SmintioConnection, tokens: dict) -> None:
    """Put a token endpoint's answer on the connection (not saved): a new generation of the pair."""
    connection.access_token = tokens["access_token"]
    connection.access_expires_at = timezone.now() + timedelta(seconds=int(tokens.get("expires_in") or 3600))
    if tokens.get("refresh_token"):
        connection.refresh_token = tokens["refresh_token"]
    connection.token_generation += 1


class SmintioClient:
    def __init__(self, connection: SmintioConnection, *, policy: RetryPolicy | None = None, sleep=None):
        self.connection = connection
        kwargs = {"sleep": sleep} if sleep else {}
        self.http = PlatformHttp(
            "Smint.io",
            session_key=f"smintio:{connection.pk}",
            error_fields=error_fields,
            reauth_statuses=contract.REAUTH_STATUSES,
            policy=policy,
            **kwargs,
        )
        # Token calls are never retried within the call (see TOKEN_READ_TIMEOUT); a failure goes to the caller.
        self.token_http = PlatformHttp(
            "Smint.io", session_key=f"smintio:{connection.pk}", error_fields=error_fields, policy=ONE_ATTEMPT
        )

    # -- OAuth ------------------------------------------------------------------------------------------------
    def authorization_url(self, *, redirect_uri: str, state: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.connection.resolved_client_id,
                "redirect_uri": redirect_uri,
                "scope": contract.SCOPE,
                "state": state,
            }
        )
        return f"{self.connection.resolved_auth_base}{contract.AUTHORIZE_PATH}?{query}"

    def _token_call(self, form: dict) -> dict:
        form = {
            **form,
            "client_id": self.connection.resolved_client_id,
            "client_secret": self.connection.resolved_client_secret,
        }
        response = self.token_http.request(
            "POST",
            self.connection.resolved_auth_base + contract.TOKEN_PATH,
            data=form,
            timeout=(settings.PLATFORM_TIMEOUT[0], TOKEN_READ_TIMEOUT),
        )
        return response.json()

    def redeem_code(self, code: str, redirect_uri: str) -> dict:
        """Trade an authorization code for tokens (the token endpoint's answer). Stores nothing: the caller
        swaps them into the connection (``connections.complete_attempt``)."""
        return self._token_call({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})

    def access_token(self) -> str:
        connection = self.connection
        if (
            connection.access_token
            and connection.access_expires_at
            and (connection.access_expires_at - REFRESH_AHEAD > timezone.now())
        ):
            return connection.access_token
        self.refresh()
        return self.connection.access_token

    def refresh(self) -> None:
        """Spend the refresh token once and store the rotated pair.

        Two workers must never spend the same refresh token (the second would be refused and the integration
        locked out), so a refresh first claims a short "refreshing" lease with a conditional UPDATE; whoever does
        not get it waits for the new generation and uses the winner's token. No database transaction is held
        during the HTTP call: on SQLite that would hold the only write lock while the platform (or an in-process
        emulator) answers.
        """
        generation = self.connection.token_generation
        now = timezone.now()
        lease = now + REFRESH_LEASE
        claimed = (
            SmintioConnection.objects.filter(pk=self.connection.pk, token_generation=generation)
            .filter(Q(refreshing_until__isnull=True) | Q(refreshing_until__lt=now))
            .update(refreshing_until=lease)
        )
        if not claimed:
            self._wait_for_other_refresh(generation)
            return
        try:
            # Re-read under the lease: the token to spend is the one stored now, never one this process read earlier.
            connection = SmintioConnection.objects.get(pk=self.connection.pk)
            if not connection.refresh_token:
                raise AuthError("Smint.io", "the connection has no refresh token; connect it again")
            try:
                tokens = self._token_call({"grant_type": "refresh_token", "refresh_token": connection.refresh_token})
            except PlatformError as exc:
                if _is_refusal(exc):
                    raise self._broken(connection, exc) from exc
                raise  # transient: the caller retries later (the token was sent once; see TOKEN_READ_TIMEOUT)
            store_tokens(connection, tokens)
            connection.refreshing_until = None
            # Only the token fields: a pull may be saving its cursor on this row at the same moment.
            connection.save(update_fields=[*TOKEN_FIELDS, "refreshing_until", "updated_at"])
            self.connection = connection
        finally:
            # Give back our own lease only: never one another process took after ours (it cannot lapse mid-call).
            mine = SmintioConnection.objects.filter(pk=self.connection.pk, refreshing_until=lease)
            mine.update(refreshing_until=None)

    def _wait_for_other_refresh(self, generation: int) -> None:
        deadline = time.monotonic() + REFRESH_LEASE.total_seconds() + 1
        while time.monotonic() < deadline:
            connection = SmintioConnection.objects.get(pk=self.connection.pk)
            if connection.token_generation != generation:
                self.connection = connection
                return
            if connection.status == ConnectionStatus.BROKEN:
                raise AuthError("Smint.io", connection.status_reason)
            time.sleep(0.2)
        raise TransientError("Smint.io", "another worker's token refresh did not finish")

    def _broken(self, connection: SmintioConnection, exc: PlatformError) -> AuthError:
        """Record that Smint.io refused the refresh token (a person must connect again) and say why; on the move
        from working to broken, ``sync.broken`` (once per connection's token generation: a new connection
        rotates it)."""
        was_broken = connection.status == ConnectionStatus.BROKEN
        connection.status = ConnectionStatus.BROKEN
        connection.status_reason = f"Smint.io refused the refresh token: {exc.message}"
        connection.access_token = ""
        with transaction.atomic():
            connection.save(update_fields=["status", "status_reason", "access_token", "updated_at"])
            if not was_broken:
                client = connection.client
                events.publish(
                    "sync.broken",
                    key=f"sync.broken:smintio:client-{client.pk}:gen-{connection.token_generation}",
                    client=client,
                    data={
                        "url": client.get_absolute_url(),
                        "title": f"Smint.io connection of {client.name}",
                        "platform": "smintio",
                        "reason": connection.status_reason,
                    },
                )
        return AuthError("Smint.io", connection.status_reason, status=exc.status, code=exc.code)

    def revoke(self, token: str) -> None:
        self.http.request(
            "POST",
            self.connection.resolved_auth_base + contract.REVOCATION_PATH,
            data={
                "token": token,
                "client_id": self.connection.resolved_client_id,
                "client_secret": self.connection.resolved_client_secret,
            },
        )

    # -- API --------------------------------------------------------------------------------------------------
    def _authorize(self, headers: dict) -> None:
        headers["Authorization"] = f"Bearer {self.access_token()}"

    def _force_refresh(self) -> None:
        self.connection.access_expires_at = None
        self.refresh()

    def _api(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.http.request(
            method,
            self.connection.resolved_api_base + path,
            authorize=self._authorize,
            reauthorize=self._force_refresh,
            **kwargs,
        )

    def generic_metadata(self) -> dict:
        return self._api("GET", contract.GENERIC_METADATA_PATH).json()

    def license_purchase_transactions(self, cursor: str = "", limit: int = contract.LPT_PAGE_LIMIT) -> dict:
        params = {"limit": limit, **({"continuation_uuid": cursor} if cursor else {})}
        return self._api("GET", contract.LPT_SYNC_PATH, params=params).json()

    def binaries(self, cart_uuid: str, lpt_uuid: str) -> list[dict]:
        return self._api("GET", contract.BINARIES_PATH.format(cpt=cart_uuid, lpt=lpt_uuid)).json()

    def usage_events(self, cursor: str = "", limit: int = contract.LPT_PAGE_LIMIT) -> dict:
        params = {"limit": limit, **({"continuation_uuid": cursor} if cursor else {})}
        return self._api("GET", contract.USAGE_SYNC_PATH, params=params).json()

    def put_workflow_status(self, element_uuid: str, body: dict, *, idempotency_key: str) -> dict:
        return self._api(
            "PUT",
            contract.WORKFLOW_STATUS_PATH.format(uuid=element_uuid),
            json=body,
            headers={"Idempotency-Key": idempotency_key},
        ).json()

    def patch_metadata(self, element_uuid: str, body: dict, *, idempotency_key: str) -> dict:
        return self._api(
            "PATCH",
            contract.METADATA_PATH.format(uuid=element_uuid),
            json=body,
            headers={"Idempotency-Key": idempotency_key},
        ).json()
