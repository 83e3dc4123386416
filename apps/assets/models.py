"""Assets as synced from Smint.io: the content element, its licence purchases with their immutable terms, its
binaries and its usage. Rows are written by the Smint.io sync (upserts by uuid and version), not edited by hand."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone

from apps.common.fields import BulkInsertJSONField

from .choices import ApprovalState, HoldKind, LicenseState, RightsState, SignalKind, UsageKind
from .querysets import (
    AssetHoldQuerySet,
    AssetQuerySet,
    AssetSignalQuerySet,
    BinaryQuerySet,
    LicensePurchaseQuerySet,
    LicenseTermQuerySet,
    UsageEventQuerySet,
)


class Asset(models.Model):
    """One Smint.io content element of one client."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="assets")
    content_element_uuid = models.CharField(max_length=100)
    provider = models.CharField(max_length=50, blank=True)
    content_type = models.CharField(max_length=50, blank=True)
    content_category = models.CharField(max_length=50, blank=True)
    name = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    keywords = BulkInsertJSONField(default=list, blank=True)
    copyright_notices = BulkInsertJSONField(default=list, blank=True)
    preview_url = models.URLField(max_length=500, blank=True)
    # null = not known; the licence terms decide (invariant 5: unknown is not false)
    is_editorial = models.BooleanField(null=True, blank=True)
    approval_state = models.CharField(max_length=20, choices=ApprovalState.choices, default=ApprovalState.PENDING)
    rights_state = models.CharField(max_length=20, choices=RightsState.choices, default=RightsState.UNKNOWN)
    rights_until = models.DateTimeField(
        null=True, blank=True, help_text="When valid rights end (null: perpetual or none); availability ends then."
    )
    renewal_recorded_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The new end of a renewal procurement recorded, shown (marked awaiting Smint.io) until a synced "
        "term reaches it; availability still follows rights_until, which only Smint.io's terms set.",
    )
    metadata = BulkInsertJSONField(default=dict, blank=True, help_text="The content element as last synced.")
    # Kept by ``apps.assets.holds`` only: true while the asset has an open ``AssetHold`` (an exception case, an
    # onboarding run). A column, not a subquery, so ``available_condition()`` stays a filter on the row itself.
    on_hold = models.BooleanField(default=False, help_text="Held out of circulation (an exception, onboarding).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssetQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "content_element_uuid"], name="asset_client_element_unique")
        ]
        indexes = [
            models.Index(fields=["client", "approval_state", "rights_state"], name="asset_availability_idx"),
            models.Index(
                fields=["client", "rights_until"],
                name="asset_client_rights_until_idx",
                condition=models.Q(rights_until__isnull=False),
            ),
            # and asset_client_name_trgm on PostgreSQL (migration 0003), for the search
            # the few assets on hold, for "what is held" (the availability filter reads the column on the row)
            models.Index(fields=["client"], name="asset_on_hold_idx", condition=models.Q(on_hold=True)),
        ]

    def __str__(self) -> str:
        return self.name or self.content_element_uuid

    def get_absolute_url(self) -> str:
        return reverse("assets:asset_detail", args=[self.pk])

    @property
    def shown_rights_until(self):
        """The end date to show: a recorded renewal's (awaiting Smint.io) over the synced one."""
        return self.renewal_recorded_until or self.rights_until

    @property
    def is_available(self) -> bool:
        """``available_condition()`` for this one asset, in Python."""
        in_force = self.rights_until is None or self.rights_until > timezone.now()
        approved = self.approval_state == ApprovalState.APPROVED and self.rights_state == RightsState.VALID
        return approved and in_force and not self.on_hold


