from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .choices import DEFAULT_MODES, Kind, Mode


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user) -> NotificationQuerySet:
        """A person sees their own notifications, and only in the clients they are still a member of (a person
        removed from a client no longer reads what happened there)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(user_id=user.pk).filter(Q(client__isnull=True) | Q(client_id__in=user.visible_client_ids()))

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One thing one person should know about, from one event: the in-app row and the source of its e-mail.

    ``(user, event_key)`` is unique: an event published twice (a retried job) reaches each person once, in the
    centre and by mail. ``mail_mode`` is the person's choice for the kind when the row was written; the mail is
    queued (``mail_queued_at``) at once, with the next batch (``task.available``) or with the daily digest, and
    ``emailed_at`` is set when the mail server accepted it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    event_key = models.CharField(max_length=200)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="Path of the page where the person acts.")
    why = models.CharField(max_length=300, help_text="Why this person got it, said in the mail and the centre.")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    mail_mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)
    mail_queued_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "event_key"], name="notification_once_per_event")]
        indexes = [
            # the top bar's unread count: one index range per page
            models.Index(fields=["user", "read_at"], name="notification_unread_idx"),
            # the batch and digest jobs: rows still waiting for their mail
            models.Index(fields=["mail_mode", "mail_queued_at"], name="notification_mail_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} for {self.user}"


class NotificationPreference(models.Model):
    """A person's choice for one kind (no row: ``DEFAULT_MODES``). The in-app centre always shows everything;
    the mode decides the e-mail."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.mode}"

    @staticmethod
    def modes_for(user_ids) -> dict[tuple[int, str], str]:
        """``(user id, kind) -> mode`` for the stored choices of ``user_ids`` (one query)."""
        rows = NotificationPreference.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "kind", "mode")
        return {(user_id, kind): mode for user_id, kind, mode in rows}

    @staticmethod
    def mode_of(user, kind: str) -> str:
        row = NotificationPreference.objects.filter(user=user, kind=kind).values_list("mode", flat=True).first()
        return row or DEFAULT_MODES[kind]


class MailboxMessage(models.Model):
    """A mail the development mailbox backend kept instead of sending (``apps.notifications.mailbox``): the demo's
    mails, readable at ``/mailbox/``."""

    sender = models.CharField(max_length=300)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=500)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return self.subject
