from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from apps.common.crypto import EncryptedTextField
from apps.common.querysets import ClientScopedQuerySet

from .choices import DEFAULT_SLA_HOURS, TaskKind
from .querysets import ClientQuerySet, ConnectionQuerySet


class Client(models.Model):
    """An agency client: the tenant every domain row belongs to, with the policies its flows read.

    Policies are plain columns and small JSON documents validated by ``ClientPolicyForm`` and the API serializer;
    change them through ``services.update_policies`` so that each change is audited.
    """

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    # A hook of issue 14: edited with the policies and shown on the client page, read by no flow yet; issue 14's
    # exception detection will open a case for an asset missing one of these (docs/architecture.md, "Hooks...").
    required_metadata_fields = models.JSONField(
        default=list, blank=True, help_text="Metadata fields every asset of this client must carry."
    )
    rights_warning_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Open a renewal case this many days before rights lapse.",
    )
    usage_threshold_percent = models.PositiveSmallIntegerField(
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="A download, user or reuse limit counts as nearly reached at this share of it.",
    )
    sla_hours = models.JSONField(default=dict, blank=True, help_text="Hours allowed per task kind.")
    escalation_contacts = models.JSONField(
        default=list, blank=True, help_text="E-mail addresses told when an SLA is missed."
    )
    review_regions = models.JSONField(
        default=list, blank=True, help_text="Region codes an approval is for; one region routes the reviews to it."
    )
    review_usages = models.JSONField(default=list, blank=True, help_text="Smint.io usage keys an approval is for.")
    review_horizon_days = models.PositiveSmallIntegerField(
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Approvals are for use until this many days after the review starts.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rights_warning_days__gte=1, rights_warning_days__lte=365),
                name="client_rights_warning_days_range",
            ),
            models.CheckConstraint(
                condition=models.Q(usage_threshold_percent__gte=1, usage_threshold_percent__lte=100),
                name="client_usage_threshold_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("clients:client_detail", kwargs={"slug": self.slug})

    def sla_hours_for(self, kind: TaskKind | str) -> int:
        """The client's SLA for ``kind`` in hours, or the product default when the client set none."""
        return int(self.sla_hours.get(str(kind), DEFAULT_SLA_HOURS[TaskKind(kind)]))

    def sla_table(self) -> list[tuple[str, int, bool]]:
        """(label, hours, is_default) for every task kind, for display."""
        return [(kind.label, self.sla_hours_for(kind), str(kind) not in self.sla_hours) for kind in TaskKind]


class ConnectionStatus(models.TextChoices):
    """What a connection is; a connection being made through the browser is a ``SmintioConnectAttempt``."""

    NOT_CONNECTED = "not_connected", "Not connected"
    CONNECTED = "connected", "Connected"
    BROKEN = "broken", "Broken"


class SmintioConnection(models.Model):
    """A client's link to its Smint.io tenant: credentials (encrypted at rest) and the sync's position.

    ``auth_base``/``api_base``/``oauth_client_id`` override the ``SMINTIO_*`` defaults; ``{tenant}`` in a base is
    replaced by ``tenant`` (the real hosts are ``https://{tenant}.smint.io`` and ``https://{tenant}.clapi.smint.io``).
    The refresh token rotates on every refresh; ``token_generation`` lets a refresh detect that another process
    rotated it first. ``lease_owner``/``lease_until`` is the one-sync-at-a-time lock shared by every worker.
    """

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="smintio_connection")
    tenant = models.SlugField(max_length=100)
    auth_base = models.CharField(max_length=300, blank=True)
    api_base = models.CharField(max_length=300, blank=True)
    oauth_client_id = models.CharField(max_length=200, blank=True)
    oauth_client_secret = EncryptedTextField(blank=True)
    status = models.CharField(max_length=20, choices=ConnectionStatus.choices, default=ConnectionStatus.NOT_CONNECTED)
    status_reason = models.TextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    access_token = EncryptedTextField(blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    token_generation = models.PositiveIntegerField(default=0)
    refreshing_until = models.DateTimeField(null=True, blank=True, help_text="A refresh is in flight until then.")
    token_to_revoke = EncryptedTextField(blank=True, help_text="A disconnected refresh token the worker revokes.")
    connected_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    connected_at = models.DateTimeField(null=True, blank=True)
    lpt_cursor = models.CharField(max_length=200, blank=True)
    usage_cursor = models.CharField(max_length=200, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_pull_started_at = models.DateTimeField(null=True, blank=True)
    last_pull_finished_at = models.DateTimeField(null=True, blank=True)
    last_pull_ok = models.BooleanField(null=True, blank=True)
    last_pull_error = models.TextField(blank=True)
    last_pull_counts = models.JSONField(default=dict, blank=True)
    last_change_seen_at = models.DateTimeField(null=True, blank=True, help_text="Newest remote change synced.")
    generic_metadata = models.JSONField(default=dict, blank=True, help_text="Smint.io's vocabularies.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        ordering = ["client__name"]

    def __str__(self) -> str:
        return f"Smint.io {self.tenant} for {self.client}"

    def _base(self, own: str, default: str) -> str:
        return (own or default).replace("{tenant}", self.tenant).rstrip("/")

    @property
    def resolved_auth_base(self) -> str:
        return self._base(self.auth_base, settings.SMINTIO_AUTH_BASE)

    @property
    def resolved_api_base(self) -> str:
        return self._base(self.api_base, settings.SMINTIO_API_BASE)

    @property
    def resolved_client_id(self) -> str:
        return self.oauth_client_id or settings.SMINTIO_CLIENT_ID

    @property
    def resolved_client_secret(self) -> str:
        return self.oauth_client_secret or settings.SMINTIO_CLIENT_SECRET

    @property
    def is_usable(self) -> bool:
        return self.status == ConnectionStatus.CONNECTED and bool(self.refresh_token)


class AttemptStatus(models.TextChoices):
    STARTED = "started", "Waiting for consent on Smint.io"
    EXCHANGING = "exchanging", "Consent given; completing"
    SUCCEEDED = "succeeded", "Connected"
    FAILED = "failed", "Failed"


class SmintioConnectAttempt(models.Model):
    """One try at connecting a client to a Smint.io tenant through the browser, kept apart from the client's
    ``SmintioConnection`` until it succeeds: a working connection keeps working (same tenant, same tokens) while
    someone consents on Smint.io, and is left untouched when they do not.

    ``started`` (the browser went to Smint.io) -> ``exchanging`` (Smint.io sent it back with a code; the worker
    trades the code for tokens) -> ``succeeded`` (the tokens and the tenant were swapped into the connection) or
    ``failed`` (refused consent, or Smint.io refused the code: ``reason``). One still ``started`` after
    ``ABANDON_AFTER`` was abandoned: its OAuth state is no longer accepted.
    """

    ABANDON_AFTER = timedelta(minutes=10)

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="smintio_attempts")
    tenant = models.SlugField(max_length=100)
    status = models.CharField(max_length=20, choices=AttemptStatus.choices, default=AttemptStatus.STARTED)
    code = EncryptedTextField(blank=True, help_text="The authorization code, until the worker spent it.")
    redirect_uri = models.CharField(max_length=500, blank=True)
    reason = models.TextField(blank=True, help_text="Why it failed.")
    started_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["client", "-id"], name="attempt_client_id_idx")]

    def __str__(self) -> str:
        return f"Connect {self.client} to Smint.io {self.tenant} ({self.status})"

    @property
    def is_abandoned(self) -> bool:
        return self.status == AttemptStatus.STARTED and timezone.now() - self.started_at > self.ABANDON_AFTER

    @property
    def is_in_flight(self) -> bool:
        return self.status == AttemptStatus.EXCHANGING or (
            self.status == AttemptStatus.STARTED and not self.is_abandoned
        )