class LicensePurchase(models.Model):
    """A Smint.io licence purchase transaction (LPT); ``version`` grows with every remote change."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="license_purchases")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="license_purchases")
    uuid = models.CharField(max_length=100)
    cart_purchase_transaction_uuid = models.CharField(max_length=100, blank=True)
    reused_license_purchase_transaction_uuid = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=20, choices=LicenseState.choices)
    version = models.PositiveIntegerField()
    purchased_at = models.DateTimeField(null=True, blank=True)
    license_type = models.CharField(max_length=50, blank=True)
    license_text = models.TextField(blank=True)
    max_downloads = models.PositiveIntegerField(null=True, blank=True)
    max_users = models.PositiveIntegerField(null=True, blank=True)
    max_reuses = models.PositiveIntegerField(null=True, blank=True)
    current_downloads = models.PositiveIntegerField(default=0)
    current_users = models.PositiveIntegerField(default=0)
    current_reuses = models.PositiveIntegerField(default=0)
    can_be_synced = models.BooleanField(default=True)
    has_potentially_restrictive_terms = models.BooleanField(null=True, blank=True)
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    binaries_version = models.PositiveIntegerField(
        default=0, help_text="The LPT version whose binaries were last fetched; lower than version = fetch again."
    )
    raw = BulkInsertJSONField(default=dict, blank=True, help_text="The LPT as last synced.")
    synced_at = models.DateTimeField(auto_now=True)
    # The renewal sweep judges a licence's limits only when they may have changed (bench/README.md, "Rights
    # sweep"): every write of a licence (the sync's upsert, ``save()``) sets this, the sweep clears it once it has
    # judged that version. Rows written before the column existed are false: the sweep's first pass per client reads
    # all of a client's limits anyway (``exceptions.LimitsSweep``).
    limits_pending = models.BooleanField(
        default=True, help_text="Written since the renewal sweep last judged its download, user and re-use limits."
    )

    objects = LicensePurchaseQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["client", "uuid"], name="lpt_client_uuid_unique")]
        indexes = [
            # The renewal sweep's "limit nearly reached" reads only these counters: an index-only scan per client,
            # never the licence rows themselves (each carries its JSON). PostgreSQL only (covering index).
            models.Index(
                fields=["client"],
                include=[
                    "id",
                    "asset",
                    "uuid",
                    "current_downloads",
                    "max_downloads",
                    "current_users",
                    "max_users",
                    "current_reuses",
                    "max_reuses",
                ],
                condition=models.Q(state="completed")
                & (models.Q(max_downloads__gt=0) | models.Q(max_users__gt=0) | models.Q(max_reuses__gt=0)),
                name="lpt_limits_idx",
            ),
            # The licences the renewal sweep has still to judge: a handful after a pull, none in the steady state.
            models.Index(fields=["client"], condition=models.Q(limits_pending=True), name="lpt_limits_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"LPT {self.uuid} v{self.version}"

    def save(self, *args, **kwargs):
        """A licence written through the model (not the sync's bulk upsert, which sets it itself) is judged again by
        the next renewal sweep."""
        self.limits_pending = True
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "limits_pending"}
        super().save(*args, **kwargs)


class LicenseTerm(models.Model):
    """One licence term as purchased: an immutable snapshot (a changed contract arrives as a new term).

    Lists hold Smint.io vocabulary keys (``usage_web``, ``geography_germany``...); dates null mean "not limited"
    only where Smint.io says so — rights evaluation treats unknown as unknown, never as allowed.
    """

    license_purchase = models.ForeignKey(LicensePurchase, on_delete=models.CASCADE, related_name="terms")
    sequence_number = models.PositiveIntegerField()
    name = models.CharField(max_length=300, blank=True)
    exclusivities = BulkInsertJSONField(default=list, blank=True)
    allowed_usages = BulkInsertJSONField(default=list, blank=True)
    restricted_usages = BulkInsertJSONField(default=list, blank=True)
    allowed_sizes = BulkInsertJSONField(default=list, blank=True)
    restricted_sizes = BulkInsertJSONField(default=list, blank=True)
    allowed_placements = BulkInsertJSONField(default=list, blank=True)
    restricted_placements = BulkInsertJSONField(default=list, blank=True)
    allowed_distributions = BulkInsertJSONField(default=list, blank=True)
    restricted_distributions = BulkInsertJSONField(default=list, blank=True)
    allowed_geographies = BulkInsertJSONField(default=list, blank=True)
    restricted_geographies = BulkInsertJSONField(default=list, blank=True)
    allowed_industries = BulkInsertJSONField(default=list, blank=True)
    restricted_industries = BulkInsertJSONField(default=list, blank=True)
    allowed_languages = BulkInsertJSONField(default=list, blank=True)
    restricted_languages = BulkInsertJSONField(default=list, blank=True)
    usage_limits = BulkInsertJSONField(default=list, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True, db_index=True)
    to_be_used_until = models.DateTimeField(null=True, blank=True, db_index=True)
    is_editorial_use = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LicenseTermQuerySet.as_manager()

    class Meta:
        ordering = ["license_purchase", "sequence_number"]
        constraints = [
            models.UniqueConstraint(fields=["license_purchase", "sequence_number"], name="term_lpt_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"Term {self.sequence_number} of {self.license_purchase.uuid}"


class Binary(models.Model):
    """A file of a licence purchase; more than one makes a compound asset. ``download_url`` expires (1 h)."""

    license_purchase = models.ForeignKey(LicensePurchase, on_delete=models.CASCADE, related_name="binaries")
    uuid = models.CharField(max_length=100)
    version = models.PositiveIntegerField(default=1)
    content_type = models.CharField(max_length=50, blank=True)
    binary_type = models.CharField(max_length=50, blank=True)
    name = models.CharField(max_length=300, blank=True)
    recommended_file_name = models.CharField(max_length=300, blank=True)
    culture = models.CharField(max_length=20, blank=True)
    download_url = models.URLField(max_length=1000, blank=True)
    fetched_at = models.DateTimeField(auto_now=True)

    objects = BinaryQuerySet.as_manager()

    class Meta:
        ordering = ["license_purchase", "uuid"]
        constraints = [models.UniqueConstraint(fields=["license_purchase", "uuid"], name="binary_lpt_uuid_unique")]

    def __str__(self) -> str:
        return self.recommended_file_name or self.uuid


class UsageEvent(models.Model):
    """A download, re-use or share of an asset, from Smint.io's usage sync or an integrator; idempotent by uuid."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="usage_events")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, null=True, blank=True, related_name="usage_events")
    uuid = models.CharField(max_length=100)
    content_element_uuid = models.CharField(max_length=100)
    license_purchase_uuid = models.CharField(max_length=100, blank=True)
    event = models.CharField(max_length=20, choices=UsageKind.choices)
    user_uuid = models.CharField(max_length=100, blank=True)
    user_email = models.EmailField(blank=True)
    occurred_at = models.DateTimeField()
    country = models.CharField(max_length=2, blank=True)
    channel = models.CharField(max_length=50, blank=True)
    source = models.CharField(max_length=20, default="smintio")

    objects = UsageEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["client", "uuid"], name="usage_client_uuid_unique")]
        indexes = [models.Index(fields=["asset", "-occurred_at"], name="usage_asset_time_idx")]

    def __str__(self) -> str:
        return f"{self.event} of {self.content_element_uuid} at {self.occurred_at:%Y-%m-%d %H:%M}"


