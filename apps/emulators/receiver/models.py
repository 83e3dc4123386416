"""An integrator's webhook receiver, standing in for the systems that subscribe to Greenlight's outbound webhooks
(``apps.webhooks``): in development a demo endpoint points here, and the page shows each delivery and whether its
Standard Webhooks signature verified with the secret the integrator holds."""

from django.db import models


class Receiver(models.Model):
    """One integrator's receiving URL (``/emulators/receiver/<slug>/``) and the secrets it accepts (during a
    rotation both the old and the new one verify)."""

    slug = models.SlugField(unique=True)
    secrets = models.JSONField(default=list, help_text="whsec_... secrets the receiver verifies with.")
    fail_next = models.PositiveIntegerField(default=0, help_text="Answer 500 to this many deliveries (a fault).")

    def __str__(self) -> str:
        return self.slug


class ReceivedWebhook(models.Model):
    receiver = models.ForeignKey(Receiver, on_delete=models.CASCADE, related_name="received")
    message_id = models.CharField(max_length=200, blank=True)
    event_type = models.CharField(max_length=100, blank=True)
    headers = models.JSONField(default=dict)
    body = models.TextField()
    signature_valid = models.BooleanField(default=False)
    verify_error = models.CharField(max_length=300, blank=True)
    answered = models.PositiveSmallIntegerField(default=204)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"
