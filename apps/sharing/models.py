"""Shares: what an external member of a client may see (DESIGN.md invariant 7).

A member holding the ``external`` role (an outside agency, a client's own approver) sees none of the client's rows
but the ones an internal member shared with them explicitly, until a date, revocably, every grant and revocation in
the audit trail. ``ClientScopedQuerySet.visible_to`` applies it to every model that can be shared (``shared_with``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.common.lifetimes import RevocableUntil

from .choices import SubjectType
from .querysets import ShareQuerySet


class Share(RevocableUntil, models.Model):
    """One subject (an asset or a case) shared with one external member of its client, until ``expires_at``.

    At most one share not revoked per subject and person (the database enforces it): sharing again moves its end."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="shares")
    subject_type = models.CharField(max_length=100, choices=SubjectType.choices)
    subject_id = models.BigIntegerField()
    subject_label = models.CharField(max_length=300, blank=True, help_text="What was shared, as it was named then.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shares_received")
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(help_text="The share ends then, without anyone revoking it.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ShareQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "user"],
                condition=models.Q(revoked_at__isnull=True),
                name="share_one_open_per_subject_and_user",
            ),
            models.CheckConstraint(
                condition=models.Q(subject_type__in=SubjectType.values), name="share_subject_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")), name="share_expires_after_created"
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "subject_type", "subject_id"],
                name="share_open_by_user_idx",
                condition=models.Q(revoked_at__isnull=True),
            ),
            models.Index(fields=["subject_type", "subject_id"], name="share_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_label or self.subject_type} shared with {self.user}"


class SignedLink(RevocableUntil, models.Model):
    """What every link for someone without an account keeps (an agency's ``exceptions.AgencyLink``, a stakeholder's
    ``reviews.ReviewLink``): the nonce its token signs (``apps.common.links``), who made it and when, until when it
    works, its revocation, and how often it was used (every use is also audited by its app)."""

    nonce = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uses = models.PositiveIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