class AssetSignal(models.Model):
    """A fact about an asset for a later flow to act on: a hook of issue 14 (exceptions), kept until it lands.

    Written by the Smint.io sync when a licence purchase turns cancelled (``services._record_cancellations``, also
    audited on the asset; the rights are withdrawn at once by ``refresh_rights``, whatever becomes of the signal).
    Read by nothing yet: issue 14's exception detection will open an exception case (``CaseKind.EXCEPTION``) per open
    signal and set ``resolved_at`` when the case ends. One open signal per asset, kind and reference (the database
    refuses a second), so a re-delivered record never opens two cases (docs/architecture.md, "Hooks for the flows
    to come").
    """

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="asset_signals")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="signals")
    kind = models.CharField(max_length=40, choices=SignalKind.choices)
    reference = models.CharField(max_length=100, blank=True, help_text="e.g. the cancelled LPT's uuid")
    details = BulkInsertJSONField(default=dict, blank=True)
    detected_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = AssetSignalQuerySet.as_manager()

    class Meta:
        ordering = ["-detected_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "kind", "reference"],
                condition=models.Q(resolved_at__isnull=True),
                name="signal_one_open_per_reference",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.asset}"


class AssetHold(models.Model):
    """An asset held out of circulation until a flow releases it, whatever its approval (flows 4 and 6).

    One open hold per asset, kind and reference (the database refuses a second), e.g. ``exceptions.case:42`` or
    ``onboarding:7``. ``Asset.on_hold`` mirrors "has an open hold"; ``apps.assets.holds`` is the one writer of both,
    and audits each hold and release on the asset.
    """

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="asset_holds")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="holds")
    kind = models.CharField(max_length=20, choices=HoldKind.choices)
    reference = models.CharField(max_length=100, help_text="What holds it, e.g. exceptions.case:42.")
    reason = models.CharField(max_length=500, blank=True)
    placed_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=500, blank=True)

    objects = AssetHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "kind", "reference"],
                condition=models.Q(released_at__isnull=True),
                name="hold_one_open_per_reference",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} hold on {self.asset}"

    @property
    def is_open(self) -> bool:
        return self.released_at is None
