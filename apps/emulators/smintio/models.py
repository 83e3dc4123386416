"""Tables of the Smint.io emulator: one tenant per Smint.io customer, its OAuth client, tokens, content, licence
purchase transactions with their change log, and what the portal writes back.

The JSON columns hold the platform's own document shapes (platforms.md 1.1) so that a crafted test record reaches
the client unchanged; the columns beside them are what the emulator queries or enforces.
"""

from __future__ import annotations

import uuid

from django.db import models

from . import contract


class Tenant(models.Model):
    """A Smint.io customer (``{tenant}.smint.io``); every route of the emulator lives under its slug."""

    slug = models.SlugField(max_length=63, unique=True)
    name = models.CharField(max_length=200)
    channel_id = models.CharField(max_length=64, help_text="Pusher channel is private-2-<channel_id>.")
    pusher_secret = models.CharField(max_length=64)
    access_token_lifetime = models.PositiveIntegerField(default=contract.ACCESS_TOKEN_LIFETIME)
    download_url_lifetime = models.PositiveIntegerField(default=contract.DOWNLOAD_URL_LIFETIME)
    user_uuid = models.UUIDField(default=uuid.uuid4, help_text="The consenting user: the id_token's subject.")
    # Counters that allocate monotonic sequences; rows are locked while they are bumped.
    lpt_sequence = models.PositiveBigIntegerField(default=0)
    usage_sequence = models.PositiveBigIntegerField(default=0)
    term_sequence = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    @property
    def channel(self) -> str:
        return f"{contract.CHANNEL_PREFIX}{self.channel_id}"


class OAuthClient(models.Model):
    """A registered OAuth client; Smint.io staff whitelist its redirect URIs (an empty list: any portal URI)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="clients")
    client_id = models.CharField(max_length=100)
    client_secret = models.CharField(max_length=200)
    name = models.CharField(max_length=200)
    redirect_uris = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "client_id"], name="emu_smintio_client_unique")]

    def __str__(self) -> str:
        return f"{self.tenant.slug}/{self.client_id}"


class AuthorizationCode(models.Model):
    """A single-use code of the authorization-code flow; only its digest is stored."""

    oauth_client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64, unique=True)
    redirect_uri = models.CharField(max_length=1000)
    scope = models.CharField(max_length=200)
    nonce = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"code for {self.oauth_client}"


class Token(models.Model):
    """An access or refresh token; only its SHA-256 digest is stored, so a database dump grants nothing."""

    class Kind(models.TextChoices):
        ACCESS = "access"
        REFRESH = "refresh"

    oauth_client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=200)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True, help_text="Refresh tokens: when rotated away.")
    refresh = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="access_tokens",
        help_text="Access tokens: the refresh token issued with them (revoked together).",
    )
    authorization_code = models.ForeignKey(AuthorizationCode, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["oauth_client", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} token of {self.oauth_client}"


class ContentElement(models.Model):
    """A licensed asset (``content_element`` of an LPT); ``data`` is its document without uuid and provider."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="content_elements")
    uuid = models.CharField(max_length=100)
    provider = models.CharField(max_length=50)
    data = models.JSONField(default=dict)
    metadata_version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "uuid"], name="emu_smintio_element_unique")]
        indexes = [models.Index(fields=["uuid"])]

    def __str__(self) -> str:
        return self.uuid

    @property
    def name_en(self) -> str:
        for entry in self.data.get("name") or []:
            if entry.get("culture") == "en":
                return str(entry.get("value") or "")
        return self.uuid


