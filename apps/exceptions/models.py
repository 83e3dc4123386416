"""Cases: work a person must finish about one asset (renewal before rights lapse; compliance and exceptions later).

A case is opened once per asset and cause: ``key`` names the cause (``lapse:2027-03-01``, ``downloads:<lpt uuid>``)
and the database refuses a second case with the same client, kind, asset and key, so a sweep run twice at once, or
on two workers, opens one case. The human work runs in OpenText as a ``WorkflowRun`` whose subject is the case.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.common.fields import BulkInsertJSONField
from apps.common.querysets import ClientScopedQuerySet
from apps.sharing.models import SignedLink

from .choices import CaseKind, CaseState, Disposition, RuleKind, Team, Trigger
from .querysets import CalendarFeedQuerySet, CaseQuerySet


class Case(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="cases")
    kind = models.CharField(max_length=20, choices=CaseKind.choices)
    asset = models.ForeignKey("assets.Asset", on_delete=models.CASCADE, related_name="cases")
    key = models.CharField(max_length=150, help_text="The cause, unique per asset and kind, e.g. lapse:2027-03-01.")
    trigger = models.CharField(max_length=20, choices=Trigger.choices, blank=True)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True, help_text="Why the case was opened, in a sentence.")
    state = models.CharField(max_length=20, choices=CaseState.choices, default=CaseState.OPEN)
    lapse_at = models.DateTimeField(null=True, blank=True, help_text="When the rights end (renewal by lapse).")
    due_at = models.DateTimeField(null=True, blank=True)
    evidence = BulkInsertJSONField(default=dict, blank=True, help_text="What the sweep or the rule saw.")
    disposition = models.CharField(max_length=20, choices=Disposition.choices, blank=True)
    renewed_until = models.DateTimeField(null=True, blank=True, help_text="The new end procurement recorded.")
    replacement = models.ForeignKey(
        "assets.Asset", on_delete=models.SET_NULL, null=True, blank=True, related_name="replaces_in_cases"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "kind", "asset", "key"], name="case_one_per_cause"),
        ]
        indexes = [
            models.Index(fields=["client", "state", "due_at"], name="case_client_state_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("exceptions:case_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state == CaseState.OPEN

    @property
    def rule_quiet_since(self):
        """An open exception case whose rule no longer fires: since when (``detection.note_quiet``), else None."""
        value = (self.evidence or {}).get("quiet_since")
        return parse_datetime(value) if isinstance(value, str) else None


class ComplianceRule(models.Model):
    """One usage-compliance rule of a client (flow 8). Each client has one rule of each kind; agency admins switch
    them on and off and set their thresholds and the team a hit is routed to."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="compliance_rules")
    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    enabled = models.BooleanField(default=True)
    threshold_percent = models.PositiveSmallIntegerField(
        default=100, help_text="Over-limit rule: a case when downloads reach this share of the licence's limit."
    )
    burst_downloads = models.PositiveSmallIntegerField(
        default=10, help_text="Burst rule: this many downloads by one person…"
    )
    burst_minutes = models.PositiveSmallIntegerField(default=60, help_text="…within this many minutes.")
    route_to = models.CharField(max_length=30, choices=Team.choices, default=Team.LEGAL)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["client", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["client", "kind"], name="rule_one_per_kind"),
            models.CheckConstraint(
                condition=models.Q(threshold_percent__gte=1, threshold_percent__lte=1000), name="rule_threshold_range"
            ),
            models.CheckConstraint(
                condition=models.Q(burst_downloads__gte=2, burst_minutes__gte=1), name="rule_burst_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client}: {self.get_kind_display()}"


class ComplianceCursor(models.Model):
    """How far detection has read a client's usage events (the id of the last one), so each event is judged once;
    re-judging is harmless (cases are unique per cause) but slow."""

    client = models.OneToOneField("clients.Client", on_delete=models.CASCADE, related_name="compliance_cursor")
    last_event_id = models.BigIntegerField(default=0)
    checked_at = models.DateTimeField(null=True, blank=True)

    objects = ClientScopedQuerySet.as_manager()  # visible_to(user), as every client-owned model has

    def __str__(self) -> str:
        return f"{self.client}: usage events up to {self.last_event_id}"


class LimitsSweep(models.Model):
    """The usage threshold at which the renewal sweep last judged **all** of a client's licence limits.

    Between two such full passes the sweep reads only the licences written since it last judged them
    (``LicensePurchase.limits_pending``). A client without a row, or whose ``usage_threshold_percent`` differs from
    the one here, gets a full pass (after this table came, and after the threshold changed): licences below the old
    threshold may have reached the new one without being written."""

    client = models.OneToOneField("clients.Client", on_delete=models.CASCADE, related_name="+")
    threshold_percent = models.PositiveSmallIntegerField()
    judged_at = models.DateTimeField()

    objects = ClientScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.client}: limits judged at {self.threshold_percent} %"


