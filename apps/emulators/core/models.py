from django.db import models


class Fault(models.Model):
    """A fault an emulator injects into its next ``remaining`` matching calls (control routes are never faulted).

    kinds: ``status`` answers ``status_code`` (with ``Retry-After`` when set); ``delay`` sleeps ``delay_seconds``
    and then answers normally (a call past the client's timeout); ``drop`` closes the connection without an answer
    (standalone server only; in process it behaves like a 502 from a proxy).
    """

    class Kind(models.TextChoices):
        STATUS = "status"
        DELAY = "delay"
        DROP = "drop"

    emulator = models.CharField(max_length=20)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    retry_after = models.PositiveIntegerField(null=True, blank=True)
    delay_seconds = models.FloatField(default=0)
    remaining = models.PositiveIntegerField(default=1)
    path_contains = models.CharField(max_length=200, blank=True, help_text="Only calls whose path contains this.")
    method = models.CharField(max_length=10, blank=True, help_text="Only calls with this method (any when blank).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.emulator} {self.kind} x{self.remaining}"


class RequestLog(models.Model):
    """Every call an emulator answered (not control routes): what tests count, e.g. calls per idempotency key."""

    emulator = models.CharField(max_length=20)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField()
    idempotency_key = models.CharField(max_length=255, blank=True)
    fault = models.CharField(max_length=20, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["emulator", "path"])]

    def __str__(self) -> str:
        return f"{self.emulator} {self.method} {self.path} {self.status_code}"
