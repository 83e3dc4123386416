"""Creative requests (flow 3): a business user asks for assets for a campaign; content operations triage it, a
creative picks from the cleared assets that match, the requester accepts the delivery.

A request is client-scoped like every domain row (``visible_to``). Its human work runs in OpenText as a
``WorkflowRun`` whose subject is the request (``creative_request.bpmn``). Its state is written in one place,
``services._move``, along ``choices.REQUEST_TRANSITIONS``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.urls import reverse

from apps.common.fields import BulkInsertJSONField
from apps.common.lifetimes import RevocableUntil

from .choices import Orientation, RequestStatus, Source
from .querysets import CreativeRequestQuerySet, DeliveryItemQuerySet, RequestPartQuerySet, VocabularyQuerySet

MAX_PIXELS = 100_000  # a format's minimum side; larger is a typing error, not a format


class CampaignType(models.Model):
    """A kind of campaign a client runs (product launch, seasonal sale...): a per-client vocabulary agency admins
    edit. Archived entries stay on the requests that named them but are no longer offered."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="campaign_types")
    name = models.CharField(max_length=100)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = VocabularyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["client", "name"], name="campaign_type_unique_name")]

    def __str__(self) -> str:
        return self.name


class Format(models.Model):
    """A deliverable's shape (web banner, social square, print A4...): content type, orientation and minimum size.
    A per-client vocabulary agency admins edit; matching reads it as the format a request wants."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="creative_formats")
    name = models.CharField(max_length=100)
    content_type = models.CharField(max_length=50, blank=True, help_text="Smint.io content type (image); empty: any.")
    orientation = models.CharField(max_length=10, choices=Orientation.choices, blank=True, default=Orientation.ANY)
    # bounded so the API says the same limit on every database (an unbounded field's maximum is the backend's)
    min_width = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(MAX_PIXELS)], help_text="Pixels; empty: any."
    )
    min_height = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(MAX_PIXELS)], help_text="Pixels; empty: any."
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = VocabularyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["client", "name"], name="format_unique_name")]

    def __str__(self) -> str:
        return self.name


class CreativeRequest(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="creative_requests")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="creative_requests"
    )
    requester_email = models.EmailField(blank=True, help_text="As given (OpenText may name no one we know).")
    title = models.CharField(max_length=200)
    brief = models.TextField(blank=True)
    keywords = models.CharField(max_length=500, blank=True, help_text="Words to search for, besides the brief.")
    campaign_type = models.ForeignKey(
        CampaignType, on_delete=models.SET_NULL, null=True, blank=True, related_name="requests"
    )
    countries = BulkInsertJSONField(default=list, blank=True, help_text="ISO 3166-1 alpha-2 codes.")
    regions = BulkInsertJSONField(default=list, blank=True, help_text="Region codes (accounts.Region).")
    usages = BulkInsertJSONField(default=list, blank=True, help_text="Smint.io usage keys, e.g. usage_web.")
    format = models.ForeignKey(Format, on_delete=models.SET_NULL, null=True, blank=True, related_name="requests")
    deadline = models.DateField(null=True, blank=True)
    run_from = models.DateField(null=True, blank=True)
    run_until = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=RequestStatus.choices, default=RequestStatus.DRAFT)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.PORTAL)
    remote_instance_id = models.CharField(
        max_length=100, blank=True, help_text="The OpenText process instance of a request started there."
    )
    incomplete = BulkInsertJSONField(
        default=dict, blank=True, help_text="Field → problem, for a request mirrored from OpenText with bad variables."
    )
    question = models.TextField(blank=True, help_text="What triage last asked the requester.")
    answer = models.TextField(blank=True, help_text="The requester's last answer.")
    decline_reason = models.TextField(blank=True)
    changes_reason = models.TextField(blank=True, help_text="What the requester last asked to change.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(
        null=True, blank=True, help_text="When the client's escalation contacts were told it is overdue (once)."
    )

    objects = CreativeRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "remote_instance_id"],
                condition=~models.Q(remote_instance_id=""),
                name="creative_request_one_per_instance",
            ),
            models.CheckConstraint(
                condition=models.Q(run_from__isnull=True)
                | models.Q(run_until__isnull=True)
                | models.Q(run_from__lte=models.F("run_until")),
                name="creative_request_run_ordered",
            ),
        ]
        indexes = [models.Index(fields=["client", "status", "deadline"], name="creative_client_status_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("creative:request_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        from .choices import OPEN_STATUSES

        return self.status in OPEN_STATUSES


class ShortlistItem(models.Model):
    """An asset a creative keeps in view for a request (before delivering)."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(CreativeRequest, on_delete=models.CASCADE, related_name="shortlist")
    asset = models.ForeignKey("assets.Asset", on_delete=models.CASCADE, related_name="shortlisted_in")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    objects = RequestPartQuerySet.as_manager()

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "asset"], name="shortlist_once_per_asset")]

    def __str__(self) -> str:
        return f"{self.asset} for {self.request}"


class Delivery(RevocableUntil, models.Model):
    """A set of assets a creative delivered for a request; the requester accepts it or asks for changes. Its
    shareable link for the creative team is signed with ``link_version`` and ends at ``expires_at`` or when
    revoked (``revoked_at``), as shares and tokens do (``apps.common.lifetimes.RevocableUntil``)."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(CreativeRequest, on_delete=models.CASCADE, related_name="deliveries")
    delivered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    delivered_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changes_requested_at = models.DateTimeField(null=True, blank=True)
    link_version = models.PositiveBigIntegerField(default=0, help_text="Salts the share link; 0: none made yet.")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="When the share link stops working.")
    revoked_at = models.DateTimeField(null=True, blank=True, help_text="When the share link was turned off.")

    objects = RequestPartQuerySet.as_manager()

    class Meta:
        ordering = ["-delivered_at", "-id"]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"Delivery {self.pk} for {self.request}"

    @property
    def is_active(self) -> bool:  # the link's lifetime; a delivery never made a link has none
        return bool(self.link_version and self.expires_at) and super().is_active


class DeliveryItem(models.Model):
    """One delivered asset, with the usage event its delivery recorded (``usage_event_uuid``). When a renewal case
    replaces the asset, the item moves to the replacement and remembers the asset it was (``replaced_asset``)."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="items")
    asset = models.ForeignKey("assets.Asset", on_delete=models.CASCADE, related_name="delivered_in")
    replaced_asset = models.ForeignKey(
        "assets.Asset", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    usage_event_uuid = models.CharField(max_length=100, blank=True)

    objects = DeliveryItemQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["delivery", "asset"], name="delivery_item_once")]

    def __str__(self) -> str:
        return f"{self.asset} in {self.delivery}"