class CalendarFeed(models.Model):
    """A person's rights-calendar feed: the secret URL a calendar application reads (``/cases/calendar.ics``).

    The URL's token is ``<owner id>:<signature>``, a ``django.core.signing`` signature of the owner's id salted with
    ``version``. Nothing secret is stored (forging a token needs ``SECRET_KEY``), so the page can show the URL again.
    Replacing the URL gives the feed a new random version, so every earlier URL stops working; turning it off sets
    ``revoked_at`` (creating it again later gives a new version too). ``client`` narrows the feed to one of the
    owner's clients; empty, it shows all of them, always read through the owner's memberships of the moment.
    """

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Only this client's lapses; empty: every client of the owner.",
    )
    version = models.PositiveBigIntegerField(help_text="Salts the token; a new one invalidates every earlier URL.")
    created_at = models.DateTimeField(default=timezone.now)
    rotated_at = models.DateTimeField(null=True, blank=True, help_text="When the URL was last replaced.")
    revoked_at = models.DateTimeField(null=True, blank=True, help_text="When the feed was turned off.")
    last_used_at = models.DateTimeField(null=True, blank=True, help_text="When a calendar last read it (±15 min).")

    objects = CalendarFeedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Calendar feed of {self.owner}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ExceptionPolicy(models.Model):
    """A client's exception detection settings beyond ``Client.required_metadata_fields`` (flow 4): which providers
    and licence types it accepts (empty: any), which Smint.io content flags it refuses (``is_ai``...), and the hours
    each family of cause is due in (``Trigger`` value -> hours; missing: the client's exception SLA)."""

    client = models.OneToOneField("clients.Client", on_delete=models.CASCADE, related_name="exception_policy")
    accepted_providers = models.JSONField(default=list, blank=True, help_text="Smint.io provider keys; empty: any.")
    accepted_license_types = models.JSONField(default=list, blank=True, help_text="Licence type keys; empty: any.")
    refused_flags = models.JSONField(
        default=list, blank=True, help_text="Content element flags that make an exception when true, e.g. is_ai."
    )
    sla_hours = models.JSONField(default=dict, blank=True, help_text="Hours per cause family (metadata, rights...).")
    last_swept_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClientScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Exception policy of {self.client}"


class AgencyLink(SignedLink):
    """A signed, expiring, revocable link an external agency uses to remediate one exception case without an
    account: it shows that case's asset and the remediation form, nothing else (``views.agency_*``).

    The token is ``<id>.<nonce>:<signature>`` (``django.core.signing``, salted per purpose): forging one needs
    ``SECRET_KEY`` and the nonce. Every use is audited on the case; ``uses``/``last_used_at`` count them."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="agency_links")
    agency = models.CharField(max_length=200, help_text="Who the link was sent to (shown in the trail).")

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")), name="agency_link_expires_after_created"
            )
        ]

    def __str__(self) -> str:
        return f"Agency link for case {self.case_id} ({self.agency})"
