from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .querysets import AuditEventQuerySet


class AuditEvent(models.Model):
    """One thing a person or the system did: append-only.

    ``save()`` refuses to update an existing row and a database trigger refuses UPDATE (and DELETE on PostgreSQL),
    so the trail cannot be rewritten through the ORM or by hand. Write events through ``audit.services.record``.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # No database constraint and no cascade: deleting a user must not rewrite the trail (the trigger would refuse
    # an UPDATE anyway); ``actor_label`` keeps who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=254, help_text="Who acted, kept if the user is later deleted.")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    action = models.CharField(max_length=100, help_text="Namespaced verb, e.g. reviews.task.approve.")
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["client", "-id"], name="audit_client_id_idx"),
            models.Index(fields=["actor", "-id"], name="audit_actor_id_idx"),
            models.Index(fields=["action", "-id"], name="audit_action_id_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(action=""), name="auditevent_action_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")

    @property
    def namespace(self) -> str:
        return self.action.split(".", 1)[0]

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every key that appears in either snapshot."""
        before, after = self.before or {}, self.after or {}
        return [(key, before.get(key), after.get(key)) for key in sorted(set(before) | set(after))]