class OpenTextConnection(models.Model):
    """A client's own OpenText Workflow Service tenant (issue 15, item 6): its runs are started, completed,
    reconciled and hinted there. Without one, the client's runs go to the environment's tenant (``OT_BASE_URL``,
    ``OT_TENANT_ID``, ``OT_CLIENT_ID``, ``OT_CLIENT_SECRET``). ``base_url`` blank means ``OT_BASE_URL``; the service
    client's secret is encrypted at rest like the Smint.io connection's. Changed through
    ``services.save_opentext_connection`` (audited, never with the secret)."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="opentext_connection")
    tenant = models.CharField(max_length=100, help_text="The OpenText tenant id.")
    base_url = models.CharField(max_length=300, blank=True, help_text="Blank: the environment's OT_BASE_URL.")
    service_client_id = models.CharField(max_length=200, help_text="The tenant's confidential service client.")
    service_client_secret = EncryptedTextField(blank=True)
    updated_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["client__name"]

    def __str__(self) -> str:
        return f"OpenText {self.tenant} for {self.client}"

    @property
    def resolved_base_url(self) -> str:
        return (self.base_url or settings.OT_BASE_URL).rstrip("/")

    @property
    def identity(self) -> tuple[str, str, str]:
        """Which tenant and service client the calls go to (two connections alike share a token and a poll)."""
        return (self.resolved_base_url, self.tenant, self.service_client_id)