class LicensePurchaseTransaction(models.Model):
    """A licence purchase; ``version`` grows by one on every change, each change appended to the change log."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="lpts")
    uuid = models.CharField(max_length=64)
    cart_purchase_transaction_uuid = models.CharField(max_length=64)
    content_element = models.ForeignKey(ContentElement, on_delete=models.CASCADE, related_name="lpts")
    state = models.CharField(max_length=20, default="completed")
    version = models.PositiveIntegerField(default=1)
    data = models.JSONField(default=dict, help_text="The LPT document minus the columns and the content element.")
    created_at = models.DateTimeField()
    last_updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "uuid"], name="emu_smintio_lpt_unique"),
            models.CheckConstraint(
                condition=models.Q(state__in=contract.LPT_STATES), name="emu_smintio_lpt_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.uuid} v{self.version}"


class Binary(models.Model):
    """A downloadable file of an LPT; the uuid is unique only inside its LPT (platforms.md 1.1)."""

    lpt = models.ForeignKey(LicensePurchaseTransaction, on_delete=models.CASCADE, related_name="binaries")
    uuid = models.CharField(max_length=64)
    version = models.PositiveIntegerField(default=1)
    position = models.PositiveSmallIntegerField(default=0)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["lpt", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["lpt", "uuid"], name="emu_smintio_binary_unique")]

    def __str__(self) -> str:
        return f"{self.lpt.uuid}/{self.uuid} v{self.version}"


class ChangeLogEntry(models.Model):
    """One delivery of an LPT in the tenant's change feed: the snapshot the sync route returns at ``sequence``."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="change_log")
    sequence = models.PositiveBigIntegerField()
    lpt = models.ForeignKey(LicensePurchaseTransaction, on_delete=models.CASCADE, related_name="log_entries")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tenant", "sequence"]
        constraints = [models.UniqueConstraint(fields=["tenant", "sequence"], name="emu_smintio_log_seq_unique")]

    def __str__(self) -> str:
        return f"{self.tenant.slug}#{self.sequence} {self.lpt.uuid} v{self.version}"


class SyncCursor(models.Model):
    """An opaque ``continuation_uuid``: a name for one position of one stream, the same uuid for the same spot."""

    uuid = models.UUIDField(primary_key=True, default=uuid.uuid4)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="cursors")
    stream = models.CharField(max_length=10)
    position = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "stream", "position"], name="emu_smintio_cursor_unique")
        ]

    def __str__(self) -> str:
        return f"{self.tenant.slug}/{self.stream}@{self.position}"


class UsageEvent(models.Model):
    """A download, re-use or share of an asset (platforms.md 5.1); ``sequence`` is its place in the usage feed."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="usage_events")
    sequence = models.PositiveBigIntegerField()
    uuid = models.UUIDField(default=uuid.uuid4)
    content_element = models.ForeignKey(ContentElement, on_delete=models.CASCADE, related_name="usage_events")
    lpt = models.ForeignKey(LicensePurchaseTransaction, null=True, blank=True, on_delete=models.CASCADE)
    event = models.CharField(max_length=20)
    user_uuid = models.CharField(max_length=64)
    user_email = models.CharField(max_length=254)
    occurred_at = models.DateTimeField()
    country = models.CharField(max_length=2, null=True, blank=True)
    channel = models.CharField(max_length=50, null=True, blank=True)

    class Meta:
        ordering = ["tenant", "sequence"]
        constraints = [models.UniqueConstraint(fields=["tenant", "sequence"], name="emu_smintio_usage_seq_unique")]

    def __str__(self) -> str:
        return f"{self.event} of {self.content_element.uuid} by {self.user_email}"


class IdempotencyRecord(models.Model):
    """The first successful answer to an ``Idempotency-Key`` of a tenant, replayed for the same request."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="idempotency_records")
    key = models.CharField(max_length=contract.IDEMPOTENCY_KEY_MAX_LENGTH)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="emu_smintio_idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.tenant.slug}:{self.key}"


class WorkflowStatusRecord(models.Model):
    """One version of an element's workflow status as the portal reported it (platforms.md 5.1)."""

    content_element = models.ForeignKey(ContentElement, on_delete=models.CASCADE, related_name="workflow_statuses")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=30)
    reason = models.TextField(null=True, blank=True)
    decided_at = models.DateTimeField()
    decided_by = models.CharField(max_length=254)
    workflow_reference = models.CharField(max_length=200)
    restrictions = models.JSONField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=contract.IDEMPOTENCY_KEY_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["content_element", "version"]
        constraints = [
            models.UniqueConstraint(fields=["content_element", "version"], name="emu_smintio_workflow_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.content_element.uuid} v{self.version} {self.status}"


class MetadataUpdate(models.Model):
    """One metadata PATCH the portal made to an element (what changed, and the version it produced)."""

    content_element = models.ForeignKey(ContentElement, on_delete=models.CASCADE, related_name="metadata_updates")
    version = models.PositiveIntegerField()
    changes = models.JSONField()
    idempotency_key = models.CharField(max_length=contract.IDEMPOTENCY_KEY_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["content_element", "version"]
        constraints = [
            models.UniqueConstraint(fields=["content_element", "version"], name="emu_smintio_metadata_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.content_element.uuid} metadata v{self.version}"
